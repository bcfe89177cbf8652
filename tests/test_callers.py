"""The caller of a desk form (issue 15): typing the unit lists its residents, typing a phone
finds the resident and their unit — the same block (core.callers, /residents/caller) on the
repair and the complaint forms, within the user's estates only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import Occupancy, Resident, Unit


def unit_of(db, estate, number):
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


@pytest.fixture
def callers(db, estates):
    """王芳 (13912340001) is the tenant of E01's 1-1-102; E02's 李明 has 13912340002."""
    e1, e2 = estates
    wang = Resident(estate_id=e1.id, name="王芳", phone="13912340001")
    li = Resident(estate_id=e2.id, name="李明", phone="13912340002")
    db.session.add_all([wang, li])
    db.session.flush()
    db.session.add(Occupancy(estate_id=e1.id, unit_id=unit_of(db, e1, "1-1-102").id, resident_id=wang.id,
                             role="tenant"))
    db.session.add(Occupancy(estate_id=e2.id, unit_id=unit_of(db, e2, "2-1-201").id, resident_id=li.id,
                             role="owner"))
    db.session.commit()
    return wang, li


def received():
    """Half an hour ago, as the complaint form takes it (the estate's local time)."""
    from datetime import timedelta

    from core.i18n import to_local
    from core.models import utcnow

    return to_local(utcnow() - timedelta(minutes=30), "Asia/Shanghai").strftime("%Y-%m-%dT%H:%M")


def units(page: str) -> dict:
    """The unit each option carries for the unit box: {value: unit number}."""
    return dict(re.findall(r'<option value="(\d*)" data-unit="([^"]*)"', page))


def options(page: str) -> dict:
    """The caller select's options: {value: label}, and the chosen one under key 'selected'."""
    found = dict(re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', page))
    chosen = re.findall(r'<option value="(\d*)"[^>]* selected>', page)
    found["selected"] = chosen[0] if chosen else None
    return found


def test_the_unit_lists_its_residents_and_the_phone_finds_the_caller(client, login_as, estates, callers):
    e1, e2 = estates
    wang, li = callers
    login_as("frontdesk", estates=[e1])
    page = client.get("/residents/caller", query_string={"estate_id": e1.id, "unit_number": "1-1-102"})
    assert page.status_code == 200
    found = options(page.get_data(as_text=True))
    assert str(wang.id) in found and "王芳 · Tenant" in found[str(wang.id)] and "Owner of E01 1-1-102" in str(found)
    assert found["selected"] == ""  # the unit alone chooses nobody

    page = client.get("/residents/caller", query_string={"estate_id": e1.id, "contact_phone": "139 1234 0001"})
    found = options(page.get_data(as_text=True))
    assert found["selected"] == str(wang.id) and "1-1-102" in found[str(wang.id)]  # resident and unit
    assert units(page.get_data(as_text=True)) == {str(wang.id): "1-1-102"}  # for the unit box (issue 15)

    page = client.get("/residents/caller", query_string={"estate_id": e1.id, "unit_number": "9-9-999"})
    assert "There is no unit 9-9-999 in this estate." in page.get_data(as_text=True)


def test_another_estate_finds_nothing(client, login_as, estates, callers):
    e1, e2 = estates
    login_as("frontdesk", estates=[e1])
    page = client.get("/residents/caller", query_string={"estate_id": e1.id, "contact_phone": "13912340002"})
    text = page.get_data(as_text=True)
    assert "李明" not in text and "No resident of this estate has the phone 13912340002." in text
    page = client.get("/residents/caller", query_string={"estate_id": e2.id, "unit_number": "2-1-201",
                                                         "contact_phone": "13912340002"})
    text = page.get_data(as_text=True)
    assert "李明" not in text and "2-1-201" not in text and "Owner of E02" not in text


def test_a_caller_found_by_phone_is_recorded_with_their_unit_on_both_forms(client, login_as, db, estates, callers):
    from plugins.complaints.models import Complaint
    from plugins.repairs.models import Repair

    e1, _e2 = estates
    wang, _li = callers
    login_as("clerk", estates=[e1])
    resp = client.post("/repairs/new", data={
        "estate_id": e1.id, "unit_number": "", "resident_id": wang.id, "contact_name": "", "contact_phone": "",
        "channel": "phone", "category": "water", "description": "厨房水管漏水", "area": "private",
        "priority": "normal"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    repair = db.session.scalar(select(Repair))
    assert repair.unit.number == "1-1-102" and repair.resident_id == wang.id
    assert repair.contact_name == "王芳" and repair.contact_phone == "13912340001"

    resp = client.post("/complaints/new", data={
        "estate_id": e1.id, "received_at": received(), "channel": "phone", "unit_number": "", "resident_id": wang.id,
        "contact_name": "", "contact_phone": "13912340001", "category": "noise", "content": "楼上深夜装修噪音",
        "kind": "venting", "severity": "normal"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    complaint = db.session.scalar(select(Complaint))
    assert complaint.unit.number == "1-1-102" and complaint.resident_id == wang.id
    assert complaint.contact_name == "王芳"


@pytest.mark.parametrize("path", ["/repairs/new", "/complaints/new"])
def test_a_caller_who_does_not_live_in_the_unit_is_refused(client, login_as, db, estates, callers, path):
    from plugins.complaints.models import Complaint
    from plugins.repairs.models import Repair

    e1, _e2 = estates
    wang, li = callers
    login_as("clerk", estates=[e1])
    for someone in (wang, li):  # 王芳 lives in 1-1-102, 李明 in another estate
        resp = client.post(path, data={
            "estate_id": e1.id, "unit_number": "3-2-1201", "resident_id": someone.id, "contact_name": "",
            "contact_phone": "13912340009", "channel": "phone",
            "category": "water" if path.startswith("/repairs") else "noise", "description": "漏水",
            "area": "private", "priority": "normal", "received_at": received(), "content": "楼上深夜装修噪音",
            "kind": "venting", "severity": "normal"})
        assert resp.status_code == 422
        page = resp.get_data(as_text=True)
        assert re.search(r'data-field="resident_id">This resident is not on file for the unit.<', page)
        assert "李明" not in page
    assert db.session.scalar(select(Repair)) is None and db.session.scalar(select(Complaint)) is None


@pytest.mark.parametrize("path", ["/repairs/new", "/complaints/new"])
def test_both_forms_carry_the_same_caller_block(client, login_as, estates, path):
    login_as("clerk", estates=[estates[0]])
    page = client.get(path).get_data(as_text=True)
    assert 'id="caller-choice"' in page and page.count('hx-get="/residents/caller"') == 3  # estate, unit, phone
