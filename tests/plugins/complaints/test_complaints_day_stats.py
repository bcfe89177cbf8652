"""Stored day figures (issue 3): the handling-rate widget and the monthly report read days
that are over from ``complaints_day_stat`` and must show exactly the live figures after
every kind of change — closing, a return visit's result, a reopen, a case back-dated into
an old month — before and after the job has computed the days again."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from complaints_helpers import record
from sqlalchemy import func, select, update

from core.audit import acting_as
from core.jobs import run_due
from core.models import utcnow

pytestmark = pytest.mark.plugins("complaints")
TZ = "Asia/Shanghai"


def months_back(n: int, tz: str = TZ) -> tuple[int, int]:
    today = datetime.now(ZoneInfo(tz)).date()
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def at(month, day: int, hour: int = 9, minute: int = 0, tz: str = TZ) -> datetime:
    return datetime(*month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def case(staff, estate, dept, received, reply_h, close_h=None, visit=None):
    """Record at ``received``; forward, reply after ``reply_h`` h, close after ``close_h`` h;
    ``visit`` = (hours after receiving, satisfied)."""
    from plugins.complaints import services

    sup = staff["supervisor"]
    with acting_as(staff["clerk"]):
        c = record(staff["clerk"], estate, received_at=received)
    with acting_as(sup):
        services.forward(sup, c, dept.id, "", received + timedelta(minutes=30))
        services.add_note(sup, c, "已核实", received + timedelta(minutes=40))
        services.reply(sup, c, "已处理完毕，特此回复。", "letter", received + timedelta(hours=reply_h))
        if close_h is not None:
            services.close(sup, c, received + timedelta(hours=close_h))
        if visit:
            services.confirm_visit(sup, c, visit[1], "" if visit[1] else "不满意", received + timedelta(hours=visit[0]))
    return c


def months():
    from plugins.complaints import stats

    return stats.last_months(datetime.now(ZoneInfo(TZ)).date(), 6)


def same(ids, tz: str = TZ):
    """The stored-days figures equal the live computation; returns them."""
    from plugins.complaints import stats

    rows = stats.monthly(ids, months(), tz)
    assert rows == stats.monthly_live(ids, months(), tz)
    return rows


def stored(db, estate) -> int:
    from plugins.complaints.models import ComplaintDayStat

    return db.session.scalar(select(func.count()).select_from(ComplaintDayStat).where(
        ComplaintDayStat.estate_id == estate.id)) or 0


def run_job():
    return dict(run_due(force=True, only="complaints.day_stats"))["complaints.day_stats"]


@pytest.fixture
def history(db, estates, staff, depts, make_user):
    old, last = months_back(2), months_back(1)
    e1, e2 = estates
    theirs = make_user("manager", [e2], username="mgr-e2")
    out = SimpleNamespace(
        a=case(staff, e1, depts[0], at(old, 3), 6, 24, (48, True)),  # effective
        b=case(staff, e1, depts[0], at(old, 4), 49.5, 72, (96, True)),  # late reply
        c=case(staff, e1, depts[1], at(old, 27, 20), 6.25, 24 * 5),  # closed next month, no visit yet
        d=case(staff, e1, depts[1], at(last, 5), 3, 10, (30, False)),  # reopened
        e=case(staff, e1, depts[0], at(last, 9), 2.5, 20),  # closed, visit pending
        f=case(staff, e1, depts[0], utcnow() - timedelta(hours=5), 1, 2),  # today
        g=case({"clerk": theirs, "supervisor": theirs}, e2, depts[0], at(old, 3), 6, 24, (48, True)),
    )
    with acting_as(staff["clerk"]):
        record(staff["clerk"], e1, received_at=at(last, 12))  # still open
    db.session.commit()
    return out


def test_the_job_stores_the_days_and_the_figures_stay_the_same(db, estates, history):
    ids = [e.id for e in estates]
    before = same(ids)
    assert stored(db, estates[0]) == 0
    assert run_job().endswith("day rows")
    assert stored(db, estates[0]) > 300
    assert same(ids) == before
    assert same([estates[0].id]) != same([estates[1].id])
    closed = [r.closed for r in before]
    assert sum(closed) >= 5


def test_the_stored_days_are_what_the_report_reads(db, estates, history, app):
    from plugins.complaints import stats
    from plugins.complaints.models import ComplaintDayStat

    run_job()
    right = same([estates[0].id])
    db.session.execute(update(ComplaintDayStat).where(ComplaintDayStat.estate_id == estates[0].id)
                       .values(received=ComplaintDayStat.received + 1))
    db.session.commit()
    assert stats.monthly([estates[0].id], months(), TZ) != right
    result = app.test_cli_runner().invoke(args=["complaints", "rebuild-stats"])
    assert result.exit_code == 0, result.output
    assert same([estates[0].id]) == right


def test_visit_results_and_reopens_keep_the_figures_right(db, estates, staff, history):
    from plugins.complaints import services
    from plugins.complaints.jobs import apply_visit

    run_job()
    before = same([estates[0].id])
    with acting_as(staff["supervisor"]):
        services.confirm_visit(staff["supervisor"], history.e, True, "", at(months_back(1), 12))
    db.session.commit()
    after = same([estates[0].id])
    assert after != before  # one more satisfied, effective complaint last month
    # A return visit recorded through the visits plugin's event: not satisfied → reopened.
    visit = SimpleNamespace(id=9, number="HF-1", source_id=history.c.id, estate_id=estates[0].id, satisfied=False,
                            remarks="还是有噪音", visited_at=utcnow(), visited_by_id=None)
    with acting_as(None):
        apply_visit(visit)
    db.session.commit()
    assert history.c.state == "investigating"
    reopened = same([estates[0].id])
    assert reopened != after
    run_job()
    assert same([estates[0].id]) == reopened
    # Handled again and closed today: the old days stay as they are.
    n = stored(db, estates[0])
    with acting_as(staff["supervisor"]):
        services.reply(staff["supervisor"], history.c, "再次处理完毕。", "letter")
        services.close(staff["supervisor"], history.c)
    db.session.commit()
    assert stored(db, estates[0]) == n
    same([estates[0].id])


def test_a_case_back_dated_into_an_old_month(db, estates, staff, depts, history):
    run_job()
    before = same([estates[0].id])
    case(staff, estates[0], depts[0], at(months_back(2), 14), 30, 40, (50, True))  # entered from paper, late
    db.session.commit()
    after = same([estates[0].id])
    assert after != before
    run_job()
    assert same([estates[0].id]) == after
    # Its receiving time corrected into last month: both months follow.
    history.a.received_at = at(months_back(1), 1, 8)
    db.session.commit()
    moved = same([estates[0].id])
    assert moved != after
    run_job()
    assert same([estates[0].id]) == moved



# -- the statistics page's month figures per category and department (breakdown) ----------
def _range():
    from core.daystats import month_first, next_month
    from plugins.complaints import stats

    first = month_first(*months_back(2))
    end = next_month(datetime.now(ZoneInfo(TZ)).date().replace(day=1))
    return stats.month_start(first.year, first.month, TZ), stats.month_start(end.year, end.month, TZ)


def grid(ids, stored_months: bool = True):
    """The statistics page's two tables as comparable tuples: stored months (with the zone) or
    the one live statement (without)."""
    from plugins.complaints import stats

    start, end = _range()
    cats, depts = stats.breakdown(ids, start, end, TZ if stored_months else None)
    return [tuple((f.key, f.received, f.closed, f.on_time, f.satisfied, f.effective, f.avg_reply_hours)
                  for f in part) for part in (cats, depts)]


def month_rows(db, estate=None) -> int:
    from plugins.complaints.models import ComplaintMonthFigure

    q = select(func.count()).select_from(ComplaintMonthFigure)
    if estate is not None:
        q = q.where(ComplaintMonthFigure.estate_id == estate.id)
    return db.session.scalar(q) or 0


def run_month_job():
    return dict(run_due(force=True, only="complaints.month_figures"))["complaints.month_figures"]


def test_the_month_figures_are_stored_and_read_the_same_as_live(db, estates, history):
    from plugins.complaints.models import ComplaintMonthFigure

    ids = [e.id for e in estates]
    live = grid(ids, stored_months=False)
    assert grid(ids) == live and month_rows(db) == 0  # nothing stored yet: all live
    assert sum(row[2] for row in live[0]) >= 5  # closed complaints in the range
    assert "computed" in run_month_job()
    assert month_rows(db, estates[0]) > 12 and month_rows(db, estates[1]) > 12  # marks and groups
    assert grid(ids) == live and grid([estates[0].id]) == grid([estates[0].id], stored_months=False)
    assert run_month_job().startswith("0 month(s)")  # every month over is there: nothing to do
    # The page reads them: a stored figure changed by hand shows.
    db.session.execute(update(ComplaintMonthFigure).where(ComplaintMonthFigure.category == "repairs")
                       .values(received=ComplaintMonthFigure.received + 100))
    db.session.commit()
    assert grid(ids) != live


def test_a_complaint_moved_to_another_department_or_category_shows_at_once(db, estates, staff, depts, history):
    ids = [estates[0].id]
    run_month_job()
    before = grid(ids)
    history.a.department_id = depts[1].id  # forwarded elsewhere, months after it was stored
    db.session.commit()
    assert month_rows(db, estates[0]) < 60  # its months were dropped, the others kept
    moved = grid(ids)
    assert moved == grid(ids, stored_months=False) and moved != before
    run_month_job()
    assert grid(ids) == moved
    history.b.category = "noise"
    db.session.commit()
    assert grid(ids) == grid(ids, stored_months=False) != moved
    # A return visit's result on a case of last month (a closed figure) drops that month too.
    from plugins.complaints import services

    run_month_job()
    satisfied = grid(ids)
    with acting_as(staff["supervisor"]):
        services.confirm_visit(staff["supervisor"], history.e, True, "", at(months_back(1), 12))
    db.session.commit()
    assert grid(ids) == grid(ids, stored_months=False) != satisfied
