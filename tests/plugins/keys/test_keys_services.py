"""The keys services: what is saved, and every refusal (translated, nothing saved)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import acting_as
from core.models import utcnow
from core.testing import refused
from plugins.keys import services
from plugins.keys.models import Key, KeyApproval, KeyEvent, KeyKeeper, KeyLoan
from tests.plugins.keys.conftest import building_of, unit_of


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- the register ------------------------------------------------------------------------
def test_keys_of_each_kind_are_placed_where_they_belong(db, staff, make_key):
    owner = make_key("H-101-1", kind="security_door", copies=2)
    door = make_key("P-1-1", kind="public_door")
    room = make_key("E-001", kind="equipment_room", emergency_spare=True)
    assert (owner.unit_id, owner.building_id, owner.copies) == (unit_of(db, staff.e1).id,
                                                                unit_of(db, staff.e1).building_id, 2)
    assert (door.building_id, door.floor, door.unit_id) == (building_of(db, staff.e1).id, 1, None)
    assert (room.location, room.position, room.emergency_spare, room.state) == ("水泵房", "A-01", True, "in_service")


def test_register_refusals_save_nothing(db, staff, make_key):
    make_key("E-001")
    sup, e1 = staff.sup, staff.e1

    def add(**kw):
        args = dict(estate_id=e1.id, kind="equipment_room", tag="E-002", location="配电房")
        args.update(kw)
        with acting_as(sup):
            return services.add_key(sup, **args)

    assert refused("Tag E-001 is already used", add, tag="E-001").field == "tag"
    assert refused("Enter the tag number", add, tag="  ").field == "tag"
    assert refused("There is no unit 2-1-201", add, kind="mailbox", unit_number="2-1-201").field == "unit_number"
    assert refused("belongs to a unit", add, kind="mailbox").field == "unit_number"
    # A unit of another estate is not one of this estate's units.
    e2_building = building_of(db, staff.e2, "2")
    assert refused("Choose a building of this estate", add, kind="public_window",
                   building_id=e2_building.id, floor=2).field == "building_id"
    assert refused("Enter the floor", add, kind="public_window",
                   building_id=building_of(db, e1).id).field == "floor"
    assert refused("Name the room", add, location="").field == "location"
    assert refused("between 1 and 99 copies", add, copies=0).field == "copies"
    assert refused("Choose one of your estates", add, estate_id=staff.e2.id).field == "estate_id"
    with acting_as(staff.keeper):
        refused("Your role may not do this", services.add_key, staff.keeper, estate_id=e1.id,
                kind="equipment_room", tag="E-009", location="x")
    assert count(db, Key) == 1


def test_the_same_tag_may_be_used_in_another_estate(db, staff, make_key):
    make_key("E-001")
    other = make_key("E-001", estate=staff.e2)
    assert other.estate_id == staff.e2.id


def test_find_key_refuses_an_unknown_tag(db, staff, make_key):
    make_key("E-001")
    assert services.find_key(staff.keeper, staff.e1.id, " E-001 ").tag == "E-001"
    assert refused("No key has the tag E-404", services.find_key, staff.keeper, staff.e1.id, "E-404").field == "tag"
    # The tag of another estate's key is unknown here; and another estate cannot be chosen.
    make_key("F-001", estate=staff.e2)
    refused("No key has the tag F-001", services.find_key, staff.keeper, staff.e1.id, "F-001")
    refused("Choose one of your estates", services.find_key, staff.keeper, staff.e2.id, "F-001")


def test_editing_a_key_keeps_tags_unique(db, staff, make_key):
    make_key("E-001")
    key = make_key("E-002", location="配电房")
    with acting_as(staff.sup):
        refused("Tag E-001 is already used", services.edit_key, staff.sup, key, kind="equipment_room",
                tag="E-001", location="配电房")
        key = db.session.get(Key, key.id)
        services.edit_key(staff.sup, key, kind="equipment_room", tag="E-002", location="配电房二", position="A-09")
        db.session.commit()
    key = db.session.get(Key, key.id)
    assert (key.tag, key.location, key.position) == ("E-002", "配电房二", "A-09")


# -- keepers -----------------------------------------------------------------------------
def test_only_the_supervisor_designates_keepers_who_may_lend(db, staff):
    e1 = staff.e1
    with acting_as(staff.keeper):
        refused("Your role may not do this", services.designate_keeper, staff.keeper, estate_id=e1.id,
                user_id=staff.clerk.id)
    with acting_as(staff.sup):
        refused("may not lend keys", services.designate_keeper, staff.sup, estate_id=e1.id, user_id=staff.tech.id)
        refused("Choose a member of staff of this estate", services.designate_keeper, staff.sup, estate_id=e1.id,
                user_id=staff.keeper_e2.id)
        refused("already a key keeper", services.designate_keeper, staff.sup, estate_id=e1.id,
                user_id=staff.keeper.id)
        refused("Choose one of your estates", services.designate_keeper, staff.sup, estate_id=staff.e2.id,
                user_id=staff.keeper_e2.id)
        row = services.designate_keeper(staff.sup, estate_id=e1.id, user_id=staff.clerk.id, note="夜班")
        db.session.commit()
    assert services.is_keeper(staff.clerk, e1.id) and row.note == "夜班"
    with acting_as(staff.sup):
        services.withdraw_keeper(staff.sup, db.session.get(KeyKeeper, row.id))
        db.session.commit()
        refused("already ended", services.withdraw_keeper, staff.sup, db.session.get(KeyKeeper, row.id))
    assert not services.is_keeper(staff.clerk, e1.id)


# -- lending -----------------------------------------------------------------------------
def test_a_keeper_lends_and_takes_back(db, staff, make_key, lend_key, clock):
    key = make_key("E-001")
    loan = lend_key(key)
    loan = db.session.get(KeyLoan, loan.id)
    assert (loan.borrower_kind, loan.borrower_name, loan.borrower_phone, loan.reason_kind, loan.reason,
            loan.work_order_number, loan.lent_by_id, loan.returned_at) == (
        "contractor", "李师傅", "13900001111", "inspection", "水泵房检修", "", staff.keeper.id, None)
    assert services.open_loan(key.id).id == loan.id
    clock.shift(timedelta(hours=1))
    with acting_as(staff.keeper2):
        services.take_back_key(staff.keeper2, db.session.get(Key, key.id), condition="good")
        db.session.commit()
    loan = db.session.get(KeyLoan, loan.id)
    assert loan.returned_to_id == staff.keeper2.id and loan.condition == "good"
    assert loan.returned_at - loan.lent_at >= timedelta(hours=1)
    assert services.open_loan(key.id) is None
    # The same key can be lent again once it is back: the history keeps both loans.
    lend_key(db.session.get(Key, key.id), borrower_name="王工")
    assert count(db, KeyLoan) == 2


def test_lending_refusals_save_nothing(db, staff, make_key, lend_key):
    key = make_key("E-001")
    now = utcnow()

    def lend(user=staff.keeper, **kw):
        args = dict(borrower_kind="staff", borrower_name="张师傅", borrower_phone="13900002222",
                    reason_kind="inspection", reason="检修", expected_return=now + timedelta(hours=2))
        args.update(kw)
        with acting_as(user):
            return services.lend(user, db.session.get(Key, key.id), **args)

    # Only a designated keeper: a clerk holding keys.lend but not designated, a supervisor, a technician.
    for user in (staff.clerk, staff.sup, staff.tech, staff.keeper_e2):
        refused("Only a designated key keeper", lend, user=user)
    assert refused("enter the borrower's name", lend, borrower_name=" ").field == "borrower_name"
    assert refused("phone or ID number", lend, borrower_phone="", borrower_id_number="").field == "borrower_phone"
    assert refused("say what the key is borrowed for", lend, reason="").field == "reason"
    assert refused("Choose what the key is borrowed for", lend, reason_kind="fun").field == "reason_kind"
    assert refused("staff, contractor or owner", lend, borrower_kind="friend").field == "borrower_kind"
    assert refused("must be after the time the key is lent", lend,
                   expected_return=now - timedelta(minutes=1)).field == "expected_return"
    assert refused("must be after the time the key is lent", lend, lent_at=now - timedelta(hours=1),
                   expected_return=now - timedelta(hours=2)).field == "expected_return"
    assert refused("Enter when the key is to be returned", lend, expected_return=None).field == "expected_return"
    assert refused("cannot be recorded in the future", lend, lent_at=now + timedelta(hours=1),
                   expected_return=now + timedelta(hours=3)).field == "lent_at"
    assert count(db, KeyLoan) == 0
    # An ID number instead of a phone is enough.
    lend(borrower_phone="", borrower_id_number="310101199001011234")
    db.session.commit()
    assert refused("Key E-001 is already out", lend).field == "tag"
    assert count(db, KeyLoan) == 1


def test_a_lost_key_is_not_lent(db, staff, make_key):
    key = make_key("E-001")
    with acting_as(staff.sup):
        services.record_event(staff.sup, key, kind="lost", note="维修工遗失")
        db.session.commit()
    with acting_as(staff.keeper):
        refused("recorded as lost", services.lend, staff.keeper, db.session.get(Key, key.id),
                borrower_kind="staff", borrower_name="x", borrower_phone="139", reason_kind="other", reason="x",
                expected_return=utcnow() + timedelta(hours=1))


def test_the_database_refuses_a_second_open_loan_of_a_key(db, staff, make_key, lend_key):
    """Not only Python: the partial unique index itself refuses two open loans of one key."""
    key = make_key("E-001")
    first = lend_key(key)
    now = utcnow()
    db.session.add(KeyLoan(estate_id=key.estate_id, key_id=key.id, borrower_kind="staff", borrower_name="x",
                           reason_kind="other", reason="x", lent_at=now, expected_return=now + timedelta(hours=1),
                           lent_by_id=staff.keeper.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Returned loans are outside the index: once back, another open loan is fine.
    with acting_as(staff.keeper):
        services.take_back(staff.keeper, db.session.get(KeyLoan, first.id), condition="good")
        db.session.commit()
    db.session.add(KeyLoan(estate_id=key.estate_id, key_id=key.id, borrower_kind="staff", borrower_name="y",
                           reason_kind="other", reason="y", lent_at=now, expected_return=now + timedelta(hours=1),
                           lent_by_id=staff.keeper.id))
    db.session.commit()
    assert count(db, KeyLoan) == 2


def test_a_race_lost_at_the_index_is_a_clear_refusal(db, staff, make_key, lend_key, monkeypatch):
    """When the Python check saw no open loan (another keeper's commit came in between), the
    index refuses the insert and the service says "already out" — nothing saved."""
    key = make_key("E-001")
    lend_key(key)
    calls = []

    def open_after_flush(key_id):
        calls.append(key_id)
        return None if len(calls) == 1 else db.session.scalar(
            select(KeyLoan).where(KeyLoan.key_id == key_id, KeyLoan.returned_at.is_(None)))

    monkeypatch.setattr(services, "open_loan", open_after_flush)
    with acting_as(staff.keeper2):
        err = refused("Key E-001 is already out", services.lend, staff.keeper2, db.session.get(Key, key.id),
                      borrower_kind="staff", borrower_name="吴", borrower_phone="139", reason_kind="other",
                      reason="x", expected_return=utcnow() + timedelta(hours=1))
    assert err.field == "tag" and len(calls) == 2
    assert count(db, KeyLoan) == 1


def test_take_back_refusals(db, staff, make_key, lend_key):
    key = make_key("E-001")
    with acting_as(staff.keeper):
        assert refused("Key E-001 is not out", services.take_back_key, staff.keeper, key,
                       condition="good").field == "tag"
    loan = lend_key(key)
    with acting_as(staff.clerk):
        refused("Only a designated key keeper", services.take_back_key, staff.clerk, db.session.get(Key, key.id),
                condition="good")
    with acting_as(staff.keeper):
        loan = db.session.get(KeyLoan, loan.id)
        assert refused("cannot be before the time the key was lent", services.take_back, staff.keeper, loan,
                       condition="good", returned_at=loan.lent_at - timedelta(minutes=1)).field == "returned_at"
        loan = db.session.get(KeyLoan, loan.id)
        assert refused("Say what is wrong", services.take_back, staff.keeper, loan, condition="damaged").field == "note"
        services.take_back(staff.keeper, db.session.get(KeyLoan, loan.id), condition="good")
        db.session.commit()
        # The same loan taken back twice (two keepers, two pages): the second is refused.
        refused("Key E-001 is not out", services.take_back, staff.keeper, db.session.get(KeyLoan, loan.id),
                condition="good")
    assert db.session.get(KeyLoan, loan.id).returned_to_id == staff.keeper.id


def test_a_key_back_damaged_is_an_event_not_an_edit(db, staff, make_key, lend_key):
    key = make_key("E-001")
    loan = lend_key(key)
    with acting_as(staff.keeper):
        services.take_back(staff.keeper, db.session.get(KeyLoan, loan.id), condition="damaged", note="齿口磨损")
        db.session.commit()
    key = db.session.get(Key, key.id)
    ev = db.session.scalar(select(KeyEvent))
    assert key.state == "damaged" and (ev.kind, ev.note, ev.loan_id, ev.recorded_by_id) == (
        "damaged", "齿口磨损", loan.id, staff.keeper.id)


def test_events_lost_found_and_recut(db, staff, make_key):
    key = make_key("E-001", copies=3)
    with acting_as(staff.sup):
        refused("Only a lost key can be found", services.record_event, staff.sup, key, kind="found", note="x")
        refused("Say what happened", services.record_event, staff.sup, db.session.get(Key, key.id), kind="lost",
                note="")
        services.record_event(staff.sup, db.session.get(Key, key.id), kind="lost", note="遗失一把")
        db.session.commit()
        refused("between 1 and 99 copies", services.record_event, staff.sup, db.session.get(Key, key.id),
                kind="recut", note="x", copies=0)
        services.record_event(staff.sup, db.session.get(Key, key.id), kind="recut", note="重配两把", copies=4)
        db.session.commit()
    with acting_as(staff.keeper):
        refused("Your role may not do this", services.record_event, staff.keeper, db.session.get(Key, key.id),
                kind="lost", note="x")
    key = db.session.get(Key, key.id)
    events = db.session.scalars(select(KeyEvent).order_by(KeyEvent.id)).all()
    assert key.state == "in_service" and key.copies == 4
    assert [(e.kind, e.copies_before, e.copies_after) for e in events] == [("lost", 3, 3), ("recut", 3, 4)]


# -- emergency spares --------------------------------------------------------------------
def test_an_emergency_spare_needs_a_recorded_approval_first(db, staff, make_key, lend_key):
    key = make_key("S-001", emergency_spare=True)
    with acting_as(staff.keeper):
        refused("a supervisor's approval must be recorded", lend_key, key)
    assert count(db, KeyLoan) == 0
    with acting_as(staff.keeper):
        refused("Say why", services.request_spare, staff.keeper, db.session.get(Key, key.id), "")
        req = services.request_spare(staff.keeper, db.session.get(Key, key.id), "水管爆裂，业主不在家")
        db.session.commit()
    # Still pending: not yet lendable.
    refused("a supervisor's approval must be recorded", lend_key, db.session.get(Key, key.id))
    with acting_as(staff.keeper):
        refused("Your role may not do this", services.decide_spare, staff.keeper,
                db.session.get(KeyApproval, req.id), approve=True)
    with acting_as(staff.sup):
        services.decide_spare(staff.sup, db.session.get(KeyApproval, req.id), approve=True, note="同意")
        db.session.commit()
        refused("already been decided", services.decide_spare, staff.sup, db.session.get(KeyApproval, req.id),
                approve=False)
    loan = lend_key(db.session.get(Key, key.id), reason_kind="emergency", reason="水管爆裂")
    assert db.session.get(KeyLoan, loan.id).approval_id == req.id
    # One approval, one loan: after the return, the next loan needs a new approval.
    with acting_as(staff.keeper):
        services.take_back(staff.keeper, db.session.get(KeyLoan, loan.id), condition="good")
        db.session.commit()
    refused("a supervisor's approval must be recorded", lend_key, db.session.get(Key, key.id))


def test_approving_ones_own_request_is_refused(db, staff, make_key):
    key = make_key("S-001", emergency_spare=True)
    with acting_as(staff.sup):
        services.designate_keeper(staff.sup, estate_id=staff.e1.id, user_id=staff.sup.id)
        req = services.request_spare(staff.sup, key, "夜间抢修")
        db.session.commit()
        refused("cannot decide on your own request", services.decide_spare, staff.sup,
                db.session.get(KeyApproval, req.id), approve=True)
    assert db.session.get(KeyApproval, req.id).state == "pending"
    with acting_as(staff.sup2):
        services.decide_spare(staff.sup2, db.session.get(KeyApproval, req.id), approve=False, note="改用业主钥匙")
        db.session.commit()
    req = db.session.get(KeyApproval, req.id)
    assert (req.state, req.decided_by_id, req.decision_note) == ("refused", staff.sup2.id, "改用业主钥匙")
    assert services.usable_approval(db.session.get(Key, key.id)) is None


def test_a_spare_request_is_only_for_spares(db, staff, make_key):
    key = make_key("E-001")
    with acting_as(staff.keeper):
        refused("is not an emergency spare", services.request_spare, staff.keeper, key, "x")


# -- overdue -----------------------------------------------------------------------------
def test_overdue_loans_are_counted_per_estate(db, staff, make_key, lend_key, clock):
    a = make_key("E-001")
    b = make_key("E-002", location="配电房")
    c = make_key("F-001", estate=staff.e2)
    lend_key(a, expected_return=utcnow() + timedelta(hours=1))
    lend_key(b, expected_return=utcnow() + timedelta(days=2))
    lend_key(c, user=staff.keeper_e2, expected_return=utcnow() + timedelta(hours=1))
    assert services.overdue_count([staff.e1.id]) == 0
    clock.shift(timedelta(hours=2))
    assert services.overdue_count([staff.e1.id]) == 1
    assert services.overdue_count([staff.e1.id, staff.e2.id]) == 2
    assert services.overdue_count([]) == 0
