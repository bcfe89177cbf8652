"""Routine owner visits planned in batches, the overdue job and the demo data."""

from datetime import date, timedelta

import pytest
from visits_helpers import all_visits, designate, fresh_catalogs, plan, unit_of  # noqa: F401 - a fixture

pytestmark = pytest.mark.plugins("visits")


def batch(client, estate, **kw):
    data = {"estate_id": estate.id, "title": "2026 年第四季度定期回访", "buildings": "", "unit_from": "",
            "unit_to": "", "due_date": (date.today() + timedelta(days=20)).isoformat(), **kw}
    return client.post("/visits/batches", data=data)


def test_a_batch_plans_one_visit_per_occupied_unit_in_turn(client, login_as, estates, db, make_user):
    from zoneinfo import ZoneInfo

    from plugins.visits.models import VisitBatch

    e1 = estates[0]
    login_as("supervisor", estates=[e1])
    a, b = make_user("clerk", [e1]), make_user("frontdesk", [e1])
    designate(e1, a)
    designate(e1, b)
    due = date.today() + timedelta(days=20)
    assert batch(client, e1, buildings="1").status_code == 302
    v1, v2 = all_visits()
    assert [(v.unit.number, v.assigned_to_id, v.contact_name) for v in (v1, v2)] == [
        ("1-1-101", a.id, "Owner of E01 1-1-101"), ("1-1-102", b.id, "Owner of E01 1-1-102")]
    assert v1.source_type == "routine" and v1.state == "planned"
    local_due = v1.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local_due.date(), local_due.hour, local_due.minute) == (due, 23, 59)

    resp = batch(client, e1, title="Whole estate")
    second = db.session.query(VisitBatch).order_by(VisitBatch.id.desc()).first()
    assert (second.planned_count, second.skipped_count) == (1, 2)
    assert all_visits()[-1].unit.number == "3-2-1201"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "3-2-1201" in page and "Whole estate" in page
    printed = client.get(f"/visits/batches/{second.id}/print").get_data(as_text=True)
    assert "Owner of E01 3-2-1201" in printed and "Return Visit Record" in printed

    resp = batch(client, e1, title="Again")
    assert resp.status_code == 422
    assert "No occupied unit without an open routine visit matches this selection." in resp.get_data(as_text=True)
    assert db.session.query(VisitBatch).count() == 2 and len(all_visits()) == 3


def test_a_unit_range_and_ended_occupancies(client, login_as, estates, db, make_user):
    from core.models import Occupancy

    e1 = estates[0]
    login_as("manager", estates=[e1])
    designate(e1, make_user("clerk", [e1]))
    occ = db.session.query(Occupancy).filter_by(unit_id=unit_of(e1, "1-1-102").id).one()
    occ.end_date = date.today() - timedelta(days=1)
    db.session.commit()
    assert batch(client, e1, unit_from="1-1-101", unit_to="3-2-1201").status_code == 302
    assert [v.unit.number for v in all_visits()] == ["1-1-101", "3-2-1201"]


@pytest.mark.parametrize("changes,field,message", [
    ({"title": ""}, "title", "Give the batch a title."),
    ({"due_date": ""}, "due_date", "Enter the date by which the visits are due."),
    ({"due_date": "2020-01-01"}, "due_date", "The due date cannot be in the past."),
    ({"buildings": "1, 9"}, "buildings", "No such building in this estate: 9"),
    ({"unit_from": "2-1-201"}, "unit_from", "No unit 2-1-201 in this estate."),
    ({"unit_from": "3-2-1201", "unit_to": "1-1-101"}, "unit_to", "The last unit of the range comes before the first."),
])
def test_bad_batches_are_refused_beside_the_field(changes, field, message, client, login_as, estates, make_user):
    e1 = estates[0]
    login_as("supervisor", estates=[e1])
    designate(e1, make_user("clerk", [e1]))
    resp = batch(client, e1, **changes)
    assert resp.status_code == 422
    assert f'data-field="{field}">{message}' in resp.get_data(as_text=True)
    assert all_visits() == []


def test_a_batch_needs_designated_visitors_and_one_of_your_estates(client, login_as, estates):
    e1, e2 = estates
    login_as("supervisor", estates=[e1])
    page = batch(client, e1).get_data(as_text=True)
    assert 'data-field="estate_id">Designate at least one visitor for this estate first.' in page
    page = batch(client, e2).get_data(as_text=True)
    assert 'data-field="estate_id">Choose one of your estates.' in page
    assert all_visits() == []


@pytest.mark.usefixtures("fresh_catalogs")
def test_overdue_visits_are_notified_once_to_the_visitor_and_the_supervisors(db, estates, make_user):
    from core.jobs import run_due
    from core.models import Notification

    e1, e2 = estates
    visitor = make_user("clerk", [e1])
    sup = make_user("supervisor", [e1])
    boss = make_user("manager", [e1], locale="zh_CN")
    make_user("supervisor", [e2])
    make_user("admin", all_estates=True)
    late = plan(e1, unit_of(e1), kind="repair", due_in_hours=-2, assigned=visitor)
    plan(e1, kind="repair", due_in_hours=5, assigned=visitor)
    assert dict(run_due(only="visits.notify_overdue"))["visits.notify_overdue"] == "1 overdue return visits notified"
    rows = db.session.query(Notification).order_by(Notification.user_id).all()
    assert sorted(n.user_id for n in rows) == sorted([visitor.id, sup.id, boss.id])
    mine = next(n for n in rows if n.user_id == visitor.id)
    assert mine.title == f"Return visit {late.number} is overdue" and mine.link == f"/visits/{late.id}"
    assert next(n for n in rows if n.user_id == boss.id).title == f"回访 {late.number} 已超期"
    assert dict(run_due(only="visits.notify_overdue", force=True))["visits.notify_overdue"] == \
        "0 overdue return visits notified"
    assert db.session.query(Notification).count() == 3


def test_demo_data_gives_six_months_of_visits(app, db):
    from core.demo import load_demo
    from core.models import User
    from plugins.visits.models import ReturnVisit, Visitor

    assert load_demo()
    visits = db.session.query(ReturnVisit).all()
    months = {v.due_at.strftime("%Y-%m") for v in visits}
    done = [v for v in visits if v.state == "done"]
    assert len(months) >= 6 and len(done) > len(visits) / 2
    assert any(v.satisfied is False and v.remarks for v in done)
    assert any(v.is_overdue() for v in visits)
    designated = {db.session.get(User, r.user_id).username for r in db.session.query(Visitor)}
    assert designated == {"clerk", "frontdesk"}
