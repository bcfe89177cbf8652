"""Meter readings: the checks (lower than last time, huge jumps, duplicates), all-or-nothing
grids, voiding, XLSX import with preview and per-row errors, and the grid page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import DomainError
from core.models import Unit
from core.testing import TEST_PASSWORD
from plugins.fees import billing, readings
from plugins.fees.models import MeterReading

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
D = Decimal


@pytest.fixture
def setup(db, estates, make_user):
    e1, e2 = estates
    water = billing.create_item(e1, dict(code="WATER", name="Water", kind="meter", meter_kind="water"))
    billing.add_price(water, price=D("4.10"), valid_from=date(2026, 1, 1))
    units = {u.number: u for u in db.session.scalars(select(Unit).where(Unit.estate_id == e1.id))}
    meters = {n: billing.save_meter(e1, dict(code=f"W{n}", kind="water", unit_id=u.id)) for n, u in units.items()}
    db.session.commit()
    return e1, e2, meters, make_user("manager", [e1], username="mgr1")


def grid(meters, period, values: dict, confirm=(), starts=None):
    rows = readings.grid_rows(list(meters.values()), period)
    for r in rows:
        number = r.meter.unit.number
        r.value_text = values.get(number, "")
        r.confirmed = number in confirm
        r.start_text = (starts or {}).get(number, "")
    return rows


def count(db):
    return db.session.scalar(select(func.count(MeterReading.id)).where(MeterReading.voided_at.is_(None)))


def test_first_reading_uses_the_starting_figure(db, setup):
    e1, _e2, meters, mgr = setup
    n = readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "120.5"}, starts={"1-1-101": "100"}), OCT, mgr.id)
    assert n == 1
    r = db.session.scalar(select(MeterReading))
    assert (r.previous, r.value, r.usage, r.period) == (D("100.00"), D("120.50"), D("20.50"), OCT)
    rows = readings.grid_rows(list(meters.values()), NOV)
    row = [x for x in rows if x.meter.code == "W1-1-101"][0]
    assert (row.previous, row.previous_usage) == (D("120.50"), D("20.50"))


def test_lower_reading_needs_confirmation(db, setup):
    e1, _e2, meters, mgr = setup
    readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "500"}), OCT, mgr.id)
    db.session.commit()
    with pytest.raises(DomainError):
        readings.save_rows(e1, NOV, grid(meters, NOV, {"1-1-101": "20"}), NOV, mgr.id)
    rows = grid(meters, NOV, {"1-1-101": "20"})
    with pytest.raises(DomainError):
        readings.save_rows(e1, NOV, rows, NOV, mgr.id)
    assert "lower than the previous reading" in [r for r in rows if r.errors][0].errors[0]
    db.session.rollback()
    readings.save_rows(e1, NOV, grid(meters, NOV, {"1-1-101": "20"}, confirm={"1-1-101"}), NOV, mgr.id)
    r = db.session.scalar(select(MeterReading).where(MeterReading.period == NOV))
    assert (r.usage, r.confirmed_unusual) == (D("20.00"), True)  # a new meter counts from zero


def test_huge_jump_is_a_warning_that_must_be_confirmed(db, setup):
    e1, _e2, meters, mgr = setup
    readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "10"}), OCT, mgr.id)  # usage 10
    db.session.commit()
    rows = grid(meters, NOV, {"1-1-101": "50"})  # usage 40 > 3 × 10
    with pytest.raises(DomainError):
        readings.save_rows(e1, NOV, rows, NOV, mgr.id)
    assert "more than 3 times" in [r for r in rows if r.errors][0].errors[0]
    rows = grid(meters, NOV, {"1-1-101": "50"}, confirm={"1-1-101"})
    readings.save_rows(e1, NOV, rows, NOV, mgr.id)
    assert [r for r in rows if r.warnings]
    assert count(db) == 2


def test_grid_saves_all_rows_or_none(db, setup):
    e1, _e2, meters, mgr = setup
    with pytest.raises(DomainError):
        readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "10", "1-1-102": "abc", "3-2-1201": "-4"}),
                           OCT, mgr.id)
    db.session.rollback()
    assert count(db) == 0
    with pytest.raises(DomainError):
        readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "1.234"}), OCT, mgr.id)
    with pytest.raises(DomainError):
        readings.save_rows(e1, OCT, grid(meters, OCT, {}), OCT, mgr.id)
    assert count(db) == 0


def test_duplicate_refused_until_the_old_reading_is_voided(db, setup):
    e1, _e2, meters, mgr = setup
    readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "10"}), OCT, mgr.id)
    rows = grid(meters, OCT, {"1-1-101": "12"})
    assert [r for r in rows if r.meter.code == "W1-1-101"][0].existing is not None
    with pytest.raises(DomainError):
        readings.save_rows(e1, OCT, rows, OCT, mgr.id)
    old = db.session.scalar(select(MeterReading))
    with pytest.raises(DomainError):
        readings.void_reading(old, "", mgr.id)
    readings.void_reading(old, "typed the wrong figure", mgr.id)
    readings.save_rows(e1, OCT, grid(meters, OCT, {"1-1-101": "12"}), OCT, mgr.id)
    assert count(db) == 1
    assert db.session.get(MeterReading, old.id).void_reason == "typed the wrong figure"


def test_reading_used_by_a_bill_cannot_be_voided(db, setup):
    e1, _e2, meters, mgr = setup
    readings.save_rows(e1, NOV, grid(meters, NOV, {"1-1-101": "10"}), NOV, mgr.id)
    billing.run_billing(e1, NOV, mgr.id)
    r = db.session.scalar(select(MeterReading))
    with pytest.raises(DomainError) as exc:
        readings.void_reading(r, "typed the wrong figure", mgr.id)
    assert "void the bill first" in exc.value.message


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_import_previews_errors_then_saves_everything(db, setup):
    e1, _e2, meters, mgr = setup
    bad = xlsx([["表号", "本期读数", "起始读数"], ["W1-1-101", 15, 5], ["W9-9-999", 3, None], ["W1-1-102", "x", None],
                ["W1-1-101", 20, None]])
    preview = readings.parse_import(e1, NOV, "r.xlsx", bad)
    assert not preview.ok and preview.error_count == 3
    errors = {line: r.errors for line, r in zip(preview.lines, preview.rows, strict=True)}
    assert errors[2] == [] and "no meter W9-9-999" in errors[3][0] and "not a number" in errors[4][0]
    assert "Same meter as row 2" in errors[5][0]
    with pytest.raises(DomainError):
        readings.commit_import(e1, NOV, preview, NOV, mgr.id)
    assert count(db) == 0
    good = xlsx([["meter", "reading", "start", "confirmed"], ["W1-1-101", 15, 5, None], ["W3-2-1201", 7.5, None, "1"]])
    preview = readings.parse_import(e1, NOV, "r.xlsx", good)
    assert preview.ok
    assert readings.commit_import(e1, NOV, preview, NOV, mgr.id) == 2
    usage = dict(db.session.execute(select(MeterReading.value, MeterReading.usage)).all())
    assert usage == {D("15.00"): D("10.00"), D("7.50"): D("7.50")}
    assert readings.parse_import(e1, NOV, "r.txt", b"hello").file_error
    assert readings.parse_import(e1, NOV, "r.xlsx", xlsx([["a", "b"], [1, 2]])).file_error


def login(client, user):
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code == 302


def test_grid_page_saves_and_shows_readings(db, client, setup, make_user):
    e1, e2, meters, _mgr = setup
    clerk = make_user("clerk", [e1])
    login(client, clerk)
    page = client.get(f"/fees/readings?estate={e1.id}&period=2026-11")
    assert page.status_code == 200 and "W3-2-1201" in page.text
    m = meters["1-1-101"]
    resp = client.post(f"/fees/readings?estate={e1.id}&period=2026-11",
                       data={f"value-{m.id}": "33.3", f"start-{m.id}": "30", f"value-{meters['1-1-102'].id}": "-1"})
    assert resp.status_code == 422 and "not a meter figure" in resp.text
    assert count(db) == 0
    resp = client.post(f"/fees/readings?estate={e1.id}&period=2026-11", data={f"value-{m.id}": "33.3",
                                                                              f"start-{m.id}": "30"})
    assert resp.status_code == 302
    page = client.get(f"/fees/readings?estate={e1.id}&period=2026-11")
    assert '<span class="saved-reading">33.30</span>' in page.text
    r = db.session.scalar(select(MeterReading))
    resp = client.post(f"/fees/readings/{r.id}/void", data={"reason": "wrong meter"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(MeterReading, r.id).voided_at is not None
    assert client.get(f"/fees/readings?estate={e2.id}").status_code == 404
    cashier = make_user("cashier", [e1])
    login(client, cashier)
    assert client.get(f"/fees/readings?estate={e1.id}").status_code == 403


def test_import_page_previews_then_confirms(db, client, setup, make_user):
    e1, _e2, _meters, _mgr = setup
    login(client, make_user("clerk", [e1]))
    data = xlsx([["meter", "reading", "start"], ["W1-1-101", 15, 5]])
    resp = client.post(f"/fees/readings/import?estate={e1.id}", content_type="multipart/form-data",
                       data={"period": "2026-11", "file": (io.BytesIO(data), "r.xlsx"), "confirm": "0"})
    assert resp.status_code == 200 and "Every row is right." in resp.text and count(db) == 0
    token = resp.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    resp = client.post(f"/fees/readings/import?estate={e1.id}", data={"period": "2026-11", "token": token,
                                                                      "confirm": "1"})
    assert resp.status_code == 302 and count(db) == 1


def test_a_large_estate_enters_its_readings_building_by_building(db, client, setup, make_user, monkeypatch):
    e1, e2, meters, _mgr = setup
    shared = billing.create_item(e1, dict(code="PUBW", name="Common water", kind="shared", meter_kind="water",
                                          allocation="area"))
    main = billing.save_meter(e1, dict(code="MAIN-W", kind="water", item_id=shared.id))  # the estate's own
    db.session.commit()
    monkeypatch.setattr(readings, "GRID_MAX", 2)  # setup has three unit meters and now this one
    login(client, make_user("clerk", [e1]))
    url = f"/fees/readings?estate={e1.id}&period=2026-11"
    page = client.get(url).text
    assert "readings-split" in page and 'id="readings-grid"' not in page and "W1-1-101" not in page
    b1 = meters["1-1-101"].unit.building_id
    b3 = meters["3-2-1201"].unit.building_id
    assert f"building={b1}" in page and f"building={b3}" in page and "building=estate" in page
    assert client.post(url, data={f"value-{meters['1-1-101'].id}": "10", f"start-{meters['1-1-101'].id}": "5"}
                       ).status_code == 400  # no grid was shown: nothing is saved blindly
    assert count(db) == 0
    one = client.get(f"{url}&building={b1}").text
    assert 'id="readings-grid"' in one and "W1-1-101" in one and "W1-1-102" in one and "W3-2-1201" not in one
    own = client.get(f"{url}&building=estate").text
    assert "MAIN-W" in own and "W1-1-101" not in own
    resp = client.post(f"{url}&building=estate", data={f"value-{main.id}": "120", f"start-{main.id}": "100"})
    assert resp.status_code == 302 and count(db) == 1
    assert client.get(f"{url}&kind=electricity").status_code == 200  # few meters of a kind: the grid
    assert client.get(f"{url}&building=nope").status_code == 404
    assert client.get(f"/fees/readings?estate={e1.id}&building={b1}&period=2026-11").status_code == 200
