"""movein alone (no keys, repairs or fees): the checklist, the one-open-case rule (service and
database), ticking with who and when, completing, the acceptance inspection and its refusals,
move-out ending the occupancy, the estate's checklist settings, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import acting_as
from core.models import Occupancy, Resident, utcnow
from core.plugins import is_enabled
from core.testing import refused
from plugins.movein import services
from plugins.movein.models import MoveinCase, MoveinCheck, MoveinItem
from tests.plugins.movein.conftest import item, unit_of


def count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.scalar(stmt)


def test_partners_are_off(app):
    assert is_enabled("movein") and not any(is_enabled(c) for c in ("keys", "repairs", "fees"))


def test_open_case_takes_the_estates_checklist_and_a_number(db, staff, open_case):
    case = open_case()
    assert case.number.startswith("RZ-E01-") and case.state == "open" and case.kind == "in"
    assert [i.code for i in case.items] == ["documents", "contract", "fees", "keys", "cards", "resident"]
    out = open_case(unit="1-1-102", kind="out")
    assert out.number.startswith("QC-E01-")
    assert [i.code for i in out.items] == ["fees", "keys_returned", "deposits", "occupancy"]


@pytest.mark.parametrize("change, message, field", [
    (dict(unit_number="1-1-101", estate="e2"), "Choose one of your estates", "estate_id"),
    (dict(unit_number="2-1-201"), "There is no unit 2-1-201 in this estate", "unit_number"),
    (dict(owner_name=" "), "Enter the owner's name", "owner_name"),
    (dict(owner_phone="abc"), "Enter the owner's phone", "owner_phone"),
    (dict(kind="sideways"), "Choose move-in or move-out", "kind"),
])
def test_open_case_refusals_save_nothing(db, staff, change, message, field):
    args = dict(estate_id=staff.e1.id, unit_number="1-1-101", kind="in", owner_name="陈业主",
                owner_phone="13812345678")
    estate = change.pop("estate", None)
    if estate:
        args["estate_id"] = getattr(staff, estate).id
    args.update(change)
    with acting_as(staff.clerk):
        err = refused(message, services.open_case, staff.clerk, **args)
    assert err.field == field
    assert count(db, MoveinCase) == 0 and count(db, MoveinItem) == 0


def test_a_unit_of_another_estate_is_not_found(db, staff):
    """E02 has a unit 2-1-201; E01 has none: typed in E01, it is refused."""
    with acting_as(staff.clerk):
        refused("There is no unit 2-1-201 in this estate", services.open_case, staff.clerk,
                estate_id=staff.e1.id, unit_number="2-1-201", kind="in", owner_name="x", owner_phone="13812345678")


def test_one_open_case_per_unit_service_and_database(db, staff, open_case):
    first = open_case()
    with acting_as(staff.desk):
        err = refused("Unit 1-1-101 already has an open move-in or move-out case", services.open_case, staff.desk,
                      estate_id=staff.e1.id, unit_number="1-1-101", kind="out", owner_name="x",
                      owner_phone="13812345678")
    assert err.field == "unit_number"
    assert count(db, MoveinCase) == 1
    # The database keeps the rule even when the service's check is bypassed.
    db.session.add(MoveinCase(estate_id=staff.e1.id, number="RZ-X", kind="in", unit_id=first.unit_id,
                              owner_name="x", state="open", opened_at=utcnow(), opened_by_id=staff.clerk.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once the first is finished, a new case may be opened.
    with acting_as(staff.clerk):
        services.cancel(staff.clerk, first, "开错了房号")
        db.session.commit()
    assert open_case(kind="out").state == "open"


def test_tick_records_who_and_when_and_completing_needs_every_item(db, staff, open_case, clock):
    case = open_case()
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "documents"), "身份证已核对")
        db.session.commit()
    row = item(case, "documents")
    assert row.done_by_id == staff.clerk.id and row.done_at is not None and row.note == "身份证已核对"
    with acting_as(staff.clerk):
        refused("This item is already ticked", services.tick, staff.clerk, case, item(case, "documents"))
        err = refused("Not every item is ticked", services.complete, staff.clerk, case)
    assert "Fees settled" in err.message and "Identity" not in err.message
    db.session.refresh(case)
    assert case.state == "open" and case.completed_at is None


def test_whole_move_in_without_partners(db, staff, open_case):
    case = open_case(owner_name="新业主")
    with acting_as(staff.clerk):
        for code in ("documents", "contract", "fees", "cards"):
            services.tick(staff.clerk, case, item(case, code))
        # Without the keys plugin the keys are recorded on the form — a note is required.
        err = refused("Say which keys were handed over (none of them", services.tick, staff.clerk, case, item(case, "keys"))
        assert err.field == "note"
        case = db.session.get(MoveinCase, case.id)
        for code in ("documents", "contract", "fees", "cards"):
            services.tick(staff.clerk, case, item(case, code))
        services.tick(staff.clerk, case, item(case, "keys"), "防盗门钥匙3把")
        services.tick(staff.clerk, case, item(case, "resident"))
        services.complete(staff.clerk, case)
        db.session.commit()
    case = db.session.get(MoveinCase, case.id)
    assert case.state == "completed" and case.keys_note == "防盗门钥匙3把"
    # The owner is now a resident (owner) of the unit in the core.
    occ = db.session.scalar(select(Occupancy).join(Resident).where(
        Occupancy.unit_id == case.unit_id, Resident.name == "新业主"))
    assert occ is not None and occ.role == "owner" and occ.end_date is None
    assert occ.resident.phone == "13812345678"
    with acting_as(staff.clerk):
        refused("is no longer open", services.tick, staff.clerk, case, item(case, "documents"))


def test_inspection_lines_and_their_refusals(db, staff, open_case):
    case = open_case()
    add = services.add_check
    with acting_as(staff.clerk):
        for kw, message, field in [
            (dict(room="kitchen", element="water_meter", ok=True, reading="abc"), "is not a number", "reading"),
            (dict(room="kitchen", element="water_meter", ok=True, reading="-3"), "is not a meter figure", "reading"),
            (dict(room="kitchen", element="water_meter", ok=True, reading="1.234"), "at most 2 decimal", "reading"),
            (dict(room="kitchen", element="water_meter", ok=True, reading=""), "opening reading", "reading"),
            (dict(room="kitchen", element="walls", ok=True, reading="5"), "Only a meter has a reading", "reading"),
            (dict(room="kitchen", element="walls", ok=False, defect=""), "Describe the defect", "defect"),
            (dict(room="attic", element="walls", ok=True), "Choose the room", "room"),
            (dict(room="kitchen", element="roof", ok=True), "Choose what was checked", "element"),
        ]:
            err = refused(message, add, staff.clerk, db.session.get(MoveinCase, case.id), **kw)
            assert err.field == field
        assert count(db, MoveinCheck) == 0
        case = db.session.get(MoveinCase, case.id)
        meter = add(staff.clerk, case, room="whole", element="water_meter", ok=True, reading="1,234.5")
        defect = add(staff.clerk, case, room="bathroom", element="plumbing", ok=False, defect="地漏返水")
        db.session.commit()
    assert meter.reading == Decimal("1234.50")
    assert defect.repair_number == "" and defect.is_open_defect
    assert services.open_defects(db.session.get(MoveinCase, case.id)) == [defect]
    with acting_as(staff.clerk):
        refused("Only a defect followed up by hand", services.mark_fixed, staff.clerk, meter)
        services.mark_fixed(staff.clerk, defect)
        db.session.commit()
    assert services.open_defects(db.session.get(MoveinCase, case.id)) == []


def test_move_out_ends_the_occupancy_in_the_core(db, staff, open_case):
    case = open_case(kind="out", owner_name="Owner of E01 1-1-101")
    unit = unit_of(db, staff.e1)
    assert db.session.scalar(select(func.count()).select_from(Occupancy).where(
        Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))) == 1
    with acting_as(staff.clerk):
        for code in ("fees", "keys_returned", "deposits", "occupancy"):
            services.tick(staff.clerk, db.session.get(MoveinCase, case.id),
                          item(db.session.get(MoveinCase, case.id), code), "")
        services.complete(staff.clerk, db.session.get(MoveinCase, case.id))
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Occupancy).where(
        Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))) == 0
    assert "Owner of E01 1-1-101" in item(db.session.get(MoveinCase, case.id), "occupancy").note


def test_the_estates_checklist_comes_from_its_settings(db, staff, open_case):
    from core.settings import save_settings

    save_settings("movein", {"in_cards": False, "in_extra": "车位卡已登记\n\n装修须知已发放"}, staff.e1.id)
    db.session.commit()
    case = open_case()
    assert [services.item_label(i) for i in case.items][-2:] == ["车位卡已登记", "装修须知已发放"]
    assert "cards" not in [i.code for i in case.items]
    # Another estate keeps the defaults.
    other = open_case(unit="1-1-101", estate=staff.e2, user=staff.clerk_e2)
    assert "cards" in [i.code for i in other.items]


def test_roles_without_movein_handle_are_refused(db, staff, open_case):
    case = open_case()
    for user in (staff.tech, staff.cashier, staff.manager):
        with acting_as(user):
            refused("Your role may not do this", services.open_case, user, estate_id=staff.e1.id,
                    unit_number="1-1-102", kind="in", owner_name="x", owner_phone="13812345678")
            refused("Your role may not do this", services.tick, user, case, item(case, "documents"))
    # Another estate's clerk may not touch E01's case.
    with acting_as(staff.clerk_e2):
        refused("Choose one of your estates", services.tick, staff.clerk_e2, case, item(case, "documents"))


def test_keys_handover_needs_the_keys_plugin(db, staff, open_case):
    case = open_case()
    with acting_as(staff.clerk):
        refused("The keys plugin is not in use", services.hand_over_keys, staff.clerk, case)
    assert item(db.session.get(MoveinCase, case.id), "keys").done_at is None


def test_without_fees_the_reading_stays_on_the_form_and_deposits_are_ticked_by_hand(db, staff, open_case):
    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="whole", element="water_meter", ok=True,
                                   reading="12.30")
        db.session.commit()
    assert check.reading == Decimal("12.30") and check.fees_reading_id is None and check.fees_note == ""
    out = open_case(unit="1-1-102", kind="out")
    with acting_as(staff.clerk):
        services.tick(staff.clerk, out, item(out, "deposits"), "装修押金已由财务退还")
        db.session.commit()
    assert item(db.session.get(MoveinCase, out.id), "deposits").note == "装修押金已由财务退还"


def test_the_repair_state_without_repairs_is_the_one_last_seen(db, staff, open_case):
    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="bathroom", element="plumbing", ok=False,
                                   defect="地漏返水")
        db.session.commit()
    assert check.repair_id is None and services.repair_states(staff.clerk, case) == {}
    # A line recorded while repairs was on keeps its number and last state when it is off.
    check.repair_id, check.repair_number, check.repair_state = 7, "BX-1", "completed"
    db.session.commit()
    assert services.repair_states(staff.clerk, db.session.get(MoveinCase, case.id)) == {check.id: "completed"}


def test_cancelling_a_case_cancels_its_items_and_frees_the_unit(db, staff, open_case):
    case = open_case()
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "documents"), "已核对")
        db.session.commit()
    with acting_as(staff.clerk):
        err = refused("Give the reason", services.cancel, staff.clerk, case, "no")
        assert err.field == "reason"
        db.session.rollback()
    case = db.session.get(MoveinCase, case.id)
    assert case.state == "open" and not any(i.cancelled_at for i in case.items)
    with acting_as(staff.sup):
        services.cancel(staff.sup, case, "业主改期交房")
        db.session.commit()
    case = db.session.get(MoveinCase, case.id)
    assert case.state == "cancelled" and case.cancel_reason == "业主改期交房"
    assert case.cancelled_by_id == staff.sup.id and case.cancelled_at is not None
    assert all(i.cancelled_at is not None for i in case.items)
    done = item(case, "documents")
    assert done.done_at is not None and done.note == "已核对"  # the tick stays, as history
    assert services.done_elsewhere(case) == []
    with acting_as(staff.clerk):
        refused("is no longer open", services.tick, staff.clerk, case, item(case, "contract"))
        refused("is no longer open", services.cancel, staff.clerk, case, "再取消一次")
    again = open_case()  # the unit gets a new case
    assert again.state == "open" and again.id != case.id and not any(i.cancelled_at for i in again.items)


def test_cancelling_after_work_done_elsewhere_names_it(db, staff, open_case):
    case = open_case()
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "resident"))
        services.tick(staff.clerk, case, item(case, "keys"), "防盗门钥匙3把")
        services.cancel(staff.clerk, case, "业主拒绝收房")
        db.session.commit()
    left = services.done_elsewhere(db.session.get(MoveinCase, case.id))
    assert left == ["Keys handed over: 防盗门钥匙3把", "Owner registered as resident"]
    # The resident stays registered: the office ends it by hand if it must.
    assert db.session.scalar(select(func.count()).select_from(Occupancy).where(Occupancy.end_date.is_(None))) >= 1
