"""Who sees which repair: technicians their own orders, nobody another estate's; lists, search, export."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from core.audit import acting_as
from core.models import utcnow
from plugins.repairs.models import Repair
from tests.plugins.repairs.conftest import login, new_repair


def xlsx_rows(resp):
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_a_technician_sees_only_own_orders_and_their_repairs(client, db, staff, repair_in):
    mine = repair_in("dispatched")
    theirs = repair_in("dispatched", tech=staff.tech2)
    unassigned = repair_in("recorded")
    login(client, staff.tech)
    page = client.get("/repairs/").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page and unassigned.number not in page
    orders = client.get("/repairs/orders").get_data(as_text=True)
    assert mine.current_order.number in orders and theirs.current_order.number not in orders
    assert client.get(f"/repairs/{mine.id}").status_code == 200
    for url in (f"/repairs/{theirs.id}", f"/repairs/{unassigned.id}", f"/repairs/{theirs.id}/print",
                f"/repairs/orders/{theirs.current_order.id}/print"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/repairs/{theirs.id}/accept").status_code == 404
    hits = client.get(f"/search?q={theirs.number}").get_data(as_text=True)
    assert f"/repairs/{theirs.id}" not in hits
    assert f"/repairs/{mine.id}" in client.get(f"/search?q={mine.number}").get_data(as_text=True)
    db.session.expire_all()
    assert theirs.state == "dispatched"


def test_the_supervisor_and_the_clerk_see_every_repair_of_their_estate(client, db, staff, repair_in):
    a = repair_in("dispatched")
    b = repair_in("dispatched", tech=staff.tech2)
    for user in (staff.clerk, staff.sup):
        login(client, user)
        page = client.get("/repairs/").get_data(as_text=True)
        assert a.number in page and b.number in page


def test_another_estates_repairs_are_invisible_everywhere(client, db, staff, repair_in):
    ours = repair_in("recorded")
    with acting_as(staff.clerk_e2):
        theirs = new_repair(db, staff.clerk_e2, staff.e2, number="2-1-201", contact_phone="13912345678")
    login(client, staff.manager)
    assert client.get(f"/repairs/{theirs.id}").status_code == 404
    assert client.get(f"/repairs/{theirs.id}/print").status_code == 404
    assert client.post(f"/repairs/{theirs.id}/cancel", data={"cancel-reason": "不要了"}).status_code == 404
    page = client.get("/repairs/").get_data(as_text=True)
    assert ours.number in page and theirs.number not in page
    assert theirs.number not in client.get(f"/repairs/?estate={staff.e2.id}").get_data(as_text=True)
    numbers = [r[0] for r in xlsx_rows(client.get("/repairs/?export=xlsx"))[1:]]
    assert numbers == [ours.number]
    for q in (theirs.number, "13912345678", "2-1-201"):
        assert f"/repairs/{theirs.id}" not in client.get(f"/search?q={q}").get_data(as_text=True), q
    stats = xlsx_rows(client.get("/repairs/stats?export=xlsx"))
    assert stats[-7][-1] == 1  # the total of the month counts our one repair only
    assert client.get(f"/repairs/stats?estate={staff.e2.id}").status_code == 404
    db.session.expire_all()
    assert theirs.state == "recorded"


def test_search_finds_a_repair_by_number_phone_fragment_and_unit(client, db, staff, repair_in):
    r = repair_in("recorded", contact_phone="13987654321", number="3-2-1201")
    login(client, staff.clerk)
    for q in (r.number, r.number[-6:], "87654321", "3-2-1201"):
        assert f"/repairs/{r.id}" in client.get(f"/search?q={q}").get_data(as_text=True), q
    assert f"/repairs/{r.id}" not in client.get("/search?q=1-1-101").get_data(as_text=True)


def test_list_filters_and_the_xlsx_export(client, db, staff, repair_in):
    late = repair_in("dispatched", category="lift", number=None, address="3栋电梯厅", area="common",
                     now=utcnow() - timedelta(days=2))
    water = repair_in("recorded", number="3-2-1201")
    other = repair_in("in_progress", tech=staff.tech2)
    login(client, staff.sup)

    def numbers(**args):
        resp = client.get("/repairs/", query_string={**args, "export": "xlsx"})
        return sorted(row[0] for row in xlsx_rows(resp)[1:])

    assert numbers() == sorted([late.number, water.number, other.number])
    assert numbers(overdue="1") == [late.number]
    assert numbers(state="recorded") == [water.number]
    assert numbers(category="lift") == [late.number]
    assert numbers(unit="3-2-12") == [water.number] and numbers(unit="电梯") == [late.number]
    assert numbers(technician=staff.tech2.id) == [other.number]
    assert numbers(estate=staff.e1.id) == sorted([late.number, water.number, other.number])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert late.number not in numbers(date_from=today) and len(numbers(date_to=today)) == 3
    header = xlsx_rows(client.get("/repairs/?export=xlsx"))[0]
    assert header[:3] == ["Number", "Reported", "Estate"] and "Overdue" in header
    page = client.get("/repairs/?overdue=1").get_data(as_text=True)
    assert late.number in page and water.number not in page and "1 record" in page


def test_the_technician_cannot_export(client, db, staff, repair_in):
    repair_in("dispatched")
    login(client, staff.tech)
    assert client.get("/repairs/?export=xlsx").status_code == 403


def test_the_unit_page_lists_its_repairs(client, db, staff, repair_in):
    r = repair_in("completed", number="3-2-1201")
    login(client, staff.clerk)
    page = client.get(f"/estates/units/{r.unit_id}").get_data(as_text=True)
    assert 'data-slot="repairs-unit"' in page and r.number in page
    assert f"/repairs/new?unit_id={r.unit_id}" in page
    form = client.get(f"/repairs/new?unit_id={r.unit_id}").get_data(as_text=True)
    assert 'value="3-2-1201"' in form and "Owner of E01 3-2-1201" in form
    other_unit = db.session.scalar(select(Repair.unit_id).where(Repair.id == r.id)) + 1
    page = client.get(f"/estates/units/{other_unit}").get_data(as_text=True)
    assert r.number not in page


def test_dashboard_nav_badge_and_statistics_show_the_figures(client, db, staff, repair_in, clock):
    # The month's statistics count the three repairs: a day far enough into the month for one
    # recorded three days ago (on the 1st it would be last month's, and this month's total 2).
    clock.move_to(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    repair_in("recorded", now=utcnow() - timedelta(days=3))  # overdue
    repair_in("dispatched")
    done = repair_in("closed")
    login(client, staff.sup)
    page = client.get("/").get_data(as_text=True)
    assert 'data-widget="repairs-open"' in page and 'data-widget="repairs-trend"' in page
    assert 'data-chart="bar"' in page and 'data-chart="line"' in page
    assert '<div class="fs-3 fw-bold repairs-open-total">2</div>' in page
    assert '<div class="fs-3 fw-bold repairs-overdue-total">1</div>' in page
    assert 'Repairs<span class="badge rounded-pill text-bg-danger ms-1">1</span>' in page
    assert "slot-error" not in page
    stats = client.get("/repairs/stats").get_data(as_text=True)
    assert '<div class="fs-4 fw-bold kpi-total">3</div>' in stats
    assert '<div class="fs-4 fw-bold kpi-completed">1</div>' in stats
    assert '<div class="fs-4 fw-bold kpi-ontime">100.0 %</div>' in stats
    printed = client.get("/repairs/stats/print").get_data(as_text=True)
    assert 'class="a4"' in printed and "Monthly repair statistics" in printed and "Approved by" in printed
    rows = xlsx_rows(client.get("/repairs/stats?export=xlsx"))
    assert rows[0][0] == "What is wrong" and ["Completed in the month", 1] in [r[:2] for r in rows]
    assert done.state == "closed"


def test_two_supervisors_dispatching_at_once_make_one_work_order(db, staff, make_user, repair_in, live_server):
    from concurrent.futures import ThreadPoolExecutor

    from core.testing import HttpSession
    from plugins.repairs.models import WorkOrder

    repairs = [repair_in("recorded") for _ in range(3)]
    sups = [staff.sup, make_user("supervisor", [staff.e1], username="sup_b")]
    server = live_server()
    sessions = [HttpSession(server.url).login(u.username) for u in sups]

    def send(args):  # ids only: the threads have no application context
        session, repair_id, tech_id = args
        return session.request("POST", f"/repairs/{repair_id}/dispatch", {"technician_id": tech_id})[0]

    techs = (staff.tech.id, staff.tech2.id)
    for repair_id in [r.id for r in repairs]:
        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(send, [(sessions[0], repair_id, techs[0]), (sessions[1], repair_id, techs[1])]))
        assert codes == [302, 422], codes
    db.session.rollback()  # end the test's own read snapshot
    orders = db.session.scalars(select(WorkOrder)).all()
    assert len(orders) == 3 and sorted(o.repair_id for o in orders) == sorted(r.id for r in repairs)
    assert all(r.state == "dispatched" for r in repairs)


def test_list_rows_show_the_current_technician_the_place_and_export_in_the_list_order(
        client, db, staff, repair_in, monkeypatch):
    from core import listing
    from plugins.repairs import services

    redone = repair_in("completed", number="3-2-1201", address="厨房")
    with acting_as(staff.sup):
        services.reopen(staff.sup, redone, "回访不满意")
        services.dispatch(staff.sup, redone, staff.tech2.id)
        db.session.commit()
    dropped = repair_in("dispatched", number=None, address="3栋电梯厅")
    with acting_as(staff.sup):
        services.cancel(staff.sup, dropped, "业主自行修好")
        db.session.commit()
    plain = repair_in("dispatched")
    login(client, staff.sup)
    monkeypatch.setattr(listing, "EXPORT_CHUNK", 2)  # three rows: two chunks, one order
    rows = xlsx_rows(client.get("/repairs/?export=xlsx&sort=number"))
    header, body = rows[0], rows[1:]
    col = {name: header.index(name) for name in ("Number", "Unit or place", "Technician", "State")}
    by_number = {r[col["Number"]]: r for r in body}
    assert [r[col["Number"]] for r in body] == sorted(by_number)
    assert by_number[redone.number][col["Technician"]] == "刘师傅"  # the new order's, not the first one's
    assert by_number[redone.number][col["Unit or place"]] == "3-2-1201 (厨房)"
    assert by_number[dropped.number][col["Technician"]] is None  # its only order was cancelled
    assert by_number[dropped.number][col["Unit or place"]] == "3栋电梯厅"
    assert by_number[plain.number][col["Technician"]] == "张师傅"
    page = client.get("/repairs/?sort=number").get_data(as_text=True)
    row = re.search(rf"<tr>(?:(?!</tr>).)*{redone.number}(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "刘师傅" in row and "张师傅" not in row and "3-2-1201 (厨房)" in row


def test_an_export_larger_than_the_limit_is_refused_before_any_row_is_read(client, db, staff, repair_in,
                                                                            monkeypatch):
    from core import listing

    for _ in range(3):
        repair_in("recorded")
    login(client, staff.sup)
    monkeypatch.setattr(listing, "EXPORT_MAX_ROWS", 2)
    calls = []
    from plugins.repairs.views import records

    real = records.list_rows
    monkeypatch.setattr(records, "list_rows", lambda ids: calls.append(ids) or real(ids))
    assert client.get("/repairs/?export=xlsx").status_code == 413
    assert calls == []  # refused on the count of keys, no rows loaded
    assert client.get("/repairs/?export=xlsx&state=closed").status_code == 200
    monkeypatch.setattr(listing, "EXPORT_MAX_ROWS", 3)
    assert len(xlsx_rows(client.get("/repairs/?export=xlsx"))) == 4  # the header and three repairs
