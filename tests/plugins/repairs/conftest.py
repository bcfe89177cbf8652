"""Shared set-up for the repairs tests: the office's staff and a quick way to record a repair."""

from __future__ import annotations

import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.audit import acting_as
from core.models import Unit
from core.testing import TEST_PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(data: bytes = PNG, name: str = "leak.png") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def unit_of(db, estate, number="1-1-101") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def new_repair(db, user, estate, number="1-1-101", commit=True, **kw):
    from plugins.repairs import services

    unit = unit_of(db, estate, number) if number else None
    data = dict(estate_id=estate.id, unit_id=unit.id if unit else None, contact_name="王芳",
                contact_phone="13800001234", category="water", description="厨房水龙头漏水", channel="phone")
    data.update(kw)
    repair = services.record(user, **data)
    if commit:
        db.session.commit()
    return repair


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


@pytest.fixture
def staff(make_user, estates):
    """E01's customer service and maintenance people, and E02's."""
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        clerk=make_user("clerk", [e1], username="clerk1", full_name="周静"),
        frontdesk=make_user("frontdesk", [e1], username="front1"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1"),
        cashier=make_user("cashier", [e1], username="cash1"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        tech2=make_user("technician", [e1], username="tech2", full_name="刘师傅"),
        tech_e2=make_user("technician", [e2], username="tech3", full_name="赵师傅"),
        sup_e2=make_user("supervisor", [e2], username="sup2"),
        clerk_e2=make_user("clerk", [e2], username="clerk2"),
    )


@pytest.fixture
def repair_in(db, staff):
    """``repair_in(state)``: a repair of E01 brought to ``state`` through the services."""
    from plugins.repairs import services

    def make(state="recorded", tech=None, **kw):
        tech = tech or staff.tech
        with acting_as(staff.clerk):
            r = new_repair(db, staff.clerk, staff.e1, **kw)
        if state in ("dispatched", "in_progress", "completed", "closed"):
            with acting_as(staff.sup):
                services.dispatch(staff.sup, r, tech.id, "带上备用阀芯")
                db.session.commit()
        with acting_as(tech):
            if state in ("in_progress", "completed", "closed"):
                services.accept(tech, r)
            if state in ("completed", "closed"):
                services.complete(tech, r, work_done="更换阀芯", materials="阀芯 1 个", minutes_spent=30,
                                  fee=Decimal("50.00") if kw.get("paid") else None)
            db.session.commit()
        with acting_as(staff.sup):
            if state == "closed":
                services.close(staff.sup, r, note="公共区域，无需回访")
            if state == "cancelled":
                services.cancel(staff.sup, r, "业主自行修好")
            db.session.commit()
        return r

    return make
