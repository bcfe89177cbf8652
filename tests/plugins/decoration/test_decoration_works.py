"""During and after the works: inspections and rectification notices, suspension, the overdue
alert, extensions, completion and acceptance — and the partners (fees, repairs, archives)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.models import Notification
from core.settings import save_settings
from core.testing import refused
from plugins.decoration import services
from plugins.decoration.models import AcceptanceCheck, Application, Extension, Inspection
from tests.plugins.decoration.conftest import login, step, today_of


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def works(db, staff, make_app_record):
    """A permitted renovation of 1-1-101 (walls, floors, electrical), fees ticked by hand."""
    app = make_app_record(scope=["walls", "floors", "electrical"])
    step(db, staff.sup, services.approve, app)
    app = db.session.get(Application, app.id)
    if not services.through_fees(app):
        step(db, staff.cashier, services.tick_fees_paid, app, "收据 0012345")
    return app


def permit(db, staff, app):
    return step(db, staff.desk, services.issue_permit, db.session.get(Application, app.id))


def violation(db, staff, app, days=3, action="恢复承重墙原状"):
    return step(db, staff.tech, services.inspect, db.session.get(Application, app.id), findings="擅自拆改墙体",
                violation=True, required_action=action, deadline=today_of(staff.e1) + timedelta(days=days))


def test_an_inspection_with_a_violation_gets_a_numbered_notice_and_a_recheck_closes_it(db, staff, works, client):
    app = permit(db, staff, works)
    ok = step(db, staff.tech, services.inspect, app, findings="施工正常")
    assert (ok.violation, ok.notice_number, ok.deadline) == (False, None, None)
    insp = violation(db, staff, app)
    assert insp.notice_number.startswith("ZG-E01-") and insp.deadline == today_of(staff.e1) + timedelta(days=3)
    with acting_as(staff.tech):
        assert refused("Say what is to be rectified", services.inspect, staff.tech, app, findings="x",
                       violation=True, deadline=today_of(staff.e1)).field == "required_action"
        assert refused("The deadline is in the past", services.inspect, staff.tech, app, findings="x", violation=True,
                       required_action="y", deadline=today_of(staff.e1) - timedelta(days=1)).field == "deadline"
        refused("Not rectified: give a new deadline", services.recheck, staff.tech, insp, rectified=False, note="未整改")
    assert count(db, Inspection) == 2
    login(client, staff.sup)
    printed = client.get(f"/decoration/inspections/{insp.id}/print").get_data(as_text=True)
    assert insp.notice_number in printed and "恢复承重墙原状" in printed
    with acting_as(staff.desk):
        refused("A rectification notice is still open", services.complete, staff.desk, app)
    step(db, staff.tech, services.recheck, db.session.get(Inspection, insp.id), rectified=True, note="已恢复")
    assert db.session.get(Inspection, insp.id).rectified_at is not None
    assert step(db, staff.desk, services.complete, db.session.get(Application, app.id)).state == "completed"


def test_repeated_violations_can_suspend_the_permit_and_passes_stop(db, staff, works):
    save_settings("decoration", {"violations_to_suspend": 2}, staff.e1.id)
    db.session.commit()
    app = permit(db, staff, works)
    p = step(db, staff.desk, services.add_pass, app, name="李大山", id_number="110101198001011234",
             valid_from=today_of(staff.e1), valid_to=app.end_date)
    first = violation(db, staff, app)
    with acting_as(staff.sup):
        refused("after 2 violations; this one has 1", services.suspend, staff.sup, db.session.get(Application, app.id),
                "屡次违规")
    violation(db, staff, app, action="停止夜间施工")
    with acting_as(staff.tech):
        refused("Your role may not do this", services.suspend, staff.tech, db.session.get(Application, app.id), "屡次违规")
    app = step(db, staff.sup, services.suspend, db.session.get(Application, app.id), "屡次违规施工")
    assert (app.state, app.suspend_reason) == ("suspended", "屡次违规施工")
    assert not services.pass_valid(db.session.get(type(p), p.id), app, today_of(staff.e1))
    with acting_as(staff.sup):
        refused("still open", services.resume, staff.sup, app)
    for insp in db.session.scalars(select(Inspection)).all():
        step(db, staff.tech, services.recheck, insp, rectified=True, note="已整改")
    assert step(db, staff.sup, services.resume, db.session.get(Application, app.id)).state == "permitted"
    assert first.notice_number


def test_an_overdue_rectification_alerts_once_and_shows_on_the_dashboard(db, staff, works, client, clock):
    from plugins.decoration.jobs import notify_overdue

    app = permit(db, staff, works)
    insp = violation(db, staff, app, days=1)
    assert notify_overdue().startswith("0 ")
    db.session.commit()
    clock.shift(timedelta(days=2))
    assert notify_overdue().startswith("1 ")
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.link == f"/decoration/{app.id}")).all()
    assert {n.user_id for n in notes} >= {staff.tech.id, staff.sup.id}
    assert all(insp.notice_number in n.title for n in notes)
    assert notify_overdue().startswith("0 ")  # once per deadline
    login(client, staff.sup)
    home = client.get("/").get_data(as_text=True)
    assert "1 rectification overdue" in home and insp.notice_number in home


def test_an_extension_moves_the_end_once_approved_by_someone_else(db, staff, works):
    app = permit(db, staff, works)
    new_end = app.end_date + timedelta(days=20)
    with acting_as(staff.desk):
        assert refused("must be after the present end", services.request_extension, staff.desk, app,
                       new_end=app.end_date, reason="材料延误").field == "new_end"
    ext = step(db, staff.desk, services.request_extension, app, new_end=new_end, reason="材料延误")
    with acting_as(staff.desk):
        refused("waiting for approval already", services.request_extension, staff.desk, app,
                new_end=new_end + timedelta(days=1), reason="再次延期施工")
    with acting_as(staff.sup):
        refused("Give the reason for refusing", services.decide_extension, staff.sup, ext, False, "")
    step(db, staff.sup, services.decide_extension, db.session.get(Extension, ext.id), True, "同意")
    app = db.session.get(Application, app.id)
    assert app.end_date == new_end and app.planned_end == new_end - timedelta(days=20)
    # A pass may now run to the new end.
    p = step(db, staff.desk, services.add_pass, app, name="王小明", id_number="110101198505051234",
             valid_from=today_of(staff.e1), valid_to=new_end)
    assert p.valid_to == new_end


def test_acceptance_against_the_scope_defects_go_back_for_rework(db, staff, works):
    app = permit(db, staff, works)
    app = step(db, staff.desk, services.complete, app)
    with acting_as(staff.tech):
        refused("Only items of the approved scope", services.check, staff.tech, app, defects=["windows"],
                defect_note="x", remedy="rework")
        refused("Defects are open: the works cannot be accepted", services.check, staff.tech, app,
                defects=["walls"], defect_note="墙面开裂", remedy="rework", accept=True)
        refused("Repair orders need the repairs module", services.check, staff.tech, app, defects=["walls"],
                defect_note="墙面开裂", remedy="repair")
    with acting_as(staff.sup):
        refused("Your role may not do this", services.check, staff.sup, app, defects=[], accept=True)
    assert count(db, AcceptanceCheck) == 0
    row = step(db, staff.tech, services.check, app, defects=["walls"], defect_note="墙面开裂", remedy="rework")
    assert (row.passed, row.defect_items, row.remedy) == (False, ["walls"], "rework")
    app = db.session.get(Application, app.id)
    assert app.state == "permitted"
    app = step(db, staff.desk, services.complete, app)
    step(db, staff.tech, services.check, app, defects=[], accept=True, note="验收合格")
    app = db.session.get(Application, app.id)
    assert (app.state, app.accepted_by_id, app.acceptance_note) == ("accepted", staff.tech.id, "验收合格")


def test_accepted_fires_the_hook_with_the_application(db, staff, works, monkeypatch):
    import core.plugins

    seen = []
    real = core.plugins.hook
    monkeypatch.setattr(core.plugins, "hook", lambda name: (lambda application: seen.append(
        (name, application.number))) if name == "decoration_accepted" else real(name))
    app = step(db, staff.desk, services.complete, permit(db, staff, works))
    step(db, staff.tech, services.check, app, defects=[], accept=True)
    assert seen == [("decoration_accepted", app.number)]


@pytest.mark.plugins("decoration", "repairs")
def test_with_repairs_a_defect_becomes_a_repair_order(db, staff, works):
    from plugins.repairs.models import Repair  # the test reads what the partner saved

    app = step(db, staff.desk, services.complete, permit(db, staff, works))
    row = step(db, staff.tech, services.check, app, defects=["electrical"], defect_note="插座无电", remedy="repair")
    repair = db.session.scalar(select(Repair))
    assert row.repair_numbers == repair.number and repair.unit_id == app.unit_id
    assert app.number in repair.description and "插座无电" in repair.description
    assert db.session.get(Application, app.id).state == "completed"


@pytest.mark.plugins("decoration", "fees")
def test_with_fees_acceptance_requests_the_deposit_refund(db, staff, make_app_record, price_list):
    from plugins.fees import desk
    from plugins.fees.models import Refund  # the test reads what the partner saved

    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    app = db.session.get(Application, app.id)
    with acting_as(staff.cashier):
        desk.collect(staff.cashier, app.unit, method="cash", amount=Decimal("500.00"), bills=[(app.fee_bill_id, Decimal(0))])
        desk.collect(staff.cashier, app.unit, method="card", amount=Decimal("2000.00"), bills=[],
                     deposit_item_id=price_list.deposit.id, deposit_ref=app.number)
        db.session.commit()
    app = step(db, staff.desk, services.complete, permit(db, staff, app))
    step(db, staff.tech, services.check, app, defects=[], accept=True)
    refund = db.session.scalar(select(Refund))
    assert (refund.kind, refund.amount, refund.state) == ("deposit", Decimal("2000.00"), "requested")
    assert app.number in refund.reason


@pytest.mark.plugins("decoration", "archives")
def test_with_archives_the_papers_are_filed_on_acceptance(db, staff, works):
    app = step(db, staff.desk, services.complete, permit(db, staff, works))
    step(db, staff.tech, services.check, app, defects=[], accept=True)
    from sqlalchemy import text

    rows = db.session.execute(text(
        "SELECT e.source_ref, f.kind, f.unit_id, f.estate_id FROM archives_entry e "
        "JOIN archives_file f ON f.id = e.file_id WHERE e.source = 'decoration' AND e.action = 'added'")).all()
    assert [tuple(r[1:]) for r in rows] == [("decoration", app.unit_id, app.estate_id)]
    assert [r[0] for r in rows] == [app.permit_number]


@pytest.mark.plugins("decoration", "visits")
def test_with_visits_acceptance_plans_the_owners_decoration_return_visit(db, staff, works):
    from sqlalchemy import text

    app = step(db, staff.desk, services.complete, permit(db, staff, works))
    step(db, staff.tech, services.check, app, defects=[], accept=True)
    rows = db.session.execute(text(
        "SELECT source_type, source_id, source_number, unit_id, contact_name, state, due_at "
        "FROM visits_visit")).all()
    assert len(rows) == 1
    kind, source_id, number, unit_id, contact, state, due_at = rows[0]
    assert (kind, source_id, number, unit_id, state) == ("decoration", app.id, app.number, app.unit_id, "planned")
    assert contact == (app.owner_name or app.applicant_name)


def test_without_visits_acceptance_plans_no_visit(db, staff, works):
    from sqlalchemy import text

    app = step(db, staff.desk, services.complete, permit(db, staff, works))
    step(db, staff.tech, services.check, app, defects=[], accept=True)
    assert app.state == "accepted"
    assert db.session.execute(text("SELECT count(*) FROM visits_visit")).scalar() == 0
