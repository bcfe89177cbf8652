"""What cleaning offers the rest of PropDesk: the permissions on the standard roles, the overdue
job, the demo data (with the vendors plugin's demo contract: the newest shortcoming goes to the
vendor), and its routes gone when it is disabled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.models import Notification, Role
from core.testing import make_estate
from plugins.cleaning import demo, services
from plugins.cleaning.jobs import notify_overdue
from plugins.cleaning.models import CleanArea, CleanCheck, CleanTraining, PestPlan, PestRecord
from tests.plugins.cleaning.conftest import SHANGHAI, all_ok, login


def test_permissions_on_the_standard_roles(db, app):
    def codes(role):
        return set(db.session.scalar(select(Role).where(Role.code == role)).permission_codes)

    every = {"cleaning.view", "cleaning.inspect", "cleaning.manage"}
    assert every <= codes("cleaning") and every <= codes("supervisor") and every <= codes("manager")
    assert "cleaning.view" in codes("clerk") and not {"cleaning.inspect", "cleaning.manage"} & codes("clerk")
    assert not {c for c in codes("cashier") | codes("technician") | codes("frontdesk") if c.startswith("cleaning.")}


def test_the_overdue_job_warns_once_per_deadline(db, staff, clock):
    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3, 地面湿拖="脏"),
                                       remedy="rework", deadline=s.today + timedelta(days=1))
        db.session.commit()
    notify_overdue()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0  # not overdue yet
    clock.move_to(datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI))
    notify_overdue()
    notify_overdue()
    db.session.commit()
    told = db.session.scalars(select(Notification)).all()
    assert told and all(c.number in n.title for n in told)
    people = {n.user_id for n in told}
    assert s.sup.id in people and s.manager.id in people and s.clerk.id not in people and s.sup_e2.id not in people
    assert len(told) == len(people)  # once each


def test_demo_cleaning_with_the_vendors_demo(app, db, make_user, clock):
    from plugins.vendors import demo as vendors_demo

    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    d1 = make_estate("D01", "Demo Garden")
    users = {"supervisor": make_user("supervisor", [d1], username="dsup"),
             "cleaning": make_user("cleaning", [d1], username="dclean")}
    vendors_demo.load(d1, users)
    demo.load(d1, users)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CleanArea)) == 5
    checks = db.session.scalars(select(CleanCheck)).all()
    assert len(checks) > 80 and {c.state for c in checks} == {"passed", "open", "verified"}
    sent = [c for c in checks if c.remedy == "vendor"]
    assert len(sent) == 1 and sent[0].rectification_number.startswith("WZ-D01-")
    assert "1栋大堂" in {a.name for a in db.session.scalars(select(CleanArea))}
    assert db.session.scalar(select(func.count()).select_from(PestPlan)) == 2
    assert db.session.scalar(select(func.count()).select_from(PestRecord)) == 6
    assert db.session.scalar(select(func.count()).select_from(CleanTraining)) == 2
    demo.load(d1, users)  # again: nothing more
    assert db.session.scalar(select(func.count()).select_from(CleanArea)) == 5


def test_disabled_cleaning_answers_404(client, db, staff):
    from core.site import disable, refresh

    login(client, staff.sup)
    assert client.get("/cleaning/").status_code == 200
    disable("cleaning")
    db.session.commit()
    refresh(force=True)
    assert client.get("/cleaning/").status_code == 404
    assert client.get(f"/cleaning/areas/{staff.area.id}/inspect").status_code == 404
    assert "1栋大堂" not in client.get("/search?q=大堂").get_data(as_text=True)


def test_each_url_id_names_a_cleaning_table_for_the_route_walk(app, db):
    """The route walk (tests/test_route_walk.py) gives each ``<int:…_id>`` the id of estate B's
    record of the first table whose name ends with the argument's stem: every cleaning URL's id
    must name a cleaning table, so the walk tries estate B's record on each route."""
    from werkzeug.routing import IntegerConverter

    from tests.test_route_walk import _stem_matches

    tables = [t.name for t in db.metadata.sorted_tables if "estate_id" in t.c and "id" in t.c]
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("cleaning.")]
    assert len(rules) >= 15
    for rule in rules:
        for arg, conv in rule._converters.items():
            if isinstance(conv, IntegerConverter):
                found = [t for t in tables if _stem_matches(t, arg.removesuffix("_id"))]
                assert found and found[0].startswith("cleaning_"), (rule.rule, found)
