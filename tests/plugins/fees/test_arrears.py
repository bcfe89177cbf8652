"""Arrears: age buckets and their boundaries, as-of dates, buildings, the list's pages, reminder
notices printed in batches, reminders logged by hand, and who may see what."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.i18n import today_local
from core.models import Building
from plugins.fees import arrears
from plugins.fees.arrears import bucket_of, months_overdue
from plugins.fees.models import Reminder
from tests.plugins.fees.test_arrears_kit import login, make_bill, make_item, staff_fixture, unit_of  # noqa: F401

AS_OF = date(2026, 6, 15)
D = Decimal


@pytest.mark.parametrize("due,as_of,months,bucket", [
    (date(2026, 1, 15), date(2026, 1, 15), 0, 0),    # due today: not overdue yet
    (date(2026, 1, 15), date(2026, 1, 16), 0, 0),
    (date(2026, 1, 15), date(2026, 2, 14), 0, 0),    # a day short of a month
    (date(2026, 1, 15), date(2026, 2, 15), 1, 1),    # one month to the day
    (date(2026, 1, 15), date(2026, 4, 14), 2, 1),
    (date(2026, 1, 15), date(2026, 4, 15), 3, 3),
    (date(2026, 1, 15), date(2026, 7, 14), 5, 3),
    (date(2026, 1, 15), date(2026, 7, 15), 6, 6),
    (date(2026, 1, 15), date(2027, 1, 14), 11, 6),
    (date(2026, 1, 15), date(2027, 1, 15), 12, 12),
    (date(2026, 1, 15), date(2028, 3, 1), 25, 12),
    (date(2026, 1, 31), date(2026, 2, 28), 1, 1),    # the 31st, a month later in February: clamped
    (date(2026, 1, 31), date(2026, 2, 27), 0, 0),
    (date(2026, 2, 28), date(2026, 3, 31), 1, 1),
    (date(2025, 12, 31), date(2026, 3, 31), 3, 3),
])
def test_months_overdue_and_bucket_boundaries(due, as_of, months, bucket):
    assert months_overdue(due, as_of) == months
    assert bucket_of(due, as_of) == bucket
    # the SQL side uses the same cut-offs: at least n months overdue <=> due on or before the cutoff
    for n in (1, 3, 6, 12):
        assert (due <= arrears.cutoff(as_of, n)) == (months >= n)


@pytest.fixture
def aged(db, staff):
    """E01: unit 1-1-101 owes a 12-month-old bill and a recent one, 1-1-102 a part-paid 3-month
    bill and a 2-month one, 3-2-1201 (building 3) one of exactly a month; paid, void and
    not-yet-due bills owe nothing overdue. E02 owes too, and must never show."""
    e1, e2 = staff.e1, staff.e2
    psf, water = make_item(db, e1), make_item(db, e1, "WATER", "水费", kind="meter")
    a, b, c = unit_of(db, e1, "1-1-101"), unit_of(db, e1, "1-1-102"), unit_of(db, e1, "3-2-1201")
    make_bill(db, a, psf, date(2025, 5, 1), "100.00", due=date(2025, 6, 10))
    make_bill(db, a, water, date(2026, 4, 1), "200.00", due=date(2026, 5, 20))
    make_bill(db, a, psf, date(2026, 6, 1), "300.00", due=date(2026, 7, 1))
    make_bill(db, b, psf, date(2026, 2, 1), "250.00", due=date(2026, 3, 15), paid="50.00")
    make_bill(db, b, water, date(2026, 2, 1), "80.00", due=date(2026, 3, 16))
    make_bill(db, c, psf, date(2026, 4, 1), "120.00", due=date(2026, 5, 15))
    make_bill(db, c, psf, date(2024, 12, 1), "500.00", due=date(2025, 1, 1), paid="500.00")
    make_bill(db, c, water, date(2024, 12, 1), "700.00", due=date(2025, 1, 1), void=True)
    other = make_item(db, e2)
    make_bill(db, unit_of(db, e2, "1-1-101"), other, date(2024, 12, 1), "999.00", due=date(2025, 1, 1))
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def test_rows_age_each_bill_and_class_the_unit_by_its_oldest(db, staff, aged):
    rows = {r.number: r for r in arrears.arrears_rows([staff.e1.id], AS_OF)}
    assert set(rows) == {"1-1-101", "1-1-102", "3-2-1201"}
    a, b, c = rows["1-1-101"], rows["1-1-102"], rows["3-2-1201"]
    assert (a.total, a.bucket, a.months, a.oldest, a.bills) == (D("300.00"), 12, 12, date(2025, 6, 10), 2)
    assert a.by_bucket == {0: D("200.00"), 1: D("0.00"), 3: D("0.00"), 6: D("0.00"), 12: D("100.00")}
    assert (b.total, b.bucket, b.months) == (D("280.00"), 3, 3)
    assert b.by_bucket[3] == D("200.00") and b.by_bucket[1] == D("80.00")
    assert (c.total, c.bucket, c.months) == (D("120.00"), 1, 1) and c.by_bucket[1] == D("120.00")
    assert all(isinstance(v, Decimal) for r in rows.values() for v in r.by_bucket.values())
    assert a.owner == "Owner of E01 1-1-101" and c.building == "Building 3"


def test_summary_totals_per_building_and_filters(db, staff, aged):
    s = arrears.summary([staff.e1.id], AS_OF)
    by_name = {b["name"]: b for b in s.buildings}
    assert by_name["Building 1"]["units"] == 2 and by_name["Building 1"]["total"] == D("580.00")
    assert by_name["Building 1"]["by_bucket"] == {0: D("200.00"), 1: D("80.00"), 3: D("200.00"), 6: D("0.00"),
                                                  12: D("100.00")}
    assert by_name["Building 3"]["units"] == 1 and by_name["Building 3"]["total"] == D("120.00")
    assert s.units == 3 and s.total == D("700.00")
    assert s.units_by_bucket == {0: 0, 1: 1, 3: 1, 6: 0, 12: 1}
    assert [r.number for r in arrears.arrears_rows([staff.e1.id], AS_OF, min_age=3)] == ["1-1-101", "1-1-102"]
    assert [r.number for r in arrears.arrears_rows([staff.e1.id], AS_OF, min_age=6)] == ["1-1-101"]
    b3 = db.session.scalar(select(Building.id).where(Building.estate_id == staff.e1.id, Building.code == "3"))
    assert [r.number for r in arrears.arrears_rows([staff.e1.id], AS_OF, building_id=b3)] == ["3-2-1201"]
    assert arrears.summary([staff.e1.id], AS_OF, building_id=b3).total == D("120.00")
    assert arrears.count_units([staff.e1.id], AS_OF, min_age=3) == 2
    quick = arrears.bucket_totals([staff.e1.id], AS_OF)  # the dashboard's one-pass figures agree
    assert (quick.units, quick.total, quick.by_bucket) == (s.units, s.total, s.by_bucket)


def test_as_of_dates_change_what_is_overdue_and_how_old(db, staff, aged):
    early = {r.number: r for r in arrears.arrears_rows([staff.e1.id], date(2026, 6, 9))}
    assert early["1-1-101"].bucket == 6 and early["1-1-101"].by_bucket[6] == D("100.00")
    assert early["3-2-1201"].bucket == 0
    before = {r.number: r for r in arrears.arrears_rows([staff.e1.id], date(2026, 5, 16))}
    assert before["1-1-101"].total == D("100.00")  # the bill due 20 May is not overdue yet
    assert before["3-2-1201"].total == D("120.00") and before["3-2-1201"].months == 0
    assert arrears.arrears_rows([staff.e1.id], date(2025, 1, 1)) == []


def test_the_list_page_shows_buckets_and_totals_and_hides_other_estates(client, db, staff, aged):
    login(client, staff.clerk)
    page = client.get(f"/fees/arrears?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert 'data-unit="1-1-101"' in page and 'data-unit="3-2-1201"' in page
    assert "¥700.00" in page and "¥580.00" in page and "12 months or more" in page
    assert "999.00" not in page and "Riverside" not in page
    only = client.get(f"/fees/arrears?as_of={AS_OF.isoformat()}&age=6").get_data(as_text=True)
    assert 'data-unit="1-1-101"' in only and 'data-unit="1-1-102"' not in only
    assert client.get(f"/fees/arrears?estate={staff.e2.id}").status_code == 404
    e2_building = db.session.scalar(select(Building.id).where(Building.estate_id == staff.e2.id))
    assert client.get(f"/fees/arrears?building={e2_building}").status_code == 404
    assert client.get(f"/fees/arrears/units/{unit_of(db, staff.e2).id}").status_code == 404
    printed = client.get(f"/fees/arrears/print?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert "Arrears list" in printed and "¥700.00" in printed and "1-1-102" in printed


def test_ticking_every_unit_of_the_page_ticks_them_and_keeps_the_filters(client, staff, aged):
    login(client, staff.clerk)
    page = client.get(f"/fees/arrears?as_of={AS_OF.isoformat()}&tick=all")
    assert page.status_code == 200  # was a 500: 'tick' given twice to url_for
    html = page.get_data(as_text=True)
    boxes = [b for b in html.split('name="unit"')[1:]]
    assert len(boxes) == 3 and all(b.split(">", 1)[0].rstrip().endswith("checked") for b in boxes)
    assert f"as_of={AS_OF.isoformat()}" in html.split("Tick every unit on this page")[0].rsplit("href=", 1)[1]


def test_frontdesk_without_fees_arrears_is_refused(client, staff, aged):
    login(client, staff.front)
    assert client.get("/fees/arrears").status_code == 403
    assert client.post("/fees/arrears/notices", data={"unit": aged["a"].id, "pay_by": "2099-01-01"}).status_code == 403


def test_xlsx_export_has_the_aged_amounts(client, db, staff, aged):
    from openpyxl import load_workbook

    login(client, staff.clerk)  # a clerk may export lists
    resp = client.get(f"/fees/arrears?as_of={AS_OF.isoformat()}&export=xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == "Unit" and ws["A1"].font.bold and ws.freeze_panes == "A2"
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert D(str(rows["1-1-101"][11])) == D("300.00") and D(str(rows["1-1-101"][10])) == D("100.00")
    assert D(str(rows["Total"][11])) == D("700.00") and ws.cell(row=2, column=12).number_format == "#,##0.00"
    login(client, staff.cashier)  # a cashier chases arrears but has no core.export
    assert client.get("/fees/arrears?export=xlsx").status_code == 403


def _count(db):
    return db.session.scalar(select(func.count()).select_from(Reminder))


def test_batch_notices_record_one_reminder_per_unit_with_a_shared_batch(client, db, staff, aged):
    login(client, staff.clerk)
    pay_by = today_local() + timedelta(days=10)
    resp = client.post("/fees/arrears/notices", data={"unit": [aged["a"].id, aged["b"].id, aged["c"].id],
                                                      "pay_by": pay_by.isoformat()})
    assert resp.status_code == 302 and "/fees/arrears/batches/CJ-E01-" in resp.headers["Location"]
    made = db.session.scalars(select(Reminder).order_by(Reminder.id)).all()
    assert len(made) == 3 and len({r.batch for r in made}) == 1 and made[0].batch.startswith("CJ-E01-")
    assert {r.method for r in made} == {"notice"} and all(r.pay_by == pay_by for r in made)
    assert all(r.sent_by_id == staff.clerk.id and r.created_by_id == staff.clerk.id for r in made)
    owed = {r.unit_id: r.owed for r in made}  # overdue today (the bill due July 2026 too)
    assert owed[aged["a"].id] == D("600.00")
    assert owed[aged["b"].id] == D("280.00") and owed[aged["c"].id] == D("120.00")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert page.count('<section class="notice"') == 3 and "page-break-after: always" in page
    assert "0755" in page or "—" in page  # the office's phone (none in the test estate: a dash)
    assert "¥280.00" in page and "1-1-102" in page and "物业服务费" in page
    log = client.get(f"/fees/arrears/units/{aged['b'].id}").get_data(as_text=True)
    assert made[0].batch in log and "Printed notice" in log
    listing = client.get(f"/fees/arrears?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert made[0].batch in listing  # the last reminder is shown on the list
    login(client, staff.clerk_e2)  # another estate's batch is not found
    assert client.get(resp.headers["Location"]).status_code == 404


@pytest.mark.parametrize("change,message", [
    ({"unit": []}, "Choose at least one unit to print a reminder notice for."),
    ({"pay_by": "2020-01-01"}, "The pay-by date must be after today."),
    ({"pay_by": ""}, "Enter the date to pay by."),
    ({"pay_by": "not a date"}, "Not a valid date value."),  # said what is wrong, not "enter"
    ({"unit": "paid"}, "has no overdue bills: no notice was printed."),
])
def test_bad_notice_requests_record_nothing(client, db, staff, aged, change, message):
    login(client, staff.clerk)
    data = {"unit": [aged["a"].id, aged["b"].id], "pay_by": (today_local() + timedelta(days=10)).isoformat()}
    if change.get("unit") == "paid":
        from plugins.fees.models import Bill

        for bill in db.session.scalars(select(Bill).where(Bill.unit_id == aged["c"].id)):
            bill.paid, bill.state = bill.amount, "paid"
        db.session.commit()
        change = {"unit": [aged["a"].id, aged["c"].id]}
    resp = client.post("/fees/arrears/notices", data={**data, **change}, follow_redirects=True)
    assert message in resp.get_data(as_text=True)
    assert _count(db) == 0


def test_a_unit_of_another_estate_cannot_be_put_in_a_batch(client, db, staff, aged):
    login(client, staff.clerk)
    e2_unit = unit_of(db, staff.e2)
    resp = client.post("/fees/arrears/notices", data={"unit": [aged["a"].id, e2_unit.id],
                                                      "pay_by": (today_local() + timedelta(days=5)).isoformat()})
    assert resp.status_code == 404 and _count(db) == 0


def test_a_phone_call_is_logged_with_the_owners_response(client, db, staff, aged):
    login(client, staff.clerk)
    url = f"/fees/arrears/units/{aged['b'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "¥280.00" in page
    resp = client.post(url, data={"method": "phone", "sent_at": "2026-06-10T09:30", "note": "电话提醒",
                                  "response": "业主答应月底前缴清"})
    assert resp.status_code == 302
    r = db.session.scalar(select(Reminder))
    assert (r.method, r.response, r.batch, r.unit_id) == ("phone", "业主答应月底前缴清", "", aged["b"].id)
    assert r.sent_at.isoformat().startswith("2026-06-10T01:30")  # 09:30 in Shanghai
    page = client.get(url).get_data(as_text=True)
    assert "业主答应月底前缴清" in page and "Telephone call" in page and "周静" in page


@pytest.mark.parametrize("change,message", [
    ({"sent_at": "2099-01-01T10:00"}, "The reminder cannot be in the future."),
    ({"note": "", "response": ""}, "Write what was said, or the owner&#39;s response."),
    ({"method": "fax"}, "Not a valid choice"),
    ({"sent_at": ""}, "Enter when the owner was reminded."),
    ({"response": "x" * 501}, "Field cannot be longer than 500 characters."),
])
def test_bad_reminder_logs_are_refused_beside_the_field(client, db, staff, aged, change, message):
    login(client, staff.clerk)
    data = {"method": "visit", "sent_at": "2026-06-10T09:30", "note": "上门", "response": "不在家"}
    resp = client.post(f"/fees/arrears/units/{aged['a'].id}", data={**data, **change})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page, page[-2000:]
    assert _count(db) == 0


def test_print_notices_service_refuses_before_changing_anything(db, staff, aged):
    today = date(2026, 6, 15)
    with acting_as(staff.clerk):
        with pytest.raises(Exception) as exc:
            arrears.print_notices(staff.clerk, [aged["a"]], today, today, today)
    assert "after today" in str(exc.value.message)
    assert _count(db) == 0
    with acting_as(staff.clerk):
        made = arrears.print_notices(staff.clerk, [aged["c"], aged["a"]], today, today + timedelta(days=7), today)
        db.session.commit()
    assert [r.unit_id for r in made] == [aged["a"].id, aged["c"].id]  # unit-number order
    assert made[0].oldest_due == date(2025, 6, 10) and made[0].owed == D("300.00")


def test_a_long_debt_is_summed_per_item_so_the_notice_fits_a_page(client, db, staff):
    from plugins.fees.periods import add_months

    psf, water = make_item(db, staff.e1), make_item(db, staff.e1, "WATER", "水费", kind="meter")
    unit = unit_of(db, staff.e1, "1-1-102")
    for i in range(13):
        period = add_months(date(2025, 1, 1), i)
        make_bill(db, unit, psf, period, "100.00", due=period + timedelta(days=30))
    make_bill(db, unit, water, date(2025, 1, 1), "10.50", due=date(2025, 1, 31), paid="0.50")
    db.session.commit()
    lines = arrears.notice_lines(arrears.overdue_bills(unit.id, date(2026, 6, 1)))
    assert [(ln.item, ln.period, ln.owed) for ln in lines] == [
        ("物业服务费 ×13", "2025-01 – 2026-01", D("1300.00")), ("水费 ×1", "2025-01", D("10.00"))]
    login(client, staff.clerk)
    resp = client.post("/fees/arrears/notices", data={"unit": unit.id,
                                                      "pay_by": (today_local() + timedelta(days=7)).isoformat()})
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "物业服务费 ×13" in page and "¥1,310.00" in page


def test_history_lists_the_books_as_they_stood_at_the_end_of_the_day(db, client, staff):
    """Month-end arrears printed weeks later: receipts, credit, voids and bills recorded after
    the day are left out, receipts voided after it still count; 'now' is what is owed today."""
    from plugins.fees import ledger
    from plugins.fees.models import Bill
    from tests.plugins.fees.test_arrears_kit import at, pay

    e1 = staff.e1
    psf = make_item(db, e1)
    a, b, c = (unit_of(db, e1, n) for n in ("1-1-101", "1-1-102", "3-2-1201"))
    month_end = date(2026, 10, 31)

    def bill(unit, amount, due, **kw):
        made = make_bill(db, unit, psf, due.replace(day=1), amount, due=due, **kw)
        made.created_at = at(date(2026, 9, 1))
        return made

    part_paid_later = bill(a, "300.00", date(2026, 9, 15))    # 100 on 5 Oct, the rest on 10 Nov
    paid_then_voided = bill(b, "120.00", date(2026, 9, 20))   # 50 on 20 Oct, that receipt voided later
    bill(b, "40.00", date(2026, 10, 12), void=True)            # existed on 31 Oct, void since
    credit_later = bill(c, "80.00", date(2026, 10, 10))        # settled from credit in November
    settled_early = bill(c, "60.00", date(2026, 9, 1))         # paid on 10 Oct: never listed
    make_bill(db, c, psf, date(2026, 10, 1), "70.00", due=date(2026, 10, 11))  # billed today, due in October
    # made an hour after the day ended in Shanghai (17:00 UTC on the 31st): not in the books of the 31st
    just_after = make_bill(db, a, psf, date(2026, 10, 2), "33.00", due=date(2026, 10, 20))
    just_after.created_at = at(date(2026, 11, 1), hour=1)
    just_before = make_bill(db, b, psf, date(2026, 10, 3), "44.00", due=date(2026, 10, 21))
    just_before.created_at = at(date(2026, 10, 31), hour=23)  # in them
    db.session.commit()
    pay(db, e1, a, staff.cashier, "100.00", [(part_paid_later, "100.00")], day=date(2026, 10, 5))
    pay(db, e1, c, staff.cashier, "60.00", [(settled_early, "60.00")], day=date(2026, 10, 10))
    wrong = pay(db, e1, b, staff.cashier, "50.00", [(paid_then_voided, "50.00")], day=date(2026, 10, 20))
    db.session.refresh(part_paid_later)
    pay(db, e1, a, staff.cashier, "200.00", [(part_paid_later, "200.00")], day=date(2026, 11, 10))
    pay(db, e1, c, staff.cashier, "80.00", [], day=date(2026, 11, 3), prepay=True)
    with acting_as(staff.manager):
        assert ledger.apply_credit(c.id, e1.id) == D("80.00")
        ledger.void_payment(wrong, "收错户了", staff.manager.id)
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Bill, credit_later.id).state == "paid"

    expected = {"1-1-101": D("200.00"), "1-1-102": D("154.00"), "3-2-1201": D("80.00")}
    then = {r.number: r.total for r in arrears.arrears_rows([e1.id], month_end, history=True)}
    assert then == expected
    assert arrears.summary([e1.id], month_end, history=True).total == D("434.00")
    assert arrears.count_units([e1.id], month_end, history=True) == 3
    if db.engine.dialect.name == "postgresql":  # whatever the session's time zone, the day is Shanghai's
        from sqlalchemy import text

        db.session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        assert {r.number: r.total for r in arrears.arrears_rows([e1.id], month_end, history=True)} == expected
        db.session.rollback()
    now = {r.number: r.total for r in arrears.arrears_rows([e1.id], month_end)}
    assert now == {"1-1-101": D("33.00"), "1-1-102": D("164.00"), "3-2-1201": D("70.00")}  # today's books
    # a day that is not over yet: the books now
    today = today_local()
    assert ({r.number: r.total for r in arrears.arrears_rows([e1.id], today, history=True)}
            == {r.number: r.total for r in arrears.arrears_rows([e1.id], today)})

    login(client, staff.manager)
    page = client.get(f"/fees/arrears?estate={e1.id}&as_of=2026-10-31&amounts=then").get_data(as_text=True)
    assert 'data-history="1"' in page and "434.00" in page and "1-1-101" in page
    page = client.get(f"/fees/arrears?estate={e1.id}&as_of=2026-10-31").get_data(as_text=True)
    assert 'data-history="0"' in page and "267.00" in page and "434.00" not in page
    printed = client.get(f"/fees/arrears/print?estate={e1.id}&as_of=2026-10-31&amounts=then").get_data(as_text=True)
    assert "arrears-basis" in printed and "434.00" in printed
