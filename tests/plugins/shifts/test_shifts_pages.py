"""Shift pages: the grid, publish, requests and decisions, attendance, my schedule, reports — what
the page shows and what was saved; permissions per role and another estate's records."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.extensions import db
from plugins.shifts import services
from plugins.shifts.models import AttendanceMark, ChangeRequest, Roster, RosterEntry
from tests.plugins.shifts.conftest import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _new_april(client):
    resp = client.post("/shifts/rosters/new", data={"estate_id": "", "kind": "month", "first_day": "2026-04-15"})
    return resp


def test_the_supervisor_builds_next_month_on_the_grid_and_publishes_it(client, staff):
    login(client, staff.sup)
    page = client.get("/shifts/rosters/new").get_data(as_text=True)
    assert 'value="2026-04-01"' in page  # next month by default
    resp = client.post("/shifts/rosters/new", data={"estate_id": staff.e1.id, "kind": "month",
                                                     "first_day": "2026-04-15"})
    assert resp.status_code == 302
    roster = db.session.scalar(select(Roster))
    assert (roster.first_day, roster.state) == (date(2026, 4, 1), "draft")
    page = client.get(f"/shifts/rosters/{roster.id}").get_data(as_text=True)
    assert f'name="c-{staff.clerk.id}-2026-04-30"' in page and "孙丽" in page
    resp = client.post(f"/shifts/rosters/{roster.id}", data={f"c-{staff.clerk.id}-2026-04-01": staff.A.id,
                                                              f"c-{staff.desk.id}-2026-04-01": staff.C.id,
                                                              f"c-{staff.clerk2.id}-2026-04-01": ""},
                       follow_redirects=True)
    assert "2 cells changed" in resp.get_data(as_text=True)
    resp = client.post(f"/shifts/rosters/{roster.id}/fill", data={
        "fill-user_id": staff.clerk2.id, "fill-start": "2026-04-06", "fill-w0": staff.B.id, "fill-w1": staff.B.id,
        "fill-w2": "", "fill-w3": staff.L.id, "fill-w4": staff.L.id, "fill-w5": "", "fill-w6": "",
        "fill-repeat": "y"}, follow_redirects=True)
    assert "15 cells changed" in resp.get_data(as_text=True)
    resp = client.post(f"/shifts/rosters/{roster.id}/publish", data={"publish-note": "四月排班"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "published as version 1" in page and "四月排班" in page
    assert db.session.get(Roster, roster.id).state == "published"
    assert f'name="c-{staff.clerk.id}-2026-04-30"' not in page  # published: read only


def test_an_overlap_on_the_grid_is_shown_and_nothing_is_saved(client, staff):
    login(client, staff.sup)
    _new_april(client)
    client.post("/shifts/rosters/new", data={"estate_id": staff.e1.id, "kind": "month", "first_day": "2026-04-01"})
    roster = db.session.scalar(select(Roster))
    resp = client.post(f"/shifts/rosters/{roster.id}", data={f"c-{staff.clerk.id}-2026-04-01": staff.N.id,
                                                              f"c-{staff.clerk.id}-2026-04-02": staff.A.id})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "overlapping shifts" in page
    assert "grid-error" in page
    assert db.session.scalar(select(func.count()).select_from(RosterEntry)) == 0
    resp = client.post(f"/shifts/rosters/{roster.id}", data={f"c-{staff.clerk.id}-2026-04-01": "x" * 50})
    assert resp.status_code == 422 and "reload the page" in resp.get_data(as_text=True)
    resp = client.post(f"/shifts/rosters/{roster.id}/publish", data={}, follow_redirects=True)
    assert "The schedule is empty" in resp.get_data(as_text=True)


def test_a_clerk_sees_but_may_not_plan_and_another_estate_is_404(client, staff, april):
    login(client, staff.clerk)
    page = client.get(f"/shifts/rosters/{april.id}").get_data(as_text=True)
    assert "孙丽" in page and "Ask for a swap or a change" in page and "save-grid" not in page
    assert client.post(f"/shifts/rosters/{april.id}/revise").status_code == 403
    assert client.get("/shifts/rosters/new").status_code == 403
    login(client, staff.sup_e2)
    assert client.get(f"/shifts/rosters/{april.id}").status_code == 404
    assert client.get(f"/shifts/rosters/{april.id}/print").status_code == 404
    login(client, staff.clerk_e2)
    assert client.get(f"/shifts/rosters/{april.id}").status_code == 404


def test_print_and_xlsx_of_a_schedule(client, staff, april):
    login(client, staff.sup)
    page = client.get(f"/shifts/rosters/{april.id}/print").get_data(as_text=True)
    assert "A4 landscape" in page and "Schedule for 2026-04" in page and "早班" in page
    resp = client.get(f"/shifts/rosters/{april.id}?export=xlsx")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Member of staff" and len(rows[0]) == 31
    assert ("孙丽", "A") == (rows[[r[0] for r in rows].index("孙丽")][0], rows[[r[0] for r in rows].index("孙丽")][1])
    assert client.get(f"/shifts/rosters/{april.id}?export=pdf").status_code == 400


def test_a_clerk_asks_for_a_swap_and_the_supervisor_approves_it_on_the_page(client, staff, april):
    login(client, staff.clerk)
    resp = client.post("/shifts/changes/new", data={
        "roster_id": april.id, "kind": "swap", "day": "2026-04-09", "other_user_id": staff.manager.id,
        "other_day": "", "new_pattern_id": "0", "reason": "家中有事"})
    assert resp.status_code == 422 and "is not on duty" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ChangeRequest)) == 0
    resp = client.post("/shifts/changes/new", data={
        "roster_id": april.id, "kind": "swap", "day": "2026-04-09", "other_user_id": staff.clerk2.id,
        "other_day": "", "new_pattern_id": "0", "reason": "家中有事"}, follow_redirects=True)
    assert "Request sent to the supervisor" in resp.get_data(as_text=True)
    req = db.session.scalar(select(ChangeRequest))
    assert client.post(f"/shifts/changes/{req.id}/approve").status_code == 403
    login(client, staff.sup)
    page = client.get("/shifts/requests").get_data(as_text=True)
    assert "家中有事" in page and "approve-button" in page
    resp = client.post(f"/shifts/changes/{req.id}/refuse", data={"decision-note": ""}, follow_redirects=True)
    assert "Give the reason for refusing" in resp.get_data(as_text=True)
    resp = client.post(f"/shifts/changes/{req.id}/approve", data={"decision-note": "同意"}, follow_redirects=True)
    assert "re-published as version 2" in resp.get_data(as_text=True)
    db.session.refresh(april)
    assert april.state == "withdrawn"
    page = client.get(f"/shifts/rosters/{april.id}").get_data(as_text=True)
    assert "Withdrawn" in page and "Version 2" in page


def test_my_schedule_clock_in_and_leave(client, staff, april, clock):
    clock.move_to(datetime(2026, 4, 2, 6, 55, tzinfo=SHANGHAI))
    login(client, staff.clerk)
    page = client.get("/shifts/mine?month=2026-04").get_data(as_text=True)
    assert page.count("早班") == 30 and "中班" not in page
    resp = client.post("/shifts/clock/in", data={"estate_id": staff.e1.id}, follow_redirects=True)
    assert "Clocked in: Present" in resp.get_data(as_text=True)
    assert db.session.scalar(select(AttendanceMark.mark)) == "present"
    resp = client.post("/shifts/leave/new", data={"estate_id": staff.e1.id, "kind": "annual", "first_day": "2026-04-10",
                                                  "last_day": "2026-04-08", "reason": "回家"})
    assert resp.status_code == 422 and "The last day is before the first day" in resp.get_data(as_text=True)
    login(client, staff.clerk_e2)
    assert "早班" not in client.get("/shifts/mine?month=2026-04").get_data(as_text=True)


def test_attendance_marks_list_and_export(client, staff):
    login(client, staff.sup)
    resp = client.post("/shifts/attendance/mark", data={"mark-user_id": staff.clerk.id, "mark-day": "2026-03-19",
                                                        "mark-mark": "absent"})
    assert resp.status_code == 422 and "A day to come" in resp.get_data(as_text=True)
    client.post("/shifts/attendance/mark", data={"mark-user_id": staff.clerk.id, "mark-day": "2026-03-17",
                                                 "mark-mark": "late", "mark-note": "堵车"})
    page = client.get("/shifts/attendance?first=2026-03-01&last=2026-03-31").get_data(as_text=True)
    assert "堵车" in page and "Late" in page
    resp = client.get("/shifts/attendance?first=2026-03-01&last=2026-03-31&export=xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    login(client, staff.clerk)
    assert client.post("/shifts/attendance/mark", data={}).status_code == 403


def test_the_report_page_confirm_and_print(client, staff, april, clock):
    clock.move_to(datetime(2026, 4, 26, 9, tzinfo=SHANGHAI))
    login(client, staff.sup)
    resp = client.post("/shifts/reports", data={"estate_id": staff.e1.id}, follow_redirects=True)
    assert "Attendance report prepared" in resp.get_data(as_text=True)
    report_id = services.prepare_report(staff.e1, date(2026, 4, 1)).id
    db.session.commit()
    resp = client.post(f"/shifts/reports/{report_id}/confirm", data={"confirm-note": "已核对"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Report confirmed and frozen" in page and "confirm-button" not in page
    sheet = load_workbook(io.BytesIO(client.get(f"/shifts/reports/{report_id}?export=xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Member of staff" and ("孙丽", 25) in [(r[0], r[1]) for r in rows]
    page = client.get(f"/shifts/reports/{report_id}/print").get_data(as_text=True)
    assert "Monthly attendance report" in page and "孙丽" in page and "已核对" in page


def test_the_menu_badge_counts_requests_waiting_for_approvers(client, staff, april):
    import re

    from core.audit import acting_as

    with acting_as(staff.clerk):
        services.request_change(staff.clerk, april, kind="swap", day=date(2026, 4, 9), other_user_id=staff.clerk2.id,
                                reason="有事")
        services.request_leave(staff.clerk, estate_id=staff.e1.id, kind="annual", first_day=date(2026, 4, 20),
                               last_day=date(2026, 4, 21), reason="回家")
        db.session.commit()
    login(client, staff.sup)
    page = client.get("/shifts/").get_data(as_text=True)
    menu = re.search(r'href="/shifts/"[^>]*>.*?</a>', page, re.S).group(0)
    assert ">2<" in menu.replace(" ", "")
    assert "2 requests waiting for a decision" in page
    login(client, staff.clerk)
    menu = re.search(r'href="/shifts/"[^>]*>.*?</a>', client.get("/shifts/").get_data(as_text=True), re.S).group(0)
    assert ">2<" not in menu.replace(" ", "")
