"""Decoration with every partner enabled together (fees, repairs, visits, archives); acceptance
waits for the repair orders of its defects (repairs enabled, then disabled); an approved
extension lengthens the passes already issued; the estate's inspection interval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.audit import acting_as
from core.settings import save_settings
from core.testing import refused
from plugins.decoration import services
from plugins.decoration.models import (
    AcceptanceCheck,
    Application,
    Extension,
    Inspection,
    WorkerPass,
)
from tests.plugins.decoration.conftest import login, step, today_of

ALL = ("decoration", "fees", "repairs", "visits", "archives")


def permitted(db, staff, app):
    return step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id))


def finish_repair(db, staff, number):
    """The repairs plugin's own services: the supervisor dispatches, the technician does it."""
    from plugins.repairs import services as repairs
    from plugins.repairs.models import Repair  # the test drives the partner through its services

    repair = db.session.scalar(select(Repair).where(Repair.number == number))
    step(db, staff.sup, repairs.dispatch, repair, staff.tech.id)
    step(db, staff.tech, repairs.accept, db.session.get(Repair, repair.id))
    step(db, staff.tech, repairs.complete, db.session.get(Repair, repair.id), work_done="更换插座",
         minutes_spent=30)
    return db.session.get(Repair, repair.id)


@pytest.mark.plugins(*ALL)
def test_with_fees_repairs_visits_and_archives_a_whole_renovation(db, staff, make_app_record, price_list, client):
    from plugins.fees import desk

    app = make_app_record(scope=["walls", "electrical", "structural"], structural_details="拆除非承重隔墙")
    with acting_as(staff.sup):
        refused("needs the maintenance department's safety approval first", services.approve, staff.sup, app)
    step(db, staff.tech, services.safety_approve, app, "非承重墙，同意")
    step(db, staff.sup, services.approve, db.session.get(Application, app.id))
    app = db.session.get(Application, app.id)
    assert (app.fees_via, app.fee_amount, app.deposit_amount) == ("fees", Decimal("500.00"), Decimal("2000.00"))
    with acting_as(staff.desk):
        refused("management fee of 500.00 is not paid yet", services.issue_permit, staff.desk, app)
        refused("are taken at the cashier desk", services.tick_fees_paid, staff.cashier, app, "收据")
    with acting_as(staff.cashier):
        desk.collect(staff.cashier, app.unit, method="cash", amount=Decimal("500.00"),
                     bills=[(app.fee_bill_id, Decimal(0))])
        desk.collect(staff.cashier, app.unit, method="card", amount=Decimal("2000.00"), bills=[],
                     deposit_item_id=price_list.deposit.id, deposit_ref=app.number)
        db.session.commit()
    app = permitted(db, staff, app)
    assert app.permit_number.startswith("XK-E01-")
    for name, id_number in (("李大山", "110101198001011234"), ("王小明", "110101198505051234")):
        step(db, staff.desk, services.add_pass, app, name=name, id_number=id_number, valid_from=today_of(staff.e1),
             valid_to=app.end_date)
    insp = step(db, staff.tech, services.inspect, app, findings="擅自移动燃气管", violation=True,
                required_action="恢复燃气管原位", deadline=today_of(staff.e1) + timedelta(days=3))
    step(db, staff.tech, services.recheck, db.session.get(Inspection, insp.id), rectified=True, note="已恢复")
    app = step(db, staff.desk, services.complete, db.session.get(Application, app.id))
    row = step(db, staff.tech, services.check, app, defects=["electrical"], defect_note="插座无电", remedy="repair")
    number = row.repair_numbers
    assert number.startswith("BX-E01-")
    # The repair order is open: the works are not accepted yet, nothing fired.
    with acting_as(staff.tech):
        refused(f"The repair orders of the defects are not done yet ({number})", services.check, staff.tech,
                db.session.get(Application, app.id), defects=[], accept=True)
    assert db.session.get(Application, app.id).state == "completed"
    assert db.session.execute(text("SELECT count(*) FROM visits_visit")).scalar() == 0
    assert db.session.execute(text("SELECT count(*) FROM fees_refund")).scalar() == 0
    login(client, staff.tech)
    page = client.get(f"/decoration/{app.id}").get_data(as_text=True)
    assert number in page and 'data-open="1"' in page
    assert finish_repair(db, staff, number).state == "completed"
    page = client.get(f"/decoration/{app.id}").get_data(as_text=True)
    assert 'data-open="0"' in page and 'data-open="1"' not in page

    step(db, staff.tech, services.check, db.session.get(Application, app.id), defects=[], accept=True,
         note="验收合格")
    app = db.session.get(Application, app.id)
    assert app.state == "accepted"
    # fees: the deposit's refund is requested
    refunds = db.session.execute(text("SELECT kind, amount, state, reason FROM fees_refund")).all()
    assert [(r[0], Decimal(str(r[1])), r[2]) for r in refunds] == [("deposit", Decimal("2000.00"), "requested")]
    assert app.number in refunds[0][3]
    # visits: the owner's decoration return visit
    visits = db.session.execute(text("SELECT source_type, source_number, state FROM visits_visit "
                                     "ORDER BY id")).all()  # the repair's own return visit first
    assert [tuple(v) for v in visits] == [("repair", number, "planned"), ("decoration", app.number, "planned")]
    # archives: the papers filed under the permit number
    filed = db.session.execute(text(
        "SELECT e.source_ref, f.kind, f.unit_id FROM archives_entry e JOIN archives_file f ON f.id = e.file_id "
        "WHERE e.source = 'decoration'")).all()
    assert [tuple(r) for r in filed] == [(app.permit_number, "decoration", app.unit_id)]
    # the passes stop with the accepted works
    passes = db.session.scalars(select(WorkerPass)).all()
    assert len(passes) == 2 and not any(services.pass_valid(p, app, today_of(staff.e1)) for p in passes)


@pytest.mark.plugins("decoration", "repairs")
def test_acceptance_waits_for_the_repair_orders_then_repairs_disabled_leaves_it_to_the_check(db, staff,
                                                                                                make_app_record):
    from core.site import disable, refresh

    app = make_app_record(scope=["walls", "electrical"])
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 001")
    app = step(db, staff.desk, services.complete, permitted(db, staff, app))
    first = step(db, staff.tech, services.check, app, defects=["walls"], defect_note="墙面开裂", remedy="repair")
    second = step(db, staff.tech, services.check, db.session.get(Application, app.id), defects=["electrical"],
                  defect_note="插座无电", remedy="repair")
    assert services.repair_numbers(app) == [first.repair_numbers, second.repair_numbers]
    finish_repair(db, staff, first.repair_numbers)
    with acting_as(staff.tech):
        err = refused("are not done yet", services.check, staff.tech, db.session.get(Application, app.id),
                      defects=[], accept=True)
    assert second.repair_numbers in err.message and first.repair_numbers not in err.message
    assert db.session.scalar(select(func.count()).select_from(AcceptanceCheck)) == 2
    assert db.session.get(Application, app.id).state == "completed"
    # Without the repairs module the orders cannot be read: the technician's own check decides.
    disable("repairs")
    db.session.commit()
    refresh(force=True)
    assert services.repair_orders(staff.tech, app) == {}
    step(db, staff.tech, services.check, db.session.get(Application, app.id), defects=[], accept=True)
    assert db.session.get(Application, app.id).state == "accepted"


@pytest.mark.plugins("decoration", "repairs")
def test_a_cancelled_repair_order_no_longer_holds_the_acceptance(db, staff, make_app_record):
    from plugins.repairs import services as repairs
    from plugins.repairs.models import Repair

    app = make_app_record(scope=["walls"])
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 001")
    app = step(db, staff.desk, services.complete, permitted(db, staff, app))
    row = step(db, staff.tech, services.check, app, defects=["walls"], defect_note="墙面开裂", remedy="repair")
    repair = db.session.scalar(select(Repair).where(Repair.number == row.repair_numbers))
    step(db, staff.sup, repairs.cancel, repair, "业主自行修补")
    step(db, staff.tech, services.check, db.session.get(Application, app.id), defects=[], accept=True)
    assert db.session.get(Application, app.id).state == "accepted"


@pytest.mark.plugins("decoration", "repairs")
def test_the_repair_states_service_answers_only_for_the_users_estates(db, staff, make_app_record):
    from plugins.repairs import services as repairs

    app = make_app_record(scope=["walls"])
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 001")
    app = step(db, staff.desk, services.complete, permitted(db, staff, app))
    number = step(db, staff.tech, services.check, app, defects=["walls"], defect_note="墙面开裂",
                  remedy="repair").repair_numbers
    states = repairs.repair_states(staff.tech, staff.e1.id, [number, "BX-E01-1999-000001", ""])
    assert list(states) == [number]
    assert (states[number]["state"], states[number]["open"], states[number]["label"]) == ("recorded", True,
                                                                                          "Recorded")
    assert repairs.repair_states(staff.desk_e2, staff.e1.id, [number]) == {}  # not one of the user's estates
    assert repairs.repair_states(staff.tech, staff.e2.id, [number]) == {}  # another estate's number


def test_an_approved_extension_lengthens_the_passes_to_the_new_end(db, staff, make_app_record):
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 001")
    app = permitted(db, staff, app)
    old_end, today = app.end_date, today_of(staff.e1)
    full = step(db, staff.desk, services.add_pass, app, name="李大山", id_number="110101198001011234",
                valid_from=today, valid_to=old_end)
    short = step(db, staff.desk, services.add_pass, app, name="王小明", id_number="110101198505051234",
                 valid_from=today, valid_to=today + timedelta(days=5))
    gone = step(db, staff.desk, services.add_pass, app, name="赵铁柱", id_number="110101197001011234",
                valid_from=today, valid_to=old_end)
    step(db, staff.desk, services.void_pass, gone, "已离场不再施工")
    refused_ext = step(db, staff.desk, services.request_extension, db.session.get(Application, app.id),
                       new_end=old_end + timedelta(days=10), reason="材料延误")
    step(db, staff.sup, services.decide_extension, refused_ext, False, "工期已足够")
    assert db.session.get(WorkerPass, full.id).valid_to == old_end  # a refusal changes nothing
    new_end = old_end + timedelta(days=20)
    ext = step(db, staff.desk, services.request_extension, db.session.get(Application, app.id), new_end=new_end,
               reason="材料延误")
    step(db, staff.sup, services.decide_extension, db.session.get(Extension, ext.id), True, "同意")
    assert db.session.get(Application, app.id).end_date == new_end
    assert db.session.get(WorkerPass, full.id).valid_to == new_end  # ran to the permit's end: it still does
    assert db.session.get(WorkerPass, short.id).valid_to == today + timedelta(days=5)  # its own, shorter end
    assert db.session.get(WorkerPass, gone.id).valid_to == old_end  # withdrawn: left alone
    assert all(p.valid_to <= new_end for p in db.session.scalars(select(WorkerPass)))


def test_not_inspected_follows_the_estates_interval(db, staff, make_app_record, client, clock):
    from core.plugins import request_cache

    def due():
        request_cache().pop("settings", None)
        return services.inspections_due([staff.e1.id])

    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 001")
    app = permitted(db, staff, app)
    assert services.inspect_every_days(staff.e1.id) == 7  # the default
    assert due() == 0  # just permitted
    clock.shift(timedelta(days=6))
    assert due() == 0
    clock.shift(timedelta(days=2))
    assert due() == 1
    login(client, staff.sup)
    assert "1 renovation due for an inspection" in client.get("/").get_data(as_text=True)
    step(db, staff.tech, services.inspect, db.session.get(Application, app.id), findings="施工正常")
    assert due() == 0
    clock.shift(timedelta(days=4))
    assert due() == 0
    # E01 wants an inspection every 3 days; E02 keeps the default.
    save_settings("decoration", {"inspect_every_days": 3}, staff.e1.id)
    db.session.commit()
    assert services.inspect_every_days(staff.e1.id) == 3 and services.inspect_every_days(staff.e2.id) == 7
    assert due() == 1
    login(client, staff.sup)  # days later: a new sign-in
    assert "1 renovation due for an inspection" in client.get("/").get_data(as_text=True)


def test_the_inspection_interval_is_edited_in_the_settings(client, db, staff):
    login(client, staff.sup)
    data = {"rules": "", "notices": "", "fee_item": "DECO-FEE", "deposit_item": "DECO-DEP", "fee_amount": "500.00",
            "deposit_amount": "2000.00", "violations_to_suspend": "3"}
    page = client.get(f"/admin/settings/decoration?estate={staff.e1.id}").get_data(as_text=True)
    assert 'name="inspect_every_days"' in page and 'value="7"' in page
    resp = client.post(f"/admin/settings/decoration?estate={staff.e1.id}", data=dict(data, inspect_every_days="0"))
    assert resp.status_code != 302
    assert services.inspect_every_days(staff.e1.id) == 7
    resp = client.post(f"/admin/settings/decoration?estate={staff.e1.id}", data=dict(data, inspect_every_days="5"))
    assert resp.status_code == 302
    from core.plugins import request_cache

    request_cache().pop("settings", None)
    assert services.inspect_every_days(staff.e1.id) == 5 and services.inspect_every_days(staff.e2.id) == 7
