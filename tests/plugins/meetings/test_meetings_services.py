"""The meetings services: handovers written, acknowledged and signed; meetings called, minutes
recorded, action items followed up, minutes signed by every participant and filed — and every
refusal (translated, nothing saved)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.audit import acting_as
from core.testing import refused
from plugins.meetings import services
from plugins.meetings.models import (
    ActionItem,
    HandoverMatter,
    Meeting,
    MeetingAttendee,
    ShiftHandover,
)
from tests.plugins.meetings.conftest import at


def n(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def hand_over(staff, **kw):
    args = dict(estate_id=staff.e1.id, shift="night", incoming_id=staff.day.id, references=[],
                other_matters="2号电梯停梯，已报维保", handed_over="值班记录本、对讲机2台")
    args.update(kw)
    with acting_as(staff.night):
        return services.hand_over(staff.night, **args)


# -- handovers ------------------------------------------------------------------------------------
def test_handover_with_an_open_complaint_acknowledged_then_signed(db, staff, complaint, request_ctx):
    offered = services.open_matters(staff.night, staff.e1.id)
    assert [m["reference"] for m in offered] == [complaint.number]
    assert offered[0]["url"].endswith(f"/complaints/{complaint.id}") and "楼上深夜噪音扰民" in offered[0]["label"]
    h = hand_over(staff, references=[complaint.number])
    db.session.commit()
    assert h.number.startswith("JB-E01-")
    labels = sorted((m.reference, m.label) for m in h.matters)
    assert labels[0] == ("", "2号电梯停梯，已报维保") and labels[1][0] == complaint.number
    assert h.state == "handed_over"
    # The manager cannot sign before the incoming staff acknowledged.
    refused("has not acknowledged this handover yet", services.sign_handover, staff.manager, h)
    assert db.session.get(ShiftHandover, h.id).signed_at is None
    # Only the named incoming staff acknowledges.
    refused("Only the incoming staff member", services.acknowledge_handover, staff.sup, h)
    services.acknowledge_handover(staff.day, h, "已接班")
    db.session.commit()
    refused("already acknowledged", services.acknowledge_handover, staff.day, h)
    # A supervisor may not sign; the manager does, once.
    refused("Your role may not do this", services.sign_handover, staff.sup, h)
    services.sign_handover(staff.manager, h, "已阅")
    db.session.commit()
    h = db.session.get(ShiftHandover, h.id)
    assert h.state == "signed" and h.signed_by_id == staff.manager.id and h.sign_note == "已阅"
    refused("already signed by 王经理", services.sign_handover, staff.manager, h)


def test_handover_refusals_save_nothing(db, staff, complaint, request_ctx):
    refused("Choose the shift", hand_over, staff, shift="lunch")
    refused("must be someone else", hand_over, staff, incoming_id=staff.night.id)
    refused("Choose the incoming staff", hand_over, staff, incoming_id=staff.other.id)  # another estate's
    refused("Choose the incoming staff", hand_over, staff, incoming_id="x")
    refused("is not an open matter", hand_over, staff, references=["TS-E02-2026-000001"])
    refused("Say what was handed over", hand_over, staff, handed_over="  ")
    refused("Choose one of your estates", hand_over, staff, estate_id=staff.e2.id)
    assert n(db, ShiftHandover) == 0 and n(db, HandoverMatter) == 0


def test_a_closed_case_is_no_longer_offered(db, staff, complaint, request_ctx):
    from plugins.complaints.models import Complaint

    db.session.get(Complaint, complaint.id).state = "closed"
    db.session.commit()
    assert services.open_matters(staff.night, staff.e1.id) == []
    refused("is not an open matter", hand_over, staff, references=[complaint.number])


def test_open_matters_without_complaints_and_repairs(db, staff, complaint, request_ctx):
    from core.site import disable, refresh

    disable("complaints")
    db.session.commit()
    refresh(force=True)
    assert services.open_matters(staff.night, staff.e1.id) == []
    h = hand_over(staff)  # free-text matters still work
    assert [m.label for m in h.matters] == ["2号电梯停梯，已报维保"]


def test_open_matters_include_open_repairs(db, staff, request_ctx):
    from core.models import Unit
    from plugins.repairs import services as repairs

    unit = db.session.scalar(select(Unit).where(Unit.estate_id == staff.e1.id, Unit.number == "1-1-102"))
    with acting_as(staff.sup):
        r = repairs.record(staff.sup, estate_id=staff.e1.id, unit_id=unit.id, contact_name="李先生",
                           contact_phone="13900001111", category="water", description="厨房水管漏水",
                           channel="phone")
        db.session.commit()
    offered = {m["reference"]: m for m in services.open_matters(staff.night, staff.e1.id)}
    assert r.number in offered and "厨房水管漏水" in offered[r.number]["label"]


def test_open_matters_include_keys_out_on_loan(db, staff, request_ctx):
    from datetime import timedelta

    from core.models import utcnow
    from plugins.keys import services as keys

    with acting_as(staff.sup):
        keys.designate_keeper(staff.sup, estate_id=staff.e1.id, user_id=staff.night.id)
        key = keys.add_key(staff.sup, estate_id=staff.e1.id, kind="equipment_room", tag="E-001", location="水泵房",
                           position="A-01")
    with acting_as(staff.night):
        loan = keys.lend(staff.night, key, borrower_kind="contractor", borrower_name="李师傅",
                         borrower_phone="13900001111", reason_kind="inspection", reason="水泵房检修",
                         work_order_number="", expected_return=utcnow() + timedelta(hours=3))
        db.session.commit()
    offered = {m["reference"]: m for m in services.open_matters(staff.night, staff.e1.id)}
    assert f"KEYLOAN-{loan.id}" in offered and "李师傅" in offered[f"KEYLOAN-{loan.id}"]["label"]
    h = hand_over(staff, references=[f"KEYLOAN-{loan.id}"])
    assert h.matters[0].url.endswith(f"/keys/{key.id}")


# -- meetings -------------------------------------------------------------------------------------
def test_meeting_minutes_signed_by_everyone_then_filed(db, staff, call_meeting, clock):
    from core.site import disable, refresh

    disable("archives")
    db.session.commit()
    refresh(force=True)
    m = call_meeting()
    assert m.number.startswith("HY-E01-2026-") and n(db, MeetingAttendee, MeetingAttendee.meeting_id == m.id) == 4
    refused("circulating them", services.circulate, staff.day, m)
    services.record_minutes(staff.day, m, minutes="复核未结投诉", decisions="中午前回电",
                            present_ids=[staff.manager.id, staff.sup.id, staff.day.id])
    item = services.add_action_item(staff.day, m, text="回电业主", owner_id=staff.night.id, due_on=date(2026, 3, 6))
    db.session.commit()
    refused("Only the minute-taker or a manager", services.circulate, staff.night, m)
    services.circulate(staff.day, m)
    db.session.commit()
    refused("can no longer be changed", services.record_minutes, staff.day, m, minutes="x", present_ids=[staff.day.id])
    refused("before they are circulated", services.add_action_item, staff.day, m, text="x",
            owner_id=staff.day.id, due_on=date(2026, 3, 9))
    refused("not a participant", services.acknowledge_minutes, staff.tech, m)
    for u in (staff.manager, staff.sup):
        services.acknowledge_minutes(u, m)
        db.session.commit()
    refused("You already signed these minutes", services.acknowledge_minutes, staff.sup, m)
    assert db.session.get(Meeting, m.id).state == "circulated"
    services.acknowledge_minutes(staff.day, m)  # the last one present: sent on and filed
    db.session.commit()
    m = db.session.get(Meeting, m.id)
    assert m.state == "filed" and m.filed_at is not None and m.archive_ref == ""
    # The absentee signs later.
    services.acknowledge_minutes(staff.night, m)
    db.session.commit()
    assert n(db, MeetingAttendee, MeetingAttendee.meeting_id == m.id, MeetingAttendee.acknowledged_at.is_(None)) == 0
    # The action item: the owner closes it, once.
    refused("Only the owner", services.close_item, staff.tech, item)
    services.close_item(staff.night, item, "已回电")
    db.session.commit()
    assert db.session.get(ActionItem, item.id).state == "done"
    refused("already done", services.close_item, staff.night, item)


def test_minutes_filed_into_the_archives_when_it_is_on(db, staff, call_meeting):
    from plugins.archives.models import ArchiveEntry

    m = call_meeting(attendee_ids=[staff.sup.id, staff.day.id], chair_id=None)
    services.record_minutes(staff.day, m, minutes="周例会纪要", present_ids=[staff.sup.id, staff.day.id])
    services.circulate(staff.day, m)
    services.acknowledge_minutes(staff.sup, m)
    services.acknowledge_minutes(staff.day, m)
    db.session.commit()
    entry = db.session.scalar(select(ArchiveEntry).where(ArchiveEntry.source == "meetings"))
    assert entry is not None and entry.source_ref == m.number and entry.file.kind == "other"
    assert db.session.get(Meeting, m.id).archive_ref == entry.file.number


def test_meeting_refusals_save_nothing(db, staff, call_meeting):
    refused("must be one of the attendees", call_meeting, minute_taker_id=staff.tech.id)
    refused("Name the minute-taker", call_meeting, minute_taker_id=None)
    refused("Choose the attendees among", call_meeting, attendee_ids=[staff.day.id, staff.other.id])
    refused("Choose the attendees.", call_meeting, attendee_ids=[])
    refused("Name the meeting", call_meeting, title=" ")
    refused("Choose the kind", call_meeting, kind="party")
    refused("The chair must be", call_meeting, chair_id=staff.tech.id)
    with acting_as(staff.day):
        refused("Your role may not do this", services.plan_meeting, staff.day, estate_id=staff.e1.id,
                kind="morning", title="早会", starts_at=at(2026, 3, 5, 8, 30), attendee_ids=[staff.day.id],
                minute_taker_id=staff.day.id)
    assert n(db, Meeting) == 0 and n(db, MeetingAttendee) == 0
    m = call_meeting()
    refused("before they are circulated", services.add_action_item, staff.day, m, text="x", owner_id=staff.day.id,
            due_on=date(2026, 3, 9))  # minutes not recorded yet
    refused("Mark who was present", services.record_minutes, staff.day, m, minutes="纪要", present_ids=[])
    refused("Only the meeting's attendees", services.record_minutes, staff.day, m, minutes="纪要",
            present_ids=[staff.tech.id])
    refused("Only the minute-taker or a manager", services.record_minutes, staff.night, m, minutes="纪要",
            present_ids=[staff.day.id])
    services.record_minutes(staff.day, m, minutes="纪要", present_ids=[staff.day.id])
    db.session.commit()
    # An action item due before the meeting (2026-03-05, local) is refused.
    err = refused("due before the meeting (2026-03-05)", services.add_action_item, staff.day, m, text="回电",
                  owner_id=staff.night.id, due_on=date(2026, 3, 4))
    assert err.field == "due_on"
    refused("Choose the owner", services.add_action_item, staff.day, m, text="回电", owner_id=staff.other.id,
            due_on=date(2026, 3, 6))
    refused("Say what is to be done", services.add_action_item, staff.day, m, text=" ", owner_id=staff.day.id,
            due_on=date(2026, 3, 6))
    assert n(db, ActionItem) == 0
    # Due on the meeting's own day is fine.
    services.add_action_item(staff.day, m, text="回电", owner_id=staff.night.id, due_on=date(2026, 3, 5))
    assert n(db, ActionItem) == 1


def test_weekly_slot_follows_the_estate_setting(db, staff):
    from core.settings import save_settings

    # Thursday 2026-03-05 10:00 Shanghai → the next Friday 16:00 (the default).
    assert services.next_weekly_slot(staff.e1, at(2026, 3, 5, 10)) == at(2026, 3, 6, 16)
    # Friday 17:00: the slot has passed → next week's Friday.
    assert services.next_weekly_slot(staff.e1, at(2026, 3, 6, 17)) == at(2026, 3, 13, 16)
    save_settings("meetings", {"weekly_weekday": 0, "weekly_time": "09:30"}, estate_id=staff.e1.id)
    db.session.commit()
    assert services.next_weekly_slot(staff.e1, at(2026, 3, 5, 10)) == at(2026, 3, 9, 9, 30)
    assert services.next_weekly_slot(staff.e2, at(2026, 3, 5, 10)) == at(2026, 3, 6, 16)


def test_overdue_items_notified_once_to_owner_and_managers(db, staff, call_meeting):
    from core.models import Notification
    from plugins.meetings.jobs import notify_overdue

    m = call_meeting()
    services.record_minutes(staff.day, m, minutes="纪要", present_ids=[staff.day.id])
    late = services.add_action_item(staff.day, m, text="检查消防主机", owner_id=staff.tech.id, due_on=date(2026, 3, 6))
    services.add_action_item(staff.day, m, text="准备月报", owner_id=staff.night.id, due_on=date(2026, 3, 20))
    db.session.commit()
    before = n(db, Notification)
    assert notify_overdue(at(2026, 3, 6, 23)) == "0 overdue action items notified"  # due today: not yet
    assert notify_overdue(at(2026, 3, 7, 0, 30)) == "1 overdue action items notified"
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.id > 0)).all())
    assert {staff.tech.id, staff.sup.id, staff.manager.id} <= told and staff.night.id not in told
    assert n(db, Notification) - before == 3
    assert notify_overdue(at(2026, 3, 8, 9)) == "0 overdue action items notified"
    assert db.session.get(ActionItem, late.id).overdue_notified_at is not None
