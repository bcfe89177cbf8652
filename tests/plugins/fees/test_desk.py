"""The cashier desk pages: lookup, the account, taking payments, receipts, voids, invoices,
large amounts and permissions."""

from decimal import Decimal
from io import BytesIO

from sqlalchemy import select, update

from core.forms import new_once_key
from core.models import AuditLog, Notification, User
from plugins.fees import desk, ledger
from plugins.fees.models import Bill, Payment
from tests.plugins.fees.test_desk_kit import count, login, make_bill, once, pay, shop_fixture  # noqa: F401

D = Decimal


def two_months(db, shop):
    return [make_bill(db, shop.unit, shop.fee, m, "256.10") for m in (1, 2)]


def pay_form(bills, amount, **kw):
    data = {"once_key": new_once_key(), "method": "cash", "amount": amount, "bill": [str(b.id) for b in bills],
            "payer": "王芳"}
    data.update({f"seen_{b.id}": str(b.paid) for b in bills})
    data.update(kw)
    return data


def test_rmb_upper_writes_amounts_in_capital_numerals():
    assert desk.rmb_upper(D("1280.50")) == "壹仟贰佰捌拾元伍角整"
    assert desk.rmb_upper(D("512.20")) == "伍佰壹拾贰元贰角整"
    assert desk.rmb_upper(D("100.05")) == "壹佰元零伍分"
    assert desk.rmb_upper(D("10005")) == "壹万零伍元整"
    assert desk.rmb_upper(D("1000500.00")) == "壹佰万零伍佰元整"
    assert desk.rmb_upper(D("0.36")) == "叁角陆分"
    assert desk.rmb_upper(D("0")) == "零元整"
    assert desk.rmb_upper(D("100000000")) == "壹亿元整"
    assert desk.rmb_upper(D("20.07")) == "贰拾元零柒分"


def test_lookup_by_number_owner_and_phone_shows_what_is_owed(db, client, shop):
    two_months(db, shop)
    login(client, shop.cashier)
    html = client.get("/fees/desk?q=3-2-12", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-unit="3-2-1201"' in html and "512.20" in html and "<html" not in html
    owner = shop.unit.occupancies[0].resident
    assert 'data-unit="3-2-1201"' in client.get(f"/fees/desk?q={owner.name}").get_data(as_text=True)
    html = client.get(f"/fees/desk?q={owner.phone[-6:]}").get_data(as_text=True)
    assert 'data-unit="3-2-1201"' in html
    # E02 has a 3-2-1201 too: never shown to E01's cashier
    hits = desk.find_units("3-2-1201", [shop.e1.id])
    assert [h.estate_id for h in hits] == [shop.e1.id]


def test_the_unit_page_lists_bills_overdue_first_and_pays_them(db, client, shop):
    b1, b2 = two_months(db, shop)
    login(client, shop.cashier)
    html = client.get(f"/fees/desk/units/{shop.unit.id}").get_data(as_text=True)
    assert html.index(f'data-bill="{b1.id}"') < html.index(f'data-bill="{b2.id}"')
    assert "table-danger" in html and 'value="512.20"' in html
    assert '<span class="count">2</span> · they owe <span class="sum" data-currency="CNY">CN¥512.20</span>' in html
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b1, b2], "512.20"))
    assert resp.status_code == 302
    p = db.session.scalar(select(Payment))
    assert resp.headers["Location"].endswith(f"/fees/receipts/{p.id}")
    assert p.amount == D("512.20") and p.cashier_id == shop.cashier.id and p.payer == "王芳"
    assert {b.state for b in db.session.scalars(select(Bill))} == {"paid"}
    html = client.get(f"/fees/receipts/{p.id}").get_data(as_text=True)
    assert p.number in html and "Property service fee" in html and "void-form" not in html


def test_partial_payment_only_on_the_last_bill_and_prepay_on_request(db, client, shop):
    b1, b2 = two_months(db, shop)
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b1, b2], "300.00"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Bill, b1.id).state == "paid" and db.session.get(Bill, b2.id).paid == D("43.90")
    b3 = make_bill(db, shop.unit, shop.fee, 3, "256.10")
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b3], "300.00"))
    assert resp.status_code == 422
    assert "keep the rest as prepaid credit" in resp.get_data(as_text=True)
    assert count(db, Payment) == 1
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b3], "300.00", prepay="y"))
    assert resp.status_code == 302 and ledger.credit_balance(shop.unit.id) == D("43.90")


def test_bad_input_is_refused_beside_the_field_and_nothing_saved(db, client, shop):
    b1, b2 = two_months(db, shop)
    login(client, shop.cashier)
    url = f"/fees/desk/units/{shop.unit.id}/pay"
    for amount, message in (("-5", "The amount must be more than zero."), ("abc", "Enter an amount such as 1280.50."),
                            ("10.005", "Use at most 2 decimal places."), ("", "Enter the amount received.")):
        resp = client.post(url, data=pay_form([b1], amount))
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), amount
    resp = client.post(url, data=pay_form([b1, b2], "100.00"))
    assert resp.status_code == 422 and "Only the last bill ticked may be paid in part" in resp.get_data(as_text=True)
    other = make_bill(db, shop.unit_e2, shop.fee_e2, 1, "10")
    resp = client.post(url, data=pay_form([other], "10.00"))
    assert resp.status_code == 422 and "That bill does not belong to this unit." in resp.get_data(as_text=True)
    assert count(db, Payment) == 0 and all(b.paid == 0 for b in db.session.scalars(select(Bill)))


def test_two_cashiers_on_the_same_bill_one_gets_the_message(db, client, shop, app):
    b1, _b2 = two_months(db, shop)
    login(client, shop.cashier)
    seen = pay_form([b1], "256.10")  # the page was opened with paid = 0.00
    other = app.test_client()
    login(other, shop.cashier2)
    # two pages (two renders of the form, two one-time keys), opened before either paid
    assert other.post(f"/fees/desk/units/{shop.unit.id}/pay", data=once(seen)).status_code == 302
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=seen)
    assert resp.status_code == 422
    assert "Another cashier has just taken a payment for this bill." in resp.get_data(as_text=True)
    assert count(db, Payment) == 1


def test_receipt_print_in_chinese_has_words_stamp_and_void_mark(db, client, shop):
    b1, b2 = two_months(db, shop)
    p = pay(shop, [b1, b2])
    card = pay(shop, [], amount=D("50"), prepay=True, method="wechat")
    db.session.commit()
    db.session.execute(update(User).where(User.id == shop.manager.id).values(locale="zh_CN"))
    db.session.commit()
    login(client, shop.manager)
    html = client.get(f"/fees/receipts/{p.id}/print").get_data(as_text=True)
    assert "伍佰壹拾贰元贰角整" in html and 'data-stamp="cash"' in html and "receipt-void-mark" not in html
    assert 'data-stamp="bank"' in client.get(f"/fees/receipts/{card.id}/print?size=half").get_data(as_text=True)
    resp = client.post(f"/fees/receipts/{p.id}/void", data=once({"reason": "收错户了"}))
    assert resp.status_code == 302
    html = client.get(f"/fees/receipts/{p.id}/print").get_data(as_text=True)
    assert "receipt-void-mark" in html and "收错户了" in html


def test_cashier_cannot_void_and_void_needs_a_reason(db, client, shop):
    b1, _ = two_months(db, shop)
    p = pay(shop, [b1])
    db.session.commit()
    login(client, shop.cashier)
    assert client.post(f"/fees/receipts/{p.id}/void", data=once({"reason": "mistake made"})).status_code == 403
    assert db.session.get(Payment, p.id).voided_at is None
    login(client, shop.manager)
    resp = client.post(f"/fees/receipts/{p.id}/void", data=once({"reason": "no"}))
    assert resp.status_code == 422 and "Give the reason for voiding" in resp.get_data(as_text=True)
    assert client.post(f"/fees/receipts/{p.id}/void", data=once({"reason": "wrong unit"})).status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, p.id).voided_at is not None and db.session.get(Bill, b1.id).state == "open"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "fees_payment",
                                                     AuditLog.record_id == str(p.id), AuditLog.action == "void"))
    assert audit is not None and audit.user_id == shop.manager.id


def test_invoice_number_is_unique_in_the_estate(db, client, shop):
    b1, b2 = two_months(db, shop)
    p1, p2 = pay(shop, [b1]), pay(shop, [b2])
    db.session.commit()
    login(client, shop.cashier)
    assert client.post(f"/fees/receipts/{p1.id}/invoice", data={"invoice_no": "04400012"}).status_code == 302
    resp = client.post(f"/fees/receipts/{p2.id}/invoice", data={"invoice_no": "04400012"})
    assert resp.status_code == 422 and p1.number in resp.get_data(as_text=True)
    assert db.session.get(Payment, p1.id).invoice_no == "04400012" and db.session.get(Payment, p2.id).invoice_no is None


def test_large_amounts_are_reported_the_same_day(db, client, shop):
    big = make_bill(db, shop.unit, shop.fee, 1, "6000.00")
    db.session.execute(update(User).where(User.id == shop.manager.id).values(locale="zh_CN"))
    db.session.commit()
    login(client, shop.cashier)  # English-speaking: the manager still reads it in Chinese
    client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([big], "6000.00"))
    p = db.session.scalar(select(Payment))
    notes = list(db.session.scalars(select(Notification)))
    readers = {n.user_id for n in notes}
    assert shop.manager.id in readers and shop.cashier_e2.id not in readers
    assert all(p.number in n.title for n in notes)
    by_user = {n.user_id: n.title for n in notes}
    assert by_user[shop.manager.id].startswith("收到大额款项：")
    assert all(t.startswith("Large amount received") for u, t in by_user.items() if u != shop.manager.id)
    assert len(by_user) >= 2  # someone else (English) was told too
    assert "receipt-large" in client.get(f"/fees/receipts/{p.id}").get_data(as_text=True)


def test_deposit_at_the_desk_and_credit_used_on_bills(db, client, shop):
    b1, _ = two_months(db, shop)
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/deposit", data=once({
        "deposit_item": shop.deposit.id, "amount": "2000", "method": "transfer", "source_ref": "ZX-2026-01",
        "reference": "BANK123"}))
    assert resp.status_code == 302
    pay(shop, [], amount=D("300"), prepay=True)
    db.session.commit()
    assert client.post(f"/fees/desk/units/{shop.unit.id}/credit", data=once()).status_code == 302
    db.session.expire_all()
    assert db.session.get(Bill, b1.id).state == "paid" and ledger.credit_balance(shop.unit.id) == 0
    html = client.get(f"/fees/desk/units/{shop.unit.id}").get_data(as_text=True)
    assert "ZX-2026-01" in html and "2,000.00" in html
    # refused: nothing left to use, an item that is not a deposit — said on the page, nothing saved
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/credit", data=once(), follow_redirects=True)
    assert "This unit has no prepaid credit." in resp.get_data(as_text=True)
    before = count(db, Payment)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/deposit", data=once({
        "deposit_item": "", "amount": "500", "method": "cash"}))
    assert resp.status_code == 422 and count(db, Payment) == before
    assert "Choose a deposit item of this estate." in resp.get_data(as_text=True)


def test_other_estates_are_invisible_and_permissions_hold(db, client, shop):
    other = make_bill(db, shop.unit_e2, shop.fee_e2, 1, "10")
    p = ledger.take_payment(estate=shop.e2, unit_id=shop.unit_e2.id, cashier_id=shop.cashier_e2.id,
                            method="cash", amount=D("10"), bills=[(other.id, D("10"), D("0"))])
    db.session.commit()
    login(client, shop.cashier)
    assert client.get(f"/fees/desk/units/{shop.unit_e2.id}").status_code == 404
    assert client.get(f"/fees/receipts/{p.id}").status_code == 404
    assert client.get(f"/fees/receipts/{p.id}/print").status_code == 404
    assert p.number not in client.get("/fees/receipts").get_data(as_text=True)
    login(client, shop.clerk)
    assert client.get("/fees/desk").status_code == 403
    assert client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=once({"amount": "1"})).status_code == 403


def test_receipts_list_filters_and_exports(db, client, shop):
    b1, b2 = two_months(db, shop)
    p1 = pay(shop, [b1])
    p2 = pay(shop, [b2], method="alipay")
    db.session.commit()
    login(client, shop.manager)
    html = client.get("/fees/receipts?method=alipay").get_data(as_text=True)
    assert p2.number in html and p1.number not in html
    resp = client.get("/fees/receipts?export=xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(resp.data)).active
    numbers = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert set(numbers) == {p1.number, p2.number}


def test_global_search_finds_receipts(db, client, shop):
    b1, _ = two_months(db, shop)
    p = pay(shop, [b1])
    db.session.commit()
    login(client, shop.manager)
    html = client.get(f"/search?q={p.number[-8:]}").get_data(as_text=True)
    assert p.number in html


def test_amounts_in_the_desk_s_messages_carry_the_currency_sign(db, client, shop):
    b1, b2 = two_months(db, shop)
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b1], "300.00"))
    assert resp.status_code == 422
    assert "The bills chosen come to" not in resp.get_data(as_text=True)
    assert "CN¥300.00 is more than the CN¥256.10 chosen." in resp.get_data(as_text=True)
    html = client.post(f"/fees/desk/units/{shop.unit.id}/pay", data=pay_form([b1, b2], "512.20"),
                       follow_redirects=True).get_data(as_text=True)
    p = db.session.scalar(select(Payment))
    assert f"Receipt {p.number} issued for CN¥512.20." in html
    assert 'Paid at</dt><dd class="col-sm-8 receipt-paid-at">' in html and "Received at" not in html
    db.session.execute(update(User).where(User.id == shop.cashier.id).values(locale="zh_CN"))
    db.session.commit()
    html = client.get(f"/fees/receipts/{p.id}").get_data(as_text=True)
    assert "收款时间" in html and "受理时间" not in html
    html = client.get(f"/fees/receipts/{p.id}/print?size=half").get_data(as_text=True)
    assert "收款时间" in html and "受理时间" not in html
