"""The greening pages: the inspection form on the season's plan (shortcoming to the vendor, sent
twice once), another estate's records answering 404, verification, lists with filters and XLSX,
the indoor plant services forms in Chinese, who may do what, vendors off."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from plugins.greening import services
from plugins.greening.models import GreenArea, GreenCheck, GreenTask, PlantRequest, PlantVisit
from tests.plugins.greening.conftest import PNG, all_ok, login, set_vendors


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(s, **changes):
    data = {"once_key": new_once_key(), "inspected_on": "2026-03-18", "note": "",
            **{f"r_{t.id}": "ok" for t in (s.t1, s.t2, s.t3)}, **{f"m_{t.id}": "" for t in (s.t1, s.t2, s.t3)},
            "remedy": "", "deadline": ""}
    data.update(changes)
    return data


def test_an_inspection_to_the_vendor_once_then_verified_with_vendors_off(client, db, staff):
    s = staff
    login(client, s.sup)
    page = client.get(f"/greening/areas/{s.area.id}/inspect").get_data(as_text=True)
    assert "草坪施肥" in page and "草坪修剪" not in page  # spring: not the summer's mowing
    data = _form(s, **{f"r_{s.t3.id}": "short", f"m_{s.t3.id}": "未施肥", "remedy": "vendor", "deadline": "2026-03-18"})
    resp = client.post(f"/greening/areas/{s.area.id}/inspect", data=data)
    assert resp.status_code == 422 and "The deadline must be after the day of the inspection." in resp.get_data(
        as_text=True)
    assert count(db, GreenCheck) == 0
    data.update(deadline="2026-03-21", photos=(io.BytesIO(PNG), "lawn.png"))
    resp = client.post(f"/greening/areas/{s.area.id}/inspect", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    data["photos"] = (io.BytesIO(PNG), "lawn.png")
    again = client.post(f"/greening/areas/{s.area.id}/inspect", data=data, content_type="multipart/form-data")
    assert again.headers["Location"] == resp.headers["Location"] and count(db, GreenCheck) == 1
    c = db.session.scalar(select(GreenCheck))
    assert [(line.title, line.ok) for line in c.lines] == [("草坪浇水", True), ("草坪施肥", False)]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert c.rectification_number in page and "Waiting for the vendor" in page
    assert c.number in client.get(f"/greening/checks/{c.id}/print").get_data(as_text=True)
    # While the notice is open at the vendor, the page sends there instead of offering the form.
    assert f'action="/greening/checks/{c.id}/verify"' not in page and "verified when the notice is closed at the vendor" in page
    assert f'href="/vendors/rectifications/{c.rectification_id}"' in page
    resp = client.post(f"/greening/checks/{c.id}/verify", data={"once_key": new_once_key(), "verified_on": "2026-03-18",
                                                                "result": "passed"})
    assert resp.status_code == 422 and "is still open at the vendor" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(GreenCheck, c.id).state == "open"
    set_vendors(False)  # vendors off: verified by hand
    resp = client.post(f"/greening/checks/{c.id}/verify", data={"once_key": new_once_key(), "verified_on": "2026-03-18",
                                                                "result": "passed"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(GreenCheck, c.id).state == "verified"


def test_another_estates_records_answer_404_and_save_nothing(client, db, staff):
    s = staff
    with acting_as(s.sup_e2):
        c2 = services.record_inspection(s.sup_e2, s.area2, inspected_on=s.today, results=all_ok(s.t21, 花坛浇水="缺水"),
                                        remedy="rework", deadline=s.today + timedelta(days=1))
        r2 = services.add_request(s.sup_e2, estate_id=s.e2.id, business="园区咖啡", place="A座1楼", plants="绿萝",
                                  visits_per_month=2, start_on=s.today - timedelta(days=10))
        db.session.commit()
    login(client, s.sup)
    for url in (f"/greening/areas/{s.area2.id}", f"/greening/areas/{s.area2.id}/inspect", f"/greening/checks/{c2.id}",
                f"/greening/checks/{c2.id}/print", f"/greening/plants/{r2.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/greening/plants/{r2.id}/visits", data={
        "once_key": new_once_key(), "visited_on": "2026-03-18", "gardener": "吴", "work": "浇水"}).status_code == 404
    assert client.post(f"/greening/tasks/{s.t21.id}/retire", data={}).status_code == 404
    assert count(db, PlantVisit) == 0 and db.session.get(GreenTask, s.t21.id).active
    for url in ("/greening/", "/greening/areas", "/greening/checks", "/greening/plants", "/greening/figures"):
        text = client.get(url).get_data(as_text=True)
        assert "园区花坛" not in text and "园区咖啡" not in text and c2.number not in text, url
    assert "园区花坛" not in client.get("/search?q=花坛").get_data(as_text=True)
    assert "中心草坪" in client.get("/search?q=草坪").get_data(as_text=True)


def test_who_may_do_what_lists_and_exports(client, db, staff):
    s = staff
    login(client, s.clerk)
    assert client.get("/greening/").status_code == 200
    assert client.get(f"/greening/areas/{s.area.id}/inspect").status_code == 403
    assert client.post("/greening/areas", data={"estate_id": s.e1.id, "name": "花坛"}).status_code == 403
    login(client, s.tech)
    assert client.get("/greening/").status_code == 403
    login(client, s.sup)
    assert client.post("/greening/areas", data={"estate_id": s.e1.id, "name": "北门花坛"}).status_code == 302
    assert count(db, GreenArea) == 3
    resp = client.get("/greening/checks?start=2026-03-16&end=2026-03-01")
    assert resp.status_code == 400 and "The end date is before the start date." in resp.get_data(as_text=True)
    login(client, s.manager)
    rows = list(load_workbook(io.BytesIO(client.get("/greening/areas?export=xlsx").data)).active.iter_rows(
        values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["中心草坪", "北门花坛"]


def test_indoor_plant_forms_in_chinese(client, db, staff):
    s = staff
    s.sup.locale = "zh_CN"
    db.session.commit()
    login(client, s.sup)
    req = {"estate_id": s.e1.id, "business": "华信贸易公司", "place": "2栋1201", "plants": "发财树6盆",
           "visits_per_month": "2", "start_on": "2026-03-01", "end_on": "2026-02-01"}
    resp = client.post("/greening/plants", data=req)
    assert resp.status_code == 422 and "结束日期早于开始日期" in resp.get_data(as_text=True)
    assert count(db, PlantRequest) == 0
    resp = client.post("/greening/plants", data=dict(req, end_on=""))
    assert resp.status_code == 302
    r = db.session.scalar(select(PlantRequest))
    visit = {"once_key": new_once_key(), "visited_on": "2026-03-19", "gardener": "吴师傅", "work": "浇水", "replaced": "0"}
    resp = client.post(f"/greening/plants/{r.id}/visits", data=visit)
    assert resp.status_code == 422 and "不能登记将来的服务" in resp.get_data(as_text=True)
    visit["visited_on"] = "2026-03-18"
    assert client.post(f"/greening/plants/{r.id}/visits", data=visit).status_code == 302
    assert client.post(f"/greening/plants/{r.id}/visits", data=visit).status_code == 302
    assert count(db, PlantVisit) == 1  # sent twice: once
    page = client.get(f"/greening/plants/{r.id}").get_data(as_text=True)
    assert "1 / 2" in page and "室内绿植租摆" in page
    assert "1 / 2" in client.get("/greening/plants").get_data(as_text=True)


def test_with_vendors_disabled_the_form_offers_rework_only(client, db, staff):
    s = staff
    set_vendors(False)
    login(client, s.sup)
    page = client.get(f"/greening/areas/{s.area.id}/inspect").get_data(as_text=True)
    assert 'value="vendor"' not in page
    data = _form(s, **{f"r_{s.t1.id}": "short", f"m_{s.t1.id}": "缺水", "remedy": "rework", "deadline": "2026-03-20"})
    assert client.post(f"/greening/areas/{s.area.id}/inspect", data=data).status_code == 302
    assert db.session.scalar(select(GreenCheck.remedy)) == "rework"
