"""The cleaning pages: the inspection form (OK / shortcoming, photos, rework or the vendor), sent
twice once, another estate's area refused, verification, lists with filters and XLSX, printouts,
pest control and training forms, the figures — estates kept apart, and who may do what."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from plugins.cleaning import services
from plugins.cleaning.models import (
    CleanArea,
    CleanCheck,
    CleanStep,
    CleanTask,
    CleanTraining,
    PestPlan,
    PestRecord,
)
from tests.plugins.cleaning.conftest import PNG, all_ok, login, set_vendors


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(s, **changes):
    data = {"once_key": new_once_key(), "inspected_on": "2026-03-18", "note": "",
            **{f"r_{t.id}": "ok" for t in (s.t1, s.t2, s.t3)}, **{f"m_{t.id}": "" for t in (s.t1, s.t2, s.t3)},
            "remedy": "", "deadline": ""}
    data.update(changes)
    return data


def test_an_inspection_with_a_shortcoming_to_the_vendor_once_then_verified_with_vendors_off(client, db, staff):
    s = staff
    login(client, s.sup)
    page = client.get(f"/cleaning/areas/{s.area.id}/inspect").get_data(as_text=True)
    assert "地面湿拖" in page and 'name="once_key"' in page and 'value="vendor"' in page
    data = _form(s, **{f"r_{s.t1.id}": "short", f"m_{s.t1.id}": "地面有水渍", "remedy": "vendor"})
    resp = client.post(f"/cleaning/areas/{s.area.id}/inspect", data=data)  # no deadline
    assert resp.status_code == 422 and 'data-field="deadline"' in resp.get_data(as_text=True)
    assert count(db, CleanCheck) == 0
    data["deadline"] = "2026-03-20"
    data["photos"] = (io.BytesIO(PNG), "stain.png")
    resp = client.post(f"/cleaning/areas/{s.area.id}/inspect", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    data["photos"] = (io.BytesIO(PNG), "stain.png")
    again = client.post(f"/cleaning/areas/{s.area.id}/inspect", data=data, content_type="multipart/form-data")
    assert again.status_code == 302 and again.headers["Location"] == resp.headers["Location"]
    assert count(db, CleanCheck) == 1  # the same form twice: once
    c = db.session.scalar(select(CleanCheck))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert c.rectification_number in page and "Waiting for the vendor" in page and "check-photo" in page
    printed = client.get(f"/cleaning/checks/{c.id}/print").get_data(as_text=True)
    assert c.number in printed and "地面有水渍" in printed and c.rectification_number in printed
    # While the notice is open at the vendor, the page sends there instead of offering the form.
    assert f'action="/cleaning/checks/{c.id}/verify"' not in page and "verified when the notice is closed at the vendor" in page
    assert f'href="/vendors/rectifications/{c.rectification_id}"' in page
    resp = client.post(f"/cleaning/checks/{c.id}/verify", data={"once_key": new_once_key(), "verified_on": "2026-03-18",
                                                                "result": "passed"})
    assert resp.status_code == 422 and "is still open at the vendor" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CleanCheck, c.id).state == "open"
    set_vendors(False)  # vendors off: verified by hand
    resp = client.post(f"/cleaning/checks/{c.id}/verify", data={"once_key": new_once_key(), "verified_on": "2026-03-17",
                                                                "result": "passed"})
    assert resp.status_code == 422 and "The verification cannot be before 2026-03-18." in resp.get_data(as_text=True)
    resp = client.post(f"/cleaning/checks/{c.id}/verify", data={"once_key": new_once_key(), "verified_on": "2026-03-18",
                                                                "result": "passed"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(CleanCheck, c.id).state == "verified"


def test_another_estates_area_and_records_answer_404_and_save_nothing(client, db, staff):
    s = staff
    with acting_as(s.sup_e2):
        c2 = services.record_inspection(s.sup_e2, s.area2, inspected_on=s.today, results=all_ok(s.t21, 道路清扫="落叶"),
                                        remedy="rework", deadline=s.today + timedelta(days=1))
        db.session.commit()
    login(client, s.sup)
    for url in (f"/cleaning/areas/{s.area2.id}", f"/cleaning/areas/{s.area2.id}/inspect",
                f"/cleaning/areas/{s.area2.id}/sheet", f"/cleaning/checks/{c2.id}", f"/cleaning/checks/{c2.id}/print"):
        assert client.get(url).status_code == 404, url
    resp = client.post(f"/cleaning/areas/{s.area2.id}/inspect", data={
        "once_key": new_once_key(), "inspected_on": "2026-03-18", f"r_{s.t21.id}": "ok"})
    assert resp.status_code == 404
    resp = client.post(f"/cleaning/checks/{c2.id}/verify", data={"once_key": new_once_key(),
                                                                 "verified_on": "2026-03-18", "result": "passed"})
    assert resp.status_code == 404
    resp = client.post(f"/cleaning/tasks/{s.t21.id}/retire", data={})
    assert resp.status_code == 404
    assert count(db, CleanCheck) == 1 and db.session.get(CleanCheck, c2.id).state == "open"
    assert db.session.get(CleanTask, s.t21.id).active
    for url in ("/cleaning/", "/cleaning/areas", "/cleaning/checks", "/cleaning/figures"):
        text = client.get(url).get_data(as_text=True)
        assert "园区道路" not in text and c2.number not in text, url
    hits = client.get("/search?q=园区").get_data(as_text=True)
    assert "园区道路" not in hits
    assert "1栋大堂" in client.get("/search?q=大堂").get_data(as_text=True)


def test_who_may_do_what(client, db, staff):
    s = staff
    login(client, s.clerk)  # sees, does not inspect or manage
    assert client.get("/cleaning/").status_code == 200
    assert client.get(f"/cleaning/areas/{s.area.id}/inspect").status_code == 403
    assert client.post("/cleaning/areas", data={"estate_id": s.e1.id, "name": "车库"}).status_code == 403
    login(client, s.tech)  # no cleaning at all
    assert client.get("/cleaning/").status_code == 403
    login(client, s.sup)  # the cleaning supervisor manages
    resp = client.post("/cleaning/areas", data={"estate_id": s.e1.id, "name": "车库", "location": "负一层"})
    assert resp.status_code == 302
    resp = client.post("/cleaning/areas", data={"estate_id": s.e2.id, "name": "别处"})
    assert resp.status_code == 422 and count(db, CleanArea) == 3
    resp = client.post("/cleaning/areas", data={"estate_id": s.e1.id, "name": "1栋大堂"})
    assert resp.status_code == 422 and "already exists" in resp.get_data(as_text=True)


def test_lists_filter_refuse_dates_out_of_order_and_export_xlsx(client, db, staff):
    s = staff
    with acting_as(s.sup):
        for day, bad in ((date(2026, 3, 10), False), (date(2026, 3, 12), True), (date(2026, 3, 16), False)):
            services.record_inspection(s.sup, s.area, inspected_on=day,
                                       results=all_ok(s.t1, s.t2, s.t3, **({"地面湿拖": "脏"} if bad else {})),
                                       remedy="rework" if bad else "", deadline=day + timedelta(days=2) if bad else None)
        db.session.commit()
    login(client, s.sup)
    resp = client.get("/cleaning/checks?start=2026-03-16&end=2026-03-01")
    assert resp.status_code == 400 and "The end date is before the start date." in resp.get_data(as_text=True)
    text = client.get("/cleaning/checks?state=overdue").get_data(as_text=True)
    assert text.count("BJ-E01-2026-") == 1
    assert client.get("/cleaning/figures?export=xlsx").status_code == 403  # no export permission
    login(client, s.manager)
    resp = client.get("/cleaning/checks?export=xlsx&start=2026-03-11")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "Number"
    resp = client.get("/cleaning/figures?export=xlsx")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "1栋大堂" and rows[1][-2:] == (3, 66.7)
    figures = client.get("/cleaning/figures?by=vendor").get_data(as_text=True)
    assert "洁美保洁" in figures and 'data-chart="line"' in figures
    assert client.get("/cleaning/checks?export=pdf").status_code == 400


def test_pest_and_training_forms_refuse_bad_input_in_chinese(client, db, staff):
    s = staff
    s.sup.locale = "zh_CN"
    db.session.commit()
    login(client, s.sup)
    plan = {"estate_id": s.e1.id, "kind": "pest_control", "title": "除四害", "pests": ["rats", "flies"],
            "scope": "地下室", "every_days": "14", "start_on": "2026-06-01", "end_on": "2026-05-01"}
    resp = client.post("/cleaning/pests", data=plan)
    assert resp.status_code == 422 and "结束日期早于开始日期" in resp.get_data(as_text=True)
    assert count(db, PestPlan) == 0
    resp = client.post("/cleaning/pests", data=dict(plan, start_on="2026-03-01", end_on="2026-12-31"))
    assert resp.status_code == 302
    p = db.session.scalar(select(PestPlan))
    rec = {"once_key": new_once_key(), "done_on": "2026-02-01", "done_by": "安洁消杀"}
    resp = client.post(f"/cleaning/pests/{p.id}/records", data=rec)
    assert resp.status_code == 422 and count(db, PestRecord) == 0
    rec["done_on"] = "2026-03-10"
    assert client.post(f"/cleaning/pests/{p.id}/records", data=rec).status_code == 302
    assert client.post(f"/cleaning/pests/{p.id}/records", data=rec).status_code == 302
    assert count(db, PestRecord) == 1  # sent twice: once
    tr = {"once_key": new_once_key(), "estate_id": s.e1.id, "held_on": "2026-03-19", "topic": "清洁剂安全",
          "trainer": "王主管", "attendees": "李梅\n张华", "hours": "2"}
    resp = client.post("/cleaning/training", data=tr)
    assert resp.status_code == 422 and count(db, CleanTraining) == 0
    resp = client.post("/cleaning/training", data=dict(tr, held_on="2026-03-18"))
    assert resp.status_code == 302 and count(db, CleanTraining) == 1
    page = client.get(f"/cleaning/areas/{s.area.id}/inspect").get_data(as_text=True)
    assert "保存检查结果" in page and "不合格" in page


def test_with_vendors_disabled_the_form_offers_rework_only(client, db, staff):
    s = staff
    set_vendors(False)
    login(client, s.sup)
    page = client.get(f"/cleaning/areas/{s.area.id}/inspect").get_data(as_text=True)
    assert 'value="vendor"' not in page and 'value="rework"' in page
    data = _form(s, **{f"r_{s.t1.id}": "short", f"m_{s.t1.id}": "脏", "remedy": "vendor", "deadline": "2026-03-20"})
    resp = client.post(f"/cleaning/areas/{s.area.id}/inspect", data=data)
    assert resp.status_code == 422 and count(db, CleanCheck) == 0 and count(db, CleanStep) == 0
    resp = client.post(f"/cleaning/areas/{s.area.id}/inspect", data=dict(data, remedy="rework",
                                                                         once_key=new_once_key()))
    assert resp.status_code == 302
    assert "Sent to rework" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_the_dashboard_widget_and_the_days_board_follow_the_estates_frequency(client, db, staff):
    from core.settings import save_settings

    s = staff
    save_settings("cleaning", {"checks_per_day": 2}, s.e1.id)
    with acting_as(s.sup):
        services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3))
        db.session.commit()
    board = services.today_board([s.e1.id], s.today)
    assert [(r["area"].name, r["done"], r["due"]) for r in board] == [("1栋大堂", 1, 2)]
    login(client, s.sup)
    home = client.get("/").get_data(as_text=True)
    assert "0 of 1 areas inspected" in home
    assert "1 / 2" in client.get("/cleaning/").get_data(as_text=True)
