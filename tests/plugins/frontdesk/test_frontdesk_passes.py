"""Goods-out passes: applied, approved (numbered), printed, used once at the gate — and every
refusal (translated, nothing saved)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.i18n import today_local
from core.testing import refused
from plugins.frontdesk import services
from plugins.frontdesk.models import GoodsPass, GoodsPassUse
from tests.plugins.frontdesk.conftest import login, pass_args, pass_form


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_owners_pass_is_applied_approved_numbered_and_used_once(db, staff, make_pass):
    row = make_pass()
    assert (row.state, row.number, row.applied_by_id) == ("applied", None, staff.desk.id)
    with acting_as(staff.sup):
        services.decide_pass(staff.sup, row, approve=True, note="同意")
        db.session.commit()
    assert row.state == "approved" and row.number.startswith("FX-E01-") and row.decided_by_id == staff.sup.id
    with acting_as(staff.desk):
        mark = services.use_pass(staff.desk, row, gate="北门")
        db.session.commit()
    assert (row.state, mark.pass_id, mark.guard_id, mark.gate) == ("used", row.id, staff.desk.id, "北门")
    with acting_as(staff.desk2):
        refused(f"Pass {row.number} has already been used", services.use_pass, staff.desk2, row)
    db.session.rollback()
    assert count(db, GoodsPassUse) == 1


def test_a_second_use_is_refused_by_the_database_itself(db, staff, make_pass):
    """Even when the service's own check is passed by (a stale row, as in a race), the unique
    index on pass_id refuses the second mark — with the clear message, nothing saved."""
    row = make_pass(approve=True)
    with acting_as(staff.desk):
        services.use_pass(staff.desk, row)
        db.session.commit()
    # What a second guard's request read before the first committed: approved, no use yet.
    with acting_as(staff.desk2):
        err = refused("has already been used", services.use_pass, staff.desk2,
                      type("Stale", (), {"state": "approved", "use": None, "id": row.id, "number": row.number,
                                         "estate_id": row.estate_id, "valid_from": row.valid_from,
                                         "valid_until": row.valid_until})())
    assert err.field == "number"
    db.session.rollback()
    assert count(db, GoodsPassUse) == 1


def test_a_tenants_pass_needs_the_owners_consent(db, staff):
    with acting_as(staff.desk):
        for kind in ("tenant", "business"):
            err = refused("only with the owner's consent", services.apply_pass, staff.desk,
                          **pass_args(staff.e1, applicant_kind=kind))
            assert err.field == "owner_consent_name"
        row = services.apply_pass(staff.desk, **pass_args(staff.e1, applicant_kind="tenant",
                                                          owner_consent_name="王丽华", owner_consent_note="电话确认"))
        db.session.commit()
    assert (row.applicant_kind, row.owner_consent_name) == ("tenant", "王丽华")
    assert count(db, GoodsPass) == 1


def test_application_refusals_save_nothing(db, staff):
    today = today_local()

    def apply(**kw):
        with acting_as(staff.desk):
            return services.apply_pass(staff.desk, **pass_args(staff.e1, **kw))

    assert refused("There is no unit 9-9-999", apply, unit_number="9-9-999").field == "unit_number"
    assert refused("Enter the unit number", apply, unit_number="").field == "unit_number"
    assert refused("List the goods", apply, goods="  ").field == "goods"
    assert refused("cannot end before it starts", apply, valid_until=today - timedelta(days=1),
                   valid_from=today).field == "valid_until"
    assert refused("would already have expired", apply, valid_from=today - timedelta(days=5),
                   valid_until=today - timedelta(days=2)).field == "valid_until"
    assert refused("at most 31 days", apply, valid_until=today + timedelta(days=40)).field == "valid_until"
    assert refused("Choose who applies", apply, applicant_kind="friend").field == "applicant_kind"
    assert refused("Enter the applicant's name", apply, applicant_name="").field == "contact_name"
    assert refused("Choose one of your estates", apply, estate_id=staff.e2.id).field == "estate_id"
    # Another estate's unit number is not one of this estate's units.
    assert refused("There is no unit 2-1-201", apply, unit_number="2-1-201").field == "unit_number"
    with acting_as(staff.cashier):
        refused("Your role may not do this", services.apply_pass, staff.cashier, **pass_args(staff.e1))
    db.session.rollback()
    assert count(db, GoodsPass) == 0


def test_only_the_office_decides_once_and_a_refusal_says_why(db, staff, make_pass):
    row = make_pass()
    with acting_as(staff.desk):
        refused("Your role may not do this", services.decide_pass, staff.desk, row, approve=True)
    with acting_as(staff.sup):
        assert refused("Say why the pass is refused", services.decide_pass, staff.sup, row,
                       approve=False).field == "note"
        services.decide_pass(staff.sup, row, approve=False, note="业主未确认")
        db.session.commit()
        refused("already been decided", services.decide_pass, staff.sup, row, approve=True)
    db.session.rollback()
    assert (row.state, row.number) == ("refused", None)
    with acting_as(staff.desk):
        refused("is not approved", services.use_pass, staff.desk, row)


def test_a_pass_is_used_only_within_its_dates(db, staff, make_pass, clock):
    today = today_local()
    later = make_pass(approve=True, valid_from=today + timedelta(days=2), valid_until=today + timedelta(days=3))
    with acting_as(staff.desk):
        refused("is valid only from", services.use_pass, staff.desk, later)
    clock.shift(timedelta(days=5))
    with acting_as(staff.desk):
        refused("expired on", services.use_pass, staff.desk, later)
    db.session.rollback()
    assert count(db, GoodsPassUse) == 0


def test_another_estates_pass_is_out_of_reach(db, staff, make_pass):
    other = make_pass(approve=True, estate=staff.e2)
    with acting_as(staff.desk):
        refused("Choose one of your estates", services.use_pass, staff.desk, other)
        refused("Choose one of your estates", services.find_pass, staff.desk, staff.e2.id, other.number)
        refused("No goods-out pass has the number", services.find_pass, staff.desk, staff.e1.id, other.number)


# -- pages ------------------------------------------------------------------------------------------
def test_the_pages_apply_approve_print_and_use_at_the_gate(client, db, staff):
    login(client, staff.desk)
    resp = client.get("/frontdesk/passes/new")
    assert resp.status_code == 200 and "caller-choice" in resp.text
    resp = client.post("/frontdesk/passes/new", data=pass_form(staff.e1, applicant_kind="tenant",
                                                               contact_name="李娜", owner_consent_name="王丽华"))
    assert resp.status_code == 302, resp.text
    row = db.session.scalar(select(GoodsPass))
    assert (row.applicant_name, row.owner_consent_name, row.state) == ("李娜", "王丽华", "applied")
    # The desk may not approve.
    assert client.post(f"/frontdesk/passes/{row.id}/approve").status_code == 403
    login(client, staff.sup)
    assert "pass-approve" in client.get(f"/frontdesk/passes/{row.id}").text
    resp = client.post(f"/frontdesk/passes/{row.id}/approve", data={"decision-note": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    number = db.session.get(GoodsPass, row.id).number
    sheet = client.get(f"/frontdesk/passes/{row.id}/print").text
    assert number in sheet and "旧沙发一套" in sheet and "王丽华" in sheet
    login(client, staff.desk)
    resp = client.post("/frontdesk/gate", data={"estate_id": str(staff.e1.id), "number": number.lower(),
                                                "gate": "北门", "note": ""})
    assert resp.status_code == 302
    resp = client.post("/frontdesk/gate", data={"estate_id": str(staff.e1.id), "number": number, "gate": "",
                                                "note": ""})
    assert resp.status_code == 422 and f"Pass {number} has already been used" in resp.text
    db.session.expire_all()
    assert count(db, GoodsPassUse) == 1 and db.session.get(GoodsPass, row.id).state == "used"


def test_an_approved_pass_prints_a_qr_code_that_opens_the_gate_form_for_it(client, db, staff, make_pass, make_user):
    """The guard's phone reads the code on the pass: the gate form opens with the pass's estate
    chosen and its number filled in. A pass not approved, or already used, carries no code."""
    import re

    from core.qr import qr_code, qr_svg

    approved = make_pass(approve=True, estate=staff.e2)
    applied = make_pass()
    guard = make_user("frontdesk", [staff.e1, staff.e2], username="guard2")
    login(client, guard)
    sheet = client.get(f"/frontdesk/passes/{approved.id}/print").text
    url = f"http://localhost/frontdesk/gate?estate={staff.e2.id}&number={approved.number}"
    assert not qr_code(url).is_micro  # a phone reads a regular QR code, not a Micro QR
    assert str(qr_svg(url, "pass-qr")) in sheet and "scan this code" in sheet
    gate = client.get(url.removeprefix("http://localhost")).text
    assert re.search(rf'<option selected value="{staff.e2.id}">|<option value="{staff.e2.id}" selected', gate), gate
    assert f'value="{approved.number}"' in gate
    # Not approved yet: no code; nor for someone else's estate in the address.
    assert "pass-qr" not in client.get(f"/frontdesk/passes/{applied.id}/print").text
    login(client, staff.desk)
    gate = client.get(f"/frontdesk/gate?estate={staff.e2.id}&number={approved.number}").text
    assert f'value="{staff.e2.id}" selected' not in gate and f'selected value="{staff.e2.id}"' not in gate
    with acting_as(staff.desk_e2):
        services.use_pass(staff.desk_e2, db.session.get(GoodsPass, approved.id))
        db.session.commit()
    login(client, guard)
    assert "pass-qr" not in client.get(f"/frontdesk/passes/{approved.id}/print").text


def test_a_refused_application_page_keeps_nothing(client, db, staff):
    login(client, staff.desk)
    resp = client.post("/frontdesk/passes/new", data=pass_form(staff.e1, applicant_kind="tenant"))
    assert resp.status_code == 422 and "only with the owner&#39;s consent" in resp.text
    assert count(db, GoodsPass) == 0


def test_another_estates_pass_page_is_not_found(client, db, staff, make_pass):
    other = make_pass(approve=True, estate=staff.e2)
    login(client, staff.desk)
    assert client.get(f"/frontdesk/passes/{other.id}").status_code == 404
    assert client.get(f"/frontdesk/passes/{other.id}/print").status_code == 404
    assert client.post(f"/frontdesk/passes/{other.id}/use").status_code == 404
    assert count(db, GoodsPassUse) == 0


def test_the_pass_list_filters_and_exports(client, db, staff, make_pass):
    make_pass(applicant_name="陈建华")
    approved = make_pass(approve=True, applicant_name="孙明", vehicle_plate="沪A12345")
    login(client, staff.manager)
    text = client.get("/frontdesk/passes?state=approved").text
    assert "孙明" in text and "陈建华" not in text
    assert approved.number in client.get("/frontdesk/passes?q=沪A12345").text
    resp = client.get("/frontdesk/passes?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
