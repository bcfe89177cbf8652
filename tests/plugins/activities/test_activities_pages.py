"""The activity pages: what was saved shows, refusals are translated beside their fields and
save nothing, roles and estates are kept apart, the lists and the yearly report export."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.models import utcnow
from plugins.activities import services
from plugins.activities.models import Activity, Expense, Signup
from tests.plugins.activities.conftest import local, login, residents_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def count(db, model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def plan_form(staff, **kw) -> dict:
    start = utcnow() + timedelta(days=10)
    data = {"once_key": new_once_key(), "estate_id": str(staff.e1.id), "theme": "中秋灯谜晚会", "place": "中心广场",
            "starts_at": local(start), "ends_at": local(start + timedelta(hours=3)), "budget": "1200.50",
            "expected_participants": "30", "capacity": "40", "organiser_ids": [str(staff.clerk.id)],
            "description": "猜灯谜"}
    data.update(kw)
    return data


def test_plan_through_the_page_and_the_detail_shows_it(client, db, staff):
    login(client, staff.clerk)
    assert "中秋" not in client.get("/activities/new").get_data(as_text=True)
    resp = client.post("/activities/new", data=plan_form(staff))
    assert resp.status_code == 302
    a = db.session.scalar(select(Activity))
    assert (a.theme, a.place, a.budget, a.capacity, a.state) == ("中秋灯谜晚会", "中心广场", Decimal("1200.50"), 40,
                                                                 "draft")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "中秋灯谜晚会" in page and "1,200.50" in page and "孙丽" in page and "Submit for approval" in page
    assert client.post(f"/activities/{a.id}/submit").status_code == 302
    assert db.session.get(Activity, a.id).state == "submitted"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"budget": "-5"}, "budget", "The budget cannot be negative."),
    ({"budget": "1e3"}, "budget", "Enter an amount such as 1280.50."),
    ({"budget": "12.345"}, "budget", "Use at most 2 decimal places."),
    ({"ends_at": "2020-01-01T10:00"}, "ends_at", "The activity must end after it starts."),
    ({"capacity": "0"}, "capacity", "Number must be between"),
    ({"theme": ""}, "theme", "Enter the theme of the activity."),
    ({"organiser_ids": []}, "organiser_ids", "Choose at least one organiser."),
])
def test_bad_plans_are_refused_beside_the_field(client, db, staff, change, field, message):
    login(client, staff.clerk)
    resp = client.post("/activities/new", data=plan_form(staff, **change))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert f'data-field="{field}"' in html and message in html
    assert count(db, Activity) == 0


def test_approval_and_refusal_on_the_page(client, db, staff, make_activity):
    a = make_activity("submitted")
    b = make_activity("submitted")
    login(client, staff.sup)
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert "Approve" in page and "Refuse" in page
    resp = client.post(f"/activities/{b.id}/refuse", data={"decision-note": ""})
    assert resp.status_code == 422 and "Say why the plan is refused." in resp.get_data(as_text=True)
    assert db.session.get(Activity, b.id).state == "submitted"
    assert client.post(f"/activities/{b.id}/refuse", data={"decision-note": "预算过高"}).status_code == 302
    assert client.post(f"/activities/{a.id}/approve", data={"decision-note": ""}).status_code == 302
    db.session.rollback()
    assert db.session.get(Activity, a.id).state == "approved"
    assert "预算过高" in client.get(f"/activities/{b.id}").get_data(as_text=True)


def test_sign_up_on_the_page_and_refusals(client, db, staff, make_activity):
    a = make_activity("approved", capacity=2)
    r1, r2, r3 = residents_of(db, staff.e1)
    login(client, staff.desk)
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert r1.name in page  # offered in the resident list
    assert client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r1.id}).status_code == 302
    resp = client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r1.id})
    assert resp.status_code == 422 and f"{r1.name} has already signed up for this activity." in resp.get_data(as_text=True)
    other = residents_of(db, staff.e2)[0]
    resp = client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": other.id})
    assert resp.status_code == 422 and "Choose a resident of this estate." in resp.get_data(as_text=True)
    assert client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": "0", "signup-name": "陈奶奶",
                                                           "signup-phone": "13900002222"}).status_code == 302
    resp = client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r2.id})
    assert resp.status_code == 422 and "The activity is full: all 2 places are taken." in resp.get_data(as_text=True)
    assert count(db, Signup) == 2
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert "陈奶奶" in page and "2 of 2 places taken" in page
    walk_in = db.session.scalar(select(Signup).where(Signup.name == "陈奶奶"))
    assert client.post(f"/activities/signups/{walk_in.id}/cancel", data={"sc-reason": "生病"}).status_code == 302
    assert "1 of 2 places taken" in client.get(f"/activities/{a.id}").get_data(as_text=True)


def test_held_attendance_expense_photos_summary_and_print(client, db, staff, make_activity, clock):
    a = make_activity("approved", capacity=5, budget=Decimal("300.00"))
    r1, r2, _r3 = residents_of(db, staff.e1)
    with acting_as(staff.clerk):
        s1 = services.sign_up(staff.clerk, a, resident_id=r1.id)
        s2 = services.sign_up(staff.clerk, a, resident_id=r2.id)
        db.session.commit()
    login(client, staff.clerk)
    resp = client.post(f"/activities/{a.id}/held")
    assert resp.status_code == 422 and "has not started yet" in resp.get_data(as_text=True)
    clock.move_to(a.starts_at + timedelta(hours=4))
    login(client, staff.clerk)  # the session of ten days ago has expired
    resp = client.post(f"/activities/{a.id}/held")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/activities/{a.id}")
    assert client.post(f"/activities/{a.id}/attendance", data={"att-attended": [s1.id]}).status_code == 302
    db.session.rollback()
    assert (db.session.get(Signup, s1.id).attended, db.session.get(Signup, s2.id).attended) == (True, False)
    day = a.starts_at.date().isoformat()
    resp = client.post(f"/activities/{a.id}/expenses", data={"exp-once_key": new_once_key(), "exp-item": "茶点",
                                                             "exp-amount": "1e2", "exp-spent_on": day})
    assert resp.status_code == 422 and "Enter an amount such as 1280.50." in resp.get_data(as_text=True)
    assert count(db, Expense) == 0
    resp = client.post(f"/activities/{a.id}/expenses", data={
        "exp-once_key": new_once_key(), "exp-item": "茶点", "exp-amount": "350.00", "exp-spent_on": day,
        "receipt": (io.BytesIO(PNG), "receipt.png")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert "Over budget by" in page and "receipt.png" in page and "350.00" in page
    e = db.session.scalar(select(Expense))
    resp = client.post(f"/activities/expenses/{e.id}/void", data={"void-reason": ""})
    assert resp.status_code == 422 and db.session.get(Expense, e.id).voided_at is None
    assert client.post(f"/activities/expenses/{e.id}/void", data={"void-reason": "录错"}).status_code == 302
    assert "Voided: 录错" in client.get(f"/activities/{a.id}").get_data(as_text=True)
    resp = client.post(f"/activities/{a.id}/photos", data={"photos": (io.BytesIO(PNG), "party.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    resp = client.post(f"/activities/{a.id}/photos", data={"photos": (io.BytesIO(b"not a photo"), "x.txt")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    resp = client.post(f"/activities/{a.id}/summary", data={"sum-summary": "", "sum-feedback": ""})
    assert resp.status_code == 422 and "Say what happened at the activity." in resp.get_data(as_text=True)
    assert client.post(f"/activities/{a.id}/summary", data={"sum-summary": "居民猜灯谜", "sum-feedback": "很热闹"}
                       ).status_code == 302
    printed = client.get(f"/activities/{a.id}/print").get_data(as_text=True)
    assert "居民猜灯谜" in printed and "很热闹" in printed and r1.name in printed and "party.png" in printed
    assert '<td class="print-attended">1</td>' in printed
    from core.attachments import Attachment

    photo = db.session.scalar(select(Attachment).where(Attachment.owner_table == "activities_activity"))
    served = client.get(f"/attachments/{photo.id}")
    assert served.status_code == 200 and served.data == PNG


def test_cancel_needs_a_reason_and_is_kept(client, db, staff, make_activity):
    a = make_activity("approved")
    login(client, staff.clerk)
    resp = client.post(f"/activities/{a.id}/cancel", data={"cancel-reason": ""})
    assert resp.status_code == 422 and "Say why the activity is cancelled." in resp.get_data(as_text=True)
    assert client.post(f"/activities/{a.id}/cancel", data={"cancel-reason": "台风"}).status_code == 302
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert "台风" in page and "Cancelled" in page
    r1 = residents_of(db, staff.e1)[0]
    resp = client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r1.id})
    assert resp.status_code == 422 and "The activity was cancelled: no more sign-ups." in resp.get_data(as_text=True)


@pytest.mark.parametrize(("role", "view", "manage", "approve"), [
    ("manager", 200, 200, True),
    ("supervisor", 200, 200, True),
    ("clerk", 200, 200, False),
    ("frontdesk", 200, 200, False),
    ("archivist", 200, 403, False),
    ("cashier", 403, 403, False),
    ("technician", 403, 403, False),
    ("cleaning", 403, 403, False),
])
def test_permissions_per_role(client, db, staff, make_activity, login_as, role, view, manage, approve):
    a = make_activity("submitted")
    login_as(role, estates=[staff.e1])
    assert client.get("/activities/").status_code == view
    assert client.get(f"/activities/{a.id}").status_code == view
    assert client.get("/activities/plan").status_code == view
    assert client.get("/activities/report").status_code == view
    assert client.get("/activities/new").status_code == manage
    resp = client.post(f"/activities/{a.id}/approve", data={})
    assert resp.status_code == (302 if approve else 403)
    assert db.session.get(Activity, a.id).state == ("approved" if approve else "submitted")


def test_another_estates_activity_is_not_found(client, db, staff, make_activity):
    theirs = make_activity("approved", estate_id=staff.e2.id, theme="河畔运动会")
    with acting_as(staff.clerk_e2):
        s = services.sign_up(staff.clerk_e2, theirs, resident_id=residents_of(db, staff.e2)[0].id)
        e = services.add_expense(staff.clerk_e2, theirs, item="水", amount=Decimal("10"),
                                 spent_on=utcnow().date() - timedelta(days=1))
        db.session.commit()
    login(client, staff.manager)
    assert client.get(f"/activities/{theirs.id}").status_code == 404
    assert client.get(f"/activities/{theirs.id}/print").status_code == 404
    assert client.post(f"/activities/{theirs.id}/approve").status_code == 404
    assert client.post(f"/activities/{theirs.id}/cancel", data={"cancel-reason": "x"}).status_code == 404
    assert client.post(f"/activities/signups/{s.id}/cancel").status_code == 404
    assert client.post(f"/activities/expenses/{e.id}/void", data={"void-reason": "x"}).status_code == 404
    for url in ("/activities/", "/activities/plan", "/activities/report", "/search?q=河畔"):
        assert "河畔运动会" not in client.get(url).get_data(as_text=True), url
    assert db.session.get(Activity, theirs.id).state == "approved"


def test_list_filters_and_xlsx_export(client, db, staff, make_activity):
    a = make_activity("approved", theme="中秋灯谜晚会", budget=Decimal("1500.00"))
    make_activity("draft", theme="乒乓球友谊赛")
    login(client, staff.sup)
    assert "中秋灯谜晚会" in client.get(f"/activities/?year={a.year}").get_data(as_text=True)
    assert "中秋灯谜晚会" not in client.get(f"/activities/?year={a.year + 1}").get_data(as_text=True)
    assert "中秋灯谜晚会" in client.get("/activities/?year=abc").get_data(as_text=True)  # no year: no filter
    page = client.get("/activities/?q=乒乓").get_data(as_text=True)
    assert "乒乓球友谊赛" in page and "中秋灯谜晚会" not in page
    page = client.get("/activities/?state=approved").get_data(as_text=True)
    assert "中秋灯谜晚会" in page and "乒乓球友谊赛" not in page
    resp = client.get("/activities/?export=xlsx&state=approved")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("No.", "Theme", "Starts at")
    assert len(rows) == 2 and rows[1][1] == "中秋灯谜晚会" and "Approved" in rows[1]
    assert Decimal(str(rows[1][rows[0].index("Budget")])) == Decimal("1500.00")


def test_yearly_plan_and_report(client, db, staff, make_activity, clock):
    a = make_activity("approved", theme="中秋灯谜晚会", budget=Decimal("500.00"))
    make_activity("approved", theme="新春写春联", budget=Decimal("300.00"))
    with acting_as(staff.clerk):
        s = services.sign_up(staff.clerk, a, resident_id=residents_of(db, staff.e1)[0].id)
        db.session.commit()
    clock.move_to(a.starts_at + timedelta(hours=4))
    with acting_as(staff.clerk):
        services.mark_held(staff.clerk, a)
        services.mark_attendance(staff.clerk, a, [s.id])
        services.add_expense(staff.clerk, a, item="灯笼", amount=Decimal("620.00"), spent_on=a.starts_at.date())
        db.session.commit()
    login(client, staff.sup)
    year = a.year
    from zoneinfo import ZoneInfo

    month = a.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).month
    plan = client.get(f"/activities/plan?year={year}").get_data(as_text=True)
    assert "中秋灯谜晚会" in plan and f'class="month-{month}"' in plan and "Month 12" in plan
    printed = client.get(f"/activities/plan/print?year={year}").get_data(as_text=True)
    assert "中秋灯谜晚会" in printed and "Sunshine Garden" in printed
    assert "中秋灯谜晚会" not in client.get(f"/activities/plan?year={year - 1}").get_data(as_text=True)
    report = client.get(f"/activities/report?year={year}").get_data(as_text=True)
    assert '<td class="total-held">1</td>' in report and '<td class="total-participants">1</td>' in report
    assert "620.00" in report and "800.00" in report
    rows = list(load_workbook(io.BytesIO(client.get(f"/activities/report?year={year}&export=xlsx").data))
                .active.iter_rows(values_only=True))
    head = rows[0]
    held = next(r for r in rows[1:] if r[1] == "中秋灯谜晚会")
    assert held[head.index("Attended")] == 1
    assert Decimal(str(held[head.index("Spent")])) == Decimal("620.00")
    assert Decimal(str(held[head.index("Budget left")])) == Decimal("-120.00")
    assert held[head.index("Over budget")] == "Yes"
    assert len(rows) == 3


def test_dashboard_widget_search_and_resident_panel(client, db, staff, make_activity):
    a = make_activity("approved", theme="中秋灯谜晚会")
    make_activity("submitted", theme="乒乓球友谊赛")
    r1 = residents_of(db, staff.e1)[0]
    with acting_as(staff.clerk):
        services.sign_up(staff.clerk, a, resident_id=r1.id)
        db.session.commit()
    login(client, staff.sup)
    home = client.get("/").get_data(as_text=True)
    assert "中秋灯谜晚会" in home and "1 plan waiting for approval" in home
    found = client.get("/search?q=灯谜").get_data(as_text=True)
    assert "中秋灯谜晚会" in found and f"/activities/{a.id}" in found
    panel = client.get(f"/residents/{r1.id}").get_data(as_text=True)
    assert "activities-panel" in panel and "中秋灯谜晚会" in panel


def test_pages_and_refusals_in_chinese(client, db, staff, make_activity, make_user):
    a = make_activity("approved", capacity=1)
    r1, r2, _ = residents_of(db, staff.e1)
    desk = make_user("frontdesk", [staff.e1], locale="zh_CN", full_name="钱敏")
    login(client, desk)
    page = client.get("/activities/").get_data(as_text=True)
    assert "社区文化活动" in page
    assert client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r1.id}).status_code == 302
    resp = client.post(f"/activities/{a.id}/signups", data={"signup-resident_id": r2.id})
    assert resp.status_code == 422 and "活动已满：1 个名额均已报满。" in resp.get_data(as_text=True)


def test_a_disabled_plugin_hides_its_pages_and_keeps_its_data(client, db, staff, make_activity):
    from core.site import disable, enable, refresh

    a = make_activity("approved", theme="中秋灯谜晚会")
    login(client, staff.sup)
    disable("activities")
    db.session.commit()
    refresh(force=True)
    assert client.get("/activities/").status_code == 404
    enable("activities")
    db.session.commit()
    refresh(force=True)
    assert "中秋灯谜晚会" in client.get(f"/activities/{a.id}").get_data(as_text=True)
