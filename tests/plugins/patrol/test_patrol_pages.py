"""The patrol pages: the QR label's URL opens the check form (after the login), a problem with a
photo, refusals beside the form with nothing saved, lists and exports, the building log, who may
do what, estates kept apart."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.attachments import Attachment
from core.audit import acting_as
from core.extensions import db
from core.forms import new_once_key
from plugins.patrol import services
from plugins.patrol.models import (
    Patrol,
    PatrolLogEntry,
    PatrolPlan,
    PatrolProblem,
    PatrolRoute,
    PatrolVisit,
)
from tests.plugins.patrol.conftest import DAY, MORNING, PNG, check_data, login


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_qr_url_leads_through_the_login_to_the_check_form(client, staff, route):
    url = f"/patrol/c/{route.points[0].id}"
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"] and "next=" in resp.headers["Location"]
    from core.testing import TEST_PASSWORD

    resp = client.post(resp.headers["Location"], data={"username": "guard1", "password": TEST_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "P-01" in page and "一楼大堂" in page and 'name="once_key"' in page and 'enctype="multipart/form-data"' in page


def test_the_labels_carry_the_check_forms_url_as_a_qr_code(client, staff, route):
    login(client, staff.sup)
    page = client.get(f"/patrol/routes/{route.main.id}/labels").get_data(as_text=True)
    assert page.count('class="checkpoint-label"') == 3 and page.count("<svg") >= 3
    assert f'data-url="http://localhost/patrol/c/{route.points[0].id}"' in page
    from plugins.patrol.qr import url_qr

    code = url_qr(f"http://localhost/patrol/c/{route.points[0].id}")
    assert not code.is_micro and code.error == "M"


def test_a_patroller_records_a_problem_with_a_photo_and_a_repair_order_is_made(client, staff, route, clock):
    clock.move_to(MORNING)
    login(client, staff.guard)
    point = route.points[1]
    data = check_data(result="problem", category="fire", note="灭火器压力不足")
    data["photos"] = (io.BytesIO(PNG), "fire.png")
    resp = client.post(f"/patrol/c/{point.id}", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    visit = db.session.scalar(select(PatrolVisit))
    problem = db.session.scalar(select(PatrolProblem))
    assert resp.headers["Location"].endswith(f"/patrol/patrols/{visit.patrol_id}")
    assert (visit.result, visit.note, visit.visited_by_id) == ("problem", "灭火器压力不足", staff.guard.id)
    assert db.session.scalar(select(Attachment.owner_table).where(Attachment.owner_id == visit.id)) == "patrol_visit"
    assert problem.repair_number.startswith("BX-E01-")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert problem.repair_number in page and "repair-progress" in page and "visit-photo" in page
    # The same form again (back button): nothing more.
    data["photos"] = (io.BytesIO(PNG), "fire.png")
    again = client.post(f"/patrol/c/{point.id}", data=data, content_type="multipart/form-data")
    assert again.status_code == 302 and count(PatrolVisit) == 1 and count(PatrolProblem) == 1
    # A new form for the same checkpoint on the same patrol: refused, nothing saved.
    resp = client.post(f"/patrol/c/{point.id}", data=check_data(patrol_id=str(visit.patrol_id)))
    assert resp.status_code == 422 and "was already checked on patrol" in resp.get_data(as_text=True)
    assert count(PatrolVisit) == 1
    # The building log of the day shows it.
    log = client.get(f"/patrol/log?day={DAY.isoformat()}").get_data(as_text=True)
    assert "灭火器压力不足" in log and problem.repair_number in log
    printed = client.get(f"/patrol/log/print?day={DAY.isoformat()}").get_data(as_text=True)
    assert "灭火器压力不足" in printed and "Building log" in printed


def test_scanning_another_estates_or_routes_checkpoint_is_refused(client, staff, route, clock):
    clock.move_to(MORNING)
    login(client, staff.guard)
    resp = client.get(f"/patrol/c/{route.e2_point.id}")
    assert resp.status_code == 404 and "is not a checkpoint of your estates" in resp.get_data(as_text=True)
    assert "Gate" not in resp.get_data(as_text=True)
    resp = client.post(f"/patrol/c/{route.e2_point.id}", data=check_data())
    assert resp.status_code == 404 and count(PatrolVisit) == 0
    # A patrol of the main route under way; the night route's checkpoint sent with it.
    assert client.post(f"/patrol/c/{route.points[0].id}", data=check_data()).status_code == 302
    patrol_id = db.session.scalar(select(PatrolVisit.patrol_id))
    resp = client.post(f"/patrol/c/{route.night.id}", data=check_data(patrol_id=str(patrol_id)))
    assert resp.status_code == 422
    assert "Checkpoint N-01 is not on route 公共区域日常巡视" in resp.get_data(as_text=True)
    # Another estate's patrol id: refused the same way, never named.
    with acting_as(staff.guard_e2):
        other = services.record_visit(staff.guard_e2, route.e2_point, result="ok")
        db.session.commit()
    resp = client.post(f"/patrol/c/{route.points[1].id}", data=check_data(patrol_id=str(other.patrol_id)))
    assert resp.status_code == 422 and "This patrol is not one of your estates" in resp.get_data(as_text=True)
    assert count(PatrolVisit) == 2


def test_refusals_are_translated(client, staff, route):
    from core.models import User

    db.session.get(User, staff.guard.id).locale = "zh_CN"
    db.session.commit()
    login(client, staff.guard)
    resp = client.post(f"/patrol/c/{route.points[0].id}", data=check_data(result="problem", note=""))
    assert resp.status_code == 422 and "请描述问题（至少 4 个字）。" in resp.get_data(as_text=True)
    resp = client.get(f"/patrol/c/{route.e2_point.id}")
    assert "此标签不是您所负责项目的巡视点" in resp.get_data(as_text=True)
    resp = client.get("/patrol/patrols?start=2026-11-20&end=2026-11-19")
    assert resp.status_code == 400 and "结束日期早于开始日期。" in resp.get_data(as_text=True)
    assert count(PatrolVisit) == 0


def test_a_supervisor_sets_up_a_route_a_checkpoint_and_a_plan(client, staff, route, clock):
    clock.move_to(MORNING)
    login(client, staff.sup)
    resp = client.post("/patrol/routes", data={"estate_id": staff.e1.id, "name": "消防巡查", "description": "每周"})
    new = db.session.scalar(select(PatrolRoute).where(PatrolRoute.name == "消防巡查"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/patrol/routes/{new.id}")
    resp = client.post(f"/patrol/routes/{new.id}/checkpoints", data={"code": "F-01", "name": "消防控制室",
                                                                   "checks": ["fire", "facilities"]})
    assert resp.status_code == 302
    resp = client.post(f"/patrol/routes/{new.id}/checkpoints", data={"code": "F-01", "name": "again",
                                                                   "checks": ["fire"]})
    assert resp.status_code == 422 and "Checkpoint code F-01 is already used" in resp.get_data(as_text=True)
    plan = {"estate_id": staff.e1.id, "route_id": new.id, "patroller_id": staff.guard.id, "kind": "staff",
            "frequency": "daily", "start_time": "14:00", "window_minutes": "60",
            "starts_on": DAY.isoformat(), "ends_on": (DAY - timedelta(days=1)).isoformat()}
    resp = client.post("/patrol/plans", data=plan)
    assert resp.status_code == 422 and "The last day is before the first day." in resp.get_data(as_text=True)
    assert count(PatrolPlan) == 0
    resp = client.post("/patrol/plans", data=dict(plan, ends_on=""))
    assert resp.status_code == 302 and count(PatrolPlan) == 1
    assert count(Patrol, Patrol.route_id == new.id) == 2  # today's and tomorrow's, made at once
    board = client.get("/patrol/?day=" + DAY.isoformat()).get_data(as_text=True)
    assert "消防巡查" in board and "0 of 1 checkpoints" in board


def test_who_may_do_what(client, staff, route):
    login(client, staff.guard)
    assert client.get("/patrol/").status_code == 200
    assert client.post("/patrol/routes", data={"estate_id": staff.e1.id, "name": "x"}).status_code == 403
    assert client.get(f"/patrol/routes/{route.e2.id}").status_code == 404
    assert client.get(f"/patrol/routes/{route.e2.id}/labels").status_code == 404
    assert count(PatrolRoute) == 3


def test_lists_and_exports(client, staff, route, clock):
    clock.move_to(MORNING)
    with acting_as(staff.guard):
        services.record_visit(staff.guard, route.points[0], result="problem", category="signs", note="指示牌脱落")
        db.session.commit()
    with acting_as(staff.guard_e2):
        services.record_visit(staff.guard_e2, route.e2_point, result="problem", category="signs", note="ZQXB other",
                              contact_phone="13900002222")
        db.session.commit()
    login(client, staff.sup)
    problems = client.get("/patrol/problems").get_data(as_text=True)
    assert "指示牌脱落" in problems and "ZQXB" not in problems
    resp = client.get("/patrol/problems?export=xlsx")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "指示牌脱落" in cells and "ZQXB other" not in cells
    resp = client.get("/patrol/patrols?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    assert "P-03" in client.get("/patrol/checkpoints").get_data(as_text=True)
    assert client.get("/patrol/checkpoints?export=xlsx").status_code == 200
    found = client.get("/search?q=P-0").get_data(as_text=True)
    assert "一楼大堂" in found and "Gate" not in found
    home = client.get("/").get_data(as_text=True)
    assert "patrol-widget" in home and "1 problem open" in home


def test_the_building_log_takes_entries_and_refuses_the_future(client, staff, route, clock):
    clock.move_to(MORNING)
    login(client, staff.guard)
    resp = client.post("/patrol/log", data={"estate_id": staff.e1.id, "at": "2026-11-19T08:15",
                                            "text": "与夜班交接，无异常"})
    assert resp.status_code == 302 and "day=2026-11-19" in resp.headers["Location"]
    resp = client.post("/patrol/log", data={"estate_id": staff.e1.id, "at": "2026-11-19T18:15", "text": "未来"})
    assert resp.status_code == 422 and "The time is in the future." in resp.get_data(as_text=True)
    resp = client.post("/patrol/log", data={"estate_id": staff.e2.id, "at": "2026-11-19T08:15", "text": "他处"})
    assert resp.status_code == 422 and count(PatrolLogEntry) == 1
    page = client.get("/patrol/log?day=2026-11-19").get_data(as_text=True)
    assert "与夜班交接，无异常" in page and "08:15" in page


def test_finishing_a_patrol_twice_does_nothing_more(client, staff, route, clock):
    clock.move_to(MORNING)
    login(client, staff.guard)
    client.post(f"/patrol/c/{route.points[0].id}", data=check_data())
    patrol = db.session.scalar(select(Patrol))
    form = {"once_key": new_once_key(), "note": "其余未巡"}
    resp = client.post(f"/patrol/patrols/{patrol.id}/finish", data=form)
    assert resp.status_code == 302
    db.session.expire_all()
    patrol = db.session.get(Patrol, patrol.id)
    finished = patrol.finished_at
    assert patrol.state == "done" and patrol.note == "其余未巡"
    clock.shift(timedelta(minutes=5))
    again = client.post(f"/patrol/patrols/{patrol.id}/finish", data=form, follow_redirects=True)
    assert "had been sent already" in again.get_data(as_text=True)
    resp = client.post(f"/patrol/patrols/{patrol.id}/finish", data={"once_key": new_once_key()}, follow_redirects=True)
    assert "is already finished" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Patrol, patrol.id).finished_at == finished
    page = client.get(f"/patrol/patrols/{patrol.id}").get_data(as_text=True)
    assert page.count('class="small text-danger missed"') == 2


def test_a_disabled_patrol_plugin_hides_its_pages_and_keeps_its_data(client, staff, route):
    from core.site import disable, enable, refresh

    login(client, staff.sup)
    disable("patrol")
    db.session.commit()
    refresh(force=True)
    try:
        assert client.get("/patrol/").status_code == 404
        assert client.get(f"/patrol/c/{route.points[0].id}").status_code == 404
        assert count(PatrolRoute) == 3
    finally:
        enable("patrol")
        db.session.commit()
