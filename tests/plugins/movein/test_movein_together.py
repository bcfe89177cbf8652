"""movein with keys, repairs and fees all enabled together: a meter's opening reading becomes
the unit meter's reading in fees (through fees' checks, refusals saving nothing), the move-out's
"deposits released" item asks fees to refund the held deposits, the acceptance form shows a
repair's real state (dispatched, in progress…) read from repairs, and a cancelled case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.models import Estate
from core.plugins import is_enabled
from core.testing import refused
from plugins.movein import services
from plugins.movein.models import MoveinCase, MoveinCheck
from tests.plugins.movein.conftest import item, login, unit_of

D = Decimal


@pytest.fixture
def partners():
    return ("keys", "repairs", "fees")


@pytest.fixture
def water_meter(db, staff):
    """Unit 1-1-101's water meter in fees, last read at 350.00 (a reading of January 2000)."""
    from plugins.fees.models import Meter, MeterReading

    unit = unit_of(db, staff.e1)
    meter = Meter(estate_id=staff.e1.id, code="W-101", kind="water", unit_id=unit.id)
    db.session.add(meter)
    db.session.flush()
    db.session.add(MeterReading(estate_id=staff.e1.id, meter_id=meter.id, period=date(2000, 1, 1),
                                previous=D("300.00"), value=D("350.00"), usage=D("0.00"),
                                read_on=date(2000, 1, 28)))
    db.session.commit()
    return meter


def readings(db, meter):
    from plugins.fees.models import MeterReading

    return db.session.scalars(select(MeterReading).where(MeterReading.meter_id == meter.id)
                              .order_by(MeterReading.period)).all()


def test_all_partners_on(app):
    assert all(is_enabled(c) for c in ("movein", "keys", "repairs", "fees"))


def test_opening_reading_becomes_the_meters_reading_in_fees(db, staff, open_case, water_meter):
    from core.models import AuditLog

    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="whole", element="water_meter", ok=True,
                                   reading="362.40")
        db.session.commit()
    rows = readings(db, water_meter)
    assert len(rows) == 2
    new = rows[-1]
    today = services.local_today(db.session.get(Estate, staff.e1.id))
    assert new.period == today.replace(day=1) and new.read_on == today
    assert new.previous == D("350.00") and new.value == D("362.40") and new.usage == D("12.40")
    assert case.number in new.note and new.created_by_id == staff.clerk.id
    assert check.fees_reading_id == new.id and check.reading == D("362.40")
    assert check.fees_note == f"In fees: reading of {today:%Y-%m}"
    audited = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.table_name == "fees_reading", AuditLog.record_id == str(new.id)))
    assert audited >= 1


def test_a_reading_fees_refuses_refuses_the_line(db, staff, open_case, water_meter):
    case = open_case()
    with acting_as(staff.clerk):
        err = refused("is lower than the previous reading 350.00", services.add_check, staff.clerk, case,
                      room="whole", element="water_meter", ok=True, reading="340")
    assert err.field == "reading"
    db.session.rollback()
    assert len(readings(db, water_meter)) == 1
    assert db.session.scalar(select(func.count()).select_from(MoveinCheck)) == 0
    # The meter was replaced: confirmed, as on the readings page.
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="whole", element="water_meter", ok=True,
                                   reading="5", confirmed=True)
        db.session.commit()
    new = readings(db, water_meter)[-1]
    assert new.value == D("5.00") and new.usage == D("5.00") and new.confirmed_unusual
    assert check.fees_reading_id == new.id
    # A second opening reading of the month: refused, as fees refuses a second reading.
    with acting_as(staff.clerk):
        refused("already has a reading for the period", services.add_check, staff.clerk, case,
                room="whole", element="water_meter", ok=True, reading="6")


def test_a_meter_fees_does_not_know_stays_on_the_form(db, staff, open_case, water_meter):
    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="whole", element="gas_meter", ok=True,
                                   reading="10.5")
        db.session.commit()
    assert check.fees_reading_id is None and check.reading == D("10.50")
    assert check.fees_note == "Not in fees: the unit has no such meter there."
    assert len(readings(db, water_meter)) == 1


def test_reading_through_the_page_shows_what_fees_did(client, db, staff, open_case, water_meter):
    case = open_case()
    login(client, staff.clerk)
    resp = client.post(f"/movein/{case.id}/checks", data={"room": "whole", "element": "water_meter",
                                                           "result": "ok", "reading": "340",
                                                           "once_key": new_once_key()})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "is lower than the previous reading" in page
    assert "becomes its reading of the month in fees" in page and 'name="confirmed"' in page
    resp = client.post(f"/movein/{case.id}/checks", data={"room": "whole", "element": "water_meter",
                                                           "result": "ok", "reading": "340", "confirmed": "y",
                                                           "once_key": new_once_key()})
    assert resp.status_code == 302
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert "In fees: reading of" in page and "340.00" in page
    new = readings(db, water_meter)[-1]
    assert new.value == D("340.00") and new.confirmed_unusual


@pytest.fixture
def deposit(db, staff):
    """A decoration deposit of 2,000.00 held for unit 1-1-101 (taken at the desk)."""
    from plugins.fees import ledger
    from plugins.fees.models import Deposit, FeeItem

    fee = FeeItem(estate_id=staff.e1.id, code="YJ", name="装修押金", kind="deposit")
    db.session.add(fee)
    db.session.flush()
    with acting_as(staff.cashier):
        ledger.take_payment(estate=staff.e1, unit_id=unit_of(db, staff.e1).id, cashier_id=staff.cashier.id,
                            method="cash", amount=D("2000.00"), bills=[], deposit_item_id=fee.id,
                            deposit_ref="ZX-001")
        db.session.commit()
    return db.session.scalar(select(Deposit))


def test_move_out_releases_the_held_deposits_through_fees(client, db, staff, open_case, deposit):
    from plugins.fees.models import Deposit, Payment, Refund

    case = open_case(kind="out")
    login(client, staff.clerk)
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert "Ticking asks fees to refund every deposit held for the unit." in page
    resp = client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, "deposits").id})
    assert resp.status_code == 302
    refund = db.session.scalar(select(Refund))
    assert refund.kind == "deposit" and refund.deposit_id == deposit.id and refund.amount == D("2000.00")
    assert refund.state == "requested" and refund.requested_by_id == staff.clerk.id and refund.payee == "陈业主"
    assert case.number in refund.reason
    dep = db.session.get(Deposit, deposit.id)
    assert dep.state == "refunding" and dep.releasable_at is not None
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1  # nothing deleted
    ticked = item(db.session.get(MoveinCase, case.id), "deposits")
    assert ticked.done_at is not None and refund.number in ticked.note
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert f"refund requested: {refund.number}" in page


def test_a_deposit_already_being_refunded_is_not_asked_for_twice(db, staff, open_case, deposit):
    from plugins.fees import desk
    from plugins.fees.models import Refund

    unit = unit_of(db, staff.e1)
    with acting_as(staff.sup):
        first = desk.request_refund(staff.sup, unit, kind="deposit", deposit_id=deposit.id, reason="业主申请")
        db.session.commit()
    case = open_case(kind="out")
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "deposits"))
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    note = item(db.session.get(MoveinCase, case.id), "deposits").note
    assert note == f"already being refunded: {first.number}"


def test_no_deposit_held_says_so(db, staff, open_case):
    case = open_case(kind="out")
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "deposits"), "手写备注")
        db.session.commit()
    assert item(db.session.get(MoveinCase, case.id), "deposits").note == "no deposit held in fees"


def test_the_form_shows_the_repairs_state_as_it_is_now(client, db, staff, open_case):
    from plugins.repairs import services as repairs
    from plugins.repairs.models import Repair

    case = open_case()
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="bathroom", element="plumbing", ok=False,
                                   defect="地漏返水")
        db.session.commit()
    login(client, staff.clerk)

    def shown():
        page = client.get(f"/movein/{case.id}").get_data(as_text=True)
        printed = client.get(f"/movein/{case.id}/print").get_data(as_text=True)
        return page.split('class="repair-state" data-state="')[1].split('"')[0], page, printed

    assert shown()[0] == "recorded"
    repair = db.session.get(Repair, check.repair_id)
    with acting_as(staff.sup):
        repairs.dispatch(staff.sup, repair, staff.tech.id)
        db.session.commit()
    state, page, printed = shown()
    assert state == "dispatched" and ">Dispatched<" in page and "Dispatched" in printed
    with acting_as(staff.tech):
        repairs.accept(staff.tech, db.session.get(Repair, repair.id))
        db.session.commit()
    state, page, printed = shown()
    assert state == "in_progress" and "In progress" in page and "In progress" in printed
    # Read through repairs' service for a user of the estate; another estate's user reads nothing
    # there, and the form falls back to the state last seen.
    case = db.session.get(MoveinCase, case.id)
    assert services.repair_states(staff.clerk, case) == {check.id: "in_progress"}
    assert services.repair_states(staff.clerk_e2, case) == {check.id: "recorded"}


def test_cancelling_with_partners_lists_what_was_done_elsewhere(client, db, staff, open_case, deposit):
    case = open_case(kind="out")
    with acting_as(staff.clerk):
        services.tick(staff.clerk, case, item(case, "deposits"))
        db.session.commit()
    login(client, staff.clerk)
    resp = client.post(f"/movein/{case.id}/cancel", data={"reason": "业主暂不迁出"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Done before and not undone" in page and "Deposits released" in page
    case = db.session.get(MoveinCase, case.id)
    assert case.state == "cancelled" and all(i.cancelled_at for i in case.items)


def test_fees_services_first_reading_and_refusals(db, staff, open_case):
    from plugins.fees import desk, readings
    from plugins.fees.models import Meter, MeterReading, Refund

    unit = unit_of(db, staff.e1, "1-1-102")
    meter = Meter(estate_id=staff.e1.id, code="E-102", kind="electricity", unit_id=unit.id)
    db.session.add(meter)
    db.session.commit()
    with acting_as(staff.clerk):
        first = readings.record_opening(staff.clerk, unit_id=unit.id, kind="electricity", value="88.8",
                                        read_on=date(2026, 3, 9), note="RZ-1")
        db.session.commit()
    assert first.period == date(2026, 3, 1) and first.previous == first.value == D("88.80")
    assert first.usage == D("0.00") and not first.confirmed_unusual
    assert readings.record_opening(staff.clerk, unit_id=unit.id, kind="gas", value="1",
                                   read_on=date(2026, 3, 9)) is None
    for bad, message in (("abc", "is not a number"), ("-5", "is not a meter figure"), ("1.234", "decimal")):
        refused(message, readings.record_opening, staff.clerk, unit_id=unit.id, kind="electricity", value=bad,
                read_on=date(2026, 4, 9))
    # Another estate's unit: refused for a user of estate 1 only.
    other = unit_of(db, staff.e2)
    refused("does not belong to this estate", readings.record_opening, staff.clerk, unit_id=other.id,
            kind="water", value="1", read_on=date(2026, 4, 9))
    refused("Choose a deposit held for this unit", desk.release_unit_deposits, staff.clerk, other, reason="迁出")
    refused("Give the reason for the refund", desk.release_unit_deposits, staff.clerk, unit, reason=" ")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MeterReading)) == 1
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
