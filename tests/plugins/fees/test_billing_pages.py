"""Billing pages: permissions and estate scope, items and prices saved and shown, the run page
with its htmx progress and no-JS fallback, bills list/export/detail, voiding a bill."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.i18n import today_local
from core.models import Unit
from core.testing import TEST_PASSWORD
from plugins.fees import billing
from plugins.fees.models import Bill, BillingRun, FeeItem, FeePrice, Meter

D = Decimal


def login(client, user):
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code == 302
    return user


@pytest.fixture
def office(db, estates, make_user):
    e1, e2 = estates
    prop = billing.create_item(e1, dict(code="PROP", name="物业服务费", kind="area"))
    billing.add_price(prop, price=D("2.80"), valid_from=date(2026, 1, 1), basis="沪价〔2026〕1号")
    other = billing.create_item(e2, dict(code="PROP", name="Other estate fee", kind="area"))
    billing.add_price(other, price=D("1.50"), valid_from=date(2026, 1, 1))
    db.session.commit()
    return dict(e1=e1, e2=e2, prop=prop, other=other, mgr=make_user("manager", [e1]),
                cashier=make_user("cashier", [e1]), clerk=make_user("clerk", [e1]))


def test_permissions_and_other_estates(client, office):
    e2 = office["e2"]
    login(client, office["cashier"])
    for url in ("/fees/items", "/fees/items/new", f"/fees/items/{office['prop'].id}", "/fees/meters", "/fees/runs"):
        assert client.get(url).status_code == 403, url
    assert client.post("/fees/items/new", data={"code": "X", "name": "X", "kind": "fixed"}).status_code == 403
    assert client.get("/fees/prices").status_code == 200  # the price list is public to fees.view
    login(client, office["mgr"])
    assert client.get(f"/fees/items/{office['other'].id}").status_code == 404
    assert client.get(f"/fees/items?estate={e2.id}").status_code == 404
    assert client.get(f"/fees/prices?estate={e2.id}").status_code == 404


def test_item_created_edited_and_deactivated_through_pages(db, client, office):
    e1 = office["e1"]
    login(client, office["mgr"])
    resp = client.post(f"/fees/items/new?estate={e1.id}", data={
        "code": "heat", "name": "采暖费", "kind": "area", "cycle": "yearly", "cycle_start_month": "11",
        "unit_uses": ["residence"], "due_days": "30", "sequence": "20"})
    assert resp.status_code == 302
    heat = db.session.scalar(select(FeeItem).where(FeeItem.code == "HEAT"))
    assert (heat.cycle, heat.cycle_start_month, heat.unit_uses, heat.estate_id) == ("yearly", 11, "residence", e1.id)
    resp = client.post(f"/fees/items/new?estate={e1.id}", data={
        "code": "HEAT", "name": "again", "kind": "area", "cycle": "monthly", "cycle_start_month": "1",
        "due_days": "30", "sequence": "1"})
    assert resp.status_code == 422 and "already has a fee item with code HEAT" in resp.text
    page = client.get(f"/fees/items?estate={e1.id}")
    assert "采暖费" in page.text and "Other estate fee" not in page.text
    resp = client.post(f"/fees/items/{heat.id}/edit", data={
        "code": "HEAT", "name": "采暖费（新）", "kind": "area", "cycle": "yearly", "cycle_start_month": "10",
        "due_days": "45", "sequence": "20"})
    assert resp.status_code == 302
    assert "采暖费（新）" in client.get(f"/fees/items/{heat.id}").text
    assert client.post(f"/fees/items/{heat.id}/active", data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(FeeItem, heat.id).active is False
    assert "Deactivated" in client.get(f"/fees/items?estate={e1.id}").text


def test_prices_published_shown_and_refused(db, client, office):
    prop = office["prop"]
    login(client, office["mgr"])
    upcoming = today_local() + timedelta(days=45)  # published ahead; today's price is still 2.80
    resp = client.post(f"/fees/items/{prop.id}/prices", data={"unit_use": "", "price": "3.1234",
                                                               "valid_from": upcoming.isoformat(), "basis": "新价"})
    assert resp.status_code == 302
    for bad, msg in (("-1", "more than zero"), ("abc", "Enter an amount"), ("1.23456", "at most 4 decimal"),
                     ("1e3", "Enter an amount"), ("NaN", "Enter an amount")):  # 1e3 was taken as 1000
        resp = client.post(f"/fees/items/{prop.id}/prices",
                           data={"price": bad, "valid_from": (upcoming + timedelta(days=365)).isoformat()})
        assert resp.status_code == 422 and msg in resp.text, bad
    resp = client.post(f"/fees/items/{prop.id}/prices", data={"price": "4", "valid_from": "2026-06-01"})
    assert resp.status_code == 422 and "must not overlap" in resp.text
    assert db.session.scalar(select(func.count(FeePrice.id)).where(FeePrice.item_id == prop.id)) == 2
    page = client.get(f"/fees/items/{prop.id}")
    assert "3.1234" in page.text and "2.8000" in page.text
    listing = client.get("/fees/prices")
    assert "物业服务费" in listing.text and "Other estate fee" not in listing.text
    printed = client.get("/fees/prices/print")
    assert printed.status_code == 200 and "沪价〔2026〕1号" in printed.text and 'class="a4"' in printed.text


def test_used_price_cannot_be_corrected_on_its_page(db, client, office):
    login(client, office["mgr"])
    billing.run_billing(office["e1"], date(2026, 11, 1), office["mgr"].id)
    db.session.commit()
    price = db.session.scalar(select(FeePrice).where(FeePrice.item_id == office["prop"].id))
    resp = client.post(f"/fees/prices/{price.id}/edit", data={"price": "9", "valid_from": "2026-01-01"})
    assert resp.status_code == 422 and "cannot change" in resp.text
    db.session.expire_all()
    assert db.session.get(FeePrice, price.id).price == D("2.80")


def test_meter_pages(db, client, office):
    e1 = office["e1"]
    login(client, office["mgr"])
    resp = client.post(f"/fees/meters/new?estate={e1.id}", data={"code": "W-101", "kind": "water",
                                                                 "unit_number": "1-1-101", "active": "y"})
    assert resp.status_code == 302
    resp = client.post(f"/fees/meters/new?estate={e1.id}", data={"code": "W-X", "kind": "water",
                                                                 "unit_number": "9-9-999"})
    assert resp.status_code == 422 and "no unit 9-9-999" in resp.text
    meter = db.session.scalar(select(Meter))
    assert meter.unit.number == "1-1-101"
    assert "W-101" in client.get(f"/fees/meters?estate={e1.id}").text


def test_run_page_preview_progress_and_fallback(db, client, office, monkeypatch):
    e1 = office["e1"]
    login(client, office["mgr"])
    preview = client.get(f"/fees/runs/preview?estate={e1.id}&period=2026-11")
    assert preview.status_code == 200 and "827.40" in preview.text  # 3 × 98.50 m² × 2.80
    assert client.get(f"/fees/runs/preview?estate={e1.id}&period=soon").status_code == 422
    assert db.session.scalar(select(func.count(BillingRun.id))) == 0
    resp = client.post(f"/fees/runs/preview?estate={e1.id}", data={"period": "2026-11"})
    assert resp.status_code == 302
    run = db.session.scalar(select(BillingRun))
    page = client.get(f"/fees/runs/{run.id}")
    assert f'hx-post="/fees/runs/{run.id}/step"' in page.text and "0%" in page.text
    monkeypatch.setattr(billing, "CHUNK", 2)
    step = client.post(f"/fees/runs/{run.id}/step")
    assert "66%" in step.text and "hx-post" in step.text
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Bill.id))) == 2
    resp = client.post(f"/fees/runs/{run.id}/finish")
    assert resp.status_code == 302
    done = client.get(f"/fees/runs/{run.id}")
    assert "100%" in done.text and "hx-post" not in done.text
    assert db.session.scalar(select(func.count(Bill.id))) == 3
    runs = client.get(f"/fees/runs?estate={e1.id}")
    assert "827.40" in runs.text
    client.post(f"/fees/runs/preview?estate={e1.id}", data={"period": "2026-11"})
    again = db.session.scalar(select(BillingRun).order_by(BillingRun.id.desc()))
    client.post(f"/fees/runs/{again.id}/finish")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Bill.id))) == 3  # idempotent through the pages too
    login(client, office["cashier"])
    assert client.post(f"/fees/runs/{run.id}/step").status_code == 403


def test_bills_list_filters_export_detail_and_void(db, client, office, make_user):
    e1 = office["e1"]
    billing.run_billing(e1, date(2026, 11, 1), office["mgr"].id)
    billing.run_billing(office["e2"], date(2026, 11, 1), office["mgr"].id)
    db.session.commit()
    login(client, office["clerk"])
    page = client.get("/fees/bills?period=2026-11&unit=3-2-1201")
    assert "1 record" in page.text and "275.80" in page.text
    unit_id = db.session.scalar(select(Unit.id).where(Unit.estate_id == e1.id, Unit.number == "3-2-1201"))
    bill = db.session.scalar(select(Bill).where(Bill.unit_id == unit_id))
    assert client.get("/fees/bills?state=paid").text.count("275.80") == 0
    export = client.get("/fees/bills?export=xlsx")
    ws = load_workbook(io.BytesIO(export.data)).active
    assert ws.max_row == 4  # header + E01's three bills, none of E02's
    detail = client.get(f"/fees/bills/{bill.id}")
    assert detail.status_code == 200 and "Nothing paid yet." in detail.text and "Void the bill" not in detail.text
    assert client.post(f"/fees/bills/{bill.id}/void", data={"reason": "wrong area"}).status_code == 403
    other = db.session.scalar(select(Bill).where(Bill.estate_id == office["e2"].id))
    assert client.get(f"/fees/bills/{other.id}").status_code == 404
    boss = make_user(["manager"], [e1])
    login(client, boss)
    assert client.post(f"/fees/bills/{bill.id}/void", data={"reason": "no"}).status_code == 422
    resp = client.post(f"/fees/bills/{bill.id}/void", data={"reason": "wrong area on file"})
    assert resp.status_code == 302
    page = client.get(f"/fees/bills/{bill.id}")
    assert "wrong area on file" in page.text and "Void" in page.text
    db.session.expire_all()
    assert db.session.get(Bill, bill.id).state == "void"


def test_one_off_charge_page(db, client, office):
    e1 = office["e1"]
    deco = billing.create_item(e1, dict(code="DECO", name="装修管理费", kind="oneoff"))
    db.session.commit()
    login(client, office["mgr"])
    bad = client.post(f"/fees/bills/new?estate={e1.id}", data={"unit_number": "1-1-101", "item_id": deco.id,
                                                               "amount": "12.345"})
    assert bad.status_code == 422 and "at most 2 decimal" in bad.text
    resp = client.post(f"/fees/bills/new?estate={e1.id}", data={"unit_number": "1-1-101", "item_id": deco.id,
                                                                "amount": "300", "description": "装修"})
    assert resp.status_code == 302
    bill = db.session.scalar(select(Bill))
    assert (bill.amount, bill.source, bill.item_id) == (D("300.00"), "manual", deco.id)
    assert "装修管理费" in client.get(f"/fees/bills/{bill.id}").text


def test_every_billing_page_renders_for_the_manager(db, client, office):
    e1, prop = office["e1"], office["prop"]
    share = billing.create_item(e1, dict(code="SHARE", name="公摊电费", kind="shared", meter_kind="electricity",
                                         allocation="area"))
    meter = billing.save_meter(e1, dict(code="COMMON-1", kind="electricity", item_id=share.id))
    price = billing.item_prices(prop.id)[0]
    db.session.commit()
    login(client, office["mgr"])
    pages = {
        f"/fees/items/new?estate={e1.id}": "New fee item",
        f"/fees/items/{prop.id}/edit": "物业服务费",
        f"/fees/prices/{price.id}/edit": "Correct a price",
        f"/fees/meters/new?estate={e1.id}": "公摊电费",
        f"/fees/meters/{meter.id}/edit": "COMMON-1",
        f"/fees/meters?estate={e1.id}": "Common meter",
        f"/fees/readings?estate={e1.id}": "COMMON-1",
        f"/fees/readings/import?estate={e1.id}": "Import meter readings",
        f"/fees/runs?estate={e1.id}": "No billing run yet.",
        f"/fees/bills/new?estate={e1.id}": "One-off charge",
        "/fees/bills": "No bill matches.",
    }
    for url, text in pages.items():
        resp = client.get(url)
        assert resp.status_code == 200 and text in resp.text, url
    nav = client.get("/").text
    for label in ("Bills", "Price list", "Meter readings", "Fee items", "Billing runs"):
        assert label in nav


def test_bill_detail_shows_receipts_and_credit_paying_it(db, client, office):
    from plugins.fees import ledger
    from plugins.fees.models import CreditEntry

    e1 = office["e1"]
    u = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "1-1-101"))
    db.session.add(CreditEntry(estate_id=e1.id, unit_id=u.id, kind="prepaid", amount=D("75.80")))
    db.session.flush()
    billing.run_billing(e1, date(2026, 11, 1), office["mgr"].id)
    bill = db.session.scalar(select(Bill).where(Bill.unit_id == u.id))
    payment = ledger.take_payment(estate=e1, unit_id=u.id, cashier_id=office["cashier"].id, method="wechat",
                                  amount=D("200.00"), bills=[(bill.id, D("200.00"), D("75.80"))])
    db.session.commit()
    login(client, office["cashier"])
    page = client.get(f"/fees/bills/{bill.id}")
    assert payment.number in page.text and "Credit applied" in page.text and "75.80" in page.text
    assert "Paid" in page.text and "Void the bill" not in page.text
