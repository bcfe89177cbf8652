"""Visitors, dog licences, vehicle passes, certificates (fees on and off) and the work log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.audit import acting_as
from core.i18n import today_local
from core.models import Notification, Occupancy, Unit
from core.testing import refused
from plugins.frontdesk import services
from plugins.frontdesk.jobs import remind_licences
from plugins.frontdesk.models import Certificate, DogLicence, VehiclePass, Visitor, WorkLogEntry
from tests.plugins.frontdesk.conftest import login
from tests.plugins.frontdesk.test_frontdesk_enquiries import without


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def licence(user, estate, **kw):
    today = today_local()
    args = dict(estate_id=estate.id, unit_number="1-1-101", licence_number="QZ-2026-001", owner_name="陈建华",
                owner_phone="13800001111", dog_name="旺财", breed="柴犬", colour="棕色",
                vaccinated_on=today - timedelta(days=30), valid_from=today - timedelta(days=30),
                valid_until=today + timedelta(days=335))
    args.update(kw)
    with acting_as(user):
        return services.register_licence(user, **args)


def test_a_licence_expiring_before_it_starts_is_refused_and_nothing_saved(db, staff):
    today = today_local()
    for until in (today - timedelta(days=31), today - timedelta(days=30)):
        err = refused("A licence cannot expire before it starts", licence, staff.desk, staff.e1, valid_until=until)
        assert err.field == "valid_until"
    assert refused("vaccination date is in the future", licence, staff.desk, staff.e1,
                   vaccinated_on=today + timedelta(days=1)).field == "vaccinated_on"
    assert refused("Enter the breed", licence, staff.desk, staff.e1, breed="").field == "breed"
    db.session.rollback()
    assert count(db, DogLicence) == 0
    licence(staff.desk, staff.e1)
    db.session.commit()
    assert refused("already registered", licence, staff.desk, staff.e1).field == "licence_number"


def test_the_licence_page_refuses_a_bad_expiry_with_the_message(client, db, staff):
    login(client, staff.desk)
    today = today_local()
    data = {"estate_id": str(staff.e1.id), "unit_number": "1-1-101", "licence_number": "QZ-1", "owner_name": "陈建华",
            "owner_phone": "", "dog_name": "", "breed": "泰迪", "colour": "", "vaccinated_on": today.isoformat(),
            "valid_from": today.isoformat(), "valid_until": (today - timedelta(days=1)).isoformat()}
    resp = client.post("/frontdesk/licences", data=data)
    assert resp.status_code == 422 and "A licence cannot expire before it starts" in resp.text
    assert count(db, DogLicence) == 0
    data["valid_until"] = (today + timedelta(days=365)).isoformat()
    assert client.post("/frontdesk/licences", data=data).status_code == 302
    assert "QZ-1" in client.get("/frontdesk/licences?q=泰迪").text


def test_licences_about_to_expire_are_reminded_once(db, staff, clock):
    today = today_local()
    licence(staff.desk, staff.e1, valid_until=today + timedelta(days=40))
    licence(staff.desk, staff.e1, licence_number="QZ-2026-002", valid_until=today + timedelta(days=300))
    db.session.commit()
    assert remind_licences() == "0 dog licence reminders"
    clock.shift(timedelta(days=11))
    assert remind_licences() == "1 dog licence reminders"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == staff.desk.id)) == 1
    assert remind_licences() == "0 dog licence reminders"


def test_vehicle_passes_are_issued_once_per_plate_and_returned(db, staff):
    today = today_local()
    with acting_as(staff.desk):
        row = services.issue_vehicle_pass(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101",
                                          holder_name="陈建华", plate="沪a 12345", card_number="IC-1",
                                          valid_until=today + timedelta(days=365))
        db.session.commit()
        assert (row.plate, row.number[:7]) == ("沪A12345", "CZ-E01-")
        err = refused("already holds pass", services.issue_vehicle_pass, staff.desk, estate_id=staff.e1.id,
                      unit_number="1-1-102", holder_name="孙明", plate="沪A12345",
                      valid_until=today + timedelta(days=30))
        assert err.field == "plate"
        assert refused("cannot end before it starts", services.issue_vehicle_pass, staff.desk, estate_id=staff.e1.id,
                       unit_number="1-1-102", holder_name="孙明", plate="沪B1",
                       valid_until=today - timedelta(days=1)).field == "valid_until"
        services.return_vehicle_pass(staff.desk, db.session.get(VehiclePass, row.id), "卡已收回")
        db.session.commit()
        refused("already been returned", services.return_vehicle_pass, staff.desk, db.session.get(VehiclePass, row.id))
    assert db.session.get(VehiclePass, row.id).returned_on == today
    assert count(db, VehiclePass) == 1


def test_visitors_arrive_and_leave_once(db, staff):
    with acting_as(staff.desk):
        row = services.register_visitor(staff.desk, estate_id=staff.e1.id, visitor_name="黄磊", unit_number="1-1-101",
                                        purpose="探亲", vehicle_plate="沪c888")
        db.session.commit()
        assert refused("Say why they came", services.register_visitor, staff.desk, estate_id=staff.e1.id,
                       visitor_name="x", purpose="").field == "purpose"
        services.visitor_left(staff.desk, db.session.get(Visitor, row.id))
        db.session.commit()
        refused("already recorded", services.visitor_left, staff.desk, db.session.get(Visitor, row.id))
    assert db.session.get(Visitor, row.id).vehicle_plate == "沪C888"


def _resident_of(db, estate, number="1-1-101"):
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))
    return db.session.scalar(select(Occupancy).where(Occupancy.unit_id == unit.id)).resident


def test_a_residence_certificate_is_numbered_printed_and_only_for_a_resident(client, db, staff):
    person = _resident_of(db, staff.e1)
    with acting_as(staff.desk):
        assert refused("is not on file as living in unit 1-1-101", services.issue_certificate, staff.desk,
                       estate_id=staff.e1.id, unit_number="1-1-101", kind="residence",
                       applicant_name="陌生人").field == "applicant_name"
        row = services.issue_certificate(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", kind="residence",
                                         applicant_name=person.name, purpose="子女入学")
        db.session.commit()
    assert row.number.startswith("ZM-E01-") and person.name in row.body and "1-1-101" in row.body
    login(client, staff.desk)
    sheet = client.get(f"/frontdesk/certificates/{row.id}").text
    assert row.number in sheet and person.name in sheet and "子女入学" in sheet


def test_a_fee_status_certificate_reads_the_balance_through_fees(db, staff, monkeypatch):
    from plugins.fees import ledger

    monkeypatch.setattr(ledger, "balance", lambda unit_id: Decimal("356.40"))
    with acting_as(staff.desk):
        row = services.issue_certificate(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", kind="fee_status",
                                         applicant_name="陈建华")
    assert "owes" in row.body and "356.40" in row.body
    monkeypatch.setattr(ledger, "balance", lambda unit_id: Decimal("0"))
    with acting_as(staff.desk):
        row = services.issue_certificate(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", kind="fee_status",
                                         applicant_name="陈建华")
    assert "owes no fees" in row.body


def test_without_fees_no_fee_status_certificate(client, db, staff):
    with without(db, "fees"):
        with acting_as(staff.desk):
            assert refused("fees module is not enabled", services.issue_certificate, staff.desk,
                           estate_id=staff.e1.id, unit_number="1-1-101", kind="fee_status",
                           applicant_name="陈建华").field == "kind"
        assert count(db, Certificate) == 0
        login(client, staff.desk)
        assert 'value="fee_status"' not in client.get("/frontdesk/certificates").text


def test_the_work_log_is_written_for_a_day_and_printed(client, db, staff):
    today = today_local()
    with acting_as(staff.desk):
        assert refused("not written ahead", services.write_log, staff.desk, estate_id=staff.e1.id,
                       day=today + timedelta(days=1), shift="day", text="x").field == "day"
        services.write_log(staff.desk, estate_id=staff.e1.id, day=today, shift="night", text="夜间受理快递三件")
        db.session.commit()
    assert count(db, WorkLogEntry) == 1
    login(client, staff.sup)
    sheet = client.get(f"/frontdesk/log/print?day={today.isoformat()}").text
    assert "夜间受理快递三件" in sheet and "吴敏" in sheet
    assert "夜间受理快递三件" not in client.get(
        f"/frontdesk/log/print?day={(today - timedelta(days=1)).isoformat()}").text


def test_every_register_prints_with_its_filters(client, db, staff):
    with acting_as(staff.desk):
        services.register_visitor(staff.desk, estate_id=staff.e1.id, visitor_name="黄磊", purpose="探亲")
        services.register_visitor(staff.desk, estate_id=staff.e1.id, visitor_name="徐静", purpose="送家具")
        db.session.commit()
    login(client, staff.desk)
    page = client.get("/frontdesk/visitors?q=黄磊").text
    assert "/frontdesk/visitors?q=%E9%BB%84%E7%A3%8A&amp;print=1" in page or "print=1" in page
    sheet = client.get("/frontdesk/visitors?q=黄磊&print=1").text
    assert "Visitor register" in sheet and "黄磊" in sheet and "徐静" not in sheet and "探亲" in sheet
    for url in ("/frontdesk/passes", "/frontdesk/enquiries", "/frontdesk/parcels", "/frontdesk/licences",
                "/frontdesk/vehicles", "/frontdesk/certificates"):
        resp = client.get(url + "?print=1")
        assert resp.status_code == 200 and 'class="form register"' in resp.text, url
