"""Quantities and money of the store room are exact on both databases (``Scaled``: whole
thousandths and cents on SQLite, NUMERIC on PostgreSQL), so on hand and value equal the sums of
the movements to the thousandth and the cent after any run of receipts and issues at odd costs,
SQL sums included; the migration that brought SQLite there converts existing rows and keeps the
rule "stock never negative"."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from core.audit import acting_as
from core.models import User
from plugins.inventory import services
from plugins.inventory.models import Item, Movement, Scaled, StoreRoom
from tests.plugins.inventory.conftest import D

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3)
costs = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
#: A step: receive (quantity, unit cost), or issue a share (in per mille) of what is on hand.
receipts = st.tuples(st.just("receive"), quantities, costs)
steps = st.builds(lambda first, rest: [first, *rest], receipts,
                  st.lists(st.one_of(receipts, st.tuples(st.just("issue"), st.integers(min_value=1, max_value=1000))),
                           max_size=12))
_codes = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_on_hand_and_value_are_the_sums_of_the_movements_to_the_thousandth_and_the_cent(db, staff, store, steps):
    room = db.session.scalar(select(StoreRoom).where(StoreRoom.code == "EXACT")) or store("EXACT")
    k = staff.keeper
    with acting_as(staff.sup):
        it = services.add_item(staff.sup, room, code=f"X-{next(_codes)}", name="电缆", unit="米")
        db.session.commit()
    on_hand, value = D(0), D("0.00")
    for step in steps:
        with acting_as(k):
            if step[0] == "receive":
                _, qty, cost = step
                m = services.receive(k, it, quantity=qty, unit_cost=cost, supplier="华信五金")
                assert m.value == (qty * cost).quantize(D("0.01"), rounding="ROUND_HALF_UP")
            else:
                qty = (on_hand * step[1] / 1000).quantize(D("0.001"), rounding="ROUND_DOWN")
                if qty <= 0:
                    continue
                m = services.issue(k, it, quantity=qty, department_id=staff.maint.id, received_by="张伟")
            db.session.commit()
        on_hand += m.quantity
        value += m.value
        assert m.on_hand_after == on_hand
    db.session.expire_all()
    item = db.session.get(Item, it.id)
    sums = db.session.execute(select(func.sum(Movement.quantity), func.sum(Movement.value))
                              .where(Movement.item_id == it.id)).one()
    # Exact: no quantize, no float; and at the columns' scale.
    assert (item.on_hand, item.stock_value) == (on_hand, value) == tuple(sums)
    assert item.on_hand.as_tuple().exponent == -3 and item.stock_value.as_tuple().exponent == -2
    assert item.stock_value >= 0 and (item.on_hand > 0 or item.stock_value == 0)
    row = next(r for r in services.stock_on_hand(room.id) if r.id == it.id)
    assert (row.on_hand, row.stock_value) == (on_hand, value)
    # What the database holds: whole thousandths and cents on SQLite, NUMERIC on PostgreSQL.
    raw = db.session.execute(text("SELECT on_hand, stock_value FROM inventory_item WHERE id = :i"),
                             {"i": it.id}).one()
    if db.engine.dialect.name == "sqlite":
        assert tuple(raw) == (int(on_hand * 1000), int(value * 100)) and all(type(v) is int for v in raw)
    else:
        assert tuple(raw) == (on_hand, value)
    db.session.rollback()


def test_a_scaled_column_refuses_floats_and_extra_places_rather_than_rounding(db, staff, store):
    room = store()
    with acting_as(staff.sup):
        it = services.add_item(staff.sup, room, code="WJ-9", name="螺栓", unit="个")
        db.session.commit()
    for bad in (1.5, D("0.0001")):
        with pytest.raises(StatementError):
            db.session.execute(Item.__table__.update().where(Item.id == it.id).values(min_stock=bad))
        db.session.rollback()
    t = Scaled(3)
    assert t.process_bind_param(D("2.5"), None) == 2500 and t.process_bind_param(7, None) == 7000
    assert t.result_processor(None, None)(2500) == D("2.500") and t.result_processor(None, None)(None) is None
    assert str(Scaled(2, not_null=True).result_processor(None, None)(-17097)) == "-170.97"
    # In SQL a plain number is compared in the column's unit; a multiplier is not scaled.
    db.session.execute(Item.__table__.update().where(Item.id == it.id).values(min_stock=D("2.5")))
    assert db.session.scalar(select(func.count()).where(Item.id == it.id, Item.min_stock > 2)) == 1
    assert db.session.scalar(select(func.count()).where(Item.id == it.id, Item.min_stock > 3)) == 0
    doubled = db.session.scalar(select(Item.min_stock * 2).where(Item.id == it.id))
    assert doubled == (5000 if db.engine.dialect.name == "sqlite" else D("5.000"))  # SQLite: thousandths
    db.session.rollback()


def test_the_database_still_refuses_a_negative_stock(db, staff, store, item):
    tap = item(store(), on_hand=2)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE inventory_item SET on_hand = on_hand - 3000 WHERE id = :i"), {"i": tap.id})
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Item, tap.id).on_hand == D("2.000")


def test_the_migration_converts_numeric_rows_to_whole_thousandths_and_cents(app, db, staff, store, item):
    """Back to inventory_0001 (NUMERIC columns: floats on SQLite), rows written as the old code
    wrote them, then forward again: exact values, constraints kept, a later issue exact. (On
    PostgreSQL the revision changes nothing, and the same holds.)"""
    from flask_migrate import downgrade

    from core.site import MIGRATIONS_DIR, upgrade_branch

    tap = item(store(), on_hand=3, cost="0.10")
    with acting_as(staff.keeper):
        services.receive(staff.keeper, tap, quantity=D("0.2"), unit_cost=D("0.10"), supplier="华信五金")
        db.session.commit()
    tap_id, keeper_id, maint_id = tap.id, staff.keeper.id, staff.maint.id
    db.session.remove()
    try:
        downgrade(directory=str(MIGRATIONS_DIR), revision="inventory_0001")
        old = db.session.execute(text("SELECT on_hand, stock_value FROM inventory_item WHERE id = :i"),
                                 {"i": tap_id}).one()
        assert [float(v) for v in old] == pytest.approx([3.2, 0.32])  # back in units, not thousandths
        # What NUMERIC held under the old code: 0.1 + 0.2 as a float on SQLite.
        db.session.execute(text("UPDATE inventory_item SET min_stock = :m, last_cost = :c WHERE id = :i"),
                           {"m": 0.1 + 0.2, "c": 12.345 if db.engine.dialect.name == "sqlite" else D("12.35"),
                            "i": tap_id})
        db.session.commit()
        db.session.remove()
        upgrade_branch("inventory")
        tap = db.session.get(Item, tap_id)
        assert (tap.on_hand, tap.stock_value, tap.min_stock) == (D("3.200"), D("0.32"), D("0.300"))
        assert tap.last_cost in (D("12.35"), D("12.34"))  # a float's half-cent, rounded by the database
        assert [m.quantity for m in db.session.scalars(select(Movement).where(Movement.item_id == tap_id)
                                                         .order_by(Movement.id))] == [D("3.000"), D("0.200")]
        keeper = db.session.get(User, keeper_id)
        with acting_as(keeper):
            m = services.issue(keeper, tap, quantity=D("3.1"), department_id=maint_id, received_by="张伟")
            db.session.commit()
        assert (m.value, db.session.get(Item, tap_id).stock_value) == (D("-0.31"), D("0.01"))
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE inventory_item SET on_hand = -1 WHERE id = :i"), {"i": tap_id})
            db.session.flush()
        db.session.rollback()
    finally:
        db.session.remove()
        upgrade_branch("inventory")


def test_the_low_stock_widget_still_lists_the_emptiest_items_first(db, staff, store, item):
    """Its order is on hand / (minimum + 1), computed in SQL on whole thousandths: a true ratio
    (an integer division would make every low item 0 and fall back to the code)."""
    from plugins.inventory import dashboard_widgets

    room = store()
    item(room, code="A1", on_hand=4, min_stock=5)  # 4 / 6
    item(room, code="M1", on_hand="0.5", min_stock=1)  # 0.5 / 2
    item(room, code="Z1", on_hand=1, min_stock=10)  # 1 / 11
    item(room, code="B1", on_hand=8, min_stock=5)  # not low
    (widget,) = dashboard_widgets(user=staff.sup, estates=[staff.e1.id])
    assert widget.context["low"] == 3
    assert [i.code for i in widget.context["rows"]] == ["Z1", "M1", "A1"]
