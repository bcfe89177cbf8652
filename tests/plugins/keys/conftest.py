"""Shared set-up for the keys tests: an estate's staff, keepers, keys and a loan form."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.forms import new_once_key
from core.models import Building, Unit, utcnow
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
        enable("keys")
        db.session.commit()
        refresh(force=True)
        yield app


def unit_of(db, estate, number="1-1-101") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def building_of(db, estate, code="1") -> Building:
    return db.session.scalar(select(Building).where(Building.estate_id == estate.id, Building.code == code))


def local(dt) -> str:
    """An aware instant as the form's local ``datetime-local`` text."""
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def loan_data(estate, tag, **kw) -> dict:
    data = {"once_key": new_once_key(), "estate_id": str(estate.id), "tag": tag, "borrower_kind": "contractor",
            "borrower_name": "李师傅", "borrower_phone": "13900001111", "borrower_id_number": "",
            "reason_kind": "inspection", "work_order_number": "", "reason": "水泵房检修",
            "expected_return": local(utcnow() + timedelta(hours=3))}
    data.update(kw)
    return data


@pytest.fixture
def staff(make_user, estates):
    """E01's people (a designated keeper among them) and E02's."""
    from core.extensions import db
    from plugins.keys import services

    e1, e2 = estates
    s = SimpleNamespace(
        e1=e1, e2=e2,
        keeper=make_user("clerk", [e1], username="keeper1", full_name="周静"),
        keeper2=make_user("frontdesk", [e1], username="keeper2", full_name="吴敏"),
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        sup2=make_user("supervisor", [e1], username="sup2", full_name="黄主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        cashier=make_user("cashier", [e1], username="cash1"),
        keeper_e2=make_user("clerk", [e2], username="keeper3", full_name="赵敏"),
        sup_e2=make_user("supervisor", [e2], username="sup3"),
    )
    with acting_as(s.sup):
        services.designate_keeper(s.sup, estate_id=e1.id, user_id=s.keeper.id)
        services.designate_keeper(s.sup, estate_id=e1.id, user_id=s.keeper2.id)
    with acting_as(s.sup_e2):
        services.designate_keeper(s.sup_e2, estate_id=e2.id, user_id=s.keeper_e2.id)
    db.session.commit()
    return s


@pytest.fixture
def make_key(db, staff):
    """``make_key(tag, kind=..., estate=...)``: a key added through the service by a supervisor."""
    from plugins.keys import services

    def make(tag="E-001", kind="equipment_room", estate=None, **kw):
        estate = estate or staff.e1
        sup = staff.sup if estate.id == staff.e1.id else staff.sup_e2
        args = dict(location="水泵房", position="A-01")
        if kind in ("security_door", "inner_door", "intercom", "water_meter_box", "mailbox"):
            args = dict(unit_number="1-1-101", position="B-03")
        elif kind in ("public_door", "public_window"):
            args = dict(building_id=building_of(db, estate).id, floor=1, position="C-02")
        args.update(kw)
        with acting_as(sup):
            key = services.add_key(sup, estate_id=estate.id, kind=kind, tag=tag, **args)
            db.session.commit()
        return key

    return make


@pytest.fixture
def lend_key(db, staff):
    """``lend_key(key, **changes)``: the keeper lends it (committed)."""
    from plugins.keys import services

    def lend(key, user=None, **kw):
        user = user or staff.keeper
        args = dict(borrower_kind="contractor", borrower_name="李师傅", borrower_phone="13900001111",
                    reason_kind="inspection", reason="水泵房检修", work_order_number="",
                    expected_return=utcnow() + timedelta(hours=3))
        args.update(kw)
        with acting_as(user):
            loan = services.lend(user, key, **args)
            db.session.commit()
        return loan

    return lend
