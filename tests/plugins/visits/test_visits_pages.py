"""Return visit pages: permissions per role, estate scope, transitions and refusals, list, print."""

import io
from datetime import timedelta

import pytest
from visits_helpers import all_visits, designate, fresh_catalogs, plan, record_data, unit_of  # noqa: F401 - a fixture

pytestmark = pytest.mark.plugins("visits")

VIEWERS = ("manager", "supervisor", "clerk", "frontdesk")
OTHERS = ("cashier", "archivist", "technician", "cleaning")


@pytest.mark.parametrize("role", VIEWERS + OTHERS)
def test_who_sees_what(role, client, login_as, estates, db):
    e1 = estates[0]
    login_as(role, estates=[e1])
    visit = plan(e1, unit_of(e1))
    expected = 200 if role in VIEWERS else 403
    for url in ("/visits/", f"/visits/{visit.id}", f"/visits/{visit.id}/print", "/visits/statistics"):
        assert client.get(url).status_code == expected, url
    manage = 200 if role in ("manager", "supervisor") else 403
    for url in ("/visits/visitors", "/visits/batches", "/visits/new"):
        assert client.get(url).status_code == manage, url
    page = client.get("/").get_data(as_text=True)
    assert ('data-widget="visits-rates"' in page) == (role in VIEWERS)


@pytest.mark.parametrize("role,designated,allowed", [
    ("clerk", True, True), ("frontdesk", True, True), ("clerk", False, False),
    ("supervisor", False, True), ("manager", False, False), ("cashier", False, False),
])
def test_only_designated_visitors_or_a_supervisor_record(role, designated, allowed, client, login_as, estates):
    e1 = estates[0]
    user = login_as(role, estates=[e1])
    if designated:
        designate(e1, user)
    visit = plan(e1, unit_of(e1))
    resp = client.post(f"/visits/{visit.id}/record", data=record_data())
    assert resp.status_code == (302 if allowed else 403)
    assert all_visits()[0].state == ("done" if allowed else "planned")
    if role in VIEWERS and not allowed:
        page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
        assert "Only a designated visitor of this estate or a supervisor may record visits." in page
        assert 'id="record-form"' not in page


def test_the_service_refuses_a_visitor_whose_designation_ended(db, estates, make_user):
    from core.errors import DomainError
    from core.models import utcnow
    from plugins.visits import services

    e1 = estates[0]
    clerk = make_user("clerk", [e1])
    designate(e1, clerk, active=False)
    visit = plan(e1)
    with pytest.raises(DomainError, match="Only a designated visitor"):
        services.record_result(clerk, visit, method="door", satisfied=True, remarks="",
                               visited_at=utcnow())


def test_another_estate_s_visits_are_invisible(client, login_as, estates, db, make_user):
    e1, e2 = estates
    theirs = plan(e2, unit_of(e2, "2-1-201"), contact_name="赵敏", contact_phone="13700001111")
    other_clerk = make_user("clerk", [e2])
    row = designate(e2, other_clerk)
    me = login_as("supervisor", estates=[e1])
    designate(e1, me)
    for url in (f"/visits/{theirs.id}", f"/visits/{theirs.id}/print"):
        assert client.get(url).status_code == 404
    for url, data in ((f"/visits/{theirs.id}/record", record_data()),
                      (f"/visits/{theirs.id}/miss", {"miss-reason": "nobody home"}),
                      (f"/visits/{theirs.id}/cancel", {"cancel-reason": "error"}),
                      (f"/visits/{row.id}/reassign", {"assigned_to_id": me.id}),
                      (f"/visits/visitors/{row.id}/withdraw", {})):
        assert client.post(url, data=data).status_code == 404, url
    assert "赵敏" not in client.get("/visits/").get_data(as_text=True)
    for q in (theirs.number, "13700001111", "2-1-201"):
        assert ">Return visit</span>" not in client.get(f"/search?q={q}").get_data(as_text=True), q
    assert all_visits()[0].state == "planned"


def test_missed_cancelled_and_reassigned(client, login_as, estates, db, make_user):
    e1 = estates[0]
    sup = login_as("supervisor", estates=[e1])
    a, b = make_user("clerk", [e1]), make_user("frontdesk", [e1])
    designate(e1, a)
    designate(e1, b)
    v1, v2 = plan(e1, assigned=a), plan(e1, assigned=a)
    resp = client.post(f"/visits/{v1.id}/miss", data={"miss-reason": ""})
    assert resp.status_code == 422 and 'data-field="miss-reason"' in resp.get_data(as_text=True)
    client.post(f"/visits/{v1.id}/miss", data={"miss-reason": "电话无人接听"})
    resp = client.post(f"/visits/{v1.id}/record", data=record_data())
    assert "Only a planned visit can be changed; this one is already closed." in resp.get_data(as_text=True)
    assert client.post(f"/visits/{v2.id}/reassign", data={"assigned_to_id": sup.id}).status_code == 422
    client.post(f"/visits/{v2.id}/reassign", data={"assigned_to_id": b.id})
    assert all_visits()[1].assigned_to_id == b.id
    client.post(f"/visits/{v2.id}/cancel", data={"cancel-reason": "重复登记"})
    first, second = all_visits()
    assert (first.state, first.closed_reason, first.visited_by_id) == ("missed", "电话无人接听", sup.id)
    assert (second.state, second.closed_reason) == ("cancelled", "重复登记")
    resp = client.post(f"/visits/{v2.id}/cancel", data={"cancel-reason": "again"})
    assert "Only a planned visit can be changed" in resp.get_data(as_text=True)


def test_a_clerk_may_not_cancel_or_reassign(client, login_as, estates):
    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    visit = plan(e1, assigned=clerk)
    assert client.post(f"/visits/{visit.id}/cancel", data={"cancel-reason": "x y"}).status_code == 403
    assert client.post(f"/visits/{visit.id}/reassign", data={"assigned_to_id": clerk.id}).status_code == 403
    assert all_visits()[0].state == "planned"


@pytest.mark.parametrize("changes,field,message", [
    ({"method": ""}, "method", "Choose how the visit was made."),
    ({"method": "fax"}, "method", "Not a valid choice."),
    ({"satisfied": ""}, "satisfied", "Say whether the resident was satisfied."),
    ({"visited_at": ""}, "visited_at", "Enter when the visit was made."),
    ({"visited_at": "2099-01-01T10:00"}, "visited_at", "The visit cannot be in the future."),
    ({"visited_at": "2001-01-01T10:00"}, "visited_at", "The visit cannot be before the event it follows up."),
    ({"satisfied": "no", "remarks": " "}, "remarks", "Write down what the resident is not satisfied with."),
])
def test_a_bad_record_is_refused_beside_the_field_and_nothing_changes(
        changes, field, message, client, login_as, estates):
    from core.models import utcnow

    e1 = estates[0]
    designate(e1, login_as("clerk", estates=[e1]))
    visit = plan(e1, kind="repair", event_at=utcnow() - timedelta(days=1))
    resp = client.post(f"/visits/{visit.id}/record", data=record_data(**changes))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert f'data-field="{field}">{message}' in page
    [visit] = all_visits()
    assert visit.state == "planned" and visit.method is None and visit.visited_at is None


def test_planning_one_visit_by_hand(client, login_as, estates, db, make_user):
    e1 = estates[0]
    login_as("supervisor", estates=[e1])
    clerk = make_user("clerk", [e1])
    designate(e1, clerk)
    base = {"estate_id": e1.id, "kind": "decoration", "unit_number": "1-1-102", "contact_name": "周杰",
            "contact_phone": "13611112222", "source_number": "ZX-E01-2026-000003", "due_date": "",
            "assigned_to_id": "0"}
    for changes, text in (({"unit_number": "9-9-999"}, "No unit 9-9-999 in this estate."),
                          ({"contact_name": ""}, "Enter the name of the person to visit."),
                          ({"contact_phone": "abc"}, "Enter a phone number of 5 to 20 digits."),
                          ({"due_date": "2001-01-01"}, "The due date cannot be in the past."),
                          ({"estate_id": estates[1].id}, "Choose one of your estates.")):
        page = client.post("/visits/new", data={**base, **changes}).get_data(as_text=True)
        assert text in page, text
    assert all_visits() == []
    assert client.post("/visits/new", data=base).status_code == 302
    [visit] = all_visits()
    assert (visit.source_type, visit.unit.number, visit.assigned_to_id) == ("decoration", "1-1-102", clerk.id)
    assert timedelta(days=6, hours=23) < visit.due_at - visit.created_at <= timedelta(days=7)


def test_the_list_filters_exports_and_shows_overdue(client, login_as, estates, db, make_user):
    from openpyxl import load_workbook

    e1 = estates[0]
    me = login_as("supervisor", estates=[e1])
    other = make_user("clerk", [e1], full_name="Other Visitor")
    designate(e1, me)
    designate(e1, other)
    late = plan(e1, unit_of(e1, "3-2-1201"), kind="repair", due_in_hours=-5, assigned=me,
                contact_phone="13055556666")
    plan(e1, kind="complaint", assigned=other)
    page = client.get("/visits/").get_data(as_text=True)
    assert "2 records" in page and "1 overdue" in page
    assert 'Return visits<span class="badge rounded-pill text-bg-danger ms-1">1</span>' in page
    for query, count in (("?overdue=1", 1), ("?kind=complaint", 1), ("?scope=mine", 1),
                         (f"?visitor={other.id}", 1), ("?q=3-2-1201", 1), ("?q=5555", 1),
                         ("?state=done", 0), ("?state=planned", 2)):
        text = client.get("/visits/" + query).get_data(as_text=True)
        assert f"{count} record" in text, query
    resp = client.get("/visits/?export=xlsx&overdue=1")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.values)
    assert rows[0][0] == "Number" and len(rows) == 2 and rows[1][0] == late.number
    assert "overdue" in rows[1][8]


def test_the_printed_record_unit_panel_and_search(client, login_as, estates, db):
    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    unit = unit_of(e1, "3-2-1201")
    visit = plan(e1, unit, kind="repair", source_number="BX-E01-2026-000042", contact_phone="13588889999")
    client.post(f"/visits/{visit.id}/record", data=record_data(method="door", satisfied="no", remarks="地面未清理"))
    page = client.get(f"/visits/{visit.id}/print").get_data(as_text=True)
    for text in (visit.number, "Return Visit Record", "BX-E01-2026-000042", "☑ At the door", "☑ Not satisfied",
                 "地面未清理", "Resident (confirmation)"):
        assert text in page, text
    assert visit.number in client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    for q in (visit.number, "13588889999", "3-2-1201", "BX-E01-2026-000042"):
        popup = client.get(f"/search?q={q}", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert f">Return visit</span>{visit.number} Repair" in popup, q
        page = client.get(f"/search?q={q}").get_data(as_text=True)  # Enter: the page, grouped by kind
        assert 'data-kind="Return visit"' in page and f"{visit.number} Repair" in page, q


def test_designating_visitors(client, login_as, estates, db, make_user):
    from plugins.visits.models import Visitor

    e1, e2 = estates
    login_as("supervisor", estates=[e1])
    clerk = make_user("clerk", [e1], full_name="Clerk One")
    cashier = make_user("cashier", [e1], full_name="Cash Ier")
    stranger = make_user("clerk", [e2], full_name="Far Away")
    for user_id, text in ((cashier.id, "Cash Ier may not record return visits (their role lacks it)."),
                          (stranger.id, "Choose a member of staff."),
                          (0, "Choose a member of staff.")):
        resp = client.post("/visits/visitors", data={"estate_id": e1.id, "user_id": user_id})
        assert resp.status_code == 422 and text in resp.get_data(as_text=True)
        assert "Far Away" not in resp.get_data(as_text=True)  # another estate's staff is not named
    assert db.session.query(Visitor).count() == 0
    assert client.post("/visits/visitors", data={"estate_id": e1.id, "user_id": clerk.id}).status_code == 302
    resp = client.post("/visits/visitors", data={"estate_id": e1.id, "user_id": clerk.id})
    assert "Clerk One is already a designated visitor here." in resp.get_data(as_text=True)
    row = db.session.query(Visitor).one()
    client.post(f"/visits/visitors/{row.id}/withdraw")
    db.session.expire_all()
    assert row.active is False
    client.post("/visits/visitors", data={"estate_id": e1.id, "user_id": clerk.id})
    db.session.expire_all()
    assert row.active is True and db.session.query(Visitor).count() == 1


@pytest.mark.usefixtures("fresh_catalogs")
def test_the_record_page_in_chinese(client, login_as, estates):
    e1 = estates[0]
    designate(e1, login_as("clerk", estates=[e1], locale="zh_CN"))
    visit = plan(e1)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    for zh in ("回访", "记录结果", "满意", "不满意", "电话回访", "上门回访"):
        assert zh in page, zh
    resp = client.post(f"/visits/{visit.id}/record", data=record_data(satisfied="no"))
    assert "请记录住户不满意的内容。" in resp.get_data(as_text=True)
