"""The hook flow: a completed repair (or closed complaint) plans a visit; its result goes back.

The repairs and complaints plugins are simulated (``fakerepairs``, ``fakecomplaints``) with the
contract's hook specs; visits never imports them.
"""

from datetime import timedelta

import pytest
from visits_helpers import (
    all_visits,
    case,
    designate,
    fake_plugins,
    record_data,
    recorded,
    unit_of,
    visits_count,
)

from core.plugins import hook


@pytest.fixture
def app(make_app, temp_plugin):
    from core.demo import ensure_roles
    from core.extensions import db
    from core.site import refresh

    app = make_app(plugins=["visits"], extra=fake_plugins(temp_plugin))
    with app.app_context():
        ensure_roles()
        db.session.commit()
        refresh(force=True)
        yield app


def test_a_completed_repair_plans_one_visit_and_the_result_goes_back_to_repairs(
        app, client, db, estates, login_as):
    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    repair = case(e1, unit_of(e1, "3-2-1201"))
    hook("repairs_completed")(repair=repair)
    hook("repairs_completed")(repair=repair)  # fired twice: still one open visit
    db.session.commit()
    [visit] = all_visits()
    assert visit.state == "planned" and visit.number.startswith("HF-E01-") and visit.number.endswith("-000001")
    assert (visit.source_type, visit.source_id, visit.source_number) == ("repair", repair.id, repair.number)
    assert (visit.contact_name, visit.contact_phone, visit.unit.number) == ("王芳", "13800138000", "3-2-1201")
    assert visit.event_at == repair.completed_at
    assert visit.due_at - visit.event_at == timedelta(days=3)  # the repair rule's default
    assert visit.assigned_to_id == clerk.id

    resp = client.post(f"/visits/{visit.id}/record", data=record_data(remarks="修得很好"))
    assert resp.status_code == 302
    [visit] = all_visits()
    assert visit.state == "done" and visit.satisfied is True and visit.method == "phone"
    assert visit.visited_by_id == clerk.id and visit.remarks == "修得很好"
    assert recorded(app) == [dict(id=visit.id, source_type="repair", source_id=repair.id,
                                  source_number=repair.number, satisfied=True, remarks="修得很好",
                                  visited_by_id=clerk.id)]
    assert recorded(app, "fakecomplaints") == []

    # Completed again later (a new fault on the same case) → a new visit is planned.
    hook("repairs_completed")(repair=repair)
    db.session.commit()
    assert visits_count(source_id=repair.id) == 2 and visits_count(state="planned") == 1


def test_not_satisfied_needs_remarks_and_then_tells_the_source_with_them(app, client, db, estates, login_as):
    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    repair = case(e1)
    hook("repairs_completed")(repair=repair)
    db.session.commit()
    [visit] = all_visits()
    resp = client.post(f"/visits/{visit.id}/record", data=record_data(satisfied="no", remarks=""))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'data-field="remarks">Write down what the resident is not satisfied with.' in page
    assert all_visits()[0].state == "planned" and recorded(app) == []

    client.post(f"/visits/{visit.id}/record", data=record_data(satisfied="no", remarks="还是漏水"))
    [visit] = all_visits()
    assert visit.state == "done" and visit.satisfied is False
    assert recorded(app)[0]["satisfied"] is False and recorded(app)[0]["remarks"] == "还是漏水"


def test_a_refusal_from_the_source_plugin_rolls_the_record_back(app, client, db, estates, login_as):
    e1 = estates[0]
    designate(e1, login_as("supervisor", estates=[e1]))
    hook("repairs_completed")(repair=case(e1))
    db.session.commit()
    [visit] = all_visits()
    resp = client.post(f"/visits/{visit.id}/record", data=record_data(satisfied="no", remarks="boom"))
    assert resp.status_code == 422 and "The case cannot be reopened now." in resp.get_data(as_text=True)
    assert all_visits()[0].state == "planned" and all_visits()[0].satisfied is None


def test_a_closed_complaint_plans_a_visit_by_the_estate_s_complaint_rule(app, db, estates, make_user):
    from core.settings import save_settings

    e1, e2 = estates
    designate(e2, make_user("clerk", [e2]))
    save_settings("visits", {"complaint_days": 5}, e1.id)
    db.session.commit()
    c1 = case(e1, when_field="closed_at", number="TS-E01-2026-000001")
    c2 = case(e2, when_field="closed_at", number="TS-E02-2026-000001")
    hook("complaints_closed")(complaint=c1)
    hook("complaints_closed")(complaint=c2)
    db.session.commit()
    v1, v2 = all_visits()
    assert v1.source_type == "complaint" and v1.due_at - v1.event_at == timedelta(days=5)
    assert v2.due_at - v2.event_at == timedelta(days=2) and v2.number.startswith("HF-E02-")
    assert v1.assigned_to_id is None and v2.assigned_to_id is not None  # nobody designated in E01


def test_a_repair_reopened_before_its_visit_cancels_the_open_visit(app, db, estates):
    e1 = estates[0]
    repair = case(e1)
    hook("repairs_completed")(repair=repair)
    hook("repairs_reopened")(repair=repair, reason="Owner called: leaking again")
    db.session.commit()
    [visit] = all_visits()
    assert visit.state == "cancelled" and visit.closed_reason == "Owner called: leaking again"
    hook("repairs_completed")(repair=repair)
    db.session.commit()
    assert [v.state for v in all_visits()] == ["cancelled", "planned"]


def test_with_visits_disabled_a_completed_repair_plans_nothing(app, db, estates):
    from core.site import disable

    disable("visits")
    hook("repairs_completed")(repair=case(estates[0]))
    db.session.commit()
    assert visits_count() == 0


def test_with_the_source_plugin_disabled_visits_still_record(app, client, db, estates, login_as):
    from core.site import disable

    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    hook("repairs_completed")(repair=case(e1))
    db.session.commit()
    disable("fakerepairs")
    visit = all_visits()[0]
    assert client.post(f"/visits/{visit.id}/record", data=record_data()).status_code == 302
    assert all_visits()[0].state == "done" and recorded(app) == []


def test_visits_works_alone_and_its_hook_implementations_can_be_called_directly(make_app):
    import plugins.visits as visits_plugin
    from core.demo import ensure_roles
    from core.extensions import db
    from core.site import refresh
    from core.testing import make_estate

    app = make_app(plugins=["visits"])
    with app.app_context():
        ensure_roles()
        refresh(force=True)
        assert "visits" in app.extensions["propdesk_plugins"].enabled
        e1 = make_estate("E01", "Sunshine Garden")
        db.session.commit()
        visits_plugin.complaints_closed(complaint=case(e1, when_field="closed_at"))
        visits_plugin.repairs_completed(repair=case(e1, completed_at=None))
        db.session.commit()
        kinds = [v.source_type for v in all_visits()]
        assert kinds == ["complaint", "repair"]
        assert visits_plugin.deadline_for(case_type="visit.repair", estate=e1, priority=None,
                                          start=all_visits()[1].event_at) == all_visits()[1].due_at
        assert visits_plugin.deadline_for(case_type="repair", estate=e1, priority=None, start=None) is None
