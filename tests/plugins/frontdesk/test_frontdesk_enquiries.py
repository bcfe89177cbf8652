"""Enquiries and calls: answered, a message taken, or forwarded to a repair or a complaint
through their services — with those plugins enabled and disabled."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.testing import refused
from plugins.frontdesk import services
from plugins.frontdesk.models import Enquiry
from tests.plugins.frontdesk.conftest import login


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@contextmanager
def without(db, code):
    from core.site import disable, enable, refresh

    disable(code)
    db.session.commit()
    refresh(force=True)
    try:
        yield
    finally:
        enable(code)
        db.session.commit()
        refresh(force=True)


def record(user, estate, **kw):
    args = dict(estate_id=estate.id, channel="phone", topic="fees", question="物业费每月多少？",
                answer="每平方米2.80元", outcome="answered", contact_name="陈建华", contact_phone="13800001111",
                unit_number="1-1-101")
    args.update(kw)
    with acting_as(user):
        return services.record_enquiry(user, **args)


def test_an_answered_call_is_logged_with_caller_number_topic_and_answer(db, staff):
    row = record(staff.desk, staff.e1)
    db.session.commit()
    assert (row.contact_name, row.contact_phone, row.topic, row.answer, row.outcome, row.forwarded_number) == (
        "陈建华", "13800001111", "fees", "每平方米2.80元", "answered", "")
    assert row.unit.number == "1-1-101" and row.received_at is not None and row.recorded_by_id == staff.desk.id


def test_the_caller_on_file_fills_name_and_phone(db, staff):
    from core.models import Occupancy, Unit

    unit = db.session.scalar(select(Unit).where(Unit.estate_id == staff.e1.id, Unit.number == "1-1-101"))
    occ = db.session.scalar(select(Occupancy).where(Occupancy.unit_id == unit.id))
    row = record(staff.desk, staff.e1, contact_name="", contact_phone="", resident_id=occ.resident_id)
    assert (row.contact_name, row.contact_phone, row.resident_id) == (occ.resident.name, occ.resident.phone,
                                                                      occ.resident_id)
    other = db.session.scalar(select(Occupancy).where(Occupancy.unit_id != unit.id,
                                                      Occupancy.estate_id == staff.e1.id))
    assert refused("not on file for the unit", record, staff.desk, staff.e1,
                   resident_id=other.resident_id).field == "resident_id"


def test_enquiry_refusals_save_nothing(db, staff):
    assert refused("Write down the answer", record, staff.desk, staff.e1, answer="").field == "answer"
    assert refused("Write down what was asked", record, staff.desk, staff.e1, question=" ").field == "question"
    assert refused("Enter the caller's name", record, staff.desk, staff.e1, contact_name="",
                   unit_number="").field == "contact_name"
    assert refused("Choose the topic", record, staff.desk, staff.e1, topic="x").field == "topic"
    assert refused("5 to 20 digits", record, staff.desk, staff.e1, contact_phone="12").field == "contact_phone"
    assert refused("Choose one of your estates", record, staff.desk, staff.e2).field == "estate_id"
    refused("Your role may not do this", record, staff.cashier, staff.e1)
    db.session.rollback()
    assert count(db, Enquiry) == 0


def test_a_call_forwarded_as_a_repair_makes_the_repair_through_its_service(db, staff):
    from plugins.repairs.models import Repair

    row = record(staff.desk, staff.e1, topic="repairs", question="厨房水管漏水", answer="", outcome="repair")
    db.session.commit()
    repair = db.session.scalar(select(Repair))
    assert row.forwarded_number == repair.number and repair.number.startswith("BX-E01-")
    assert (repair.contact_name, repair.description, repair.unit_id, repair.channel) == (
        "陈建华", "厨房水管漏水", row.unit_id, "phone")


def test_a_call_forwarded_as_a_complaint_makes_the_complaint_through_its_service(db, staff):
    from plugins.complaints.models import Complaint

    row = record(staff.desk, staff.e1, topic="other", question="楼上装修噪音太大", answer="", outcome="complaint",
                 channel="walk_in")
    db.session.commit()
    complaint = db.session.scalar(select(Complaint))
    assert row.forwarded_number == complaint.number and complaint.number.startswith("TS-E01-")
    assert (complaint.content, complaint.channel, complaint.contact_name) == ("楼上装修噪音太大", "visit", "陈建华")


def test_a_refused_forward_saves_neither_the_enquiry_nor_the_case(db, staff):
    from plugins.repairs.models import Repair

    # The repairs service refuses a one-letter description: nothing is saved here either.
    refused("Too short", record, staff.desk, staff.e1, question="x", answer="", outcome="repair")
    db.session.rollback()
    assert count(db, Enquiry) == 0 and count(db, Repair) == 0


def test_without_repairs_or_complaints_forwarding_is_refused_and_not_offered(client, db, staff):
    with without(db, "repairs"), without(db, "complaints"):
        for outcome, name in (("repair", "repairs"), ("complaint", "complaints")):
            err = refused(f"The {name} module is not enabled", record, staff.desk, staff.e1, answer="",
                          outcome=outcome)
            assert err.field == "outcome"
        db.session.rollback()
        assert count(db, Enquiry) == 0
        login(client, staff.desk)
        page = client.get("/frontdesk/enquiries/new").text
        assert 'value="answered"' in page and 'value="repair"' not in page and 'value="complaint"' not in page
        row = record(staff.desk, staff.e1, outcome="message", answer="")
        db.session.commit()
        assert row.outcome == "message"


def test_the_enquiry_page_records_and_forwards(client, db, staff):
    login(client, staff.desk)
    page = client.get("/frontdesk/enquiries/new").text
    assert 'value="repair"' in page and 'value="complaint"' in page
    resp = client.post("/frontdesk/enquiries/new", data={
        "once_key": new_once_key(), "estate_id": str(staff.e1.id), "received_at": "2026-11-18T09:30",
        "channel": "hotline", "unit_number": "1-1-102", "contact_phone": "13900002222", "contact_name": "孙明",
        "resident_id": "", "topic": "repairs", "question": "卫生间灯不亮", "answer": "", "outcome": "repair"})
    assert resp.status_code == 302, resp.text
    row = db.session.scalar(select(Enquiry))
    assert row.forwarded_number.startswith("BX-") and row.channel == "hotline"
    detail = client.get(f"/frontdesk/enquiries/{row.id}").text
    assert row.forwarded_number in detail and "卫生间灯不亮" in detail
    from plugins.repairs.models import Repair

    repair = db.session.scalar(select(Repair))
    assert f'href="/repairs/{repair.id}"' in detail  # the repair page itself (repairs' repair_states)
    listing = client.get("/frontdesk/enquiries?q=孙明").text
    assert row.forwarded_number in listing
    assert client.get("/frontdesk/enquiries?export=xlsx").status_code == 403  # the desk role does not export
    login(client, staff.sup)
    resp = client.get("/frontdesk/enquiries?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
