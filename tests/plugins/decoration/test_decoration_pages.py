"""The decoration pages: what staff see, what was saved, who may do what, estates kept apart."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.attachments import Attachment
from core.settings import save_settings
from plugins.decoration import services
from plugins.decoration.models import Application, WorkerPass
from tests.plugins.decoration.conftest import form_data, login, step, today_of

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_front_desk_records_an_application_with_drawings(client, db, staff):
    login(client, staff.desk)
    page = client.get("/decoration/new?unit=1-1-101").get_data(as_text=True)
    assert 'value="1-1-101"' in page and 'name="scope_structural"' in page
    data = form_data(staff.e1, scope_structural="y", structural_details="卫生间隔墙移位")
    data["photos"] = [(io.BytesIO(PNG), "平面图.png"), (io.BytesIO(b"%PDF-1.4 drawing"), "水电图.pdf")]
    resp = client.post("/decoration/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    app = db.session.scalar(select(Application))
    assert (app.contractor, app.scope_items, app.structural_details) == (
        "美家装饰工程有限公司", ["walls", "floors", "structural"], "卫生间隔墙移位")
    files = db.session.scalars(select(Attachment).where(Attachment.owner_table == "decoration_application")).all()
    assert sorted(f.filename for f in files) == ["平面图.png", "水电图.pdf"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert app.number in page and "平面图.png" in page and "Waiting for the maintenance department" in page


def test_bad_input_is_explained_in_chinese_and_nothing_is_saved(client, db, staff, make_user):
    user = make_user("frontdesk", [staff.e1], locale="zh_CN", full_name="钱敏")
    login(client, user)
    today = today_of(staff.e1)
    resp = client.post("/decoration/new", data=form_data(staff.e1, planned_end=(today - timedelta(days=3)).isoformat()))
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'data-field="planned_end"' in body and "计划完工日期早于计划开工日期" in body
    resp = client.post("/decoration/new", data=form_data(staff.e1, scope_walls=None, scope_floors=None))
    assert resp.status_code == 422 and "请至少勾选一项装修项目" in resp.get_data(as_text=True)
    data = form_data(staff.e1)
    data["photos"] = (io.BytesIO(b"MZ not a drawing"), "virus.exe")
    resp = client.post("/decoration/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422 and "virus.exe" in resp.get_data(as_text=True)
    assert count(db, Application) == 0 and count(db, Attachment) == 0


def test_the_same_form_sent_twice_records_one_application(client, db, staff):
    login(client, staff.desk)
    data = form_data(staff.e1)
    first = client.post("/decoration/new", data=data)
    again = client.post("/decoration/new", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(db, Application) == 1


def test_review_through_the_pages_and_who_may_do_what(client, db, staff, make_app_record):
    app = make_app_record(scope=["walls", "services"], structural_details="燃气管改线")
    login(client, staff.desk)
    assert client.post(f"/decoration/{app.id}/approve", data={"review-note": ""}).status_code == 403
    login(client, staff.sup)
    resp = client.post(f"/decoration/{app.id}/approve", data={"review-note": "同意"})
    assert resp.status_code == 422 and "safety approval first" in resp.get_data(as_text=True)
    login(client, staff.tech)
    assert client.post(f"/decoration/{app.id}/safety", data={"review-note": "燃气公司施工"}).status_code == 302
    login(client, staff.sup)
    assert client.post(f"/decoration/{app.id}/approve", data={"review-note": "同意"}).status_code == 302
    app = db.session.get(Application, app.id)
    assert (app.state, app.safety_by_id, app.approved_by_id) == ("approved", staff.tech.id, staff.sup.id)
    page = client.get(f"/decoration/{app.id}").get_data(as_text=True)
    assert "500.00" in page and "2,000.00" in page or "2000.00" in page


def test_refusal_through_the_page_needs_a_reason(client, db, staff, make_app_record):
    app = make_app_record()
    login(client, staff.sup)
    resp = client.post(f"/decoration/{app.id}/refuse", data={"refuse-reason": ""})
    assert resp.status_code == 422 and db.session.get(Application, app.id).state == "submitted"
    resp = client.post(f"/decoration/{app.id}/refuse", data={"refuse-reason": "图纸不全，请补充"})
    assert resp.status_code == 302
    assert db.session.get(Application, app.id).refusal_reason == "图纸不全，请补充"
    assert "图纸不全，请补充" in client.get(f"/decoration/{app.id}").get_data(as_text=True)


def test_another_estates_application_answers_404(client, db, staff, make_app_record):
    app = make_app_record()
    login(client, staff.sup_e2)
    for url in (f"/decoration/{app.id}", f"/decoration/{app.id}/print", f"/decoration/{app.id}/passes/print"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/decoration/{app.id}/approve", data={"review-note": ""}).status_code == 404
    assert db.session.get(Application, app.id).state == "submitted"
    login(client, staff.desk_e2)
    resp = client.post("/decoration/new", data=form_data(staff.e1, estate_id=str(staff.e1.id)))
    assert resp.status_code == 422 and count(db, Application) == 1


@pytest.fixture
def permitted(db, staff, make_app_record):
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    step(db, staff.cashier, services.tick_fees_paid, db.session.get(Application, app.id), "收据 0012345")
    return db.session.get(Application, app.id)


def test_without_fees_the_cashier_ticks_and_the_desk_issues_the_permit_and_passes(client, db, staff, make_app_record):
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    login(client, staff.desk)
    resp = client.post(f"/decoration/{app.id}/permit", data={})
    assert resp.status_code == 422 and "not marked paid yet" in resp.get_data(as_text=True)
    assert db.session.get(Application, app.id).permit_number is None
    login(client, staff.cashier)
    assert client.post(f"/decoration/{app.id}/fees-paid", data={"fees-note": "收据 0012345"}).status_code == 302
    login(client, staff.desk)
    assert client.post(f"/decoration/{app.id}/permit", data={}).status_code == 302
    app = db.session.get(Application, app.id)
    assert app.state == "permitted"
    printed = client.get(f"/decoration/{app.id}/permit/print").get_data(as_text=True)
    assert app.permit_number in printed and "美家装饰工程有限公司" in printed and "1-1-101" in printed
    today = today_of(staff.e1)
    data = {"once_key": "k" * 32, "name": "李大山", "id_number": "110101198001011234", "trade": "泥瓦工",
            "valid_from": today.isoformat(), "valid_to": (app.end_date + timedelta(days=1)).isoformat(),
            "photos": (io.BytesIO(PNG), "li.png")}
    resp = client.post(f"/decoration/{app.id}/passes/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422 and "A pass ends with the permit" in resp.get_data(as_text=True)
    assert count(db, WorkerPass) == 0
    data.update(valid_to=app.end_date.isoformat(), photos=(io.BytesIO(PNG), "li.png"))
    assert client.post(f"/decoration/{app.id}/passes/new", data=data,
                       content_type="multipart/form-data").status_code == 302
    p = db.session.scalar(select(WorkerPass))
    assert (p.name, p.trade) == ("李大山", "泥瓦工")
    assert db.session.scalar(select(Attachment).where(Attachment.owner_table == "decoration_pass")).filename == "li.png"
    cards = client.get(f"/decoration/{app.id}/passes/print").get_data(as_text=True)
    assert "李大山" in cards and "110101198001011234" in cards and p.number in cards
    guard = client.get("/decoration/passes").get_data(as_text=True)
    assert "李大山" in guard and app.permit_number in guard
    assert "李大山" in client.get("/decoration/passes?print=1").get_data(as_text=True)


def test_passes_expire_with_the_permit_on_the_guards_list(client, db, staff, permitted, clock):
    app = step(db, staff.desk, services.issue_permit, permitted)
    step(db, staff.desk, services.add_pass, app, name="王小明", id_number="110101198505051234",
         valid_from=today_of(staff.e1), valid_to=app.end_date)
    login(client, staff.desk)
    assert "王小明" in client.get("/decoration/passes").get_data(as_text=True)
    clock.shift(timedelta(days=(app.end_date - today_of(staff.e1)).days + 1))
    assert "王小明" not in client.get("/decoration/passes").get_data(as_text=True)


def test_list_filters_search_and_export(client, db, staff, make_app_record):
    a = make_app_record(contractor="美家装饰")
    make_app_record(unit_number="1-1-102", contractor="居然装饰")
    step(db, staff.sup, services.refuse, a, "图纸不全")
    login(client, staff.sup)
    page = client.get("/decoration/?q=居然").get_data(as_text=True)
    assert "居然装饰" in page and "美家装饰" not in page
    page = client.get("/decoration/?state=refused").get_data(as_text=True)
    assert "美家装饰" in page and "居然装饰" not in page
    resp = client.get("/decoration/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[3] for r in rows[1:]} == {"美家装饰", "居然装饰"}
    hits = client.get("/search?q=居然装饰").get_data(as_text=True)
    assert "居然装饰" in hits


def test_search_by_worker_name_and_permit_number(client, db, staff, permitted):
    app = step(db, staff.desk, services.issue_permit, permitted)
    step(db, staff.desk, services.add_pass, app, name="赵铁柱", id_number="110101198505051234",
         valid_from=today_of(staff.e1), valid_to=app.end_date)
    login(client, staff.sup)
    assert app.number in client.get("/search?q=赵铁柱").get_data(as_text=True)
    assert app.number in client.get(f"/search?q={app.permit_number}").get_data(as_text=True)
    login(client, staff.sup_e2)
    assert app.number not in client.get("/search?q=赵铁柱").get_data(as_text=True)


def test_the_rules_page_shows_the_estates_rules_edited_in_settings(client, db, staff):
    login(client, staff.sup)
    page = client.get(f"/admin/settings/decoration?estate={staff.e1.id}").get_data(as_text=True)
    assert 'name="rules"' in page
    resp = client.post(f"/admin/settings/decoration?estate={staff.e1.id}", data={
        "rules": "一、装修须申请。\n二、严禁拆改承重墙。", "notices": "施工时间 8:00-18:00", "fee_item": "DECO-FEE",
        "deposit_item": "DECO-DEP", "fee_amount": "500.00", "deposit_amount": "2000.00", "violations_to_suspend": "3",
        "inspect_every_days": "7"})
    assert resp.status_code == 302
    page = client.get(f"/decoration/rules?estate={staff.e1.id}").get_data(as_text=True)
    assert "严禁拆改承重墙" in page and "施工时间 8:00-18:00" in page
    login(client, staff.desk)
    assert client.get(f"/admin/settings/decoration?estate={staff.e1.id}").status_code == 403
    login(client, staff.sup_e2)
    assert client.get(f"/decoration/rules?estate={staff.e1.id}").status_code == 404


def test_the_unit_page_shows_its_decorations(client, db, staff, make_app_record):
    app = make_app_record()
    login(client, staff.sup)
    page = client.get(f"/estates/units/{app.unit_id}").get_data(as_text=True)
    assert app.number in page and "美家装饰工程有限公司" in page


@pytest.mark.plugins("decoration", "fees")
def test_with_fees_the_page_shows_what_the_cashier_still_has_to_take(client, db, staff, make_app_record, price_list):
    save_settings("decoration", {}, staff.e1.id)
    app = make_app_record()
    step(db, staff.sup, services.approve, app)
    login(client, staff.cashier)
    page = client.get(f"/decoration/{app.id}").get_data(as_text=True)
    assert "Fee not paid yet" in page and "Deposit not taken yet" in page and app.number in page
    assert 'name="fees-note"' not in page  # no ticking by hand: the desk's receipts count
    resp = client.post(f"/decoration/{app.id}/fees-paid", data={"fees-note": "x"})
    assert resp.status_code == 422 and "shows here by itself" in resp.get_data(as_text=True)
    assert db.session.get(Application, app.id).fees_paid_at is None


def test_inspection_recheck_extension_and_acceptance_through_the_pages(client, db, staff, permitted):
    from plugins.decoration.models import AcceptanceCheck, Extension, Inspection

    app = step(db, staff.desk, services.issue_permit, permitted)
    today = today_of(staff.e1)
    login(client, staff.tech)
    resp = client.post(f"/decoration/{app.id}/inspections/new", data={
        "once_key": "i" * 32, "findings": "擅自拆改墙体", "violation": "y", "required_action": "",
        "deadline": (today + timedelta(days=3)).isoformat()})
    assert resp.status_code == 422 and 'data-field="required_action"' in resp.get_data(as_text=True)
    assert count(db, Inspection) == 0
    resp = client.post(f"/decoration/{app.id}/inspections/new", data={
        "once_key": "j" * 32, "findings": "擅自拆改墙体", "violation": "y", "required_action": "恢复原状",
        "deadline": (today + timedelta(days=3)).isoformat(), "photos": (io.BytesIO(PNG), "wall.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    insp = db.session.scalar(select(Inspection))
    assert insp.notice_number and insp.required_action == "恢复原状"
    page = client.get(f"/decoration/{app.id}").get_data(as_text=True)
    assert insp.notice_number in page and "1 violation" in page
    assert client.post(f"/decoration/inspections/{insp.id}/recheck", data={
        "recheck-rectified": "1", "recheck-note": "已恢复"}).status_code == 302
    assert db.session.get(Inspection, insp.id).rectified_at is not None
    login(client, staff.desk)
    new_end = app.end_date + timedelta(days=10)
    assert client.post(f"/decoration/{app.id}/extensions", data={
        "ext-new_end": new_end.isoformat(), "ext-reason": "材料延误十天"}).status_code == 302
    ext = db.session.scalar(select(Extension))
    assert client.post(f"/decoration/extensions/{ext.id}/approve", data={"decide-note": ""}).status_code == 403
    login(client, staff.sup)
    assert client.post(f"/decoration/extensions/{ext.id}/approve", data={"decide-note": "同意"}).status_code == 302
    assert db.session.get(Application, app.id).end_date == new_end
    login(client, staff.desk)
    assert client.post(f"/decoration/{app.id}/complete", data={}).status_code == 302
    login(client, staff.tech)
    resp = client.post(f"/decoration/{app.id}/check", data={"defect": "walls", "check-defect_note": "墙面开裂",
                                                            "check-remedy": "rework", "accept": "1"})
    assert resp.status_code == 422 and "Defects are open" in resp.get_data(as_text=True)
    assert count(db, AcceptanceCheck) == 0
    resp = client.post(f"/decoration/{app.id}/check", data={"check-note": "验收合格", "accept": "1"})
    assert resp.status_code == 302
    app = db.session.get(Application, app.id)
    assert (app.state, app.acceptance_note) == ("accepted", "验收合格")


def test_a_pass_is_withdrawn_with_a_reason_and_leaves_the_guards_list(client, db, staff, permitted):
    app = step(db, staff.desk, services.issue_permit, permitted)
    p = step(db, staff.desk, services.add_pass, app, name="王小明", id_number="110101198505051234",
             valid_from=today_of(staff.e1), valid_to=app.end_date)
    login(client, staff.desk)
    assert 'name="void-reason"' in client.get(f"/decoration/{app.id}").get_data(as_text=True)
    resp = client.post(f"/decoration/passes/{p.id}/void", data={"void-reason": ""})
    assert resp.status_code == 422 and db.session.get(WorkerPass, p.id).voided_at is None
    assert client.post(f"/decoration/passes/{p.id}/void", data={"void-reason": "人员离场"}).status_code == 302
    assert db.session.get(WorkerPass, p.id).void_reason == "人员离场"
    assert "王小明" not in client.get("/decoration/passes").get_data(as_text=True)
