"""The daily close (日收日清): figures, freezing, locking, confirmation, reopening."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.audit import acting_as
from core.models import AuditLog
from core.testing import refused
from plugins.fees import close as closing
from plugins.fees import desk, ledger
from plugins.fees.models import DailyClose, Payment
from tests.plugins.fees.test_desk_kit import login, make_bill, once, pay, shop_fixture  # noqa: F401

D = Decimal

def busy_day(db, shop):
    """Cash 512.20 + WeChat 6000 (large) + a voided card receipt + a cash credit refund of 30."""
    b1, b2, b3 = (make_bill(db, shop.unit, shop.fee, m, "256.10") for m in (1, 2, 3))
    big = make_bill(db, shop.unit2, shop.fee, 1, "6000.00")
    p1 = pay(shop, [b1, b2], amount=D("542.20"), prepay=True)
    p2 = pay(shop, [big], unit=shop.unit2, method="wechat", reference="WX0001")
    p3 = pay(shop, [b3], method="card")
    ledger.void_payment(p3, "wrong card", shop.manager.id)
    desk.record_invoice(shop.cashier, p1, "04400001")
    desk.record_invoice(shop.cashier, p2, "04400002")
    r = desk.request_refund(shop.cashier, shop.unit, kind="credit", amount=D("30"), reason="多收")
    desk.decide_refund(shop.manager, r, True)
    desk.pay_refund(shop.cashier, r, "cash")
    pay(shop, [], amount=D("99"), prepay=True, cashier=shop.cashier2)  # another cashier's receipt
    db.session.commit()
    return p1, p2, p3


def test_closing_freezes_the_figures_and_locks_the_day(db, shop):
    p1, p2, p3 = busy_day(db, shop)
    day = p1.business_date
    close = closing.close_day(shop.cashier, shop.e1, day, shop.finance.id, "OK")
    db.session.commit()
    assert close.number.startswith("JJ-E01-") and close.state == "submitted"
    assert (close.receipt_count, close.receipt_first, close.receipt_last) == (3, p1.number, p3.number)
    assert close.void_count == 1 and close.void_numbers == p3.number
    assert (close.invoice_count, close.invoice_first, close.invoice_last) == (2, "04400001", "04400002")
    assert close.total == D("6542.20") and close.refunds_total == D("30.00")
    assert close.cash_to_hand_over == D("512.20") and close.large_count == 1
    lines = {ln.method: (ln.count, ln.amount, ln.refunds) for ln in close.lines}
    assert lines == {"cash": (1, D("542.20"), D("30.00")), "wechat": (1, D("6000.00"), D("0.00"))}
    assert {p.close_id for p in db.session.scalars(select(Payment).where(Payment.cashier_id == shop.cashier.id))} \
        == {close.id}
    # locked: no payment, no void, no second close
    b = make_bill(db, shop.unit, shop.fee, 6, "10")
    refused("You have closed this day's takings already.", pay, shop, [b])
    refused("locks this receipt", ledger.void_payment, db.session.get(Payment, p1.id), "wrong one",
            shop.manager.id)
    refused("You have closed", closing.close_day, shop.cashier, shop.e1, day, shop.finance.id)
    pay(shop, [b], cashier=shop.cashier2)  # the other cashier is not locked


def test_handover_goes_to_someone_who_confirms_and_a_manager_reopens(db, shop):
    p1, _, _ = busy_day(db, shop)
    day = p1.business_date
    refused("Choose the finance cashier", closing.close_day, shop.cashier, shop.e1, day, shop.cashier2.id)
    refused("not in advance", closing.close_day, shop.cashier, shop.e1, day + timedelta(days=365),
            shop.finance.id)
    close = closing.close_day(shop.cashier, shop.e1, day, shop.finance.id)
    db.session.commit()
    refused("cannot confirm their own", closing.confirm, shop.cashier, close)
    closing.confirm(shop.finance, close, "点清")
    db.session.commit()
    assert close.state == "confirmed" and close.confirmed_by_id == shop.finance.id
    refused("Give the reason for reopening", closing.reopen, shop.manager, close, "")
    with acting_as(shop.manager):
        closing.reopen(shop.manager, close, "需要作废一张收据")
        db.session.commit()
    assert ledger.day_is_closed(shop.e1.id, shop.cashier.id, day) is None
    ledger.void_payment(db.session.get(Payment, p1.id), "wrong unit", shop.manager.id)
    again = closing.close_day(shop.cashier, shop.e1, day, shop.finance.id)
    db.session.commit()
    assert again.number != close.number and again.void_count == 2 and again.total == D("6000.00")
    audit = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "fees_close",
                                                     AuditLog.record_id == str(close.id),
                                                     AuditLog.user_id == shop.manager.id))
    assert audit is not None and "需要作废一张收据" in str(audit.changes)


def test_close_pages_permissions_and_print(db, client, shop):
    p1, _, _ = busy_day(db, shop)
    login(client, shop.cashier)
    html = client.get("/fees/close").get_data(as_text=True)
    assert "6,542.20" in html and p1.number in html
    resp = client.post("/fees/close", data=once({"handed_to": "", "estate": shop.e1.id}))
    assert resp.status_code == 422 and "Choose the finance cashier" in resp.get_data(as_text=True)
    resp = client.post("/fees/close", data=once({"handed_to": shop.finance.id, "estate": shop.e1.id,
                                            "day": p1.business_date.isoformat()}))
    assert resp.status_code == 302
    again = client.post("/fees/close", data=once({"handed_to": shop.finance.id, "estate": shop.e1.id,
                                             "day": p1.business_date.isoformat()}))
    assert again.status_code == 422 and "already" in again.get_data(as_text=True)  # shown, nothing saved
    assert db.session.scalar(select(func.count()).select_from(DailyClose)) == 1
    close = db.session.scalar(select(DailyClose))
    html = client.get(f"/fees/closes/{close.id}/print").get_data(as_text=True)
    assert close.number in html and "6,542.20" in html and "512.20" in html
    # the cashier can neither confirm nor reopen
    assert client.post(f"/fees/closes/{close.id}/confirm", data=once()).status_code == 403
    assert client.post(f"/fees/closes/{close.id}/reopen", data=once({"reason": "please"})).status_code == 403
    # another cashier does not see it; another estate gets 404
    login(client, shop.cashier2)
    assert client.get(f"/fees/closes/{close.id}").status_code == 404
    login(client, shop.cashier_e2)
    assert client.get(f"/fees/closes/{close.id}").status_code == 404
    login(client, shop.finance)
    assert client.post(f"/fees/closes/{close.id}/confirm", data=once({"note": "ok"})).status_code == 302
    assert db.session.get(DailyClose, close.id).state == "confirmed"
    login(client, shop.manager)
    assert client.post(f"/fees/closes/{close.id}/reopen", data=once({"reason": "作废收据"})).status_code == 302
    assert db.session.get(DailyClose, close.id).state == "reopened"
    assert close.number in client.get("/fees/closes").get_data(as_text=True)


def test_after_the_close_the_desk_says_the_day_is_closed_instead_of_a_payment_form(db, client, shop, clock):
    from datetime import UTC, datetime

    clock.move_to(datetime(2026, 3, 5, 9, 30, tzinfo=UTC))  # 17:30 in Shanghai
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    login(client, shop.cashier)
    html = client.get(f"/fees/desk/units/{shop.unit.id}").get_data(as_text=True)
    assert 'id="pay-form"' in html and 'id="pay-button"' in html and "day-closed" not in html
    p = pay(shop, [b])
    db.session.commit()
    close = closing.close_day(shop.cashier, shop.e1, p.business_date, shop.finance.id)
    db.session.commit()
    html = client.get(f"/fees/desk/units/{make_bill(db, shop.unit, shop.fee, 2, '10').unit_id}").get_data(as_text=True)
    assert 'id="pay-button"' not in html and 'id="deposit-form"' not in html
    # no bill to tick either (issue 15): the bills are listed, their boxes and the ticked total are gone
    assert "¥10.00" in html and 'name="bill"' not in html and 'id="tick-all"' not in html
    assert 'id="ticked-total"' not in html
    assert "Today’s takings are closed" in html
    assert (f"刘出纳 closed the takings of Mar 5, 2026 at 2026-03-05 17:30 (handover form {close.number})"
            in html)
    assert f'href="/fees/closes/{close.id}"' in html
    assert "Take them on Mar 6, 2026, as that day’s takings" in html
    # another cashier's desk is open
    login(client, shop.cashier2)
    html = client.get(f"/fees/desk/units/{shop.unit.id}").get_data(as_text=True)
    assert 'id="pay-button"' in html and "day-closed" not in html
