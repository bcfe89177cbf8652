"""Repair services: every transition, and every refusal leaves the repair as it was."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.attachments import Attachment
from core.models import AuditLog, utcnow
from core.testing import refused
from plugins.repairs import services
from plugins.repairs.models import Repair, WorkOrder
from tests.plugins.repairs.conftest import new_repair, photo, unit_of


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))

def test_recording_numbers_the_record_and_sets_the_deadlines(db, staff):
    t0 = utcnow()
    r = new_repair(db, staff.clerk, staff.e1, priority="urgent", paid=True,
                   appointment_at=t0 + timedelta(hours=3), photos=[photo()])
    assert r.number == f"BX-E01-{t0.year}-000001" and r.state == "recorded" and r.reopen_count == 0
    assert r.unit.number == "1-1-101" and r.paid and r.reported_at >= t0
    assert r.due_at - r.reported_at == timedelta(hours=4)  # urgent: 4 hours by default
    assert r.dispatch_due_at - r.reported_at == timedelta(minutes=10)
    assert [a.content_type for a in db.session.scalars(select(Attachment))] == ["image/png"]
    normal = new_repair(db, staff.clerk, staff.e1)
    assert normal.number.endswith("-000002") and normal.due_at - normal.reported_at == timedelta(hours=24)


def test_a_resident_picked_from_the_unit_fills_name_and_phone(db, staff):
    from core.models import Occupancy

    unit = unit_of(db, staff.e1)
    occ = db.session.scalar(select(Occupancy).where(Occupancy.unit_id == unit.id))
    r = new_repair(db, staff.clerk, staff.e1, resident_id=occ.resident_id, contact_name="", contact_phone="")
    assert r.contact_name == occ.resident.name and r.contact_phone == occ.resident.phone
    other = unit_of(db, staff.e1, "3-2-1201")
    refused("This resident is not on file for the unit.", new_repair, db, staff.clerk, staff.e1,
            number="3-2-1201", resident_id=occ.resident_id)
    assert other is not None


def test_a_caller_not_on_file_gives_an_address_instead_of_a_unit(db, staff):
    r = new_repair(db, staff.clerk, staff.e1, number=None, address="3栋电梯厅", category="lift", area="common")
    assert r.unit_id is None and r.place == "3栋电梯厅"
    refused("Give the unit, or describe where the problem is.", new_repair, db, staff.clerk, staff.e1,
            number=None)


@pytest.mark.parametrize("kw,message,field", [
    ({"appointment_at": "past"}, "The appointment time is in the past.", "appointment_at"),
    ({"description": "   "}, "Describe what is wrong.", "description"),
    ({"category": "roof"}, "Choose what is wrong.", "category"),
    ({"channel": "fax"}, "Choose how the repair was reported.", "channel"),
    ({"contact_phone": "12"}, "Enter a phone number of 5 to 20 digits.", "contact_phone"),
    ({"contact_name": ""}, "Enter the name of the person who reported the problem.", "contact_name"),
    ({"photos": [photo(b"MZ\x90 not a picture", "virus.jpg")]}, "is not a photo", "photos"),
    ({"photos": [photo(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "huge.jpg")]}, "is larger than 5 MB", "photos"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(db, staff, kw, message, field):
    if kw.get("appointment_at") == "past":
        kw["appointment_at"] = utcnow() - timedelta(minutes=5)
    exc = refused(message, new_repair, db, staff.clerk, staff.e1, **kw)
    assert exc.field == field
    assert count(db, Repair) == 0 and count(db, Attachment) == 0


def test_units_and_estates_must_be_the_users_own(db, staff):
    foreign_unit = unit_of(db, staff.e2, "2-1-201")
    exc = refused("This unit does not belong to the chosen estate.", services.record, staff.clerk,
                  estate_id=staff.e1.id, unit_id=foreign_unit.id, contact_name="王", contact_phone="13800001111",
                  category="water", description="漏水", channel="phone")
    assert exc.field == "unit_number"
    refused("There is no unit 2-1-201 in Sunshine Garden.", services.find_unit, staff.e1.id, "2-1-201")
    refused("There is no unit 9-9-999 in Sunshine Garden.", services.find_unit, staff.e1.id, "9-9-999")
    refused("Choose one of your estates.", new_repair, db, staff.clerk, staff.e2, number="2-1-201")
    assert count(db, Repair) == 0


def test_dispatch_issues_a_work_order_to_a_technician_of_the_estate(db, staff, repair_in):
    r = repair_in("recorded")
    order = services.dispatch(staff.sup, r, staff.tech.id, "业主下午在家")
    db.session.commit()
    assert r.state == "dispatched" and r.dispatched_at is not None
    assert order.number.startswith("WX-E01-") and order.state == "issued" and order.due_at == r.due_at
    assert r.current_order == order and order.technician.full_name == "张师傅"


@pytest.mark.parametrize("who", ["tech_e2", "clerk", None])
def test_dispatch_refuses_anyone_but_a_technician_of_the_estate(db, staff, repair_in, who):
    r = repair_in("recorded")
    tech_id = getattr(staff, who).id if who else None
    refused("Choose a technician of the maintenance department of this estate.", services.dispatch,
            staff.sup, r, tech_id)
    db.session.refresh(r)
    assert r.state == "recorded" and count(db, WorkOrder) == 0


def test_the_technician_accepts_and_completes_a_paid_repair(db, staff, repair_in):
    r = repair_in("dispatched", paid=True)
    services.accept(staff.tech, r)
    db.session.commit()
    assert r.state == "in_progress" and r.started_at is not None and r.current_order.state == "accepted"
    refused("A paid repair needs the repair fee.", services.complete, staff.tech, r,
            work_done="换阀芯", minutes_spent=30, fee=None)
    db.session.refresh(r)
    services.complete(staff.tech, r, work_done="换阀芯", materials="阀芯 1 个", minutes_spent=30,
                      fee=Decimal("80.00"))
    db.session.commit()
    assert r.state == "completed" and r.completed_at is not None and r.fee == Decimal("80.00")
    order = r.current_order
    assert order.state == "completed" and order.minutes_spent == 30 and order.materials == "阀芯 1 个"


@pytest.mark.parametrize("kw,message,field", [
    ({"work_done": ""}, "Describe the work done.", "work_done"),
    ({"minutes_spent": 0}, "Enter the time spent in minutes", "minutes_spent"),
    ({"minutes_spent": None}, "Enter the time spent in minutes", "minutes_spent"),
    ({"fee": Decimal("20.00")}, "This repair is free of charge: leave the fee empty.", "fee"),
])
def test_completion_needs_the_work_the_time_and_no_fee_for_a_free_repair(db, staff, repair_in, kw, message, field):
    r = repair_in("in_progress")
    data = {"work_done": "疏通", "minutes_spent": 20, "fee": None, **kw}
    exc = refused(message, services.complete, staff.tech, r, **data)
    assert exc.field == field
    db.session.refresh(r)
    assert r.state == "in_progress" and r.completed_at is None


def test_only_the_technician_of_the_order_accepts_and_completes(db, staff, repair_in):
    r = repair_in("dispatched")
    refused("This work order was issued to another technician.", services.accept, staff.tech2, r)
    services.accept(staff.tech, r)
    db.session.commit()
    refused("This work order was issued to another technician.", services.complete, staff.tech2, r,
            work_done="x", minutes_spent=5)


@pytest.mark.parametrize("state,fn,args,message", [
    ("recorded", "accept", (), "Only a dispatched repair can be accepted."),
    ("in_progress", "dispatch", ("tech",), "Only a recorded repair can be dispatched."),
    ("dispatched", "complete", (), "Only a repair in progress can be completed."),
    ("in_progress", "close", (), "Only a completed repair can be closed."),
    ("closed", "close", (), "Only a completed repair can be closed."),
    ("in_progress", "cancel", ("不修了",), "Only a repair not yet started can be cancelled."),
    ("completed", "cancel", ("不修了",), "Only a repair not yet started can be cancelled."),
    ("recorded", "reopen", ("又漏了",), "Only a completed or closed repair can be reopened."),
    ("in_progress", "reopen", ("又漏了",), "Only a completed or closed repair can be reopened."),
    ("cancelled", "reopen", ("又漏了",), "Only a completed or closed repair can be reopened."),
    ("cancelled", "dispatch", ("tech",), "Only a recorded repair can be dispatched."),
])
def test_illegal_transitions_are_refused_clearly(db, staff, repair_in, state, fn, args, message):
    r = repair_in(state)
    user = staff.tech if fn in ("accept", "complete") else staff.sup
    args = tuple(staff.tech.id if a == "tech" else a for a in args)
    kw = {"work_done": "x", "minutes_spent": 5} if fn == "complete" else {}
    exc = refused(message, getattr(services, fn), user, r, *args, **kw)
    db.session.refresh(r)
    assert r.state == state and "Current state:" in str(exc.message)


def test_the_supervisor_closes_a_completed_repair(db, staff, repair_in):
    r = repair_in("completed")
    services.close(staff.sup, r, note="公共区域")
    db.session.commit()
    assert r.state == "closed" and r.closed_via == "supervisor" and r.close_note == "公共区域"


@pytest.mark.parametrize("state", ["recorded", "dispatched"])
def test_cancelling_needs_a_reason_and_cancels_the_open_order(db, staff, repair_in, state):
    r = repair_in(state)
    refused("Say why the repair is cancelled.", services.cancel, staff.sup, r, " ")
    db.session.refresh(r)
    services.cancel(staff.sup, r, "业主自行修好")
    db.session.commit()
    assert r.state == "cancelled" and r.cancel_reason == "业主自行修好" and r.cancelled_at is not None
    assert all(o.state == "cancelled" for o in r.work_orders)


@pytest.mark.parametrize("state", ["completed", "closed"])
def test_reopening_starts_over_with_new_deadlines_and_keeps_the_history(db, staff, repair_in, state):
    r = repair_in(state)
    first = r.current_order
    refused("Say why the repair is reopened.", services.reopen, staff.sup, r, "")
    db.session.refresh(r)
    services.reopen(staff.sup, r, "回访不满意：仍在漏水")
    db.session.commit()
    assert r.state == "recorded" and r.reopen_count == 1 and r.reopen_reason == "回访不满意：仍在漏水"
    assert r.completed_at is None and r.closed_at is None and r.due_at > utcnow() + timedelta(hours=23)
    second = services.dispatch(staff.sup, r, staff.tech2.id)
    db.session.commit()
    assert [o.number for o in r.work_orders] == [first.number, second.number] and first.state == "completed"


def test_every_transition_is_audited_with_who_did_it(db, staff):
    from core.audit import acting_as

    steps = [(staff.clerk, lambda: new_repair(db, staff.clerk, staff.e1)),
             (staff.sup, lambda: services.dispatch(staff.sup, r, staff.tech.id)),
             (staff.tech, lambda: services.accept(staff.tech, r)),
             (staff.tech, lambda: services.complete(staff.tech, r, work_done="x", minutes_spent=5)),
             (staff.sup, lambda: services.reopen(staff.sup, r, "又漏了")),
             (staff.sup, lambda: services.cancel(staff.sup, r, "业主不修了"))]
    r = None
    for user, step in steps:
        with acting_as(user):
            out = step()
            r = r or out
            db.session.commit()
    log = [(a.user_id, a.changes["state"]) for a in db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == "repairs_repair", AuditLog.record_id == str(r.id))
        .order_by(AuditLog.id)) if "state" in a.changes]
    assert log == [(staff.clerk.id, [None, "recorded"]), (staff.sup.id, ["recorded", "dispatched"]),
                   (staff.tech.id, ["dispatched", "in_progress"]), (staff.tech.id, ["in_progress", "completed"]),
                   (staff.sup.id, ["completed", "recorded"]), (staff.sup.id, ["recorded", "cancelled"])]


def test_service_levels_of_the_estate_set_the_deadlines(db, staff):
    from core.settings import save_settings

    save_settings("repairs", {"complete_hours_normal": 48, "dispatch_minutes_normal": 15}, staff.e1.id)
    db.session.commit()
    r = new_repair(db, staff.clerk, staff.e1)
    assert r.due_at - r.reported_at == timedelta(hours=48)
    assert r.dispatch_due_at - r.reported_at == timedelta(minutes=15)
    r2 = new_repair(db, staff.clerk_e2, staff.e2, number="2-1-201")
    assert r2.due_at - r2.reported_at == timedelta(hours=24)


def test_the_plugin_answers_deadline_for_repairs_only(app, staff):
    from core.plugins import hook

    t0 = utcnow()
    ask = hook("deadline_for")
    assert ask(case_type="repair", estate=staff.e1, priority="urgent", start=t0, category="water") == \
        t0 + timedelta(hours=4)
    assert ask(case_type="repair.dispatch", estate=staff.e1, priority="normal", start=t0, category=None) == \
        t0 + timedelta(minutes=30)
    from plugins.repairs.sla import deadline

    assert deadline("complaint.reply", staff.e1, "normal", t0) is None


def test_a_service_level_plugin_sees_the_repair_s_category(app, db, staff):
    """``deadline_for`` is asked with the category: a site's own rule for lifts wins."""
    from core import hookimpl
    from core.audit import acting_as

    class LiftRule:
        @hookimpl
        def deadline_for(self, case_type, start, category):
            return start + timedelta(hours=1) if case_type == "repair" and category == "lift" else None

    pm = app.extensions["propdesk_plugins"].pm
    pm.register(LiftRule(), name="lift_rule")
    try:
        with acting_as(staff.clerk):
            lift = new_repair(db, staff.clerk, staff.e1, category="lift", description="电梯困人")
            water = new_repair(db, staff.clerk, staff.e1, category="water")
    finally:
        pm.unregister(name="lift_rule")
    assert lift.due_at == lift.reported_at + timedelta(hours=1)
    assert water.due_at == water.reported_at + timedelta(hours=24)  # the plugin's own normal rule
