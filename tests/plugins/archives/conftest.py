"""Shared set-up for the archives tests: an estate's staff (archivist, office managers, clerks),
another estate's, files made through the services, and helpers for the request flow."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.models import Unit, utcnow
from core.testing import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("archives")
        db.session.commit()
        refresh(force=True)
        yield app


def unit_of(db, estate, number="1-1-101") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def local(dt) -> str:
    """An aware instant as the form's local ``datetime-local`` text."""
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


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
        archivist=make_user("archivist", [e1], username="arch1", full_name="周档案"),
        archivist2=make_user("archivist", [e1], username="arch2", full_name="吴档案"),
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        manager2=make_user("manager", [e1], username="mgr2", full_name="李经理"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        cashier=make_user("cashier", [e1], username="cash1"),
        archivist_e2=make_user("archivist", [e2], username="arch3", full_name="赵档案"),
        manager_e2=make_user("manager", [e2], username="mgr3"),
    )


@pytest.fixture
def make_file(db, staff):
    """``make_file(number, kind=..., estate=..., level=...)``: a file opened by the archivist."""
    from plugins.archives import services

    def make(number="DA-001", kind="contract", estate=None, **kw):
        estate = estate or staff.e1
        user = staff.archivist if estate.id == staff.e1.id else staff.archivist_e2
        args = dict(title=f"档案 {number}", cabinet="A", shelf="1", box="A-01")
        if kind == "owner":
            args["unit_number"] = "1-1-101"
        args.update(kw)
        with acting_as(user):
            row = services.add_file(user, estate_id=estate.id, kind=kind, number=number, **args)
            db.session.commit()
        return row

    return make


@pytest.fixture
def approved(db, staff):
    """``approved(file, requester=clerk, approver=manager)``: a request, approved (committed)."""
    from plugins.archives import services

    def make(row, requester=None, approver=None, kind="borrow", hours=24):
        requester = requester or staff.clerk
        approver = approver or staff.manager
        with acting_as(requester):
            loan = services.request_file(requester, row, kind=kind, purpose="核对资料",
                                         due_at=utcnow() + timedelta(hours=hours))
            db.session.commit()
        if loan.state == "pending":
            with acting_as(approver):
                services.decide(approver, loan, approve=True, note="同意")
                db.session.commit()
        return loan

    return make
