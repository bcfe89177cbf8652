"""Events and jobs: the overdue job, the repairs_* hooks, return visits, and visits switched off."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.demo import ensure_roles
from core.jobs import run_due
from core.models import Notification, User, utcnow
from core.plugins import hook
from core.site import refresh
from plugins.repairs import services
from plugins.repairs.models import Repair
from tests.plugins.repairs.conftest import login, new_repair

LISTENER = '''
from core import hookimpl

EVENTS = []


@hookimpl(optionalhook=True)
def repairs_completed(repair):
    EVENTS.append(("completed", repair.number, repair.state, repair.completed_at is not None, repair.unit_id,
                   repair.contact_phone, repair.category, repair.estate_id))
    if repair.contact_name == "boom":
        raise RuntimeError("the visit could not be planned")


@hookimpl(optionalhook=True)
def repairs_reopened(repair, reason):
    EVENTS.append(("reopened", repair.number, repair.state, reason))
'''


def visit(repair, satisfied, remarks="", source_type="repair"):
    return SimpleNamespace(id=1, source_type=source_type, source_id=repair.id, source_number=repair.number,
                           estate_id=repair.estate_id, unit_id=repair.unit_id, satisfied=satisfied,
                           remarks=remarks, visited_at=utcnow(), visited_by_id=None)


def notices(db, user):
    return [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def test_the_overdue_job_tells_the_estates_supervisors_once(db, staff, repair_in):
    late = repair_in("dispatched", now=utcnow() - timedelta(days=2))
    repair_in("recorded")  # not due yet
    repair_in("completed", now=utcnow() - timedelta(days=2))  # done: not overdue
    with acting_as(staff.clerk_e2):
        new_repair(db, staff.clerk_e2, staff.e2, number="2-1-201", now=utcnow() - timedelta(days=2))
    status = dict(run_due(force=True, only="repairs.notify_overdue"))["repairs.notify_overdue"]
    assert status == "2 overdue repairs, 3 notifications"  # E01: supervisor + manager; E02: supervisor
    assert notices(db, staff.sup) == [f"Repair {late.number} is overdue"]
    assert len(notices(db, staff.manager)) == 1 and len(notices(db, staff.sup_e2)) == 1
    assert notices(db, staff.clerk) == [] and notices(db, staff.tech) == []
    link = db.session.scalar(select(Notification.link).where(Notification.user_id == staff.sup.id))
    assert link == f"/repairs/{late.id}"
    run_due(force=True, only="repairs.notify_overdue")
    assert len(notices(db, staff.sup)) == 1  # once per overdue repair
    db.session.expire_all()
    assert late.overdue_notified_at is not None


def test_a_reopened_repair_can_be_reported_overdue_again(db, staff, repair_in):
    r = repair_in("completed", now=utcnow() - timedelta(days=3))
    services.reopen(staff.sup, r, "又漏了", now=utcnow() - timedelta(days=2))
    db.session.commit()
    run_due(force=True, only="repairs.notify_overdue")
    assert notices(db, staff.sup) == [f"Repair {r.number} is overdue"]


def _site_with_listener(make_app, temp_plugin, plugins=("repairs",)):
    code, package = temp_plugin("listener", source=LISTENER)
    app = make_app(plugins=list(plugins), extra={code: package})
    ctx = app.app_context()
    ctx.push()
    ensure_roles()
    from core.extensions import db

    db.session.commit()
    refresh(force=True)
    return app, ctx, app.extensions["propdesk_plugins"].infos[code].module


def test_completing_fires_repairs_completed_inside_the_transaction(make_app, temp_plugin, staff):
    from core.extensions import db

    app, ctx, listener = _site_with_listener(make_app, temp_plugin)
    try:
        clerk, sup, tech = (db.session.get(User, u.id) for u in (staff.clerk, staff.sup, staff.tech))
        r = new_repair(db, clerk, staff.e1)
        services.dispatch(sup, r, tech.id)
        services.accept(tech, r)
        services.complete(tech, r, work_done="换阀芯", minutes_spent=20)
        db.session.commit()
        assert listener.EVENTS == [("completed", r.number, "completed", True, r.unit_id, "13800001234",
                                    "water", staff.e1.id)]
        services.reopen(sup, r, "回访不满意")
        db.session.commit()
        assert listener.EVENTS[-1] == ("reopened", r.number, "recorded", "回访不满意")

        boom = new_repair(db, clerk, staff.e1, contact_name="boom")
        services.dispatch(sup, boom, tech.id)
        services.accept(tech, boom)
        db.session.commit()
        with pytest.raises(RuntimeError):
            services.complete(tech, boom, work_done="x", minutes_spent=5)
        db.session.rollback()
        assert db.session.get(Repair, boom.id).state == "in_progress"  # the completion was rolled back
    finally:
        db.session.remove()
        ctx.pop()


def test_a_return_visit_closes_or_reopens_the_repair(db, staff, repair_in):
    good = repair_in("completed")
    bad = repair_in("completed")
    closed = repair_in("closed")
    hook("visits_recorded")(visit=visit(good, True, "很满意"))
    hook("visits_recorded")(visit=visit(bad, False, "师傅走后又开始漏水"))
    hook("visits_recorded")(visit=visit(closed, False, ""))
    hook("visits_recorded")(visit=visit(repair_in("completed"), False, "投诉回访", source_type="complaint"))
    db.session.commit()
    assert good.state == "closed" and good.closed_via == "visit" and good.close_note == "很满意"
    assert bad.state == "recorded" and bad.reopen_count == 1 and bad.reopen_reason == "师傅走后又开始漏水"
    assert closed.state == "recorded" and closed.reopen_reason == "Not satisfied on the return visit."
    other = db.session.scalars(select(Repair).order_by(Repair.id.desc())).first()
    assert other.state == "completed"  # a complaint's visit is not ours
    # A visit for a repair that is not completed any more changes nothing and raises nothing.
    services.on_visit(visit(bad, True))
    assert bad.state == "recorded"


def test_the_hooks_work_with_the_listener_and_without_visits(make_app, temp_plugin, staff):
    """Visits absent: repairs works on its own; the hookspec is ours, the visits side is optional."""
    from core.extensions import db

    app, ctx, listener = _site_with_listener(make_app, temp_plugin)
    try:
        assert "visits" not in app.extensions["propdesk_plugins"].enabled
        clerk, sup, tech = (db.session.get(User, u.id) for u in (staff.clerk, staff.sup, staff.tech))
        r = new_repair(db, clerk, staff.e1)
        services.dispatch(sup, r, tech.id)
        services.accept(tech, r)
        services.complete(tech, r, work_done="换阀芯", minutes_spent=20)
        hook("visits_recorded")(visit=visit(r, True, "满意"))
        db.session.commit()
        assert r.state == "closed" and r.closed_via == "visit" and listener.EVENTS[0][0] == "completed"
        client = app.test_client()
        client.post("/login", data={"username": sup.username, "password": "secret-pass-1"})
        assert client.get(f"/repairs/{r.id}").status_code == 200
        assert client.get("/").status_code == 200
    finally:
        db.session.remove()
        ctx.pop()


def test_switched_off_repairs_answers_404_and_keeps_its_data(client, db, staff, repair_in):
    from core.site import disable, enable

    r = repair_in("recorded")
    login(client, staff.sup)
    disable("repairs")
    db.session.commit()
    assert client.get(f"/repairs/{r.id}").status_code == 404
    assert "repairs-open" not in client.get("/").get_data(as_text=True)
    enable("repairs")
    db.session.commit()
    assert client.get(f"/repairs/{r.id}").status_code == 200


def test_with_visits_enabled_a_completed_repair_gets_its_return_visit(db, staff, repair_in):
    """Only through the hooks: the visits plugin's table is found by its columns, not imported."""
    from core.plugins import plugins

    if "visits" not in plugins().enabled:
        pytest.skip("the visits plugin is not installed and enabled here")
    r = repair_in("completed")
    tables = [t for name, t in db.metadata.tables.items()
              if name.startswith("visits_") and {"source_type", "source_id"} <= set(t.c.keys())]
    assert tables
    planned = db.session.execute(select(tables[0]).where(
        tables[0].c.source_type == "repair", tables[0].c.source_id == r.id)).all()
    assert len(planned) == 1
    hook("visits_recorded")(visit=visit(r, True, "满意"))
    db.session.commit()
    assert r.state == "closed" and r.closed_via == "visit"


def test_demo_data_spreads_six_months_of_cases_over_every_state(db, staff, make_user):
    from plugins.repairs.demo import create_demo
    from plugins.repairs.models import WorkOrder

    users = {"clerk": staff.clerk, "supervisor": staff.sup, "technician": staff.tech}
    made = create_demo(staff.e1, users)
    db.session.commit()
    repairs = db.session.scalars(select(Repair)).all()
    assert made == len(repairs) > 60
    assert {r.state for r in repairs} == {"recorded", "dispatched", "in_progress", "completed", "closed",
                                          "cancelled"}
    assert any(r.is_overdue() for r in repairs) and {r.created_by_id for r in repairs} == {staff.clerk.id}
    assert len({(r.reported_at.year, r.reported_at.month) for r in repairs}) >= 6
    assert {o.technician_id for o in db.session.scalars(select(WorkOrder))} == {staff.tech.id}
    assert all(r.number.startswith("BX-E01-") for r in repairs)
    assert all(r.completed_at > r.reported_at for r in repairs if r.completed_at)
