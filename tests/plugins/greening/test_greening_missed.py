"""The daily job: a green area inspected fewer times on a day (the estate's day) than the estate's
``checks_per_day`` is reported to the estate's greening inspectors — one notice per area listing
its missed days, catching up on days the job did not run (up to seven days back), each day told
once; never a day the area or its plan did not exist for whole, nor a day of a season its plan has
no task for; never to another estate's people.

The fixture's areas and plans are made on 2026-03-18 at 10:00 (Shanghai): the 19th is their first
day due."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from core.audit import acting_as
from core.models import Notification
from plugins.greening import services
from plugins.greening.jobs import notify_missed
from plugins.greening.models import GreenArea
from tests.plugins.greening.conftest import SHANGHAI, all_ok


def _told(db):
    return [(n.user_id, n.title, n.body) for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def _run(db, clock, when):
    clock.move_to(when)
    db.session.expire_all()
    result = notify_missed()
    db.session.commit()
    return result


def _inspect(db, s, area, tasks, day):
    with acting_as(s.sup if area.estate_id == s.e1.id else s.sup_e2):
        services.record_inspection(s.sup if area.estate_id == s.e1.id else s.sup_e2, area, inspected_on=day,
                                   results=all_ok(*tasks))
        db.session.commit()


def at(day: int, hour: int = 9) -> datetime:
    """``hour`` o'clock in Shanghai on the ``day``-th of March 2026 (32 is 1 April…)."""
    return datetime(2026, 3, 1, hour, 0, tzinfo=SHANGHAI) + timedelta(days=day - 1)


def test_the_day_an_area_is_added_is_not_due(db, staff, clock):
    assert _run(db, clock, at(19, 0)) == "0 missed greening inspections notified"  # added on the 18th at 10:00
    assert _told(db) == []
    assert {a.missed_notified_on.isoformat() for a in db.session.scalars(select(GreenArea))} == {"2026-03-18"}


def test_missed_days_are_caught_up_in_one_notice_per_area_and_told_once(db, staff, clock):
    s = staff
    _run(db, clock, at(19, 0))
    clock.move_to(at(19, 15))
    _inspect(db, s, s.area, (s.t1, s.t2, s.t3), s.today + timedelta(days=1))  # E01 inspected on the 19th only
    # The job did not run on the 20th, 21st, 22nd: on the 23rd it catches up.
    assert _run(db, clock, at(23)) == "2 missed greening inspections notified"
    told = _told(db)
    e1 = [(u, t, b) for u, t, b in told if "中心草坪" in t]
    users = [u for u, _t, _b in e1]
    assert {s.sup.id, s.manager.id} <= set(users) and len(users) == len(set(users))  # one each, not one a day
    assert s.clerk.id not in {u for u, _t, _b in told}
    _u, title, body = e1[0]
    assert title == "Greening inspections of 中心草坪 missed on 3 days"
    assert "2026-03-20: 0 of 1" in body and "2026-03-21: 0 of 1" in body and "2026-03-22: 0 of 1" in body
    assert "2026-03-19" not in body
    e2 = [(u, t, b) for u, t, b in told if "园区花坛" in t]
    assert [u for u, _t, _b in e2] == [s.sup_e2.id]
    assert e2[0][1] == "Greening inspections of 园区花坛 missed on 4 days" and "2026-03-19: 0 of 1" in e2[0][2]
    # Run again (the job runs hourly): nothing new.
    assert _run(db, clock, at(23, 18)) == "0 missed greening inspections notified"
    assert _told(db) == told
    # The next day only the 23rd is told, in the one-day wording.
    _run(db, clock, at(24))
    new = _told(db)[len(told):]
    assert {t for _u, t, _b in new} == {"Greening inspection of 中心草坪 missed on 2026-03-23",
                                        "Greening inspection of 园区花坛 missed on 2026-03-23"}
    assert all(b == "0 of 1 inspections were recorded that day." for _u, _t, b in new)
    # The job's bookkeeping is not a change by staff: the audit log has no row for it.
    from core.models.system import AuditLog

    assert not db.session.scalars(select(AuditLog).where(AuditLog.table_name == "greening_green_area",
                                                         AuditLog.action == "update")).all()


def test_more_than_seven_days_back_is_not_told(db, staff, clock):
    s = staff
    # The job never ran since the areas were added: on 1 April it tells the last seven days only.
    _run(db, clock, at(32))
    rows = db.session.scalars(select(Notification).where(Notification.user_id == s.sup.id)).all()
    assert len(rows) == 1 and rows[0].title == "Greening inspections of 中心草坪 missed on 7 days"
    assert "2026-03-25: 0 of 1" in rows[0].body and "2026-03-31: 0 of 1" in rows[0].body
    assert "2026-03-24" not in rows[0].body and "2026-03-19" not in rows[0].body
    _run(db, clock, at(33))
    rows = db.session.scalars(select(Notification).where(Notification.user_id == s.sup.id)).all()
    assert [r.title for r in rows[1:]] == ["Greening inspection of 中心草坪 missed on 2026-04-01"]


def test_an_area_added_or_planned_yesterday_evening_was_not_due_yesterday(db, staff, clock):
    s = staff
    clock.move_to(at(19, 21))
    with acting_as(s.sup):
        evening = services.add_area(s.sup, estate_id=s.e1.id, name="北门绿篱")
        db.session.flush()
        services.add_task(s.sup, evening, kind="watering", season="all", title="绿篱浇水")
        unplanned = services.add_area(s.sup, estate_id=s.e1.id, name="南门花境")
        db.session.commit()
    clock.move_to(at(20, 8))
    with acting_as(s.sup):
        services.add_task(s.sup, db.session.get(GreenArea, unplanned.id), kind="pruning", season="spring", title="花境修剪")
        db.session.commit()
    _run(db, clock, at(20, 9))
    titles = {t for u, t, _b in _told(db) if u == s.sup.id}
    assert titles == {"Greening inspection of 中心草坪 missed on 2026-03-19"}
    _run(db, clock, at(22))
    titles = {t for u, t, _b in _told(db) if u == s.sup.id} - titles
    # The evening area is due from the 20th; the one planned on the 20th at 08:00 from the 21st.
    assert titles == {"Greening inspections of 中心草坪 missed on 2 days",
                      "Greening inspections of 北门绿篱 missed on 2 days",
                      "Greening inspection of 南门花境 missed on 2026-03-21"}


def test_one_of_two_done_is_still_missed(db, staff, clock):
    from core.settings import save_settings

    s = staff
    save_settings("greening", {"checks_per_day": 2}, s.e1.id)
    clock.move_to(at(19, 10))
    _inspect(db, s, s.area, (s.t1, s.t2, s.t3), s.today + timedelta(days=1))
    _run(db, clock, at(20, 10))
    n = db.session.scalars(select(Notification).where(Notification.user_id == s.sup.id)).all()
    assert len(n) == 1 and "2026-03-19" in n[0].title and n[0].body.startswith("1 of 2")


def test_a_retired_area_or_one_without_a_plan_is_not_due(db, staff, clock):
    s = staff
    with acting_as(s.sup):
        services.update_area(s.sup, s.area, location="", vendor="", note="", active=False)
        services.add_area(s.sup, estate_id=s.e1.id, name="空绿地")
        db.session.commit()
    _run(db, clock, at(21))
    assert {u for u, _t, _b in _told(db)} == {s.sup_e2.id}
    # Back in service on the 21st: the days it was retired are not told.
    clock.move_to(at(21, 10))
    with acting_as(s.sup):
        services.update_area(s.sup, db.session.get(GreenArea, s.area.id), location="", vendor="", note="",
                             active=True)
        db.session.commit()
    _run(db, clock, at(22))
    assert [t for u, t, _b in _told(db) if u == s.sup.id] == ["Greening inspection of 中心草坪 missed on 2026-03-21"]


def test_a_day_of_a_season_without_tasks_is_not_due(db, staff, clock):
    """Caught up across the end of spring: an area planned for spring only is told the spring
    days, not the summer ones; an area planned for summer only was not due in spring."""
    s = staff
    with acting_as(s.sup):
        spring = services.add_area(s.sup, estate_id=s.e1.id, name="春季花境")
        db.session.flush()
        services.add_task(s.sup, spring, kind="pruning", season="spring", title="修剪花境")
        summer = services.add_area(s.sup, estate_id=s.e1.id, name="夏季花境")
        db.session.flush()
        services.add_task(s.sup, summer, kind="pruning", season="summer", title="修剪花境")
        db.session.commit()
    _run(db, clock, at(31 + 30 + 31))  # 31 May: the last week of spring
    titles = {t for u, t, _b in _told(db) if u == s.sup.id}
    assert titles == {"Greening inspections of 中心草坪 missed on 7 days",
                      "Greening inspections of 春季花境 missed on 7 days"}
    _run(db, clock, at(31 + 30 + 31 + 3))  # 3 June: the 31st of May was spring, the 1st and 2nd of June summer
    rows = db.session.scalars(select(Notification).where(Notification.user_id == s.sup.id)
                              .order_by(Notification.id)).all()[2:]
    by_title = {r.title: r.body for r in rows}
    assert set(by_title) == {"Greening inspections of 中心草坪 missed on 3 days",
                             "Greening inspection of 春季花境 missed on 2026-05-31",
                             "Greening inspections of 夏季花境 missed on 2 days"}
    assert "2026-06-01: 0 of 1" in by_title["Greening inspections of 夏季花境 missed on 2 days"]


@pytest.mark.parametrize("extra", [0, 6])
def test_the_counts_are_one_grouped_statement_per_estate(db, staff, clock, extra):
    """The inspections per area and day come from one statement per estate, however many areas."""
    s = staff
    with acting_as(s.sup):
        for n in range(extra):
            a = services.add_area(s.sup, estate_id=s.e1.id, name=f"绿地{n}")
            db.session.flush()
            services.add_task(s.sup, a, kind="watering", season="all", title="浇水")
        db.session.commit()
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert _run(db, clock, at(23)) == f"{2 + extra} missed greening inspections notified"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    on_checks = [st for st in statements if "FROM greening_green_check" in st]
    on_tasks = [st for st in statements if "FROM greening_green_task" in st]
    assert len(on_checks) == 2 and len(on_tasks) == 2  # one each for E01 and for E02


def test_the_job_is_registered(app):
    from core.jobs import all_jobs

    assert "greening.notify_missed" in {j.code for j in all_jobs()}


def test_the_jobs_day_mark_is_no_edit_of_the_area(db, staff, clock):
    """The mark the job leaves on each area stamps no "updated at / by" and moves no cache
    counter (`__bookkeeping__`): the kept dashboards and menus stay."""
    from core import revisions
    from core.models import Revision

    def stamps():
        db.session.expire_all()
        return {a.id: (a.updated_at, a.updated_by_id, a.missed_notified_on) for a in db.session.scalars(select(GreenArea))}

    def data():
        return db.session.scalar(select(Revision.value).where(Revision.name == revisions.DATA))

    before, data_before = stamps(), data()
    _run(db, clock, at(23))
    after = stamps()
    assert all(after[i][2] is not None for i in after)  # the job marked every area
    assert {i: v[:2] for i, v in after.items()} == {i: v[:2] for i, v in before.items()}
    assert data() == data_before
