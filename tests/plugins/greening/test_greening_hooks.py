"""What greening offers the rest of PropDesk: the permissions on the standard roles, the overdue
job, the demo data (with the vendors plugin's greening contract), its routes gone when disabled,
and every URL id naming a greening table for the route walk. Greening imports nothing of cleaning."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.audit import acting_as
from core.models import Notification, Role
from core.testing import make_estate
from plugins.greening import demo, services
from plugins.greening.jobs import notify_overdue
from plugins.greening.models import GreenArea, GreenCheck, PlantRequest, PlantVisit
from tests.plugins.greening.conftest import SHANGHAI, all_ok, login


def test_permissions_on_the_standard_roles(db, app):
    def codes(role):
        return set(db.session.scalar(select(Role).where(Role.code == role)).permission_codes)

    every = {"greening.view", "greening.inspect", "greening.manage"}
    assert every <= codes("cleaning") and every <= codes("supervisor") and every <= codes("manager")
    assert "greening.view" in codes("clerk") and not {"greening.inspect", "greening.manage"} & codes("clerk")
    assert not {c for c in codes("cashier") | codes("technician") | codes("frontdesk") if c.startswith("greening.")}


def test_greening_shares_nothing_with_cleaning_but_the_core():
    root = Path(__file__).resolve().parents[3] / "plugins" / "greening"
    for path in root.rglob("*.py"):
        assert "plugins.cleaning" not in path.read_text(encoding="utf-8"), path


def test_the_overdue_job_warns_once_per_deadline(db, staff, clock):
    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t3, 草坪浇水="缺水"),
                                       remedy="rework", deadline=s.today + timedelta(days=1))
        db.session.commit()
    clock.move_to(datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI))
    notify_overdue()
    notify_overdue()
    db.session.commit()
    told = db.session.scalars(select(Notification)).all()
    assert told and all(c.number in n.title for n in told)
    assert len(told) == len({n.user_id for n in told}) and s.sup_e2.id not in {n.user_id for n in told}


def test_demo_greening_with_the_vendors_demo(app, db, make_user, clock):
    from plugins.vendors import demo as vendors_demo

    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    d1 = make_estate("D01", "Demo Garden")
    users = {"supervisor": make_user("supervisor", [d1], username="dsup")}
    vendors_demo.load(d1, users)
    demo.load(d1, users)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(GreenArea)) == 4
    checks = db.session.scalars(select(GreenCheck)).all()
    assert len(checks) > 40 and "open" in {c.state for c in checks}
    assert [c.rectification_number[:7] for c in checks if c.remedy == "vendor"] == ["WZ-D01-"]
    assert db.session.scalar(select(func.count()).select_from(PlantRequest)) == 2
    assert db.session.scalar(select(func.count()).select_from(PlantVisit)) == 8
    demo.load(d1, users)
    assert db.session.scalar(select(func.count()).select_from(GreenArea)) == 4


def test_disabled_greening_answers_404(client, db, staff):
    from core.site import disable, refresh

    login(client, staff.sup)
    assert client.get("/greening/").status_code == 200
    disable("greening")
    db.session.commit()
    refresh(force=True)
    assert client.get("/greening/").status_code == 404
    assert client.get("/greening/plants").status_code == 404


def test_each_url_id_names_a_greening_table_for_the_route_walk(app, db):
    from werkzeug.routing import IntegerConverter

    from tests.test_route_walk import _stem_matches

    tables = [t.name for t in db.metadata.sorted_tables if "estate_id" in t.c and "id" in t.c]
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("greening.")]
    assert len(rules) >= 15
    for rule in rules:
        for arg, conv in rule._converters.items():
            if isinstance(conv, IntegerConverter):
                found = [t for t in tables if _stem_matches(t, arg.removesuffix("_id"))]
                assert found and found[0].startswith("greening_"), (rule.rule, found)
