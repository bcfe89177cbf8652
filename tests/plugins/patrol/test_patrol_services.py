"""Patrol services: plans make due patrols once, visits on the right route only, once per
patrol, problems to repairs (enabled) or followed up here (disabled), lateness and missed
checkpoints — every refusal translated and nothing saved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.extensions import db
from core.testing import refused
from plugins.patrol import services
from plugins.patrol.models import Patrol, PatrolPlan, PatrolProblem, PatrolVisit
from tests.plugins.patrol.conftest import DAY, MORNING, SHANGHAI


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def plan(staff, route, **kw):
    args = dict(estate_id=staff.e1.id, route_id=route.main.id, patroller_id=staff.guard.id, kind="staff",
                frequency="daily", start_time="09:00", window_minutes=60, starts_on=DAY - timedelta(days=3))
    args.update(kw)
    with acting_as(staff.sup):
        p = services.add_plan(staff.sup, **args)
        db.session.commit()
    return p


def test_a_plan_makes_its_patrols_once_whatever_the_job_runs(app, staff, route, clock):
    clock.move_to(MORNING)
    plan(staff, route)
    plan(staff, route, frequency="weekly", kind="supervisor", patroller_id=staff.sup.id, start_time="15:00",
         starts_on=DAY - timedelta(days=7))
    assert services.generate_due() == 3  # daily today and tomorrow, weekly today (a Thursday, like its start)
    assert services.generate_due() == 0
    db.session.commit()
    due = db.session.scalars(select(Patrol).order_by(Patrol.due_at, Patrol.id)).all()
    assert [(p.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), p.kind) for p in due] == [
        ("11-19 09:00", "staff"), ("11-19 15:00", "supervisor"), ("11-20 09:00", "staff")]
    assert due[0].number.startswith("XS-E01-2026-") and due[0].due_by - due[0].due_at == timedelta(minutes=60)


def test_plan_refusals_change_nothing(app, staff, route):
    args = dict(estate_id=staff.e1.id, route_id=route.main.id, patroller_id=staff.guard.id, kind="staff",
                frequency="daily", start_time="09:00", window_minutes=60, starts_on=DAY)
    err = refused("The last day is before the first day.", services.add_plan, staff.sup,
                  **dict(args, ends_on=DAY - timedelta(days=1)))
    assert err.field == "ends_on"
    assert refused("Choose a route of this estate.", services.add_plan, staff.sup,
                   **dict(args, route_id=route.e2.id)).field == "route_id"
    assert refused("Choose a patroller of this estate.", services.add_plan, staff.sup,
                   **dict(args, patroller_id=staff.guard_e2.id)).field == "patroller_id"
    assert refused("Enter the start time as HH:MM.", services.add_plan, staff.sup,
                   **dict(args, start_time="25:99")).field == "start_time"
    refused("Your role may not do this.", services.add_plan, staff.guard, **args)
    assert count(PatrolPlan) == 0


def test_a_round_of_the_route_with_a_problem_makes_a_repair_order(app, staff, route, clock):
    from plugins.repairs.models import Repair

    clock.move_to(MORNING)
    plan(staff, route)
    services.generate_due()
    db.session.commit()
    patrol = db.session.scalars(select(Patrol).order_by(Patrol.due_at)).first()
    p1, p2, p3 = route.points
    with acting_as(staff.guard):
        assert services.current_patrol(staff.guard, p1).id == patrol.id
        services.record_visit(staff.guard, p1, patrol=patrol, result="ok")
        assert patrol.state == "in_progress"
        visit = services.record_visit(staff.guard, p2, patrol=patrol, result="problem", category="fire",
                                      note="消防栓箱门损坏")
        db.session.commit()
    problem = db.session.scalar(select(PatrolProblem))
    repair = db.session.get(Repair, problem.repair_id)
    assert (problem.visit_id, problem.state, problem.repair_number) == (visit.id, "repair", repair.number)
    assert (repair.channel, repair.area, repair.category, repair.contact_phone) == (
        "patrol", "common", "public_area", "13800000002")
    assert "消防栓箱门损坏" in repair.description and "P-02" in repair.description
    assert services.repair_progress(staff.sup, [problem]) == {repair.id: "recorded"}
    assert services.repair_progress(staff.sup_e2, [problem]) == {}  # another estate's repair: not read
    # The last checkpoint finishes the patrol, within its hour: not late, nothing missed.
    with acting_as(staff.guard):
        services.record_visit(staff.guard, p3, patrol=patrol, result="ok")
        db.session.commit()
    assert patrol.state == "done" and not patrol.is_late() and services.missed_checkpoints(patrol) == []
    # The repair's completion shows on the problem (repairs_completed).
    from plugins.repairs import services as repairs

    with acting_as(staff.sup):
        repairs.dispatch(staff.sup, repair, staff.guard2.id, "")
        db.session.commit()
    with acting_as(staff.guard2):
        repairs.accept(staff.guard2, repair)
        repairs.complete(staff.guard2, repair, work_done="更换箱门合页", minutes_spent=30)
        db.session.commit()
    db.session.refresh(problem)
    assert problem.state == "repaired"


def test_visits_of_another_route_or_estate_or_twice_are_refused(app, staff, route, clock):
    clock.move_to(MORNING)
    plan(staff, route)
    services.generate_due()
    db.session.commit()
    patrol = db.session.scalars(select(Patrol).order_by(Patrol.due_at)).first()
    p1 = route.points[0]
    refused("Checkpoint N-01 is not on route 公共区域日常巡视 of patrol", services.record_visit, staff.guard,
            route.night, patrol=patrol, result="ok")
    refused("This checkpoint is not one of your estates", services.record_visit, staff.guard, route.e2_point,
            patrol=patrol, result="ok")
    refused("Describe the problem", services.record_visit, staff.guard, p1, patrol=patrol, result="problem",
            category="facilities", note="")
    refused("is another patroller's", services.record_visit, staff.guard2, p1, patrol=patrol, result="ok")
    refused("has no checkpoint visited yet", services.finish, staff.guard, patrol)
    assert count(PatrolVisit) == 0 and count(PatrolProblem) == 0
    patrol = db.session.get(Patrol, patrol.id)
    assert patrol.state == "due"
    with acting_as(staff.guard):
        services.record_visit(staff.guard, p1, patrol=patrol, result="ok")
        db.session.commit()
    refused("Checkpoint P-01 was already checked on patrol", services.record_visit, staff.guard, p1,
            patrol=db.session.get(Patrol, patrol.id), result="problem", category="facilities", note="地面湿滑")
    assert count(PatrolVisit) == 1 and count(PatrolProblem) == 0
    with acting_as(staff.guard):
        services.finish(staff.guard, db.session.get(Patrol, patrol.id))
        db.session.commit()
    refused("is already finished", services.finish, staff.guard, db.session.get(Patrol, patrol.id))


def test_the_database_keeps_a_checkpoint_once_per_patrol(app, staff, route, clock):
    """Two visits of one checkpoint on one patrol cannot both be saved, whatever the code checks."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    clock.move_to(MORNING)
    with acting_as(staff.guard):
        v = services.record_visit(staff.guard, route.points[0], result="ok")
        db.session.commit()
    db.session.add(PatrolVisit(estate_id=v.estate_id, patrol_id=v.patrol_id, checkpoint_id=v.checkpoint_id,
                               visited_at=v.visited_at, visited_by_id=staff.guard.id, result="ok", note=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(PatrolVisit) == 1


def test_late_and_missed(app, staff, route, clock):
    clock.move_to(MORNING)
    plan(staff, route)
    services.generate_due()
    db.session.commit()
    patrol = db.session.scalars(select(Patrol).order_by(Patrol.due_at)).first()
    assert not patrol.is_late() and services.missed_checkpoints(patrol) == []
    clock.shift(timedelta(hours=1))  # 10:30, the deadline (10:00) passed with nothing done
    assert patrol.is_late()
    assert [c.code for c in services.missed_checkpoints(patrol)] == ["P-01", "P-02", "P-03"]
    with acting_as(staff.guard):
        services.record_visit(staff.guard, route.points[1], patrol=patrol, result="ok")
        services.finish(staff.guard, patrol)
        db.session.commit()
    assert patrol.state == "done" and patrol.is_late()
    assert [c.code for c in services.missed_checkpoints(patrol)] == ["P-01", "P-03"]
    start, end = services.day_bounds(DAY, SHANGHAI)
    row = next(r for r in services.board([staff.e1.id], start, end) if r.id == patrol.id)
    assert (row.visited, row.total, bool(row.late), row.state) == (1, 3, True, "done")
    assert services.board([staff.e2.id], start, end) == []


def test_without_repairs_a_problem_is_followed_up_here(app, staff, route, clock):
    from core.site import disable, enable, refresh

    clock.move_to(MORNING)
    disable("repairs")
    db.session.commit()
    refresh(force=True)
    try:
        with acting_as(staff.guard):
            services.record_visit(staff.guard, route.points[0], result="problem", category="cleaning",
                                  note="大堂地面有积水")
            db.session.commit()
        problem = db.session.scalar(select(PatrolProblem))
        assert (problem.state, problem.repair_id, problem.repair_number) == ("open", None, "")
        refused("Your role may not do this.", services.follow_up, staff.guard, problem, state="resolved",
                note="已拖干")
        refused("Choose in hand or resolved.", services.follow_up, staff.sup, db.session.get(PatrolProblem, problem.id),
                state="open", note="已拖干")
        with acting_as(staff.sup):
            services.follow_up(staff.sup, db.session.get(PatrolProblem, problem.id), state="resolved", note="已拖干")
            db.session.commit()
        problem = db.session.get(PatrolProblem, problem.id)
        assert (problem.state, problem.follow_up, problem.resolved_by_id) == ("resolved", "已拖干", staff.sup.id)
        refused("already resolved", services.follow_up, staff.sup, problem, state="resolved", note="再次")
    finally:
        enable("repairs")
        db.session.commit()


def test_a_problem_found_is_offered_to_other_plugins(app, staff, route, temp_plugin, make_app, clock):
    """The ``patrol_problem_found`` hook (for a vendors plugin) is called inside the transaction."""
    from plugins.patrol import hookspecs

    assert hookspecs.patrol_problem_found.__doc__ and "vendors" in hookspecs.patrol_problem_found.__doc__
    seen = []
    from core.plugins import plugins

    class Listener:
        @staticmethod
        def patrol_problem_found(problem):
            seen.append((problem.checkpoint.code, problem.description))

    from core import hookimpl

    Listener.patrol_problem_found = hookimpl(Listener.patrol_problem_found)
    pm = plugins().pm
    pm.register(Listener, name="patrol-test-listener")
    plugins()._callers.clear()
    try:
        clock.move_to(MORNING)
        with acting_as(staff.guard):
            services.record_visit(staff.guard, route.points[0], result="problem", category="facilities",
                                  note="门禁读卡器失灵")
    finally:
        pm.unregister(name="patrol-test-listener")
        plugins()._callers.clear()
    db.session.rollback()
    assert seen == [("P-01", "门禁读卡器失灵")]


def test_the_board_gives_aware_utc_times_as_the_orm_does(app, staff, route, clock):
    """On SQLite the board reads its due times as ISO text with the zone (``_UTCText``): the
    rows carry the same aware UTC date-times as the patrols themselves."""
    clock.move_to(MORNING)
    plan(staff, route)
    services.generate_due()
    db.session.commit()
    start, end = services.day_bounds(DAY, SHANGHAI)
    rows = services.board([staff.e1.id], start, end)
    patrols = {p.id: p for p in db.session.scalars(select(Patrol))}
    assert rows
    for r in rows:
        assert (r.due_at, r.due_by) == (patrols[r.id].due_at, patrols[r.id].due_by)
        assert r.due_at.utcoffset() == timedelta(0) and r.due_by > r.due_at
    assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)
