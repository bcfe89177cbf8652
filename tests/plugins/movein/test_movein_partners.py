"""movein with its partners enabled: keys (the handover ticks the item and links the receipt),
repairs (a defect becomes a repair order, whose completion the form shows), fees (the fees item
is refused while the unit owes money)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.plugins import is_enabled
from core.testing import refused
from plugins.movein import services
from plugins.movein.models import MoveinCase
from tests.plugins.movein.conftest import item, unit_of


@pytest.fixture
def partners():
    return ("keys", "repairs", "fees")


@pytest.fixture
def keeper(db, staff):
    from plugins.keys import services as keys

    with acting_as(staff.sup):
        keys.designate_keeper(staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id)
        for tag, kind in (("H-101-FD", "security_door"), ("H-101-XX", "mailbox")):
            keys.add_key(staff.sup, estate_id=staff.e1.id, kind=kind, tag=tag, unit_number="1-1-101", copies=2)
        db.session.commit()
    return staff.clerk


def test_partners_are_on(app):
    assert all(is_enabled(c) for c in ("movein", "keys", "repairs", "fees"))


def test_keys_handed_over_through_the_keys_plugin(db, staff, open_case, keeper):
    from plugins.keys.models import Key, KeyHandover

    case = open_case()
    with acting_as(keeper):
        refused("Hand the keys over with the keys register", services.tick, keeper, case, item(case, "keys"), "x")
        handover = services.hand_over_keys(keeper, db.session.get(MoveinCase, case.id))
        db.session.commit()
    case = db.session.get(MoveinCase, case.id)
    row = db.session.get(KeyHandover, handover.id)
    assert row.source == "movein" and row.source_ref == case.number and row.owner_name == "陈业主"
    assert case.key_handover_id == row.id and case.key_handover_number == row.number
    keys_item = item(case, "keys")
    assert keys_item.done_at is not None and keys_item.note == row.number and keys_item.done_by_id == keeper.id
    assert {k.state for k in db.session.scalars(select(Key))} == {"handed_over"}


def test_a_unit_whose_keys_are_not_in_the_register(db, staff, open_case, keeper):
    case = open_case(unit="1-1-102")  # no owner key of 1-1-102 on the board
    with acting_as(keeper):
        refused("No owner key of unit 1-1-102 is on the board", services.hand_over_keys, keeper, case)
    case = db.session.get(MoveinCase, case.id)
    assert item(case, "keys").done_at is None and case.key_handover_id is None
    # Then the keys are ticked by hand, saying which.
    with acting_as(keeper):
        refused("Say which keys were handed over", services.tick, keeper, case, item(case, "keys"), "")
        services.tick(keeper, case, item(case, "keys"), "开发商直接交付：防盗门钥匙3把")
        db.session.commit()
    case = db.session.get(MoveinCase, case.id)
    assert item(case, "keys").done_at is not None and case.keys_note == "开发商直接交付：防盗门钥匙3把"


def test_only_a_keeper_hands_keys_over(db, staff, open_case, keeper):
    case = open_case(user=staff.desk)
    with acting_as(staff.desk):
        refused("Only a designated key keeper", services.hand_over_keys, staff.desk, case)


def test_a_defect_becomes_a_repair_whose_state_the_form_shows(db, staff, open_case):
    from plugins.repairs import services as repairs
    from plugins.repairs.models import Repair

    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="bathroom", element="plumbing", ok=False,
                                   defect="地漏返水")
        db.session.commit()
    repair = db.session.get(Repair, check.repair_id)
    assert repair.number == check.repair_number and repair.state == "recorded" == check.repair_state
    assert repair.unit_id == case.unit_id and repair.category == "water" and repair.contact_name == "陈业主"
    assert repair.channel == "handover"
    assert "地漏返水" in repair.description and case.number in repair.description
    assert check.is_open_defect
    with acting_as(staff.sup):
        repairs.dispatch(staff.sup, repair, staff.tech.id)
        db.session.commit()
    with acting_as(staff.tech):
        repairs.accept(staff.tech, repair)
        repairs.complete(staff.tech, repair, work_done="疏通地漏", minutes_spent=30)
        db.session.commit()
    db.session.refresh(check)
    assert check.repair_state == "completed" and not check.is_open_defect


def test_fees_not_settled_while_the_unit_owes(db, staff, open_case):
    from plugins.fees import billing
    from plugins.fees.models import FeeItem

    case = open_case()
    fee = FeeItem(estate_id=staff.e1.id, code="WY", name="物业费", kind="oneoff", due_days=10)
    db.session.add(fee)
    db.session.flush()
    billing.add_bill(staff.e1, unit_of(db, staff.e1), fee, Decimal("300.00"), "物业费", on=date(2026, 11, 1))
    db.session.commit()
    with acting_as(staff.clerk):
        err = refused("still owes 300.00", services.tick, staff.clerk, case, item(case, "fees"))
    assert err.field == "item_id"
    assert item(db.session.get(MoveinCase, case.id), "fees").done_at is None
    # Another unit owing nothing: settled.
    other = open_case(unit="1-1-102")
    with acting_as(staff.clerk):
        services.tick(staff.clerk, other, item(other, "fees"))
        db.session.commit()
    assert item(db.session.get(MoveinCase, other.id), "fees").done_at is not None
