"""One-time keys on the money forms (issue 10, "Money"): a form sent twice — at the same moment,
or again later with the back button — takes the money (or does its change) once, and every
answer points at what the first submission did. The unique index of ``core_once_key`` decides
the race, on SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``), through a real server."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.forms import is_once_key, new_once_key
from core.models import OnceKey
from core.testing import HttpSession
from plugins.fees import ledger
from plugins.fees.models import DailyClose, Deposit, Payment, Refund
from tests.plugins.fees.test_desk_kit import count, login, make_bill, pay, shop_fixture  # noqa: F401

D = Decimal
SENT_ALREADY = "This form had been sent already: nothing was done again."
NO_KEY = "This form has lost its one-time key, so nothing was done."


def key_of(html: str, form_id: str) -> str:
    """The one-time key rendered in the form ``form_id`` of a page."""
    form = re.search(r'<form[^>]*id="' + re.escape(form_id) + r'".*?</form>', html, re.S)
    assert form, f"no form {form_id} on the page"
    found = re.search(r'<input[^>]*name="once_key"[^>]*>', form.group(0))
    assert found, f"form {form_id} has no once_key"
    return re.search(r'value="([^"]*)"', found.group(0)).group(1)


def fresh(db):
    db.session.rollback()  # end the test's read transaction: see what the server committed
    db.session.expire_all()


FORMS = {
    "prepayment": ("pay-form", "pay", lambda shop: {"method": "cash", "amount": "100.00", "prepay": "y"}),
    "deposit": ("deposit-form", "deposit", lambda shop: {"deposit_item": str(shop.deposit.id), "amount": "2000.00",
                                                         "method": "transfer", "source_ref": "ZX-2026-01"}),
}


@pytest.mark.parametrize("what", sorted(FORMS))
def test_one_form_sent_many_times_at_once_takes_the_money_once(live_server, db, shop, what):
    """8 submissions of one rendered form at the same moment (a double click, a resend): one
    receipt, and all 8 answers send the cashier to it. Then the back button and submit again:
    the same receipt, with a message. A new render of the form (a new key) is a new payment."""
    server = live_server()
    http = HttpSession(server.url).login(shop.cashier.username)
    form_id, action, data = FORMS[what][0], FORMS[what][1], FORMS[what][2](shop)
    unit_page = f"/fees/desk/units/{shop.unit.id}"
    url = f"{unit_page}/{action}"
    status, page = http.request("GET", unit_page)
    assert status == 200
    data["once_key"] = key_of(page, form_id)
    n = 8
    start = threading.Barrier(n)

    def send(_):
        start.wait(30)
        return http.exchange("POST", url, data)

    with ThreadPoolExecutor(max_workers=n) as pool:
        answers = list(pool.map(send, range(n)))
    fresh(db)
    payments = list(db.session.scalars(select(Payment)))
    assert len(payments) == 1, [p.number for p in payments]
    receipt = f"/fees/receipts/{payments[0].id}"
    assert [(s, h["Location"]) for s, h, _ in answers] == [(302, receipt)] * n
    if what == "prepayment":
        assert ledger.credit_balance(shop.unit.id) == D("100.00")
    else:
        assert count(db, Deposit) == 1
    assert db.session.scalar(select(OnceKey.record_id).where(OnceKey.key == data["once_key"])) == payments[0].id

    # the back button, and submit again: nothing taken, the first receipt shown with a message
    status, headers, _ = http.exchange("POST", url, data)
    assert (status, headers["Location"]) == (302, receipt)
    status, page = http.request("GET", receipt)
    assert status == 200 and SENT_ALREADY in page and payments[0].number in page
    fresh(db)
    assert count(db, Payment) == 1

    # the form rendered again is another payment (legitimately)
    _, page = http.request("GET", unit_page)
    second = dict(data, once_key=key_of(page, form_id))
    assert second["once_key"] != data["once_key"]
    status, headers, _ = http.exchange("POST", url, second)
    fresh(db)
    assert count(db, Payment) == 2
    other = db.session.scalar(select(Payment).where(Payment.id != payments[0].id))
    assert (status, headers["Location"]) == (302, f"/fees/receipts/{other.id}")


def test_two_renders_of_the_form_sent_at_once_are_two_payments(live_server, db, shop):
    """Two pages opened (two keys), each sent at the same moment: two receipts, numbers 1 and 2."""
    server = live_server()
    http = HttpSession(server.url).login(shop.cashier.username)
    unit_page = f"/fees/desk/units/{shop.unit.id}"
    keys = [key_of(http.request("GET", unit_page)[1], "pay-form") for _ in range(2)]
    assert keys[0] != keys[1]
    start = threading.Barrier(2)

    def send(key):
        start.wait(30)
        return http.exchange("POST", f"{unit_page}/pay", {"method": "cash", "amount": "50.00", "prepay": "y",
                                                           "once_key": key})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, keys))
    fresh(db)
    payments = {p.id: p for p in db.session.scalars(select(Payment))}
    assert sorted(p.seq for p in payments.values()) == [1, 2]
    assert sorted(h["Location"] for _s, h, _b in answers) == sorted(f"/fees/receipts/{i}" for i in payments)
    assert ledger.credit_balance(shop.unit.id) == D("100.00")


@pytest.mark.parametrize("bad", [None, "", "short", "x" * 65, "has spaces in it, more than 22 chars",
                                 "'; DROP TABLE core_once_key; --", "键" * 30])
def test_a_money_form_without_a_valid_key_is_refused_and_changes_nothing(db, client, shop, bad):
    login(client, shop.cashier)
    data = {"method": "cash", "amount": "100.00", "prepay": "y"}
    if bad is not None:
        data["once_key"] = bad
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and NO_KEY in html
    renewed = key_of(html, "pay-form")  # the form shown again can be sent: it has a new key
    assert is_once_key(renewed) and renewed != bad
    assert 'value="100.00"' in html  # what the cashier typed is kept
    assert count(db, Payment) == 0 and count(db, OnceKey) == 0 and ledger.credit_balance(shop.unit.id) == 0
    data["once_key"] = renewed
    assert client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=data).status_code == 302
    assert count(db, Payment) == 1


def test_a_key_of_nul_bytes_is_refused_before_the_form_is_read(db, client, shop):
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay",
                       data={"method": "cash", "amount": "100.00", "prepay": "y", "once_key": "\x00" * 32})
    assert resp.status_code == 400  # core/inputs.py: no NUL byte reaches a view
    assert count(db, Payment) == 0 and count(db, OnceKey) == 0 and ledger.credit_balance(shop.unit.id) == 0


def test_the_refusal_is_translated(db, client, shop):
    from sqlalchemy import update

    from core.models import User

    db.session.execute(update(User).where(User.id == shop.cashier.id).values(locale="zh_CN"))
    db.session.commit()
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data={"method": "cash", "amount": "1", "prepay": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "一次性" in html and NO_KEY not in html


def test_a_key_is_not_reused_by_another_person_or_another_kind_of_form(db, client, shop):
    """The key of a payment sent by another cashier, or sent to the refund form: refused, nothing done."""
    login(client, shop.cashier)
    key = new_once_key()
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay",
                       data={"once_key": key, "method": "cash", "amount": "300.00", "prepay": "y"})
    assert resp.status_code == 302
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/refund", data={
        "once_key": key, "kind": "credit", "amount": "10", "payee": "王芳", "reason": "多交了"})
    assert resp.status_code == 422 and NO_KEY in resp.get_data(as_text=True) and count(db, Refund) == 0
    login(client, shop.cashier2)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay",
                       data={"once_key": key, "method": "cash", "amount": "300.00", "prepay": "y"})
    assert resp.status_code == 422 and NO_KEY in resp.get_data(as_text=True)
    assert count(db, Payment) == 1


def _twice(client, path, data, form_id=None, page=None):
    """Render (when ``page`` is given, take the key from it), send, send again: both answers."""
    if page is not None:
        data = dict(data, once_key=key_of(client.get(page).get_data(as_text=True), form_id))
    first = client.post(path, data=data)
    again = client.post(path, data=data)
    return first, again


def test_every_money_form_sent_again_shows_the_first_result(db, client, shop):
    """Use of credit, refund request, approval and payout, void: the second submission of the
    same form changes nothing and goes to the first one's page (where it used to be refused,
    or — for credit and refunds — done twice)."""
    bill = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    pay(shop, [], amount=D("300.00"), prepay=True)
    db.session.commit()
    login(client, shop.cashier)
    unit_page = f"/fees/desk/units/{shop.unit.id}"

    first, again = _twice(client, f"{unit_page}/credit", {}, "credit-form", unit_page)
    assert first.status_code == again.status_code == 302 and first.location == again.location == unit_page
    fresh(db)
    assert ledger.credit_balance(shop.unit.id) == D("43.90") and db.session.get(type(bill), bill.id).state == "paid"
    assert SENT_ALREADY in client.get(unit_page).get_data(as_text=True)

    first, again = _twice(client, f"{unit_page}/refund", {"kind": "credit", "amount": "20.00", "payee": "王芳",
                                                          "reason": "多交了"}, "refund-form", unit_page)
    refund = db.session.scalar(select(Refund))
    assert count(db, Refund) == 1
    assert first.status_code == again.status_code == 302
    assert first.location == again.location == f"/fees/refunds/{refund.id}"

    login(client, shop.manager)
    refund_page = f"/fees/refunds/{refund.id}"
    first, again = _twice(client, f"{refund_page}/decide", {"decision": "approve"}, "decide-form", refund_page)
    assert (first.status_code, again.status_code, again.location) == (302, 302, refund_page)
    login(client, shop.cashier)
    first, again = _twice(client, f"{refund_page}/pay", {"method": "cash"}, "refund-pay-form", refund_page)
    assert (first.status_code, again.status_code, again.location) == (302, 302, refund_page)
    fresh(db)
    assert db.session.get(Refund, refund.id).state == "paid" and ledger.credit_balance(shop.unit.id) == D("23.90")

    receipt = pay(shop, [], amount=D("10.00"), prepay=True)
    db.session.commit()
    login(client, shop.manager)
    receipt_page = f"/fees/receipts/{receipt.id}"
    first, again = _twice(client, f"{receipt_page}/void", {"reason": "收错户了"}, "void-form", receipt_page)
    assert (first.status_code, again.status_code, again.location) == (302, 302, receipt_page)
    fresh(db)
    assert db.session.get(Payment, receipt.id).voided_at is not None
    assert ledger.credit_balance(shop.unit.id) == D("23.90")
    html = client.get(receipt_page).get_data(as_text=True)
    assert SENT_ALREADY in html and "is void already" not in html
    assert count(db, OnceKey) == 5 and count(db, Payment) == 2


def test_the_daily_close_its_confirmation_and_reopening_sent_again(db, client, shop):
    pay(shop, [], amount=D("80.00"), prepay=True)
    db.session.commit()
    login(client, shop.cashier)
    first, again = _twice(client, "/fees/close", {"handed_to": str(shop.finance.id), "estate": str(shop.e1.id)},
                          "close-form", "/fees/close")
    close = db.session.scalar(select(DailyClose))
    page = f"/fees/closes/{close.id}"
    assert count(db, DailyClose) == 1 and (first.status_code, again.status_code) == (302, 302)
    assert first.location == again.location == page
    login(client, shop.finance)
    first, again = _twice(client, f"{page}/confirm", {"note": "收到"}, "confirm-form", page)
    assert (first.status_code, again.status_code, again.location) == (302, 302, page)
    login(client, shop.manager)
    first, again = _twice(client, f"{page}/reopen", {"reason": "作废一张收据"}, "reopen-form", page)
    assert (first.status_code, again.status_code, again.location) == (302, 302, page)
    fresh(db)
    assert db.session.get(DailyClose, close.id).state == "reopened"
    # the cashier closes the day again with a new form: a new handover number
    login(client, shop.cashier)
    first, _again = _twice(client, "/fees/close", {"handed_to": str(shop.finance.id), "estate": str(shop.e1.id)},
                           "close-form", "/fees/close")
    assert first.status_code == 302 and count(db, DailyClose) == 2
    assert db.session.scalar(select(func.count()).select_from(OnceKey)) == 4
