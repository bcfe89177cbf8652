"""Decoration services: the application, the review, the fees (with and without the fees
plugin), the permit and the workers' passes — what is saved, and every refusal saving nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.models import Occupancy, Unit
from core.testing import refused
from plugins.decoration import services
from plugins.decoration.models import Application, WorkerPass
from tests.plugins.decoration.conftest import args, step, today_of


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_application_is_recorded_with_its_scope_and_owner(db, staff, make_app_record):
    app = make_app_record(scope=["walls", "structural"], structural_details="拆除非承重隔墙")
    assert app.number.startswith("ZX-E01-")
    assert (app.state, app.unit.number, app.owner_name, app.scope_items, app.needs_safety) == (
        "submitted", "1-1-101", "Owner of E01 1-1-101", ["walls", "structural"], True)
    assert app.end_date == app.planned_end and app.received_by_id == staff.desk.id


@pytest.mark.parametrize("changes, message, field", [
    ({"unit_number": "9-9-909"}, "There is no unit 9-9-909", "unit_number"),
    ({"unit_number": "2-1-201"}, "There is no unit 2-1-201", "unit_number"),  # E02's unit
    ({"applicant_kind": "tenant"}, "owner's written consent", "owner_consent"),
    ({"contractor": "  "}, "Enter the contractor company", "contractor"),
    ({"manager_phone": ""}, "phone of the person in charge", "manager_phone"),
    ({"scope": []}, "Tick at least one item", "scope"),
    ({"scope": ["services"]}, "Describe the structural or service change", "structural_details"),
    ({"planned_end": "start-1"}, "The planned end is before the planned start", "planned_end"),
    ({"planned_start": None}, "Enter the planned start", "planned_start"),
])
def test_bad_applications_are_refused_and_nothing_is_saved(db, staff, changes, message, field):
    if changes.get("planned_end") == "start-1":
        changes["planned_end"] = today_of(staff.e1)
    with acting_as(staff.desk):
        err = refused(message, services.apply, staff.desk, **args(staff.e1, **changes))
    assert err.field == field
    assert count(db, Application) == 0


def test_a_unit_without_an_owner_is_refused(db, staff):
    occ = db.session.scalar(select(Occupancy).join(Unit).where(Unit.number == "1-1-102",
                                                              Unit.estate_id == staff.e1.id))
    occ.end_date = today_of(staff.e1) - timedelta(days=3)
    db.session.commit()
    with acting_as(staff.desk):
        refused("has no owner on record", services.apply, staff.desk, **args(staff.e1, unit_number="1-1-102"))
    assert count(db, Application) == 0


def test_a_second_open_application_for_the_unit_is_refused_also_by_the_database(db, staff, make_app_record):
    first = make_app_record()
    with acting_as(staff.desk):
        refused("already has an open decoration application", services.apply, staff.desk, **args(staff.e1))
    # The index itself, past the service's check.
    app = Application(estate_id=staff.e1.id, unit_id=first.unit_id, number="ZX-X", applicant_name="x",
                      applicant_phone="1", contractor="c", manager_name="m", manager_phone="1",
                      planned_start=first.planned_start, planned_end=first.planned_end, end_date=first.planned_end,
                      fee_amount=Decimal(0), deposit_amount=Decimal(0))
    with acting_as(staff.desk):
        refused("already has an open decoration application", services._save_open, app, first.unit)
    assert count(db, Application) == 1
    # Once refused, the unit may apply again.
    step(db, staff.sup, services.refuse, db.session.get(Application, first.id), "图纸不全")
    assert make_app_record().state == "submitted"


def test_a_tenant_applies_with_the_owners_consent(db, staff, make_app_record):
    app = make_app_record(applicant_kind="tenant", owner_consent=True, applicant_name="租户刘")
    assert (app.applicant_kind, app.owner_consent, app.owner_name) == ("tenant", True, "Owner of E01 1-1-101")


def test_structural_changes_need_the_safety_approval_before_the_supervisor(db, staff, make_app_record):
    app = make_app_record(scope=["walls", "structural"], structural_details="拆除非承重隔墙")
    with acting_as(staff.sup):
        refused("needs the maintenance department's safety approval first", services.approve, staff.sup, app)
        refused("Your role may not do this", services.safety_approve, staff.sup, app)
    step(db, staff.tech, services.safety_approve, app, "非承重墙，同意")
    app = db.session.get(Application, app.id)
    assert (app.safety_by_id, app.safety_note, app.state) == (staff.tech.id, "非承重墙，同意", "submitted")
    with acting_as(staff.tech):
        refused("Your role may not do this", services.approve, staff.tech, app)
    step(db, staff.sup, services.approve, app, "同意")
    app = db.session.get(Application, app.id)
    assert (app.state, app.approved_by_id) == ("approved", staff.sup.id)


def test_no_safety_approval_for_works_without_structural_change(db, staff, make_app_record):
    app = make_app_record()
    with acting_as(staff.tech):
        refused("no safety approval is needed", services.safety_approve, staff.tech, app)


def test_the_person_who_recorded_it_does_not_approve_it(db, staff, make_app_record):
    app = make_app_record(user=staff.sup)
    with acting_as(staff.sup):
        refused("another person approves it", services.approve, staff.sup, app)
        refused("another person approves it", services.refuse, staff.sup, app, "图纸不全")
    assert db.session.get(Application, app.id).state == "submitted"


def test_a_refusal_needs_a_reason(db, staff, make_app_record):
    app = make_app_record()
    with acting_as(staff.sup):
        err = refused("Give the reason for refusing", services.refuse, staff.sup, app, " ")
    assert err.field == "reason"
    step(db, staff.sup, services.refuse, app, "施工图纸不全")
    app = db.session.get(Application, app.id)
    assert (app.state, app.refusal_reason, app.refused_by_id) == ("refused", "施工图纸不全", staff.sup.id)
    with acting_as(staff.sup):
        refused("this step is not possible now", services.approve, staff.sup, app)


# -- fees without the fees plugin -------------------------------------------------------------
def test_without_fees_the_amounts_are_recorded_and_the_payment_ticked_by_hand(db, staff, make_app_record):
    from core.settings import save_settings

    save_settings("decoration", {"fee_amount": "800.00", "deposit_amount": "3000.00"}, staff.e1.id)
    db.session.commit()
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    app = db.session.get(Application, app.id)
    assert (app.fee_amount, app.deposit_amount, app.fees_via) == (Decimal("800.00"), Decimal("3000.00"), "manual")
    with acting_as(staff.desk):
        refused("not marked paid yet", services.issue_permit, staff.desk, app)
        refused("Your role may not do this", services.tick_fees_paid, staff.desk, app, "SJ-1")
    with acting_as(staff.cashier):
        assert refused("Note the receipt number", services.tick_fees_paid, staff.cashier, app, " ").field == "note"
    step(db, staff.cashier, services.tick_fees_paid, app, "收据 0012345")
    step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id))
    app = db.session.get(Application, app.id)
    assert app.state == "permitted" and app.permit_number.startswith("XK-E01-")
    assert (app.fees_note, app.fees_paid_by_id) == ("收据 0012345", staff.cashier.id)


def test_permits_are_numbered_without_gaps(db, staff, make_app_record):
    numbers = []
    for unit in ("1-1-101", "1-1-102"):
        app = make_app_record(unit_number=unit)
        step(db, staff.sup, services.approve, app)
        step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "现金")
        numbers.append(step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id)).permit_number)
    assert [n[-6:] for n in numbers] == ["000001", "000002"]


# -- fees through the fees plugin -----------------------------------------------------------
@pytest.mark.plugins("decoration", "fees")
def test_with_fees_the_fee_is_billed_and_the_permit_waits_for_fee_and_deposit(db, staff, make_app_record,
                                                                               price_list):
    from plugins.fees import desk

    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    app = db.session.get(Application, app.id)
    assert (app.fee_amount, app.deposit_amount, app.fees_via) == (Decimal("500.00"), Decimal("2000.00"), "fees")
    account = desk.account(app.unit, today_of(staff.e1))
    bill = next(b for b in account.bills if b.id == app.fee_bill_id)
    assert (bill.amount, bill.source, bill.source_ref) == (Decimal("500.00"), "decoration", app.number)
    with acting_as(staff.desk):
        refused("management fee of 500.00 is not paid yet", services.issue_permit, staff.desk, app)
    with acting_as(staff.cashier):
        refused("shows here by itself", services.tick_fees_paid, staff.cashier, app, "SJ-1")
        desk.collect(staff.cashier, app.unit, method="cash", amount=Decimal("500.00"), bills=[(bill.id, bill.paid)])
        db.session.commit()
    with acting_as(staff.desk):
        refused("deposit of 2000.00", services.issue_permit, staff.desk, db.session.get(Application, app.id))
    # A deposit securing something else does not count.
    with acting_as(staff.cashier):
        desk.collect(staff.cashier, app.unit, method="cash", amount=Decimal("2000.00"), bills=[],
                     deposit_item_id=price_list.deposit.id, deposit_ref="KEY-1")
        db.session.commit()
    with acting_as(staff.desk):
        refused("deposit of 2000.00", services.issue_permit, staff.desk, db.session.get(Application, app.id))
    with acting_as(staff.cashier):
        desk.collect(staff.cashier, app.unit, method="card", amount=Decimal("2000.00"), bills=[],
                     deposit_item_id=price_list.deposit.id, deposit_ref=app.number)
        db.session.commit()
    app = step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id))
    assert app.state == "permitted" and app.permit_number


@pytest.mark.plugins("decoration", "fees")
def test_with_fees_a_missing_price_list_item_refuses_the_approval(db, staff, make_app_record):
    app = make_app_record()
    with acting_as(staff.sup):
        refused("has no decoration management fee item DECO-FEE", services.approve, staff.sup, app)
    app = db.session.get(Application, app.id)
    assert (app.state, app.fees_via) == ("submitted", "")


@pytest.mark.plugins("decoration", "fees")
def test_with_fees_a_fee_per_square_metre_is_priced_on_the_units_area(db, staff, make_app_record, price_list):
    from plugins.fees import billing

    with acting_as(staff.manager):
        item = billing.create_item(staff.e1, {"code": "DECO-M2", "name": "装修管理费（按面积）", "kind": "area"})
        billing.add_price(item, price=Decimal("3.00"), valid_from=today_of(staff.e1) - timedelta(days=1))
        from core.settings import save_settings

        save_settings("decoration", {"fee_item": "deco-m2"}, staff.e1.id)
        db.session.commit()
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    assert db.session.get(Application, app.id).fee_amount == Decimal("295.50")  # 98.50 m² × 3.00


# -- passes --------------------------------------------------------------------------------
@pytest.fixture
def permitted(db, staff, make_app_record):
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "现金")
    return step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id))


def test_passes_end_with_the_permit(db, staff, permitted):
    app = permitted
    today = today_of(staff.e1)
    p = step(db, staff.desk, services.add_pass, app, name="李大山", id_number="11010119800101123x", trade="泥瓦工",
             valid_from=today, valid_to=app.end_date)
    assert (p.name, p.id_number, p.number[:2]) == ("李大山", "11010119800101123X", "LS")
    assert services.pass_valid(p, app, today) and not services.pass_valid(p, app, app.end_date + timedelta(days=1))
    with acting_as(staff.desk):
        err = refused("A pass ends with the permit", services.add_pass, staff.desk, app, name="王小明",
                      id_number="110101198505051234", valid_from=today, valid_to=app.end_date + timedelta(days=1))
        assert err.field == "valid_to"
        assert refused("15 or 18 characters", services.add_pass, staff.desk, app, name="王小明", id_number="12345",
                       valid_from=today, valid_to=app.end_date).field == "id_number"
        refused("has a pass for these works already", services.add_pass, staff.desk, app, name="李大山",
                id_number="11010119800101123X", valid_from=today, valid_to=app.end_date)
        refused("ends before it starts", services.add_pass, staff.desk, app, name="王小明",
                id_number="110101198505051234", valid_from=today + timedelta(days=3), valid_to=today)
    assert count(db, WorkerPass) == 1


def test_no_pass_before_the_permit(db, staff, make_app_record):
    app = make_app_record()
    with acting_as(staff.desk):
        refused("this step is not possible now", services.add_pass, staff.desk, app, name="李大山",
                id_number="110101198001011234", valid_from=today_of(staff.e1), valid_to=app.end_date)
