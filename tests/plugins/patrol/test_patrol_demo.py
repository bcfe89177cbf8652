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
