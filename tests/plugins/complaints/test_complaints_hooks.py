"""The complaints plugin between the others: its event hook, the return visit's hook, jobs and demo data."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from complaints_helpers import handle_to_replied, hours_ago, record
from sqlalchemy import func, select

LISTENER = """
from core import hookimpl

SEEN = []


@hookimpl
def complaints_closed(complaint):
    SEEN.append({k: getattr(complaint, k) for k in ("id", "number", "estate_id", "unit_id", "contact_name",
                                                     "contact_phone", "category", "closed_at", "state")})
"""

FAKE_VISITS = """
from core import hookimpl


@hookimpl
def complaints_closed(complaint):
    pass
"""

FAKE_VISITS_SPECS = '''
from core import hookspec


@hookspec
def visits_recorded(visit):
    """A stand-in for the visits plugin's event hook (same name and argument)."""
'''


def _app(make_app, extra):
    return make_app(plugins=["complaints"], extra=extra)


def _setup(app):
    from core.demo import ensure_roles
    from core.extensions import db
    from core.site import refresh
    from core.testing import make_estate

    ensure_roles()
    e1 = make_estate("E01", "Sunshine Garden")
    db.session.commit()
    refresh(force=True)
    return e1


def _staff(e1):
    from core.extensions import db
    from core.models import Department, Role, User

    users = {}
    for role in ("clerk", "supervisor", "manager"):
        u = User(username=f"{role}-h", full_name=role, roles=[db.session.query(Role).filter_by(code=role).one()],
                 estates=[e1])
        u.set_password("secret-pass-1")
        db.session.add(u)
        users[role] = u
    dept = Department(code="maint", name="维修部")
    db.session.add(dept)
    db.session.commit()
    return users, dept


def test_closing_fires_complaints_closed_with_the_agreed_attributes(make_app, temp_plugin):
    code, package = temp_plugin("listener", {"code": "listener", "name": "L", "version": "1",
                                             "depends": ["complaints"]}, LISTENER)
    app = _app(make_app, {code: package})
    with app.app_context():
        from core.extensions import db
        from plugins.complaints import services

        e1 = _setup(app)
        users, dept = _staff(e1)
        start = hours_ago(20)
        c = handle_to_replied(record(users["clerk"], e1, unit_number="1-1-101", received_at=start),
                              users["supervisor"], dept, start)
        seen = app.extensions["propdesk_plugins"].infos["listener"].module.SEEN
        assert seen == []
        services.close(users["supervisor"], c, start + timedelta(hours=6))
        db.session.commit()
        assert seen == [{"id": c.id, "number": c.number, "estate_id": e1.id, "unit_id": c.unit_id,
                         "contact_name": "王建国", "contact_phone": "13912345678", "category": "repairs",
                         "closed_at": start + timedelta(hours=6), "state": "closed"}]


def test_a_failing_listener_rolls_the_closing_back(make_app, temp_plugin):
    code, package = temp_plugin("grumpy", {"code": "grumpy", "name": "G", "version": "1"}, """
        from core import hookimpl

        @hookimpl
        def complaints_closed(complaint):
            raise RuntimeError("cannot plan the visit")
    """)
    app = _app(make_app, {code: package})
    with app.app_context():
        from core.extensions import db
        from plugins.complaints import services
        from plugins.complaints.models import Complaint

        e1 = _setup(app)
        users, dept = _staff(e1)
        start = hours_ago(20)
        c = handle_to_replied(record(users["clerk"], e1, received_at=start), users["supervisor"], dept, start)
        db.session.commit()
        with pytest.raises(RuntimeError):
            services.close(users["supervisor"], c)
        db.session.rollback()
        assert db.session.get(Complaint, c.id).state == "replied"


def test_visits_recorded_confirms_or_reopens_the_complaint(make_app, temp_plugin):
    code, package = temp_plugin("fakevisits", {"code": "fakevisits", "name": "F", "version": "1"}, FAKE_VISITS,
                                files={"hookspecs.py": FAKE_VISITS_SPECS})
    app = _app(make_app, {code: package})
    with app.app_context():
        from core.extensions import db
        from core.plugins import hook
        from plugins.complaints import services

        e1 = _setup(app)
        users, dept = _staff(e1)
        sup = users["supervisor"]
        start = hours_ago(50)
        good = handle_to_replied(record(users["clerk"], e1, received_at=start), sup, dept, start)
        bad = handle_to_replied(record(users["clerk"], e1, received_at=start), sup, dept, start)
        for c in (good, bad):
            services.close(sup, c, start + timedelta(hours=6))
        db.session.commit()

        def visit(c, satisfied, remarks="", source_type="complaint", estate_id=e1.id):
            return SimpleNamespace(id=7, number="HF-E01-2026-000007", source_type=source_type, source_id=c.id,
                                   source_number=c.number, estate_id=estate_id, unit_id=c.unit_id,
                                   satisfied=satisfied, remarks=remarks, visited_at=start + timedelta(hours=30),
                                   visited_by_id=sup.id)

        hook("visits_recorded")(visit=visit(good, True, source_type="repair"))  # not ours: ignored
        hook("visits_recorded")(visit=visit(good, True, estate_id=e1.id + 99))  # wrong estate: ignored
        assert good.state == "closed"
        hook("visits_recorded")(visit=visit(good, True, "很满意"))
        hook("visits_recorded")(visit=visit(bad, False, "楼下天花还在渗水"))
        db.session.commit()
        assert (good.state, good.satisfied, good.visited_at) == ("visited", True, start + timedelta(hours=30))
        assert (bad.state, bad.satisfied, bad.reopen_count) == ("investigating", False, 1)
        assert "HF-E01-2026-000007" in bad.notes[-1].text and "楼下天花还在渗水" in bad.notes[-1].text
        hook("visits_recorded")(visit=visit(good, False, "late second visit"))  # already confirmed: no change
        assert good.state == "visited"


@pytest.mark.plugins("complaints")
def test_without_the_visits_plugin_the_return_visit_is_recorded_on_the_complaint(
        client, login_as, db, estates, depts, make_user):
    from core.plugins import is_enabled
    from plugins.complaints import services

    assert not is_enabled("visits")
    sup = make_user("supervisor", [estates[0]])
    start = hours_ago(30)
    c = handle_to_replied(record(sup, estates[0], received_at=start), sup, depts[0], start)
    services.close(sup, c, start + timedelta(hours=6))
    db.session.commit()
    login_as("supervisor", estates=[estates[0]])
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert 'id="action-visit"' in page and "The return visit is recorded in Return visits." not in page
    resp = client.post(f"/complaints/{c.id}/visit", data={"satisfied": "no", "remarks": "还是有噪音"},
                       follow_redirects=True)
    assert "Not satisfied: the complaint is reopened." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert c.state == "investigating" and c.reopen_count == 1


def test_with_a_visits_plugin_enabled_the_visit_is_left_to_it(make_app, temp_plugin):
    code, package = temp_plugin("visits", {"code": "visits", "name": "Visits", "version": "1"}, FAKE_VISITS,
                                files={"hookspecs.py": FAKE_VISITS_SPECS})
    app = make_app(plugins=["complaints"], extra={code: package})
    with app.app_context():
        from core.extensions import db
        from core.site import disable
        from plugins.complaints import services

        e1 = _setup(app)
        users, dept = _staff(e1)
        sup = users["supervisor"]
        start = hours_ago(30)
        c = handle_to_replied(record(sup, e1, received_at=start), sup, dept, start)
        services.close(sup, c, start + timedelta(hours=6))
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": sup.username, "password": "secret-pass-1"})
        page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
        assert "The return visit is recorded in Return visits." in page and 'id="action-visit"' not in page
        disable("visits")
        db.session.commit()
        page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
        assert 'id="action-visit"' in page


@pytest.mark.plugins("complaints")
def test_the_overdue_job_tells_the_estate_supervisors_once(app, db, estates, depts, make_user):
    from core.jobs import run_due
    from core.models import Notification
    from plugins.complaints import services

    sup = make_user("supervisor", [estates[0]])
    sup_zh = make_user("supervisor", [estates[0]], locale="zh_CN")  # each reads it in their language
    clerk = make_user("clerk", [estates[0]])
    other_sup = make_user("supervisor", [estates[1]])
    late_forward = record(clerk, estates[0], received_at=hours_ago(3))  # normal: forward within 2 h
    late_reply = record(clerk, estates[0], received_at=hours_ago(30))
    services.forward(sup, late_reply, depts[0].id, at=hours_ago(29))
    record(clerk, estates[0], received_at=hours_ago(0.5))  # in time
    db.session.commit()
    assert dict(run_due())["complaints.overdue"] == "2 overdue complaints, 4 notifications"
    titles = set(db.session.scalars(select(Notification.title).where(Notification.user_id == sup.id)))
    assert titles == {f"Complaint {late_reply.number} is past its reply deadline",
                      f"Complaint {late_forward.number} was not forwarded in time"}
    titles = set(db.session.scalars(select(Notification.title).where(Notification.user_id == sup_zh.id)))
    assert titles == {f"投诉 {late_reply.number} 已超过回复时限", f"投诉 {late_forward.number} 未在规定时间内转交"}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id.in_([clerk.id, other_sup.id]))) == 0
    assert dict(run_due(force=True))["complaints.overdue"] == "0 overdue complaints, 0 notifications"


@pytest.mark.plugins("complaints")
def test_demo_data_fills_six_months_in_every_state(app, db):
    from core.demo import load_demo
    from plugins.complaints.models import Complaint, ComplaintNote, Suggestion

    assert load_demo()
    states = dict(db.session.execute(select(Complaint.state, func.count()).group_by(Complaint.state)).all())
    assert set(states) == {"recorded", "forwarded", "investigating", "escalated", "decided", "replied", "closed",
                           "visited"}
    oldest = db.session.scalar(select(func.min(Complaint.received_at)))
    assert hours_ago(24 * 185) < oldest < hours_ago(24 * 120)
    late = db.session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.reply_at > Complaint.reply_due_at))
    unhappy = db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.reopen_count > 0))
    assert late > 0 and unhappy > 0 and states["visited"] > 10
    assert db.session.scalar(select(func.count()).select_from(ComplaintNote)) > 100
    assert {s for (s,) in db.session.execute(select(Suggestion.state).distinct())} >= {"reported", "answered"}
    clerk_made = db.session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.created_by_id.is_not(None)))
    assert clerk_made == db.session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.plugins("complaints", "visits")
def test_with_the_real_visits_plugin_a_closed_complaint_is_visited_and_confirmed(
        app, client, db, estates, depts, login_as):
    """Only the hooks and the pages: a closed complaint plans a return visit; recording it
    (satisfied, then — for a second complaint — not satisfied) comes back to the complaint."""
    from sqlalchemy import text

    from core.i18n import to_local
    from core.plugins import is_enabled
    from plugins.complaints import services

    if not is_enabled("visits"):
        pytest.skip("the visits plugin is not loadable in this tree")
    sup = login_as("supervisor", estates=[estates[0]])
    start = hours_ago(30)
    happy = handle_to_replied(record(sup, estates[0], received_at=start), sup, depts[0], start)
    unhappy = handle_to_replied(record(sup, estates[0], received_at=start), sup, depts[0], start)
    for c in (happy, unhappy):
        services.close(sup, c, start + timedelta(hours=6))
    db.session.commit()
    visits = dict(db.session.execute(text(
        "SELECT source_id, id FROM visits_visit WHERE source_type = 'complaint'")).all())
    assert set(visits) == {happy.id, unhappy.id}
    page = client.get(f"/complaints/{happy.id}").get_data(as_text=True)
    assert 'id="action-visit"' not in page  # the return visit belongs to the visits plugin now
    when = to_local(hours_ago(1), "Asia/Shanghai").strftime("%Y-%m-%dT%H:%M")
    for cid, satisfied, remarks in ((happy.id, "yes", "满意"), (unhappy.id, "no", "噪音依旧")):
        resp = client.post(f"/visits/{visits[cid]}/record", data={
            "method": "phone", "satisfied": satisfied, "remarks": remarks, "visited_at": when})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert (happy.state, happy.satisfied) == ("visited", True)
    assert (unhappy.state, unhappy.reopen_count) == ("investigating", 1) and "噪音依旧" in unhappy.notes[-1].text
