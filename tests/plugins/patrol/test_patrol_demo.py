"""The patrol demo data: routes and checkpoints, three plans, three weeks of patrols (most done,
some late or with a checkpoint missed), problems sent to repairs, log entries; in the site's
language; loading again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from core.testing import make_estate
from plugins.patrol import demo, services
from plugins.patrol.models import (
    Patrol,
    PatrolCheckpoint,
    PatrolLogEntry,
    PatrolPlan,
    PatrolProblem,
    PatrolRoute,
)


def test_demo_patrols(app, make_user):
    estate = make_estate("D01", "Demo Garden", units=("1-1-101",))
    users = {role: make_user(role, [estate], username=f"d{role}", phone="1380013800" + str(n))
             for n, role in enumerate(("manager", "supervisor", "clerk", "frontdesk", "technician"))}
    demo.load(estate, users)
    db.session.commit()

    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id == estate.id, *where))

    assert n(PatrolRoute) == 2 and n(PatrolCheckpoint) == 10 and n(PatrolPlan) == 3
    assert n(Patrol, Patrol.state == "done") > 30
    patrols = db.session.scalars(select(Patrol).where(Patrol.estate_id == estate.id)).all()
    assert any(p.is_late() for p in patrols)
    assert any(services.missed_checkpoints(p) for p in patrols if p.state == "done")
    problems = db.session.scalars(select(PatrolProblem)).all()
    assert problems and all(p.repair_number.startswith("BX-D01-") for p in problems)
    assert n(PatrolLogEntry) == 3
    names = db.session.scalars(select(PatrolRoute.name)).all()
    assert sorted(names) == ["Daily public areas", "Evening perimeter"]  # the tests' site speaks English
    demo.load(estate, users)
    assert n(PatrolRoute) == 2


def test_the_demo_sends_one_problem_to_the_vendors_demo_contract(app, make_user):
    """Patrol's demo runs after vendors' (manifest ``sequence``), so ``make run`` holds a patrol
    problem sent to the demo's cleaning vendor as a rectification notice."""
    from core.plugins import plugins
    from core.site import enable, refresh
    from plugins.vendors.models import Rectification

    enable("vendors")
    db.session.commit()
    refresh(force=True)
    order = [i.plugin_name for i in plugins().implementations("demo_data")]
    assert order.index("vendors") < order.index("patrol")
    estate = make_estate("D01", "Demo Garden", units=("1-1-101",))
    users = {role: make_user(role, [estate], username=f"d{role}", phone="1380013800" + str(n))
             for n, role in enumerate(("manager", "supervisor", "clerk", "frontdesk", "technician"))}
    for _code, _res, err in plugins().call_each("demo_data", estate=estate, users=users):
        assert err is None
    db.session.commit()
    sent = db.session.scalars(select(PatrolProblem).where(PatrolProblem.rectification_id.is_not(None))).all()
    assert len(sent) == 1
    p = sent[0]
    assert (p.state, p.service_kind) == ("vendor", "cleaning") and p.rectification_number.startswith("WZ-D01-")
    notice = db.session.get(Rectification, p.rectification_id)
    assert (notice.source, notice.number, notice.contract.service_kind) == ("patrol", p.rectification_number,
                                                                          "cleaning")
    assert notice.state == "open" and notice.estate_id == estate.id


def test_without_vendors_the_demo_sends_nothing_to_a_vendor(app, make_user):
    estate = make_estate("D01", "Demo Garden", units=("1-1-101",))
    users = {role: make_user(role, [estate], username=f"d{role}") for role in ("supervisor", "frontdesk")}
    demo.load(estate, users)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PatrolProblem)
                             .where(PatrolProblem.rectification_id.is_not(None))) == 0
