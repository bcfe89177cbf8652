"""The front desk's core hooks: dashboard widgets, unit and resident panels, search, roles;
and the demo desk."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.i18n import today_local
from core.models import Occupancy, Unit
from plugins.frontdesk import services
from tests.plugins.frontdesk.conftest import login


def _unit(db, estate, number="1-1-101"):
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def _parcel(db, user, estate, **kw):
    args = dict(estate_id=estate.id, unit_number="1-1-101", recipient_name="陈建华", kind="parcel",
                tracking_number="SF0001")
    args.update(kw)
    with acting_as(user):
        row = services.receive_parcel(user, **args)
        db.session.commit()
    return row


def test_the_widgets_count_parcels_waiting_and_passes_to_approve(client, db, staff, make_pass):
    make_pass(applicant_name="陈建华")
    make_pass(applicant_name="孙明", approve=True)
    make_pass(estate=staff.e2)
    _parcel(db, staff.desk, staff.e1)
    _parcel(db, staff.desk, staff.e1, tracking_number="SF0002")
    _parcel(db, staff.desk_e2, staff.e2)
    login(client, staff.sup)
    page = client.get("/").text
    parcels = page[page.find('data-widget="frontdesk-parcels"'):]
    assert "2 parcels waiting" in parcels[:600]
    passes = page[page.find('data-widget="frontdesk-passes"'):]
    assert "1 application to approve" in passes[:900] and "陈建华" in passes[:900] and "孙明" not in passes[:900]
    login(client, staff.cashier)  # no frontdesk.view
    assert 'data-widget="frontdesk-passes"' not in client.get("/").text


def test_the_unit_and_resident_pages_show_licences_vehicle_passes_and_parcels(client, db, staff):
    today = today_local()
    _parcel(db, staff.desk, staff.e1, tracking_number="SF7788")
    other = _parcel(db, staff.desk, staff.e1, unit_number="1-1-102", tracking_number="SF9999")
    with acting_as(staff.desk):
        services.issue_vehicle_pass(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", holder_name="陈建华",
                                    plate="沪A55555", valid_until=today + timedelta(days=30))
        services.register_licence(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", licence_number="QZ-77",
                                  owner_name="陈建华", breed="柴犬", vaccinated_on=today, valid_from=today,
                                  valid_until=today + timedelta(days=365))
        db.session.commit()
    unit = _unit(db, staff.e1)
    login(client, staff.clerk)
    page = client.get(f"/estates/units/{unit.id}").text
    panel = page[page.find('data-slot="frontdesk-unit"'):]
    panel = panel[:panel.find("panel-licences") + 400]
    assert "沪A55555" in panel and "QZ-77" in panel and "KD-E01" in panel and other.number not in panel
    resident = db.session.scalar(select(Occupancy).where(Occupancy.unit_id == unit.id)).resident
    page = client.get(f"/residents/{resident.id}").text
    assert 'data-slot="frontdesk-resident"' in page and "QZ-77" in page and "沪A55555" in page


def test_search_finds_pass_numbers_plates_and_parcel_numbers_in_own_estates(client, db, staff, make_pass):
    mine = make_pass(approve=True, vehicle_plate="沪A99999")
    theirs = make_pass(approve=True, estate=staff.e2)
    parcel = _parcel(db, staff.desk, staff.e1, tracking_number="YT123456")
    today = today_local()
    with acting_as(staff.desk):
        services.issue_vehicle_pass(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101", holder_name="陈建华",
                                    plate="沪B77777", valid_until=today + timedelta(days=30))
        db.session.commit()
    login(client, staff.clerk)
    assert f"/frontdesk/passes/{mine.id}" in client.get(f"/search?q={mine.number}").text
    assert f"/frontdesk/passes/{theirs.id}" not in client.get(f"/search?q={theirs.number}").text
    assert f"/frontdesk/passes/{mine.id}" in client.get("/search?q=沪A99999").text
    assert f"/frontdesk/parcels/{parcel.id}" in client.get(f"/search?q={parcel.number}").text
    assert f"/frontdesk/parcels/{parcel.id}" in client.get("/search?q=YT123456").text
    assert "沪B77777" in client.get("/search?q=沪b77777").text


def test_roles_the_desk_records_the_supervisor_approves_the_cashier_sees_nothing(client, db, staff, make_pass):
    row = make_pass()
    login(client, staff.cashier)
    assert client.get("/frontdesk/passes").status_code == 403
    assert client.get("/frontdesk/passes/new").status_code == 403
    login(client, staff.manager)  # sees and approves, does not record
    assert client.get("/frontdesk/passes").status_code == 200
    assert client.get("/frontdesk/passes/new").status_code == 403
    assert client.post("/frontdesk/gate", data={}).status_code == 403
    login(client, staff.clerk)  # records, neither approves nor marks at the gate
    assert client.get("/frontdesk/passes/new").status_code == 200
    assert client.post(f"/frontdesk/passes/{row.id}/approve").status_code == 403
    assert client.post("/frontdesk/gate", data={}).status_code == 403


def test_the_demo_desk_has_parcels_and_passes(app, db, estates, make_user):
    from plugins.frontdesk.demo import load
    from plugins.frontdesk.models import Enquiry, GoodsPass, GoodsPassUse, Parcel

    e1, _e2 = estates
    users = {code: make_user(code, [e1], username=f"demo-{code}") for code in ("frontdesk", "supervisor", "manager")}
    load(e1, users)
    db.session.commit()
    states = dict(db.session.execute(select(GoodsPass.state, func.count()).group_by(GoodsPass.state)).all())
    assert states == {"applied": 2, "approved": 1, "used": 1, "refused": 1}
    assert db.session.scalar(select(func.count()).select_from(GoodsPassUse)) == 1
    waiting = db.session.scalar(select(func.count()).select_from(Parcel).where(Parcel.collected_at.is_(None)))
    assert waiting == 5 and db.session.scalar(select(func.count()).select_from(Parcel).where(
        Parcel.flagged_at.is_not(None))) == 1
    assert db.session.scalar(select(func.count()).select_from(Enquiry)) == 4
    load(e1, users)  # twice: nothing more
    assert db.session.scalar(select(func.count()).select_from(GoodsPass)) == 5


def test_search_reads_numbers_only_with_their_prefix_and_still_finds_each_record(app, client, db, staff, make_pass):
    """Issue 15 (speed): the hook looks a number up only when the query has that record's
    prefix, and reads plain columns; every kind of hit is still found, typed in any case."""
    from core.extensions import db as sadb
    from core.security import user_estate_ids
    from plugins.frontdesk import search

    mine = make_pass(approve=True, vehicle_plate="沪A12345")
    parcel = _parcel(db, staff.desk, staff.e1, tracking_number="KD-LOOKALIKE-1")
    with acting_as(staff.desk):
        vehicle = services.issue_vehicle_pass(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101",
                                              holder_name="陈建华", plate="沪C55555",
                                              valid_until=today_local() + timedelta(days=30))
        db.session.commit()
    assert mine.number.startswith("FX-") and parcel.number.startswith("KD-") and vehicle.number.startswith("CZ-")
    login(client, staff.clerk)
    for q, url, detail in [
        (mine.number.lower(), f"/frontdesk/passes/{mine.id}", "1-1-101"),   # the number in lower case
        ("沪a 12345", f"/frontdesk/passes/{mine.id}", "沪A12345 · 1-1-101"),  # the plate, as typed
        (parcel.number.lower(), f"/frontdesk/parcels/{parcel.id}", "1-1-101 · 陈建华"),
        ("KD-LOOKALIKE-1", f"/frontdesk/parcels/{parcel.id}", "1-1-101 · 陈建华"),  # a tracking number
        (vehicle.number, "/frontdesk/vehicles?q=", "沪C55555"),
    ]:
        page = client.get(f"/search?q={q}").text
        assert url in page and detail in page, q

    statements = []
    from sqlalchemy import event

    def count(*_a):
        statements.append(1)

    with app.test_request_context("/search"):
        event.listen(sadb.engine, "before_cursor_execute", count)
        try:
            estates = sorted(user_estate_ids(staff.clerk))
            assert search("1201", staff.clerk, estates, 20) == []
        finally:
            event.remove(sadb.engine, "before_cursor_execute", count)
    assert len(statements) == 3  # one plain statement per kind of record, nothing loaded


def test_the_searched_columns_are_indexed(db):
    """Migration frontdesk_0002: the tracking number and a pass's plate, which the search
    looks up exactly on every query, are indexed per estate (numbers are unique already)."""
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        insp = inspect(conn)
        parcel = {tuple(i["column_names"]) for i in insp.get_indexes("frontdesk_parcel")}
        goods = {tuple(i["column_names"]) for i in insp.get_indexes("frontdesk_pass")}
        vehicle = {tuple(i["column_names"]) for i in insp.get_indexes("frontdesk_vehicle_pass")}
    assert ("estate_id", "tracking_number") in parcel
    assert ("estate_id", "vehicle_plate") in goods
    assert ("estate_id", "plate") in vehicle
