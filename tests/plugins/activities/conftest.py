"""Shared set-up for the activities tests: an estate's staff (a clerk plans, a supervisor and a
manager approve), another estate's, residents, and an approved activity to sign up for."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.models import Resident, utcnow
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
        enable("activities")
        db.session.commit()
        refresh(force=True)
        yield app


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def local(dt) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def residents_of(db, estate) -> list[Resident]:
    return db.session.scalars(select(Resident).where(Resident.estate_id == estate.id).order_by(Resident.id)).all()


@pytest.fixture
def staff(make_user, estates):
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        desk=make_user("frontdesk", [e1], username="desk1", full_name="吴敏"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        archivist=make_user("archivist", [e1], username="arch1", full_name="档案员"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        cashier=make_user("cashier", [e1], username="cash1"),
        clerk_e2=make_user("clerk", [e2], username="clerk2", full_name="赵敏"),
        sup_e2=make_user("supervisor", [e2], username="sup2"),
    )


def plan_args(staff, **kw) -> dict:
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    args = dict(estate_id=staff.e1.id, theme="中秋灯谜晚会", place="中心广场", starts_at=start,
                ends_at=start + timedelta(hours=3), budget=Decimal("1000.00"), expected_participants=20,
                capacity=3, organiser_ids=[staff.clerk.id], description="猜灯谜、品月饼")
    args.update(kw)
    return args


@pytest.fixture
def make_activity(db, staff):
    """``make_activity(state="approved", **plan)``: a plan taken to that state through the services."""
    from plugins.activities import services

    def make(state="approved", **kw):
        planner = staff.clerk if kw.get("estate_id", staff.e1.id) == staff.e1.id else staff.clerk_e2
        approver = staff.sup if planner is staff.clerk else staff.sup_e2
        with acting_as(planner):
            a = services.plan(planner, **plan_args(staff, **({"organiser_ids": [planner.id]} | kw)))
            if state != "draft":
                services.submit(planner, a)
        if state in ("approved", "refused"):
            with acting_as(approver):
                services.decide(approver, a, approve=state == "approved", note="" if state == "approved" else "预算过高")
        db.session.commit()
        return a

    return make
