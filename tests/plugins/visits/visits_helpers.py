"""Helpers for the visits tests: designated visitors, fake source cases, fake source plugins.

The repairs and complaints plugins are simulated by throw-away plugins (``temp_plugin``) that
declare the contract's hook specs and record what ``visits_recorded`` tells them.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

_ids = itertools.count(101)

FAKE_SOURCE = '''
from core import hookimpl

RECORDED = []


@hookimpl(optionalhook=True)
def visits_recorded(visit):
    if visit.source_type not in {kinds!r}:
        return
    if visit.remarks == "boom":
        from core.errors import DomainError

        raise DomainError("The case cannot be reopened now.", "remarks")
    RECORDED.append(dict(id=visit.id, source_type=visit.source_type, source_id=visit.source_id,
                         source_number=visit.source_number, satisfied=visit.satisfied,
                         remarks=visit.remarks, visited_by_id=visit.visited_by_id))
'''

REPAIRS_SPECS = '''
from core import hookspec


@hookspec
def repairs_completed(repair):
    """A repair was completed."""


@hookspec
def repairs_reopened(repair, reason):
    """A repair was reopened."""
'''

COMPLAINTS_SPECS = '''
from core import hookspec


@hookspec
def complaints_closed(complaint):
    """A complaint was handled and closed."""
'''


def fake_plugins(temp_plugin) -> dict:
    """Two fake source plugins: ``fakerepairs`` and ``fakecomplaints`` (package names per test)."""
    rep = temp_plugin("fakerepairs", None, FAKE_SOURCE.format(kinds=("repair",)),
                      files={"hookspecs.py": REPAIRS_SPECS})
    com = temp_plugin("fakecomplaints", None, FAKE_SOURCE.format(kinds=("complaint",)),
                      files={"hookspecs.py": COMPLAINTS_SPECS})
    return dict([rep, com])


def recorded(app, code="fakerepairs") -> list:
    return app.extensions["propdesk_plugins"].infos[code].module.RECORDED


def unit_of(estate, number="1-1-101"):
    from core.extensions import db
    from core.models import Unit

    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def designate(estate, user, active=True):
    from core.extensions import db
    from plugins.visits.models import Visitor

    row = Visitor(estate_id=estate.id, user_id=user.id, active=active)
    db.session.add(row)
    db.session.commit()
    return row


def case(estate, unit=None, *, when_field="completed_at", hours_ago=1, **kw):
    """A repair or complaint as the contract describes it."""
    from core.models import utcnow

    n = next(_ids)
    data = dict(id=n, number=f"BX-{estate.code}-2026-{n:06d}", estate_id=estate.id,
                unit_id=unit.id if unit else None, contact_name="王芳", contact_phone="13800138000",
                category="water", state="completed")
    data[when_field] = utcnow() - timedelta(hours=hours_ago)
    data.update(kw)
    return SimpleNamespace(**data)


def visits_count(**where) -> int:
    from core.extensions import db
    from plugins.visits.models import ReturnVisit

    stmt = select(func.count()).select_from(ReturnVisit)
    for k, v in where.items():
        stmt = stmt.where(getattr(ReturnVisit, k) == v)
    return db.session.scalar(stmt)


def all_visits():
    from core.extensions import db
    from plugins.visits.models import ReturnVisit

    db.session.expire_all()
    return db.session.scalars(select(ReturnVisit).order_by(ReturnVisit.id)).all()


def plan(estate, unit=None, kind="routine", due_in_hours=48, assigned=None, **kw):
    """A planned visit written straight to the database (for page and figure tests)."""
    from core.extensions import db
    from core.models import utcnow
    from core.numbering import next_number
    from plugins.visits.models import ReturnVisit

    fields = dict(estate_id=estate.id, number=next_number("HF", estate.id), unit_id=unit.id if unit else None,
                  source_type=kind, source_id=None, source_number="", contact_name="李强",
                  contact_phone="13912345678", due_at=utcnow() + timedelta(hours=due_in_hours),
                  assigned_to_id=assigned.id if assigned else None, state="planned")
    fields.update(kw)
    visit = ReturnVisit(**fields)
    db.session.add(visit)
    db.session.commit()
    return visit


def record_data(**kw):
    from core.i18n import to_local
    from core.models import utcnow

    now = to_local(utcnow(), "Asia/Shanghai") - timedelta(minutes=10)
    data = {"method": "phone", "satisfied": "yes", "remarks": "", "visited_at": now.strftime("%Y-%m-%dT%H:%M")}
    data.update(kw)
    return data


@pytest.fixture
def fresh_catalogs():
    """Flask-Babel caches the merged catalogs per process and locale only, so an app of an earlier
    test with another set of plugins would lend us its catalogs: start and end with an empty cache."""
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()
