"""The complaint pages per role: record, handle, decide, print; bad input; other estates stay hidden."""

import re
from datetime import timedelta

import pytest
from complaints_helpers import handle_to_replied, hours_ago, record
from sqlalchemy import func, select

pytestmark = pytest.mark.plugins("complaints")


def post_new(client, estate, **kw):
    data = {"estate_id": estate.id, "received_at": "", "channel": "phone", "unit_number": "3-2-1201",
            "contact_name": "王建国", "contact_phone": "139 1234 5678", "category": "noise",
            "content": "楼上深夜装修噪音", "kind": "venting", "severity": "normal", **kw}
    if not data["received_at"]:
        from core.i18n import to_local

        data["received_at"] = to_local(hours_ago(0.5), "Asia/Shanghai").strftime("%Y-%m-%dT%H:%M")
    return client.post("/complaints/new", data=data)


def field_error(page: str, field: str) -> str:
    found = re.findall(rf'data-field="{field}">([^<]*)<', page)
    assert found, f"no error beside {field}"
    return found[0]


def count(db):
    from plugins.complaints.models import Complaint

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Complaint))


def test_a_clerk_records_the_supervisor_handles_the_manager_decides(client, login_as, db, estates, depts):
    from plugins.complaints.models import Complaint

    login_as("clerk", estates=[estates[0]])
    form = client.get("/complaints/new").get_data(as_text=True)
    assert "Kind of complainant" in form and "Listen, agree and express the intent to improve" in form
    resp = post_new(client, estates[0])
    assert resp.status_code == 302
    c = db.session.scalar(select(Complaint))
    assert c.contact_phone == "13912345678" and c.unit.number == "3-2-1201" and c.kind == "venting"
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert c.number in page and "Suggested response" in page and "Listen." in page
    assert 'id="action-forward"' not in page  # the clerk cannot handle
    for step, data in [("forward", {"department_id": depts[0].id}), ("reply", {"text": "x", "method": "letter"}),
                       ("decide", {"decision": "ok"}), ("close", {}), ("escalate", {"reason": "big"})]:
        assert client.post(f"/complaints/{c.id}/{step}", data=data).status_code == 403, step
    client.post("/logout")

    login_as("supervisor", estates=[estates[0]])
    assert 'id="action-forward"' in client.get(f"/complaints/{c.id}").get_data(as_text=True)
    resp = client.post(f"/complaints/{c.id}/forward", data={"department_id": 0})
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "department_id")
    assert client.post(f"/complaints/{c.id}/forward", data={"department_id": depts[0].id,
                                                            "note": "今晚去查看"}).status_code == 302
    resp = client.post(f"/complaints/{c.id}/note", data={"text": ""})
    assert resp.status_code == 422 and "This field is required." in field_error(resp.get_data(as_text=True), "text")
    client.post(f"/complaints/{c.id}/note", data={"text": "晚上22:40到现场，确有电钻声"})
    client.post(f"/complaints/{c.id}/escalate", data={"reason": "需与业委会协调装修时间规定"})
    assert client.post(f"/complaints/{c.id}/decide", data={"decision": "x"}).status_code == 403
    resp = client.post(f"/complaints/{c.id}/reply", data={"text": "已处理", "method": "letter"},
                       follow_redirects=True)
    assert "The manager has not decided yet" in resp.get_data(as_text=True)
    client.post("/logout")

    login_as("manager", estates=[estates[0]])
    client.post(f"/complaints/{c.id}/decide", data={"decision": "发函要求该户遵守装修时间，必要时停止装修许可"})
    db.session.expire_all()
    assert c.state == "decided" and c.decided_by_id is not None
    client.post("/logout")

    login_as("supervisor", estates=[estates[0]])
    client.post(f"/complaints/{c.id}/reply", data={"text": "已发函该户，晚间装修已停止。", "method": "letter"})
    letter = client.get(f"/complaints/{c.id}/letter").get_data(as_text=True)
    assert "Reply to your complaint" in letter and c.number in letter and "已发函该户，晚间装修已停止。" in letter
    assert "Dear 王建国 (3-2-1201)," in letter and "Received by the complainant" in letter and 'class="a4"' in letter
    record_page = client.get(f"/complaints/{c.id}/print").get_data(as_text=True)
    assert "Owner Complaint Record" in record_page and "晚上22:40到现场" in record_page
    client.post(f"/complaints/{c.id}/close", data={})
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert 'id="action-visit"' in page  # no visits plugin: the return visit is recorded here
    resp = client.post(f"/complaints/{c.id}/visit", data={"satisfied": "yes", "remarks": "业主满意"},
                       follow_redirects=True)
    assert "Return visit recorded." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "visited" and c.satisfied is True
    assert [n.kind for n in c.notes] == ["forward", "note", "escalate", "decide", "reply", "close", "visit"]


def test_the_letter_waits_for_a_reply(client, login_as, db, estates, staff):
    c = record(staff["clerk"], estates[0])
    db.session.commit()
    login_as("clerk", estates=[estates[0]])
    resp = client.get(f"/complaints/{c.id}/letter", follow_redirects=True)
    assert "There is no reply to print yet." in resp.get_data(as_text=True)


@pytest.mark.parametrize("change,field,message", [
    ({"content": ""}, "content", "Describe the complaint."),
    ({"content": "x"}, "content", "Too short: write at least 4 characters."),  # said "fill in the content"
    ({"content": "  噪音 "}, "content", "Too short: write at least 4 characters."),
    ({"unit_number": "9-9-999"}, "unit_number", "There is no unit 9-9-999 in this estate."),
    ({"unit_number": "3-2"}, "unit_number", None),
    ({"unit_number": "bad unit!"}, "unit_number", "A unit number looks like 3-2-1201"),
    ({"kind": ""}, "kind", None),
    ({"contact_phone": "phone?"}, "contact_phone", "Enter a phone number of 5 to 20 digits."),
    ({"unit_number": "", "contact_phone": ""}, "contact_phone", "Give a phone number or a unit"),
    ({"received_at": "2099-01-01T10:00"}, "received_at", "The time cannot be in the future."),
    ({"received_at": "yesterday"}, "received_at", "Not a valid datetime value."),
    ({"received_at": "2026-02-30T10:00"}, "received_at", "Not a valid datetime value."),  # was "required"
])
def test_bad_input_is_explained_beside_the_field_and_nothing_is_saved(client, login_as, db, estates, change,
                                                                      field, message):
    login_as("frontdesk", estates=[estates[0]])
    resp = post_new(client, estates[0], **change)
    assert resp.status_code == 422
    error = field_error(resp.get_data(as_text=True), field)
    assert message is None or message in error
    assert count(db) == 0


def test_an_estate_or_unit_outside_yours_is_refused(client, login_as, db, estates):
    login_as("clerk", estates=[estates[0]])
    page = post_new(client, estates[1]).get_data(as_text=True)
    assert "Not a valid choice" in field_error(page, "estate_id")
    page = post_new(client, estates[0], unit_number="2-1-201").get_data(as_text=True)  # only E02 has it
    assert "There is no unit 2-1-201 in this estate." in field_error(page, "unit_number")
    client.post("/logout")
    login_as("manager", estates=list(estates))
    page = post_new(client, estates[0], unit_number="2-1-201").get_data(as_text=True)
    assert "Unit 2-1-201 belongs to another estate." in field_error(page, "unit_number")
    assert count(db) == 0


def test_other_estates_complaints_are_invisible(client, login_as, db, estates, make_user, depts):
    theirs_user = make_user("manager", [estates[1]])
    theirs = record(theirs_user, estates[1], contact_name="赵磊", contact_phone="13711112222",
                    unit_number="2-1-201")
    db.session.commit()
    login_as("manager", estates=[estates[0]])
    for url in (f"/complaints/{theirs.id}", f"/complaints/{theirs.id}/print", f"/complaints/{theirs.id}/letter"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/complaints/{theirs.id}/forward", data={"department_id": depts[0].id}).status_code == 404
    assert client.post(f"/complaints/{theirs.id}/decide", data={"decision": "x"}).status_code == 404
    assert theirs.number not in client.get("/complaints/").get_data(as_text=True)
    assert theirs.number not in client.get(f"/complaints/?estate={estates[1].id}").get_data(as_text=True)
    link = f"/complaints/{theirs.id}"
    assert link not in client.get("/search?q=1371111").get_data(as_text=True)
    assert link not in client.get(f"/search?q={theirs.number}").get_data(as_text=True)
    assert link not in client.get("/search?q=2-1-201").get_data(as_text=True)


@pytest.mark.parametrize("role,view,record_,handle,decide", [
    ("manager", 200, 200, True, True), ("supervisor", 200, 200, True, False), ("clerk", 200, 200, False, False),
    ("frontdesk", 200, 200, False, False), ("cashier", 403, 403, False, False),
    ("technician", 403, 403, False, False), ("archivist", 403, 403, False, False),
])
def test_permissions_per_role(client, login_as, db, estates, depts, role, view, record_, handle, decide):
    from core.permissions import has_permission

    user = login_as(role, estates=[estates[0]])
    assert client.get("/complaints/").status_code == view
    assert client.get("/complaints/new").status_code == record_
    assert client.get("/complaints/statistics").status_code == view
    assert client.get("/complaints/suggestions/").status_code == view
    assert has_permission("complaints.handle", user) is handle
    assert has_permission("complaints.decide", user) is decide


def test_the_list_filters_and_exports(client, login_as, db, estates, staff, depts):
    from io import BytesIO

    from openpyxl import load_workbook

    from plugins.complaints import services

    late = record(staff["clerk"], estates[0], category="noise", severity="serious", received_at=hours_ago(5))
    fresh = record(staff["clerk"], estates[0], category="cleaning", received_at=hours_ago(0.5))
    done = handle_to_replied(record(staff["clerk"], estates[0], received_at=hours_ago(30)), staff["supervisor"],
                             depts[0], hours_ago(30))
    services.forward(staff["supervisor"], fresh, depts[1].id)
    db.session.commit()
    login_as("clerk", estates=[estates[0]])

    def numbers(query):
        page = client.get("/complaints/?" + query).get_data(as_text=True)
        return {c.number for c in (late, fresh, done) if c.number in page}

    assert numbers("") == {late.number, fresh.number, done.number}
    assert numbers("overdue=y") == {late.number}
    assert numbers("state=replied") == {done.number}
    assert numbers("state=open") == {late.number, fresh.number}
    assert numbers("category=noise") == {late.number}
    assert numbers("severity=serious") == {late.number}
    assert numbers(f"department={depts[1].id}") == {fresh.number}
    assert numbers(f"q={late.number}") == {late.number}
    assert numbers("q=1234") == {late.number, fresh.number, done.number}  # phone fragment
    from core.i18n import to_local

    tomorrow = to_local(hours_ago(-24), "Asia/Shanghai").date().isoformat()
    assert numbers(f"date_from={tomorrow}") == set()
    resp = client.get("/complaints/?overdue=y&export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Number" and [r[0] for r in rows[1:]] == [late.number]


def test_overdue_shows_in_the_menu_the_dashboard_and_the_unit_page(client, login_as, db, estates, staff):
    from core.models import Unit

    late = record(staff["clerk"], estates[0], unit_number="1-1-101", received_at=hours_ago(5))
    db.session.commit()
    login_as("supervisor", estates=[estates[0]])
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'Complaints\s*<span class="badge[^"]*">1</span>', home)
    assert 'data-widget="complaints-rate"' in home and 'data-chart="line"' in home and "Target (%)" in home
    assert 'data-widget="complaints-open"' in home and late.number in home
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id, Unit.number == "1-1-101"))
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert "Complaints of this unit" in page and late.number in page
    form = client.get(f"/complaints/new?unit={unit.id}").get_data(as_text=True)
    assert 'value="1-1-101"' in form
    assert client.get("/complaints/new?unit=999999").status_code == 404
    assert late.number in client.get("/search?q=1-1-101").get_data(as_text=True)
    assert late.number in client.get(f"/search?q={late.number}").get_data(as_text=True)


def test_the_service_level_standard_is_set_per_estate_by_the_manager(client, login_as, db, estates):
    from plugins.complaints.models import Complaint

    login_as("supervisor", estates=[estates[0]])
    assert client.get(f"/admin/settings/complaints?estate={estates[0].id}").status_code == 403
    client.post("/logout")
    login_as("manager", estates=[estates[0]])
    page = client.get(f"/admin/settings/complaints?estate={estates[0].id}").get_data(as_text=True)
    assert "Forward a normal complaint within (hours)" in page and 'value="24"' in page
    data = {"forward_hours_minor": 4, "forward_hours_normal": 3, "forward_hours_serious": 1,
            "reply_hours_minor": 48, "reply_hours_normal": 36, "reply_hours_serious": 12, "target_rate": 90}
    resp = client.post(f"/admin/settings/complaints?estate={estates[0].id}", data={**data, "reply_hours_normal": 0})
    assert "Give a number of hours between 1 and 720." in resp.get_data(as_text=True)
    client.post(f"/admin/settings/complaints?estate={estates[0].id}", data=data)
    post_new(client, estates[0])
    c = db.session.scalar(select(Complaint))
    assert c.forward_due_at - c.received_at == timedelta(hours=3)
    assert c.reply_due_at - c.received_at == timedelta(hours=36)
    assert "Target: 90 %" in client.get("/complaints/statistics").get_data(as_text=True)


def test_the_statistics_page_prints_and_exports(client, login_as, db, estates, staff, depts):
    from io import BytesIO

    from openpyxl import load_workbook

    from plugins.complaints import services

    start = hours_ago(40)
    c = handle_to_replied(record(staff["clerk"], estates[0], received_at=start), staff["supervisor"],
                          depts[0], start)
    services.close(staff["supervisor"], c, start + timedelta(hours=6))
    services.confirm_visit(staff["supervisor"], c, True, "", start + timedelta(hours=20))
    db.session.commit()
    login_as("manager", estates=[estates[0]])
    from core.i18n import to_local

    # The year the complaint was received in, on the estate's calendar (on New Year's Day it is last year's).
    year = to_local(start, "Asia/Shanghai").year
    page = client.get(f"/complaints/statistics?year={year}").get_data(as_text=True)
    assert "By month" in page and "By category" in page and depts[0].name in page and "100.0" in page
    printed = client.get(f"/complaints/statistics/print?year={year}").get_data(as_text=True)
    assert 'class="a4"' in printed and "By department" in printed and "Prepared by" in printed
    resp = client.get(f"/complaints/statistics?export=xlsx&year={year}")
    book = load_workbook(BytesIO(resp.data))
    assert book.sheetnames == ["By month", "By category", "By department"]
    dept_rows = list(book["By department"].iter_rows(values_only=True))
    assert dept_rows[1][:3] == (depts[0].name, 1, 1) and dept_rows[1][6] == 100.0


def test_suggestions_are_recorded_reported_decided_and_answered_on_their_pages(client, login_as, db, estates):
    from plugins.complaints.models import Suggestion

    login_as("frontdesk", estates=[estates[0]])
    resp = client.post("/complaints/suggestions/new", data={
        "estate_id": estates[0].id, "received_at": "2020-01-01T10:00", "channel": "visit",
        "suggester_name": "李秀英", "content": "建议加装遮阳棚"})
    assert "older than a year" in field_error(resp.get_data(as_text=True), "received_at")
    from core.i18n import to_local

    now = to_local(hours_ago(1), "Asia/Shanghai").strftime("%Y-%m-%dT%H:%M")
    resp = client.post("/complaints/suggestions/new", data={
        "estate_id": estates[0].id, "received_at": now, "channel": "visit", "suggester_name": "李秀英",
        "content": "建议在儿童游乐区加装遮阳棚"})
    assert resp.status_code == 302
    s = db.session.scalar(select(Suggestion))
    assert client.post(f"/complaints/suggestions/{s.id}/report").status_code == 403
    client.post("/logout")
    login_as("supervisor", estates=[estates[0]])
    client.post(f"/complaints/suggestions/{s.id}/report")
    assert client.post(f"/complaints/suggestions/{s.id}/decide", data={"decision": "adopt"}).status_code == 403
    client.post("/logout")
    login_as("manager", estates=[estates[0]])
    resp = client.post(f"/complaints/suggestions/{s.id}/decide", data={"decision": "adopt", "plan": ""})
    assert "Write the rectification plan." in field_error(resp.get_data(as_text=True), "plan")
    client.post(f"/complaints/suggestions/{s.id}/decide", data={"decision": "adopt", "plan": "两周内加装两处遮阳棚"})
    client.post(f"/complaints/suggestions/{s.id}/answer", data={"text": "感谢您的建议，遮阳棚将于两周内完工。"})
    db.session.expire_all()
    assert s.state == "answered" and s.plan == "两周内加装两处遮阳棚"
    page = client.get("/complaints/suggestions/?state=answered").get_data(as_text=True)
    assert s.number in page
    assert s.number in client.get(f"/search?q={s.number}").get_data(as_text=True)


def test_the_pages_speak_chinese(client, login_as, db, estates, staff, depts):
    from core.extensions import babel

    babel.domain_instance.cache.clear()  # merged catalogs are cached per process, keyed by locale only
    start = hours_ago(30)
    c = handle_to_replied(record(staff["clerk"], estates[0], received_at=start), staff["supervisor"],
                          depts[0], start)
    db.session.commit()
    login_as("supervisor", estates=[estates[0]], locale="zh_CN")
    form = client.get("/complaints/new").get_data(as_text=True)
    for zh in ("登记投诉", "投诉者类型", "解决问题的投诉", "倾听，认同并表达改善之意，及时处理与回复。", "来源渠道"):
        assert zh in form, zh
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    for zh in ("建议应对方法", "处理记录", "调查记录", "已回复", "打印回复函", "回复期限"):
        assert zh in page, zh
    assert "Suggested response" not in page and "Handling record" not in page
    letter = client.get(f"/complaints/{c.id}/letter").get_data(as_text=True)
    assert "投诉回复函" in letter and "尊敬的 王建国：" in letter and "投诉人签收" in letter
    assert "有效投诉处理率" in client.get("/complaints/statistics").get_data(as_text=True)
    resp = client.post(f"/complaints/{c.id}/close", data={"at": "2099-01-01T10:00"})
    assert "时间不能晚于当前时间。" in field_error(resp.get_data(as_text=True), "at")
    babel.domain_instance.cache.clear()


def test_a_closed_complaint_is_reopened_with_a_reason(client, login_as, db, estates, staff, depts):
    from plugins.complaints import services

    start = hours_ago(30)
    c = handle_to_replied(record(staff["clerk"], estates[0], received_at=start), staff["supervisor"],
                          depts[0], start)
    services.close(staff["supervisor"], c, start + timedelta(hours=6))
    db.session.commit()
    login_as("supervisor", estates=[estates[0]])
    resp = client.post(f"/complaints/{c.id}/reopen", data={"reason": ""})
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "reason")
    resp = client.post(f"/complaints/{c.id}/visit", data={"satisfied": "no", "remarks": ""})
    assert "Write down what the complainant is not satisfied with." in field_error(
        resp.get_data(as_text=True), "remarks")
    client.post(f"/complaints/{c.id}/reopen", data={"reason": "业主来电：问题再次出现"})
    db.session.expire_all()
    assert c.state == "investigating" and c.reopen_count == 1 and c.closed_at is None
    resp = client.post(f"/complaints/{c.id}/reopen", data={"reason": "again"}, follow_redirects=True)
    assert "Only a closed complaint can be reopened." in resp.get_data(as_text=True)


def test_a_date_that_does_not_exist_is_said_so_in_chinese(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]], locale="zh_CN")
    resp = post_new(client, estates[0], received_at="2026-02-30T10:00")
    assert resp.status_code == 422
    error = field_error(resp.get_data(as_text=True), "received_at")
    assert error == "不是有效的日期与时间值。", error  # WTForms' own catalog; it said "required"
    assert count(db) == 0


def test_a_too_short_complaint_says_so_in_chinese(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]], locale="zh_CN")
    resp = post_new(client, estates[0], content="x")
    assert resp.status_code == 422
    assert field_error(resp.get_data(as_text=True), "content") == "太短了：请至少写 4 个字。"
    assert count(db) == 0
