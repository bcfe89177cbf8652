"""The monthly report and its job, the dashboard widget, search, menu, demo data, roles, the
plugin disabled."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.audit import acting_as
from core.extensions import db
from core.models import Notification, Role
from core.testing import make_estate, refused
from plugins.shifts import demo, services
from plugins.shifts.jobs import prepare_reports
from plugins.shifts.models import AttendanceReport, ChangeRequest, LeaveRequest, ReportLine, Roster
from tests.plugins.shifts.conftest import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(clock, y, m, d, h=10):
    clock.move_to(datetime(y, m, d, h, tzinfo=SHANGHAI))


def test_the_report_period_ends_on_the_report_day(staff):
    assert services.report_period(staff.e1.id, date(2026, 4, 1)) == (date(2026, 3, 26), date(2026, 4, 25),
                                                                     date(2026, 4, 25))
    from core.settings import save_settings

    save_settings("shifts", {"report_day": 31}, estate_id=staff.e1.id)
    db.session.commit()
    assert services.report_period(staff.e1.id, date(2026, 3, 1)) == (date(2026, 3, 1), date(2026, 3, 31),
                                                                     date(2026, 3, 31))
    assert services.report_due(staff.e1.id, date(2026, 2, 1)) == date(2026, 2, 28)


def test_the_job_prepares_the_report_before_its_day_the_supervisor_confirms_and_it_is_frozen(staff, april, clock):
    _at(clock, 2026, 4, 21)  # four days before the 25th: nothing yet
    assert prepare_reports() == "0 attendance reports prepared"
    assert services.report_reminder([staff.e1.id], date(2026, 4, 21)) == []
    _at(clock, 2026, 4, 22)
    with acting_as(staff.sup):
        services.set_mark(staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id, day=date(2026, 4, 2), mark="late")
        services.set_mark(staff.sup, estate_id=staff.e1.id, user_id=staff.clerk2.id, day=date(2026, 4, 2),
                          mark="absent")
    assert prepare_reports() == "1 attendance reports prepared"
    db.session.commit()
    report = db.session.scalar(select(AttendanceReport))
    assert (report.first_day, report.last_day, report.state) == (date(2026, 3, 26), date(2026, 4, 25), "prepared")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == staff.sup.id, Notification.link == f"/shifts/reports/{report.id}")) == 1
    reminder = services.report_reminder([staff.e1.id], date(2026, 4, 22))
    assert reminder[0]["due"] == date(2026, 4, 25) and reminder[0]["report"].id == report.id
    lines = {r.name: r for r in db.session.scalars(select(ReportLine).where(ReportLine.report_id == report.id))}
    assert (lines["孙丽"].shifts, lines["孙丽"].late, lines["周静"].absent) == (25, 1, 1)
    with acting_as(staff.sup):
        refused("confirm the report after it", services.confirm_report, staff.sup, report)
    _at(clock, 2026, 4, 25, 18)
    with acting_as(staff.sup):
        services.confirm_report(staff.sup, report, note="已核")
        db.session.commit()
    assert report.state == "confirmed"
    # The manager (administration, HR) is told; a mark changed afterwards does not change the report.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == staff.manager.id, Notification.link == f"/shifts/reports/{report.id}",
        Notification.body.contains("is confirmed"))) == 1
    with acting_as(staff.sup):
        services.set_mark(staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id, day=date(2026, 4, 3),
                          mark="absent")
        db.session.commit()
        refused("confirmed and frozen", services.recompute, staff.sup, report)
    assert prepare_reports() == "0 attendance reports prepared"
    line = db.session.scalar(select(ReportLine).where(ReportLine.report_id == report.id, ReportLine.name == "孙丽"))
    assert line.absent == 0
    assert services.report_reminder([staff.e1.id], date(2026, 4, 25)) == []


def test_dashboard_widget_shows_todays_shifts_and_who_is_on_duty(client, staff, april, clock):
    _at(clock, 2026, 4, 2, 8)
    login(client, staff.clerk)
    page = client.get("/").get_data(as_text=True)
    assert "shifts-widget" in page and "孙丽" in page and "周静" in page
    assert page.count("On duty now") == 1 + page.count("shifts.today")  # the clerk's morning shift only


def test_search_finds_a_shift_of_ones_estates_only(client, staff):
    login(client, staff.clerk)
    page = client.get("/search?q=午间补位").get_data(as_text=True)
    assert "L 午间补位" in page and "11:30–13:30" in page
    login(client, staff.clerk_e2)
    assert "11:30–13:30" not in client.get("/search?q=午间补位").get_data(as_text=True)


def test_permissions_on_the_standard_roles(app):
    def codes(role):
        return set(db.session.scalar(select(Role).where(Role.code == role)).permission_codes)

    assert {"shifts.own", "shifts.view", "shifts.plan", "shifts.approve"} <= codes("supervisor")
    assert {"shifts.own", "shifts.view"} <= codes("clerk") and not {"shifts.plan", "shifts.approve"} & codes("clerk")
    assert "shifts.own" in codes("technician") and "shifts.view" not in codes("technician")
    assert "shifts.reports" in codes("manager") and "shifts.reports" not in codes("supervisor")


def test_demo_a_month_of_shifts_with_version_2_after_a_swap(app, make_user, clock):
    _at(clock, 2026, 3, 18)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    d1 = make_estate("D01", "Demo Garden")
    users = {r: make_user(r, [d1], username=f"d{r}") for r in ("supervisor", "manager", "clerk", "frontdesk",
                                                              "cashier")}
    for i in range(3):  # a front desk team: enough people for the desk's pairs
        make_user("frontdesk", [d1], username=f"dfd{i}")
    demo.load(d1, users)
    db.session.commit()
    rows = db.session.scalars(select(Roster).where(Roster.estate_id == d1.id)
                              .order_by(Roster.first_day, Roster.version)).all()
    assert [(r.first_day, r.version, r.state) for r in rows] == [
        (date(2026, 3, 1), 1, "published"), (date(2026, 4, 1), 1, "withdrawn"), (date(2026, 4, 1), 2, "published")]
    assert db.session.scalar(select(func.count()).select_from(ChangeRequest).where(
        ChangeRequest.state == "approved")) == 1
    assert db.session.scalar(select(func.count()).select_from(LeaveRequest)) == 1
    assert db.session.scalar(select(AttendanceReport.state)) == "prepared"
    assert services.patterns(d1.id)[0].name == "早班"
    # Everyone on shift is posted somewhere, and every post is staffed as it needs.
    for roster in (r for r in rows if r.state == "published"):
        on_shift = [e for e in services.entries(roster) if e.pattern_id is not None]
        assert on_shift and all(e.post_id is not None for e in on_shift)
        assert {e.post_id for e in on_shift} == {p.id for p in services.posts(d1.id)}
        assert services.understaffed(roster) == []
    demo.load(d1, users)  # loading again adds nothing
    assert db.session.scalar(select(func.count()).select_from(Roster)) == 3


def test_disabled_shifts_answers_404(client, staff, april):
    from core.plugins import is_enabled
    from core.site import disable, refresh

    login(client, staff.sup)
    assert client.get("/shifts/").status_code == 200
    disable("shifts")
    db.session.commit()
    refresh(force=True)
    assert not is_enabled("shifts")
    assert client.get("/shifts/").status_code == 404
    assert client.get(f"/shifts/rosters/{april.id}").status_code == 404
    assert "shifts-widget" not in client.get("/").get_data(as_text=True)


def test_search_finds_who_is_on_duty_today_by_name(client, staff, april, clock):
    _at(clock, 2026, 4, 2, 9)
    login(client, staff.desk)
    page = client.get("/search?q=周静").get_data(as_text=True)
    assert "周静 · B 中班" in page and "15:00–23:00" in page
    login(client, staff.clerk_e2)
    assert "15:00–23:00" not in client.get("/search?q=周静").get_data(as_text=True)
