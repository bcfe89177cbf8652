"""Shared set-up for the movein tests: a site with movein and the partners a test asks for,
E01's people (a designated key keeper among them) and E02's, and a case opened by the service."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.models import Unit
from core.testing import TEST_PASSWORD

PARTNERS = ("keys", "repairs", "fees")


def _site(make_app, codes):
    app = make_app(plugins=["movein", *codes])
    ctx = app.app_context()
    ctx.push()
    from core.demo import ensure_roles
    from core.extensions import db
    from core.site import enable, refresh

    ensure_roles()
    db.session.commit()
    for code in ("movein", *codes):
        enable(code)
    db.session.commit()
    refresh(force=True)
    return app, ctx


@pytest.fixture
def partners():
    """The partner plugins loaded and enabled with movein (override in a module)."""
    return ()


@pytest.fixture
def app(make_app, partners):
    app, ctx = _site(make_app, partners)
    yield app
    ctx.pop()


def unit_of(db, estate, number="1-1-101") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


@pytest.fixture
def staff(make_user, estates):
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        desk=make_user("frontdesk", [e1], username="desk1", full_name="吴敏"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        cashier=make_user("cashier", [e1], username="cash1"),
        clerk_e2=make_user("clerk", [e2], username="clerk3", full_name="赵敏"),
    )


@pytest.fixture
def open_case(db, staff):
    """``open_case(unit="1-1-101", kind="in", user=None, **kw)``: a case opened and committed."""
    from plugins.movein import services

    def make(unit="1-1-101", kind="in", user=None, estate=None, **kw):
        user = user or staff.clerk
        estate = estate or staff.e1
        args = dict(owner_name="陈业主", owner_phone="13812345678", owner_id_number="110101199001011234")
        args.update(kw)
        with acting_as(user):
            case = services.open_case(user, estate_id=estate.id, unit_number=unit, kind=kind, **args)
            db.session.commit()
        return case

    return make


def item(case, code):
    return next(i for i in case.items if i.code == code)
