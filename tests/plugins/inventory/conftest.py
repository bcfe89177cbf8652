"""Shared set-up for the inventory tests: an estate's staff, departments, store rooms and items."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.testing import TEST_PASSWORD


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("inventory")
        db.session.commit()
        refresh(force=True)
        yield app


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def D(value) -> Decimal:  # noqa: N802
    return Decimal(str(value))


@pytest.fixture
def staff(db, make_user, estates):
    """E01's people (a clerk keeps the store, the supervisor manages it) and E02's, and the
    office's departments."""
    from core.models import Department

    e1, e2 = estates
    depts = {}
    for code, name in (("maint", "维修部"), ("cleaning", "保洁部")):
        d = db.session.scalar(select(Department).where(Department.code == code))
        if d is None:
            d = Department(code=code, name=name)
            db.session.add(d)
        depts[code] = d
    db.session.commit()
    return SimpleNamespace(
        e1=e1, e2=e2, maint=depts["maint"], cleaning=depts["cleaning"],
        keeper=make_user("clerk", [e1], username="keeper1", full_name="周静"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        frontdesk=make_user("frontdesk", [e1], username="front1"),
        keeper_e2=make_user("clerk", [e2], username="keeper3"),
        sup_e2=make_user("supervisor", [e2], username="sup3"),
    )


@pytest.fixture
def store(db, staff):
    """``store(code="KF-1", estate=None)``: a store room added by the estate's supervisor."""
    from plugins.inventory import services

    def make(code="KF-1", estate=None, name=None):
        estate = estate or staff.e1
        sup = staff.sup if estate.id == staff.e1.id else staff.sup_e2
        with acting_as(sup):
            room = services.add_store(sup, estate_id=estate.id, code=code, name=name or f"库房{code}")
            db.session.commit()
        return room

    return make


@pytest.fixture
def item(db, staff):
    """``item(store, code="WJ-001", on_hand=0, cost="10.00", min_stock=0)``: an item, received once."""
    from plugins.inventory import services

    def make(room, code="WJ-001", on_hand=0, cost="10.00", min_stock=0, name="水龙头", unit="个"):
        sup = staff.sup if room.estate_id == staff.e1.id else staff.sup_e2
        with acting_as(sup):
            it = services.add_item(sup, room, code=code, name=name, unit=unit, min_stock=D(min_stock))
            db.session.flush()
            if on_hand:
                services.receive(sup, it, quantity=D(on_hand), unit_cost=D(cost), supplier="华信五金")
            db.session.commit()
        return it

    return make


def work_order(db, estate, sup, tech) -> tuple[str, int]:
    """A repair dispatched to ``tech`` through the repairs services: (order number, repair id)."""
    from plugins.repairs import services as repairs

    with acting_as(sup):
        repair = repairs.record(sup, estate_id=estate.id, unit_id=None, address="地下一层水泵房",
                                contact_name="陈主管", contact_phone="13800000001", category="water",
                                description="水泵漏水", channel="patrol", area="common")
        order = repairs.dispatch(sup, repair, tech.id, "更换阀门")
        db.session.commit()
    return order.number, repair.id


def ledger_matches(db) -> bool:
    """On hand = the sum of the item's movements, and value = the sum of their values, for every
    item — exactly: both are whole thousandths and cents in the database (``Scaled``)."""
    from sqlalchemy import func

    from plugins.inventory.models import Item, Movement

    sums = dict(db.session.execute(select(Movement.item_id, func.sum(Movement.quantity)).group_by(Movement.item_id)).all())
    values = dict(db.session.execute(select(Movement.item_id, func.sum(Movement.value)).group_by(Movement.item_id)).all())
    for it in db.session.scalars(select(Item)):
        if sums.get(it.id, Decimal(0)) != it.on_hand or values.get(it.id, Decimal(0)) != it.stock_value:
            return False
    return True
