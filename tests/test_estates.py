"""Estates, buildings, units and residents: forms, validation, and the estate scope."""

import io
import re
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.models import AuditLog, Building, Occupancy, Resident, Unit


def unit_of(db, estate, number):
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_supervisor_adds_a_unit(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    building = db.session.scalar(select(Building).where(Building.estate_id == estates[0].id, Building.code == "3"))
    resp = client.post("/estates/units/new", data={
        "building_id": building.id, "number": "3-2-1202", "floor": "12", "area": "128.75", "use": "residence"})
    assert resp.status_code == 302
    unit = unit_of(db, estates[0], "3-2-1202")
    assert unit.area == Decimal("128.75") and unit.floor == 12 and unit.estate_id == estates[0].id
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "3-2-1202" in page and "128.75" in page


def test_bad_unit_input_is_refused_beside_the_field_and_nothing_saved(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    building = db.session.scalar(select(Building).where(Building.estate_id == estates[0].id, Building.code == "3"))
    before = count(db, Unit)
    cases = [
        ({"number": "3/2/1201"}, "A unit number looks like 3-2-1201"),
        ({"number": "3-2-1201"}, "Building 3 already has a unit 3-2-1201."),
        ({"number": "3-2-1299", "area": "12.345"}, "Use at most 2 decimal places."),
        ({"number": "3-2-1299", "area": "abc"}, "Enter an amount such as 1280.50."),
        ({"number": "3-2-1299", "area": "-5"}, "Number must be between"),
        ({"number": "3-2-1299", "floor": "999"}, "Number must be between -10 and 200."),
        ({"number": ""}, "This field is required."),
    ]
    for extra, message in cases:
        data = {"building_id": building.id, "use": "residence", **extra}
        resp = client.post("/estates/units/new", data=data)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 422 and message in page, (extra, message)
        assert 'class="invalid-feedback d-block"' in page
    assert count(db, Unit) == before


def test_a_building_of_another_estate_cannot_be_used(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    foreign = db.session.scalar(select(Building).where(Building.estate_id == estates[1].id))
    resp = client.post("/estates/units/new", data={"building_id": foreign.id, "number": "9-9-999", "use": "residence"})
    assert "Not a valid choice" in resp.get_data(as_text=True)
    assert unit_of(db, estates[1], "9-9-999") is None


def test_another_estates_records_are_invisible_everywhere(client, login_as, db, estates):
    login_as("manager", estates=[estates[0]])
    theirs = unit_of(db, estates[1], "2-1-201")
    their_resident = db.session.scalar(select(Resident).where(Resident.estate_id == estates[1].id))
    assert client.get(f"/estates/units/{theirs.id}").status_code == 404
    assert client.get(f"/estates/units/{theirs.id}/edit").status_code == 404
    assert client.get(f"/residents/{their_resident.id}").status_code == 404
    assert client.post(f"/residents/{their_resident.id}/edit", data={"name": "x"}).status_code == 404
    units_page = client.get("/estates/units").get_data(as_text=True)
    assert "2-1-201" not in units_page and "3 records" in units_page
    assert "search-hit" not in client.get("/search?q=2-1-201").get_data(as_text=True)
    assert "Riverside" not in client.get("/residents/?q=Owner").get_data(as_text=True)
    export = client.get("/estates/units?export=xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and all(r[0] != "2-1-201" for r in rows)


def test_a_list_export_reads_its_rows_in_chunks_in_list_order_and_refuses_too_many_first(
        client, login_as, db, estates, monkeypatch):
    from sqlalchemy import event

    from core import listing

    login_as("manager", estates=list(estates))
    monkeypatch.setattr(listing, "EXPORT_CHUNK", 2)
    page = client.get("/estates/units?sort=-number").get_data(as_text=True)
    shown = re.findall(r'<a href="/estates/units/\d+">([^<]+)</a>', page)
    rows = list(load_workbook(io.BytesIO(client.get("/estates/units?sort=-number&export=xlsx").data))
                .active.iter_rows(values_only=True))
    assert len(shown) == 6 and [r[0] for r in rows[1:]] == shown  # three chunks of two, in the list's order
    monkeypatch.setattr(listing, "EXPORT_MAX_ROWS", 5)
    seen = []
    listen = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert client.get("/estates/units?export=csv").status_code == 413
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert not [s for s in seen if "core_unit.floor" in s]  # refused on the keys: no unit was loaded


def test_the_estate_switcher_narrows_the_view_but_not_beyond_membership(client, login_as, db, estates):
    login_as("manager", estates=list(estates))
    assert "6 records" in client.get("/estates/units").get_data(as_text=True)
    client.post("/estate", data={"estate_id": estates[1].id})
    page = client.get("/estates/units").get_data(as_text=True)
    assert "3 records" in page and "Riverside Park" in page
    client.post("/estate", data={"estate_id": "all"})
    assert "6 records" in client.get("/estates/units").get_data(as_text=True)


def test_switching_to_an_estate_one_does_not_belong_to_is_refused(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    assert client.post("/estate", data={"estate_id": estates[1].id}).status_code == 404


def test_the_unit_page_gathers_panels_and_shows_residents(client, login_as, db, estates):
    login_as("clerk", estates=[estates[0]])
    unit = unit_of(db, estates[0], "3-2-1201")
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert 'data-slot="core-occupancy"' in page and "Owner of E01 3-2-1201" in page
    assert 'data-slot="notices-unit"' in page


def test_phone_and_id_numbers_are_masked_unless_permitted(client, login_as, db, estates, make_user):
    res = db.session.scalar(select(Resident).where(Resident.estate_id == estates[0].id))
    res.id_number = "440301199001011234"
    db.session.commit()
    login_as("clerk", estates=[estates[0]])
    page = client.get(f"/residents/{res.id}").get_data(as_text=True)
    assert res.phone not in page and res.phone[:3] + "****" + res.phone[-4:] in page
    assert "4403**********1234" in page and res.id_number not in page
    client.post("/logout")
    login_as("supervisor", estates=[estates[0]])
    page = client.get(f"/residents/{res.id}").get_data(as_text=True)
    assert res.phone in page and res.id_number in page


def test_a_resident_is_recorded_and_linked_to_a_unit(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]])
    resp = client.post("/residents/new", data={
        "estate_id": estates[0].id, "name": "Zhou Min", "kind": "person", "phone": "139-1234-5678",
        "id_number": "44030119900101123x"})
    assert resp.status_code == 302
    res = db.session.scalar(select(Resident).where(Resident.name == "Zhou Min"))
    assert res.phone == "13912345678" and res.id_number == "44030119900101123X"
    resp = client.post(f"/residents/{res.id}/occupancies", data={
        "unit_number": "1-1-102", "role": "tenant", "start_date": "2026-03-01", "end_date": "2027-02-28"})
    assert resp.status_code == 302
    occ = db.session.scalar(select(Occupancy).where(Occupancy.resident_id == res.id))
    assert occ.role == "tenant" and occ.unit.number == "1-1-102" and str(occ.end_date) == "2027-02-28"


def test_bad_resident_input_is_refused(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]])
    before = count(db, Resident)
    resp = client.post("/residents/new", data={"estate_id": estates[0].id, "name": "", "kind": "person",
                                               "phone": "call me", "id_number": "!!"})
    page = resp.get_data(as_text=True)
    assert "This field is required." in page and "Enter a phone number of 5 to 20 digits." in page
    assert "An ID number has 6 to 30 letters or digits." in page
    resp = client.post("/residents/new", data={"estate_id": estates[1].id, "name": "X", "kind": "person"})
    assert "Not a valid choice" in resp.get_data(as_text=True)
    assert count(db, Resident) == before


def test_an_occupancy_must_be_in_the_residents_estate_and_dates_in_order(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]])
    res = db.session.scalar(select(Resident).where(Resident.estate_id == estates[0].id))
    before = count(db, Occupancy)
    resp = client.post(f"/residents/{res.id}/occupancies", data={"unit_number": "2-1-201", "role": "owner"})
    assert "There is no unit 2-1-201 in this estate." in resp.get_data(as_text=True)
    resp = client.post(f"/residents/{res.id}/occupancies", data={
        "unit_number": "1-1-102", "role": "owner", "start_date": "2026-05-01", "end_date": "2026-04-01"})
    assert "The end date is before the start date." in resp.get_data(as_text=True)
    assert count(db, Occupancy) == before


def test_every_change_is_audited_with_who_and_what(client, login_as, db, estates):
    user = login_as("supervisor", estates=[estates[0]])
    unit = unit_of(db, estates[0], "1-1-101")
    client.post(f"/estates/units/{unit.id}/edit", data={
        "building_id": unit.building_id, "number": "1-1-101", "floor": "1", "area": "101.00", "use": "shop"})
    entry = db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "core_unit", AuditLog.record_id == str(unit.id), AuditLog.action == "update")).one()
    assert entry.user_id == user.id and entry.estate_id == estates[0].id
    assert entry.changes["use"] == ["residence", "shop"] and entry.changes["area"] == ["98.50", "101.00"]
    assert db.session.get(Unit, unit.id).updated_by_id == user.id


def test_a_change_made_by_sql_is_audited_with_who_and_what(db, estates, make_user):
    """``core.audit.record_sql_change``: for conditional SQL updates the flush hooks cannot see."""
    from core.audit import acting_as, record_sql_change

    user = make_user("supervisor", [estates[0]])
    unit = unit_of(db, estates[0], "1-1-101")
    with acting_as(user):
        record_sql_change("core_unit", unit.id, estates[0].id, {"area": (Decimal("98.50"), Decimal("99.00"))})
    db.session.commit()
    entry = db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "core_unit", AuditLog.record_id == str(unit.id), AuditLog.action == "update")).one()
    assert entry.user_id == user.id and entry.estate_id == estates[0].id
    assert entry.changes == {"area": ["98.50", "99.00"]}


def test_the_audit_log_is_searchable_per_record_by_an_auditor(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    unit = unit_of(db, estates[0], "1-1-101")
    client.post(f"/estates/units/{unit.id}/edit", data={
        "building_id": unit.building_id, "number": "1-1-101", "floor": "1", "area": "77.00", "use": "residence"})
    client.post("/logout")
    login_as("manager", estates=[estates[0]])
    page = client.get(f"/admin/audit?table=core_unit&record={unit.id}").get_data(as_text=True)
    assert "area: 98.50 → 77.00" in page and "2 records" in page  # its insert and its update
    assert "1 record" not in client.get("/admin/audit?table=core_unit&record=999999").get_data(as_text=True)


def test_units_list_filters_sorts_and_paginates(client, login_as, db, estates, app):
    from core.testing import make_estate

    make_estate("E03", "Big Estate", units=[f"5-1-{f}{r:02d}" for f in range(1, 11) for r in range(1, 4)])
    db.session.commit()
    from core.models import Estate

    big = db.session.scalar(select(Estate).where(Estate.code == "E03"))
    login_as("clerk", estates=[big])
    page = client.get("/estates/units?sort=-number").get_data(as_text=True)
    assert "30 records" in page and page.index("5-1-1003") < page.index("5-1-903")
    page2 = client.get("/estates/units?sort=-number&page=2").get_data(as_text=True)
    assert "5-1-103" in page2 and "5-1-1003" not in page2
    assert "3 records" in client.get("/estates/units?q=-100").get_data(as_text=True)
    assert "0 records" in client.get("/estates/units?q=%25").get_data(as_text=True)
