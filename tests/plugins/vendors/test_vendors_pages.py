"""The vendors pages: what staff see and save, who may do what, bad input refused beside the
field, printouts, XLSX, and above all estates kept apart — a vendor serving two estates shows
each estate only its own contracts and scores."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from plugins.vendors import services
from plugins.vendors.models import Contract, Evaluation, Inspection, Rectification, SheetItem
from tests.plugins.vendors.conftest import full, login


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _scored(db, s, contract, day, who, **changes):
    with acting_as(who):
        i = services.record_inspection(who, db.session.get(Contract, contract.id), inspected_on=day,
                                       points=full(services.sheet("cleaning"), **changes),
                                       deadline=day + timedelta(days=3) if changes else None)
        db.session.commit()
    return i


def _evaluated(db, s, contract, who, month=date(2026, 2, 1)):
    with acting_as(who):
        ev = services.evaluate_month(who, db.session.get(Contract, contract.id), month)
        services.confirm(who, ev)
        db.session.commit()
    return ev


def test_a_vendor_serving_two_estates_shows_each_only_its_own_contracts_and_scores(client, db, staff, make_user):
    i1 = _scored(db, staff, staff.c1, date(2026, 2, 10), staff.sup, **{"大堂及楼道": "33"})  # 93, fails nothing
    i2 = _scored(db, staff, staff.c2, date(2026, 2, 11), staff.sup_e2, **{"电梯轿厢": "3"})  # 73, a notice
    mgr_e2 = make_user("manager", [staff.e2], username="vmgr2")
    e1 = _evaluated(db, staff, staff.c1, staff.manager)
    e2 = _evaluated(db, staff, staff.c2, mgr_e2)
    assert (e1.score, e2.score) == (Decimal("93.00"), Decimal("73.00"))
    r2 = db.session.scalar(select(Rectification).where(Rectification.estate_id == staff.e2.id))
    login(client, staff.clerk)
    page = client.get(f"/vendors/{staff.vendor.id}").get_data(as_text=True)
    assert "BJ-E01-01" in page and "93.00 (2026-02)" in page
    assert "BJ-E02-01" not in page and "73.00" not in page and "Riverside" not in page
    for url in (f"/vendors/contracts/{staff.c2.id}", f"/vendors/inspections/{i2.id}",
                f"/vendors/inspections/{i2.id}/print", f"/vendors/evaluations/{e2.id}",
                f"/vendors/evaluations/{e2.id}/print", f"/vendors/rectifications/{r2.id}",
                f"/vendors/rectifications/{r2.id}/print", f"/vendors/contracts/{staff.c2.id}/inspect"):
        assert client.get(url).status_code in (403, 404), url
    for url in ("/vendors/contracts", "/vendors/inspections", "/vendors/evaluations", "/vendors/rectifications"):
        text = client.get(url).get_data(as_text=True)
        assert "BJ-E02-01" not in text and "73.00" not in text and r2.number not in text, url
    assert "BJ-E01-01" in client.get("/vendors/evaluations").get_data(as_text=True)
    # Search finds the vendor through the estate's own contract only; the dashboard widget shows own scores.
    hits = client.get("/search?q=洁美").get_data(as_text=True)
    assert f"/vendors/{staff.vendor.id}" in hits and "BJ-E01-01" in hits and "BJ-E02-01" not in hits
    dash = client.get("/").get_data(as_text=True)
    widget = dash[dash.find('data-widget="vendor-scores"'):]
    assert 'data-widget="vendor-scores"' in dash
    assert "93.00" in widget[:3000] and "73.00" not in widget[:3000]
    # Acting on the other estate's notice through a forged POST changes nothing.
    resp = client.post(f"/vendors/rectifications/{r2.id}/response",
                       data={"resp-responded_on": "2026-02-12", "resp-responder": "x", "resp-note": "x"})
    assert resp.status_code == 404
    assert db.session.get(Rectification, r2.id).state == "open"
    assert i1.id != i2.id


def test_contract_form_saves_and_bad_period_is_refused_beside_the_field(client, db, staff):
    login(client, staff.sup)
    assert client.get("/vendors/contracts/new").status_code == 200
    data = {"estate_id": staff.e1.id, "vendor_id": staff.vendor.id, "number": "LH-01", "service_kind": "greening",
            "scope": "草坪养护", "start_on": "2026-04-01", "end_on": "2026-03-31", "amount": "12800.50",
            "standards": "二级养护", "note": ""}
    resp = client.post("/vendors/contracts/new", data=data)
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert 'data-field="end_on"' in text and "The contract cannot end before it starts." in text
    assert count(db, Contract) == 2
    resp = client.post("/vendors/contracts/new", data=dict(data, end_on="2027-03-31"))
    assert resp.status_code == 302
    c = db.session.scalar(select(Contract).where(Contract.number == "LH-01"))
    assert (c.amount, c.service_kind, c.end_on) == (Decimal("12800.50"), "greening", date(2027, 3, 31))
    # The same in Chinese.
    staff.sup.locale = "zh_CN"
    db.session.commit()
    login(client, staff.sup)
    resp = client.post("/vendors/contracts/new", data=dict(data, number="LH-02"))
    assert resp.status_code == 422 and "合同结束日期不能早于开始日期" in resp.get_data(as_text=True)


def test_the_sheet_page_refuses_weights_not_adding_up_and_saves_good_ones(client, db, staff):
    login(client, staff.sup)
    data = {"title_0": "草坪", "weight_0": "50", "title_1": "乔木", "weight_1": "40"}
    resp = client.post("/vendors/sheets/greening", data=data)
    assert resp.status_code == 422 and "The weights add up to 90: they must add up to 100." in resp.get_data(
        as_text=True)
    assert services.sheet("greening") == []
    resp = client.post("/vendors/sheets/greening", data=dict(data, weight_1="50"))
    assert resp.status_code == 302
    assert [(i.title, i.weight) for i in services.sheet("greening")] == [("草坪", Decimal("50")),
                                                                          ("乔木", Decimal("50"))]
    login(client, staff.clerk)  # may not edit sheets
    assert client.post("/vendors/sheets/greening", data=data).status_code == 403
    assert count(db, SheetItem) == 5


def test_inspection_page_with_a_failing_item_issues_a_notice_and_prints(client, db, staff):
    login(client, staff.clerk)
    items = services.sheet("cleaning")
    page = client.get(f"/vendors/contracts/{staff.c1.id}/inspect").get_data(as_text=True)
    assert "大堂及楼道" in page and 'name="once_key"' in page
    data = {"once_key": new_once_key(), "inspected_on": "2026-03-17", "note": "周检",
            **{f"p_{i.id}": str(i.weight) for i in items}, **{f"r_{i.id}": "" for i in items}}
    data[f"p_{items[2].id}"] = "5"
    data[f"r_{items[2].id}"] = "垃圾桶满溢"
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/inspect", data=data)
    assert resp.status_code == 422 and 'data-field="deadline"' in resp.get_data(as_text=True)
    assert count(db, Inspection) == 0
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/inspect", data=dict(data, deadline="2026-03-20"))
    assert resp.status_code == 302
    again = client.post(f"/vendors/contracts/{staff.c1.id}/inspect", data=dict(data, deadline="2026-03-20"))
    assert again.status_code == 302 and count(db, Inspection) == 1  # the same form twice: once
    i = db.session.scalar(select(Inspection))
    assert (i.score, i.failing) == (Decimal("75.00"), 1)
    r = db.session.scalar(select(Rectification))
    printed = client.get(f"/vendors/rectifications/{r.id}/print").get_data(as_text=True)
    assert r.number in printed and "垃圾桶满溢" in printed and "洁美保洁服务有限公司" in printed
    sheet = client.get(f"/vendors/inspections/{i.id}/print").get_data(as_text=True)
    assert "75.00" in sheet and "垃圾收集点" in sheet
    blank = client.get(f"/vendors/contracts/{staff.c1.id}/sheet/print").get_data(as_text=True)
    assert "日产日清" in blank
    # Re-check before the response: refused, translated, nothing saved.
    resp = client.post(f"/vendors/rectifications/{r.id}/recheck",
                       data={"chk-checked_on": "2026-03-18", "chk-result": "passed", "chk-note": ""})
    assert resp.status_code == 422 and "Record the vendor&#39;s response before the re-check." in resp.get_data(
        as_text=True)
    assert db.session.get(Rectification, r.id).state == "open"
    login(client, staff.cashier)
    assert client.get(f"/vendors/rectifications/{r.id}").status_code == 403


def test_lists_export_xlsx_with_own_estate_rows(client, db, staff):
    _scored(db, staff, staff.c1, date(2026, 3, 2), staff.sup)
    login(client, staff.clerk)
    for url, expect in (("/vendors/contracts?export=xlsx", "BJ-E01-01"), ("/vendors/?export=xlsx", "洁美保洁服务有限公司"),
                        ("/vendors/inspections?export=xlsx", "BJ-E01-01")):
        resp = client.get(url)
        assert resp.status_code == 200, url
        rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
        flat = [str(v) for row in rows for v in row if v is not None]
        assert expect in flat and "BJ-E02-01" not in flat, url
    contracts = list(load_workbook(io.BytesIO(client.get("/vendors/contracts?export=xlsx").data)).active
                     .iter_rows(values_only=True))
    assert len(contracts) == 2


def test_evaluation_pages_open_confirm_and_refuse_an_overlapping_month(client, db, staff):
    _scored(db, staff, staff.c1, date(2026, 2, 10), staff.sup)
    login(client, staff.manager)
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/evaluate", data={"ev-month": "2026-02"})
    assert resp.status_code == 302
    ev = db.session.scalar(select(Evaluation))
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/evaluate", data={"ev-month": "2026-02"})
    assert resp.status_code == 422 and "2026-02 is already evaluated for this contract." in resp.get_data(
        as_text=True)
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/evaluate", data={"ev-month": "2026-13"})
    assert resp.status_code == 422 and count(db, Evaluation) == 1
    assert client.post(f"/vendors/evaluations/{ev.id}/confirm", data={"conf-note": "合格"}).status_code == 302
    ev = db.session.get(Evaluation, ev.id)
    assert ev.state == "confirmed" and ev.score == Decimal("100.00") and ev.note == "合格"
    printed = client.get(f"/vendors/evaluations/{ev.id}/print").get_data(as_text=True)
    assert "100.00" in printed and "2026-02" in printed
    page = client.get(f"/vendors/contracts/{staff.c1.id}").get_data(as_text=True)
    assert 'data-chart="line"' in page and "2026-02" in page


def test_odd_numbers_in_the_inspection_form_are_refused_beside_the_field(client, db, staff):
    login(client, staff.clerk)
    items = services.sheet("cleaning")
    for bad in ("NaN", "1e2", "abc", "-1", "41"):
        data = {"once_key": new_once_key(), "inspected_on": "2026-03-17", f"p_{items[0].id}": bad,
                **{f"p_{i.id}": str(i.weight) for i in items[1:]}}
        resp = client.post(f"/vendors/contracts/{staff.c1.id}/inspect", data=data)
        assert resp.status_code == 422, bad
        assert f'data-field="p_{items[0].id}"' in resp.get_data(as_text=True), bad
    assert count(db, Inspection) == 0


def test_contract_scans_are_attached_and_served_within_the_estate(client, db, staff, make_user):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    login(client, staff.sup)
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/attachments",
                       data={"files": (io.BytesIO(png), "contract-p1.png")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(f"/vendors/contracts/{staff.c1.id}").get_data(as_text=True)
    assert "contract-p1.png" in page
    resp = client.post(f"/vendors/contracts/{staff.c1.id}/attachments",
                       data={"files": (io.BytesIO(b"MZ not a scan"), "virus.exe")}, content_type="multipart/form-data")
    assert "is not a photo" in client.get(resp.headers["Location"]).get_data(as_text=True) \
        if resp.status_code == 302 else "is not a photo" in resp.get_data(as_text=True)
    from core.attachments import Attachment
    assert db.session.scalars(select(Attachment.filename)).all() == ["contract-p1.png"]
    login(client, staff.sup_e2)
    assert client.post(f"/vendors/contracts/{staff.c1.id}/attachments",
                       data={"files": (io.BytesIO(png), "x.png")}, content_type="multipart/form-data").status_code == 404
