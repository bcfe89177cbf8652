"""The income and expenditure statement and the collection rates: figures against sums worked
out by hand, the pages, the A4 prints, the spreadsheets read back, and who may see them."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.audit import acting_as
from plugins.fees import ledger, reports
from plugins.fees.models import Deposit, Refund
from tests.plugins.fees.test_arrears_kit import (  # noqa: F401
    at,
    login,
    make_bill,
    make_item,
    pay,
    staff_fixture,
    unit_of,
)

D = Decimal
MAY = date(2026, 5, 1)


@pytest.fixture
def month(db, staff):
    """May 2026 in E01: four live receipts (cash, WeChat, transfer with prepayment, card deposit),
    one voided, one in June; a deposit and some credit refunded. E02 has its own receipt."""
    e1, e2 = staff.e1, staff.e2
    psf = make_item(db, e1, "PSF", "物业服务费", sequence=1)
    water = make_item(db, e1, "WATER", "水费", kind="meter", on_behalf=True, sequence=2)
    dep = make_item(db, e1, "DEP", "装修押金", kind="deposit", sequence=9)
    a, b, c = unit_of(db, e1, "1-1-101"), unit_of(db, e1, "1-1-102"), unit_of(db, e1, "3-2-1201")
    bills = {
        "a_psf": make_bill(db, a, psf, MAY, "300.00", due=date(2026, 5, 31)),
        "a_water": make_bill(db, a, water, MAY, "45.50", due=date(2026, 5, 31)),
        "b_psf": make_bill(db, b, psf, MAY, "280.00", due=date(2026, 5, 31)),
        "b_water": make_bill(db, b, water, MAY, "30.25", due=date(2026, 5, 31)),
        "c_psf": make_bill(db, c, psf, date(2026, 4, 1), "120.00", due=date(2026, 4, 30)),
        "c_void": make_bill(db, c, psf, MAY, "500.00", void=True),
    }
    e2_item = make_item(db, e2)
    e2_bill = make_bill(db, unit_of(db, e2, "1-1-101"), e2_item, MAY, "999.00")
    db.session.commit()
    pay(db, e1, a, staff.cashier, "345.50", [(bills["a_psf"], "300.00"), (bills["a_water"], "45.50")],
        "cash", date(2026, 5, 5))
    pay(db, e1, b, staff.cashier, "200.00", [(bills["b_psf"], "200.00")], "wechat", date(2026, 5, 10))
    pay(db, e1, c, staff.cashier, "200.00", [(bills["c_psf"], "120.00")], "transfer", date(2026, 5, 12),
        prepay=True)
    pay(db, e1, b, staff.cashier, "2000.00", [], "card", date(2026, 5, 20), deposit_item=dep)
    wrong = pay(db, e1, b, staff.cashier, "30.25", [(bills["b_water"], "30.25")], "cash", date(2026, 5, 21))
    with acting_as(staff.manager):
        ledger.void_payment(db.session.get(type(wrong), wrong.id), "金额录错了", staff.manager.id,
                            now=at(date(2026, 5, 21), 16))
        db.session.commit()
    db.session.refresh(bills["b_psf"])
    pay(db, e1, b, staff.cashier, "80.00", [(bills["b_psf"], "80.00")], "alipay", date(2026, 6, 2))
    pay(db, e2, unit_of(db, e2, "1-1-101"), staff.manager_e2, "999.00", [(e2_bill, "999.00")], "cash",
        date(2026, 5, 6))
    held = Deposit(estate_id=e1.id, unit_id=a.id, item_id=dep.id, amount=D("1000.00"), state="refunded")
    db.session.add(held)
    db.session.flush()
    for number, kind, amount, method, deposit_id, day in (
            ("TK-1", "deposit", "1000.00", "transfer", held.id, date(2026, 5, 28)),
            ("TK-2", "credit", "50.00", "cash", None, date(2026, 5, 25)),
            ("TK-3", "credit", "10.00", "cash", None, date(2026, 6, 1))):
        db.session.add(Refund(estate_id=e1.id, number=number, unit_id=c.id, kind=kind, amount=D(amount),
                              reason="装修验收合格" if kind == "deposit" else "业主要求退预存款", state="paid",
                              requested_by_id=staff.cashier.id, method=method, deposit_id=deposit_id,
                              business_date=day, paid_at=at(day)))
    db.session.commit()
    return bills


def test_statement_figures_match_the_sums_by_hand(db, staff, month):
    st = reports.income_statement(staff.e1, MAY)
    assert [(i.key, i.amount, i.count, i.on_behalf) for i in st.items] == [
        ("PSF", D("620.00"), 3, False), ("WATER", D("45.50"), 1, True)]
    assert (st.prepayments.amount, st.prepayments.count) == (D("80.00"), 1)
    assert [(d.key, d.amount) for d in st.deposits] == [("DEP", D("2000.00"))]
    methods = {m.key: (m.amount, m.count) for m in st.methods}
    assert methods == {"cash": (D("345.50"), 1), "card": (D("2000.00"), 1), "transfer": (D("200.00"), 1),
                       "wechat": (D("200.00"), 1), "alipay": (D("0.00"), 0)}
    assert (st.income, st.receipts, st.on_behalf) == (D("2745.50"), 4, D("45.50"))
    assert st.income == sum((i.amount for i in st.items), D(0)) + st.prepayments.amount + D("2000.00")
    assert [(v.amount, v.count) for v in st.voided] == [(D("30.25"), 1)] and st.voided_total == D("30.25")
    assert "金额录错了" in st.voided[0].label
    assert {r.key: r.amount for r in st.refunds} == {"DEP": D("1000.00"), "credit": D("50.00")}
    assert {m.key: m.amount for m in st.refund_methods if m.amount} == {"transfer": D("1000.00"), "cash": D("50.00")}
    assert (st.expenditure, st.net) == (D("1050.00"), D("1695.50"))
    assert all(isinstance(x, Decimal) for x in (st.income, st.expenditure, st.net, st.voided_total))
    june = reports.income_statement(staff.e1, date(2026, 6, 1))
    assert june.income == D("80.00") and june.expenditure == D("10.00") and june.voided == []


def test_collection_rates_match_the_sums_by_hand(db, staff, month):
    may = reports.collection_rates([staff.e1.id], MAY, MAY, "item")
    assert [(r.label, r.billed, r.collected, r.rate) for r in may.rows] == [
        ("E01 物业服务费", D("580.00"), D("580.00"), D("100.0")),
        ("E01 水费", D("75.75"), D("45.50"), D("60.1"))]
    assert (may.total.billed, may.total.collected, may.total.outstanding, may.total.rate) == (
        D("655.75"), D("625.50"), D("30.25"), D("95.4"))
    both = reports.collection_rates([staff.e1.id], date(2026, 4, 1), MAY, "building")
    assert [(r.label, r.billed, r.collected) for r in both.rows] == [
        ("E01 Building 1", D("655.75"), D("625.50")), ("E01 Building 3", D("120.00"), D("120.00"))]
    assert both.total.rate == D("96.1")  # 745.50 / 775.75
    estates = reports.collection_rates([staff.e1.id, staff.e2.id], MAY, MAY, "estate")
    assert [(r.label, r.billed) for r in estates.rows] == [("E01 Sunshine Garden", D("655.75")),
                                                          ("E02 Riverside Park", D("999.00"))]
    assert reports.collection_rates([staff.e1.id], date(2026, 7, 1), date(2026, 8, 1)).total.rate is None


def test_statement_page_print_and_spreadsheet(client, db, staff, month):
    login(client, staff.manager)
    page = client.get(f"/fees/reports/income?estate={staff.e1.id}&month=2026-05").get_data(as_text=True)
    assert "¥2,745.50" in page and "¥1,695.50" in page and "(collected on behalf)" in page
    assert 'data-void="' in page and "¥30.25" in page
    printed = client.get(f"/fees/reports/income/print?estate={staff.e1.id}&month=2026-05").get_data(as_text=True)
    assert "Income and expenditure statement" in printed and "¥620.00" in printed and "Accountant" in printed
    resp = client.get(f"/fees/reports/income?estate={staff.e1.id}&month=2026-05&export=xlsx")
    assert resp.status_code == 200 and "income-E01-2026-05.xlsx" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws.freeze_panes == "A3" and ws["A2"].font.bold and ws["D2"].value == "Amount"
    assert ws.column_dimensions["B"].width >= 30
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=3) if r[0].value}
    total = rows[("Total income", "All receipts")]
    assert D(str(total[3].value)) == D("2745.50") and total[3].font.bold and total[3].number_format == "#,##0.00"
    assert D(str(rows[("Net", "Income less expenditure")][3].value)) == D("1695.50")
    psf = rows[("Income", "物业服务费")]
    assert D(str(psf[3].value)) == D("620.00") and psf[3].number_format == "#,##0.00" and not psf[3].font.bold


def test_collection_page_print_and_spreadsheet(client, db, staff, month):
    login(client, staff.manager)
    url = "/fees/reports/collection?first=2026-05&last=2026-05&by=item"
    page = client.get(url).get_data(as_text=True)
    assert "95.4 %" in page and "60.1 %" in page and "¥655.75" in page and "999" not in page
    assert "95.4 %" in client.get(url.replace("/collection?", "/collection/print?")).get_data(as_text=True)
    resp = client.get(url + "&export=xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[1]] == ["Fee item", "Bills", "Billed", "Collected", "Outstanding",
                                        "Collection rate (%)"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    last = list(ws.iter_rows(min_row=2))[-1]
    assert last[0].value == "Total" and last[0].font.bold
    assert [D(str(c.value)) for c in last[2:6]] == [D("655.75"), D("625.50"), D("30.25"), D("95.4")]
    assert last[2].number_format == "#,##0.00" and last[5].number_format == "0.0"
    assert ws.column_dimensions["C"].width >= 14


def test_bad_months_fall_back_with_a_message(client, db, staff, month):
    login(client, staff.manager)
    page = client.get("/fees/reports/income?month=2026-13").get_data(as_text=True)
    assert "Enter a month such as 2026-11." in page
    page = client.get("/fees/reports/collection?first=2026-09&last=2026-05").get_data(as_text=True)
    assert "The first month must not be after the last." in page


def test_who_may_see_the_reports(client, db, staff, month):
    login(client, staff.clerk)  # no fees.reports
    assert client.get("/fees/reports/income").status_code == 403
    assert client.get("/fees/reports/collection").status_code == 403
    assert client.get("/fees/reports/collection/print").status_code == 403
    login(client, staff.cashier)  # fees.reports, but no core.export
    assert "¥2,745.50" in client.get("/fees/reports/income?month=2026-05").get_data(as_text=True)
    assert client.get("/fees/reports/income?month=2026-05&export=xlsx").status_code == 403
    login(client, staff.manager)
    assert client.get(f"/fees/reports/income?estate={staff.e2.id}").status_code == 404
    assert client.get(f"/fees/reports/collection?estate={staff.e2.id}").status_code == 404
    login(client, staff.manager_e2)
    page = client.get("/fees/reports/collection?first=2026-05&last=2026-05").get_data(as_text=True)
    assert "¥999.00" in page and "655.75" not in page and "Sunshine" not in page
