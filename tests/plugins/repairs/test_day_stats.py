"""Stored day figures (issue 3): the completion-time widget reads days that are over from
``repairs_day_stat`` and must show exactly what the live computation shows, after every
kind of change — completion, reopen, a return visit's result, a case back-dated into an
old month — before and after the job has computed the days again."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from core.audit import acting_as
from core.jobs import run_due
from core.models import utcnow
from plugins.repairs import daystats, queries, services
from plugins.repairs.models import RepairDayStat, RepairStatRevision
from tests.plugins.repairs.conftest import new_repair

TZ = "Asia/Shanghai"


def months_back(n: int, tz: str = TZ) -> tuple[int, int]:
    today = datetime.now(ZoneInfo(tz)).date()
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def at(month: tuple[int, int], day: int, hour: int = 9, minute: int = 0, tz: str = TZ) -> datetime:
    return datetime(*month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def completed(db, staff, reported: datetime, hours: float, estate=None, tech=None, sup=None, clerk=None):
    """A repair recorded at ``reported`` and completed ``hours`` later, through the services."""
    estate, tech = estate or staff.e1, tech or staff.tech
    sup, clerk = sup or staff.sup, clerk or staff.clerk
    with acting_as(clerk):
        r = new_repair(db, clerk, estate, number="1-1-101", commit=False, now=reported)
    with acting_as(sup):
        services.dispatch(sup, r, tech.id, "", now=reported + timedelta(minutes=10))
    with acting_as(tech):
        services.accept(tech, r, now=reported + timedelta(minutes=20))
        services.complete(tech, r, work_done="更换阀芯", minutes_spent=30, now=reported + timedelta(hours=hours))
    db.session.commit()
    return r


def live(user, estates, tz: str = TZ):
    today = datetime.now(ZoneInfo(tz)).date()
    figs = [queries.completion_figures(user, estates, *queries.month_bounds(y, m, tz))
            for y, m in queries.last_months(today, 6)]
    return [f["avg_hours"] for f in figs], [f["on_time_rate"] for f in figs]


def shown(user, estates, tz: str = TZ):
    trend = queries.trend(user, estates, datetime.now(ZoneInfo(tz)).date(), tz)
    return trend["hours"], trend["rates"]


def same(user, estates, tz: str = TZ):
    """The widget's figures equal the live computation; returns them."""
    figures = shown(user, estates, tz)
    assert figures == live(user, estates, tz)
    return figures


def stored(db, estate, tz: str = TZ) -> int:
    return db.session.scalar(select(func.count()).select_from(RepairDayStat).where(
        RepairDayStat.estate_id == estate.id, RepairDayStat.tz == tz)) or 0


def run_job():
    return dict(run_due(force=True, only="repairs.day_stats"))["repairs.day_stats"]


@pytest.fixture
def history(db, staff):
    """Repairs of E01 and E02 completed two months ago, last month and today: on time
    and late (the service level is 24 h), fractions of hours."""
    old, last = months_back(2), months_back(1)
    cases = SimpleNamespace(
        a=completed(db, staff, at(old, 3), 5.25),
        b=completed(db, staff, at(old, 3, 15), 30.5),  # late
        c=completed(db, staff, at(old, 17), 2.1),
        d=completed(db, staff, at(last, 8), 49),  # late
        e=completed(db, staff, at(last, 20, 23, 30), 1.75),  # completed the next local day
        f=completed(db, staff, utcnow() - timedelta(hours=3), 2),  # today (or just before)
        g=completed(db, staff, at(old, 9), 7, estate=staff.e2, tech=staff.tech_e2, sup=staff.sup_e2,
                    clerk=staff.clerk_e2),
    )
    return cases


def test_the_job_stores_the_days_and_the_widget_shows_the_live_figures(db, staff, history, make_user):
    both = make_user("manager", [staff.e1, staff.e2], username="mgr-both")
    ids = [staff.e1.id, staff.e2.id]
    before = same(both, ids)  # nothing stored yet: all live
    assert stored(db, staff.e1) == 0
    assert run_job().endswith("day rows")
    assert stored(db, staff.e1) > 300 and stored(db, staff.e2) > 300  # 13 months of days
    assert same(both, ids) == before
    assert same(both, [staff.e1.id]) != same(both, [staff.e2.id])
    assert same(staff.manager, [staff.e1.id])[0][-3] is not None  # the month before last has figures
    # A technician sees their own repairs only (a record rule): computed live, as before.
    assert shown(staff.tech, [staff.e1.id]) == live(staff.tech, [staff.e1.id])
    assert shown(staff.tech_e2, [staff.e2.id]) == live(staff.tech_e2, [staff.e2.id])


def test_the_stored_days_are_what_the_widget_reads(db, staff, history, app):
    run_job()
    right = same(staff.manager, [staff.e1.id])
    day = history.a.completed_at.astimezone(ZoneInfo(TZ)).date()
    db.session.execute(update(RepairDayStat).where(RepairDayStat.estate_id == staff.e1.id, RepairDayStat.day == day)
                       .values(completed=RepairDayStat.completed + 1))
    db.session.commit()
    assert shown(staff.manager, [staff.e1.id]) != right  # read from the table, not recomputed
    result = app.test_cli_runner().invoke(args=["repairs", "rebuild-stats"])
    assert result.exit_code == 0, result.output
    assert "day rows" in result.output
    assert same(staff.manager, [staff.e1.id]) == right


def test_a_reopen_deletes_the_days_it_touches_and_the_job_computes_them_again(db, staff, history):
    run_job()
    before = same(staff.manager, [staff.e1.id])
    n = stored(db, staff.e1)
    rev = db.session.scalar(select(RepairStatRevision.revision))
    with acting_as(staff.sup):
        services.reopen(staff.sup, history.c, "业主反映仍然漏水")
    db.session.commit()
    assert stored(db, staff.e1) < n  # the days around its old completion time are gone …
    assert stored(db, staff.e2) > 0  # … of this estate only
    assert db.session.scalar(select(RepairStatRevision.revision)) > rev
    after = same(staff.manager, [staff.e1.id])
    assert after != before  # it no longer counts as completed two months ago
    run_job()
    assert stored(db, staff.e1) == n
    assert same(staff.manager, [staff.e1.id]) == after
    # Completed again today: today is live; the old days stay stored.
    with acting_as(staff.sup):
        services.dispatch(staff.sup, history.c, staff.tech.id, "")
    with acting_as(staff.tech):
        services.accept(staff.tech, history.c)
        services.complete(staff.tech, history.c, work_done="重新更换", minutes_spent=20)
    db.session.commit()
    assert stored(db, staff.e1) == n
    same(staff.manager, [staff.e1.id])


def test_a_return_visit_result_keeps_the_figures_right(db, staff, history):
    run_job()
    satisfied = SimpleNamespace(id=1, source_type="repair", source_id=history.a.id, satisfied=True, remarks="",
                                visited_by_id=None)
    with acting_as(None):
        services.on_visit(satisfied)  # closed: the completion figures do not change
    db.session.commit()
    same(staff.manager, [staff.e1.id])
    unhappy = SimpleNamespace(id=2, source_type="repair", source_id=history.d.id, satisfied=False,
                              remarks="还是坏的", visited_by_id=None)
    before = shown(staff.manager, [staff.e1.id])
    with acting_as(None):
        services.on_visit(unhappy)  # reopened: last month loses a late completion
    db.session.commit()
    assert history.d.state == "recorded"
    assert same(staff.manager, [staff.e1.id]) != before
    run_job()
    same(staff.manager, [staff.e1.id])


def test_a_case_back_dated_into_an_old_month(db, staff, history):
    run_job()
    before = same(staff.manager, [staff.e1.id])
    completed(db, staff, at(months_back(2), 11, 10), 100)  # a paper form entered late
    after = same(staff.manager, [staff.e1.id])
    assert after != before
    run_job()
    assert same(staff.manager, [staff.e1.id]) == after
    # Moved by hand into another old month (a correction): both months follow.
    history.b.completed_at = at(months_back(1), 2, 12)
    db.session.commit()
    moved = same(staff.manager, [staff.e1.id])
    assert moved != after
    run_job()
    assert same(staff.manager, [staff.e1.id]) == moved


def test_each_estate_s_own_time_zone(db, staff, history):
    """A single-estate view uses that estate's zone: its days are stored in that zone too."""
    staff.e2.timezone = "Europe/London"
    db.session.commit()
    completed(db, staff, at(months_back(1), 1, 0, 30, tz="Europe/London") - timedelta(hours=1), 1,
              estate=staff.e2, tech=staff.tech_e2, sup=staff.sup_e2, clerk=staff.clerk_e2)  # around midnight
    run_job()
    assert stored(db, staff.e2, "Europe/London") > 300 and stored(db, staff.e2, TZ) > 300
    assert stored(db, staff.e1, "Europe/London") == 0
    same(staff.sup_e2, [staff.e2.id], "Europe/London")
    same(staff.sup_e2, [staff.e2.id], TZ)


def test_changes_of_today_touch_nothing_stored(db, staff, history):
    """Recording and completing a repair now neither locks nor deletes anything."""
    run_job()
    n = stored(db, staff.e1)
    rev = db.session.scalar(select(RepairStatRevision.revision))
    with acting_as(staff.clerk):
        r = new_repair(db, staff.clerk, staff.e1, commit=False)
    with acting_as(staff.sup):
        services.dispatch(staff.sup, r, staff.tech.id, "")
    with acting_as(staff.tech):
        services.accept(staff.tech, r)
        services.complete(staff.tech, r, work_done="更换阀芯", minutes_spent=30)
    db.session.commit()
    assert stored(db, staff.e1) == n
    assert db.session.scalar(select(RepairStatRevision.revision)) == rev
    same(staff.manager, [staff.e1.id])


def test_the_day_figures_follow_the_day_boundaries(db, staff):
    """``monthly`` over stored days equals a live query over the same month for every split
    between stored and live days (the job's grace period included)."""
    month = months_back(1)
    # reported three hours before the completion: the 1st just after midnight, mid-month, and
    # the 28th (February's last day) five minutes before midnight
    for day, hour, minute in ((1, 0, 5), (15, 12, 5), (28, 20, 55)):
        completed(db, staff, at(month, day, hour, minute), 3)
    first = datetime(*month, 1).date()
    daystats.refresh()
    months = [month, months_back(0)]
    expected = daystats.monthly([staff.e1.id], months, TZ, now=utcnow())
    # As if it were shortly after midnight: yesterday is not stored yet (grace), so live.
    late = daystats.monthly([staff.e1.id], months, TZ, now=utcnow() + timedelta(days=40))
    assert expected[0] == late[0]
    assert expected[0]["completed"] == 3
    assert db.session.scalar(select(func.count()).select_from(RepairDayStat).where(
        RepairDayStat.estate_id == staff.e1.id, RepairDayStat.day == first, RepairDayStat.tz == TZ)) == 1
