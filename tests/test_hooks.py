"""One behavioural test per core hook (``test_hook_<name>``): a plugin implements it, the site shows it.

``KEYS`` is a tiny key-cabinet plugin implementing the core hooks the way a
real plugin does; ``FLAKY`` fails in every way a plugin can; the sites hold
only these throw-away plugins (``make_app(plugins=[], extra=...)``), so the
built-in ones never blur what is checked. ``tests/test_hook_contract.py``
makes sure no hook of ``core/hookspecs.py`` is left without a test here.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string
from sqlalchemy import delete, select

from core.demo import ensure_roles, load_demo
from core.extensions import db
from core.jobs import run_due
from core.models import Building, Estate, JobLease, Notification, Resident, Role, Unit, User, utcnow
from core.notify import notify
from core.permissions import all_permissions, has_permission
from core.plugins import hook
from core.security import scoped
from core.settings import get_settings, save_settings, spec_for
from core.site import disable, enable, refresh, upgrade_site
from core.testing import TEST_PASSWORD, make_estate

KEYS = '''
from datetime import timedelta
import click
from flask import Blueprint
from sqlalchemy import select
from wtforms import IntegerField
from core import hookimpl
from core.extensions import db
from core.forms import Form
from core.jobs import Job
from core.models import Building, Estate, Unit
from core.notify import Channel
from core.permissions import Permission
from core.settings import SettingsSpec
from core.ui import NavItem, Panel, SearchHit, Widget

bp = Blueprint("keys", __name__, template_folder="templates")
RUNS, SENT, SEEN, EVENTS = [], [], [], []

@bp.route("/")
def index():
    return "Key cabinet: 42 hooks"

@click.command("count")
@click.argument("what")
def count(what):
    click.echo(f"3 {what} are out")

class KeySettings(Form):
    loan_days = IntegerField("Days a contractor may keep a key")

def remind():
    RUNS.append(1)
    return f"{len(RUNS)} contractors reminded"

@hookimpl
def permissions():
    return [Permission("keys.view", "See the key cabinet", ("frontdesk",)),
            Permission("keys.lend", "Lend keys to contractors", ("frontdesk", "manager"))]

@hookimpl
def blueprints():
    return [bp]

@hookimpl
def cli_commands():
    return [count]

@hookimpl
def nav_items(user, estates):
    return [NavItem("Key cabinet", "keys.index", "records", "keys.view", 10, badge=len(estates))]

@hookimpl
def dashboard_widgets(user, estates):
    return [Widget("keys-out", "Keys out", "keys/out.html", {"out": 3}, sequence=5),
            Widget("keys-master", "Master keys", "keys/out.html", {"out": 99}, "core.users.admin")]

@hookimpl
def unit_panels(unit, user):
    return [Panel("keys-unit", "Keys of this unit", "keys/unit.html", {"unit": unit, "who": user})]

@hookimpl
def resident_panels(resident, user):
    return [Panel("keys-resident", "Keys held", "keys/resident.html", {"resident": resident})]

@hookimpl
def search(query, user, estates, limit):
    # Careless on purpose: a hit in every estate, whatever ``estates`` says.
    return [SearchHit("Key tag", f"{query} tag of {e.code}", "/", "", e.id)
            for e in db.session.scalars(select(Estate))][:limit]

@hookimpl
def record_rules(user):
    # The shopping street has its own office: the front desk does not handle shops.
    return {Unit: [Unit.use != "shop"]} if "frontdesk" in user.role_codes else {}

@hookimpl
def settings_spec():
    return [SettingsSpec("keys", "Key cabinet", KeySettings, {"loan_days": 1, "deposit": "100.00"},
                         scope="estate")]

@hookimpl
def scheduled_jobs():
    return [Job("keys.remind", "Remind contractors of keys", timedelta(hours=1), remind)]

@hookimpl
def notification_channels():
    return [Channel("sms", lambda user, title, body, link: SENT.append((user.username, title, link)))]

@hookimpl
def demo_data(estate, users):
    SEEN.append((estate.code, users["manager"].username))
    db.session.add(Building(estate_id=estate.id, code="KC", name="Key cabinet room"))

@hookimpl
def plugin_enabled(code):
    from sqlalchemy import inspect
    EVENTS.append(("enabled", code, "lift_log" in inspect(db.engine).get_table_names()))

@hookimpl
def plugin_disabled(code):
    EVENTS.append(("disabled", code))

@hookimpl
def app_ready(app):
    @app.template_filter("plate")
    def plate(value):
        return value[:2].upper() + "·" + value[2:].upper()
'''
KEYS_TEMPLATES = {"templates/keys/out.html": "{{ out }} keys are out",
                  "templates/keys/unit.html": "Spare keys of {{ unit.number }} (asked by {{ who.full_name }})",
                  "templates/keys/resident.html": "{{ resident.name }} holds 2 fobs"}
FLAKY = '''
from datetime import timedelta
from core import hookimpl
from core.jobs import Job
from core.notify import Channel
from core.ui import Panel

def fail(*args):
    raise ConnectionError("gateway unreachable")

@hookimpl
def dashboard_widgets(user, estates):
    raise RuntimeError("the tile service is down")

@hookimpl
def unit_panels(unit, user):
    return [Panel("flaky-unit", "Parcel shelf", "flaky/missing.html")]  # no such template

@hookimpl
def scheduled_jobs():
    return [Job("flaky.sync", "Always fails", timedelta(hours=1), fail)]

@hookimpl
def notification_channels():
    return [Channel("mail", fail)]
'''
_n = itertools.count(1)


@pytest.fixture
def site(make_app, temp_plugin):
    """``site(keys=KEYS, flaky=FLAKY)`` → an app with only these plugins, its context pushed."""
    pushed = []

    def build(files=None, manifests=None, fresh_db=None, **sources):
        extra = dict(temp_plugin(code, {"code": code, "name": code.title(), "version": "1.0.0",
                                        **(manifests or {}).get(code, {})},
                                 src, files=(files or {}).get(code, KEYS_TEMPLATES if src is KEYS else {}))
                     for code, src in sources.items())
        app = make_app(plugins=[], extra=extra,
                       **({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{fresh_db}"} if fresh_db else {}))
        pushed.append(app.app_context())
        pushed[-1].push()
        if fresh_db:
            upgrade_site()
        db.session.execute(delete(Role))  # the standard roles afresh, with these plugins' defaults
        ensure_roles()
        db.session.commit()
        refresh(force=True)
        return app

    yield build
    while pushed:
        pushed.pop().pop()


def module_of(app, code):
    return app.extensions["propdesk_plugins"].infos[code].module


def two_estates():
    e1 = make_estate("E01", "Sunshine Garden")
    e2 = make_estate("E02", "Riverside Park", units=("1-1-101", "2-1-201", "3-2-1201"))
    db.session.commit()
    return e1, e2


def staff(app, role, estates=(), **kw):
    """A member of staff with ``role``, logged in on a fresh client: ``(client, user)``."""
    user = User(username=f"{role}{next(_n)}", full_name=role.title(), estates=list(estates),
                roles=[db.session.scalar(select(Role).where(Role.code == role))], **kw)
    user.set_password(TEST_PASSWORD)
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code == 302
    return client, user


def unit_in(estate, number="3-2-1201"):
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def test_hook_permissions(site):
    app = site(keys=KEYS)
    assert {"keys.view", "keys.lend"} <= {p.code for p in all_permissions()}
    # Roles created with the plugin loaded get its default grants (existing roles are never changed).
    assert {"keys.view", "keys.lend"} <= db.session.scalar(
        select(Role).where(Role.code == "frontdesk")).permission_codes
    _c, clerk = staff(app, "frontdesk")
    _c, cashier = staff(app, "cashier")
    assert has_permission("keys.lend", clerk) and not has_permission("keys.lend", cashier)
    # The role page offers the plugin's permissions, and saving it grants them.
    client, _admin = staff(app, "admin", all_estates=True)
    role = db.session.scalar(select(Role).where(Role.code == "cashier"))
    page = client.get(f"/admin/roles/{role.id}").get_data(as_text=True)
    assert 'value="keys.lend"' in page and "Lend keys to contractors" in page
    ticked = [p.code for p in all_permissions() if p.code in role.permission_codes]
    client.post(f"/admin/roles/{role.id}", data={"permissions": ticked + ["keys.lend"]})
    ids = cashier.id, clerk.id
    db.session.expunge_all()  # users cache their permission set: load them afresh
    cashier, clerk = (db.session.get(User, i) for i in ids)
    assert has_permission("keys.lend", cashier)
    disable("keys")  # a disabled plugin's permissions grant nothing
    assert not has_permission("keys.lend", clerk)


def test_hook_blueprints(site):
    app = site(keys=KEYS)
    assert app.test_client().get("/keys/").headers["Location"].startswith("/login")  # login first
    client, _u = staff(app, "clerk")
    assert client.get("/keys/").get_data(as_text=True) == "Key cabinet: 42 hooks"
    disable("keys")
    assert client.get("/keys/").status_code == 404
    enable("keys")
    assert client.get("/keys/").get_data(as_text=True) == "Key cabinet: 42 hooks"


def test_hook_cli_commands(site):
    runner = site(keys=KEYS).test_cli_runner()
    assert "Commands of the keys plugin" in runner.invoke(args=["--help"]).output
    assert runner.invoke(args=["keys", "count", "keys"]).output == "3 keys are out\n"
    disable("keys")
    refused = runner.invoke(args=["keys", "count", "keys"])
    assert refused.exit_code != 0 and "plugin keys is disabled on this site" in refused.output
    assert "3 keys are out" not in refused.output


def test_hook_nav_items(site):
    app = site(keys=KEYS)
    e1, _e2 = two_estates()
    desk, _u = staff(app, "frontdesk", [e1])
    menu = desk.get("/").get_data(as_text=True)
    assert 'href="/keys/"' in menu and "Records and custody" in menu
    assert 'Key cabinet<span class="badge rounded-pill text-bg-danger ms-1">1</span>' in menu
    cashier, _u = staff(app, "cashier", [e1])  # lacks keys.view: no menu entry
    assert "Key cabinet" not in cashier.get("/").get_data(as_text=True)
    disable("keys")
    assert "Key cabinet" not in desk.get("/").get_data(as_text=True)


LAMPS = '''
from sqlalchemy import func, select, text
from core import hookimpl
from core.models import Notification, Unit
from core.ui import NavItem

# The same item on every call, its badge a query: each page must count it afresh.
KEPT = [NavItem("Lamp notes", "auth.profile", "operations", None, 22,
                badge=select(func.count()).select_from(Notification))]

@hookimpl
def nav_items(user, estates):
    return [NavItem("Lamps out", "main.search", "operations", None, 20,
                    badge=select(func.count()).select_from(Unit).where(Unit.estate_id.in_(estates))),
            NavItem("Lamp log", "main.notifications", "operations", None, 21,
                    badge=select(func.count()).select_from(Unit).where(Unit.estate_id == -1))] + KEPT
'''

BROKEN_BADGE = '''
from sqlalchemy import func, literal, select, table
from core import hookimpl
from core.ui import NavItem

@hookimpl
def nav_items(user, estates):
    return [NavItem("Lift alarms", "main.index", "operations", None, 30,
                    badge=select(func.count()).select_from(table("no_such_table"))),
            NavItem("Lift names", "main.search", "operations", None, 31,
                    badge=select(literal("not a number")))]
'''


def _menu_badge(page: str, label: str) -> str | None:
    import re

    found = re.search(re.escape(label) + r'(<span class="badge[^>]*>(\d+)</span>)?</a>', page)
    assert found, f"{label!r} is not in the menu"
    return found.group(2)


def test_hook_nav_items_badge_queries_run_in_one_statement(site):
    app = site(keys=KEYS, lamps=LAMPS)
    e1, _e2 = two_estates()
    desk, user = staff(app, "frontdesk", [e1])
    db.session.add(Notification(user_id=user.id, title="Key overdue", body=""))
    db.session.commit()
    seen = []
    listen = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        page = desk.get("/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert _menu_badge(page, "Key cabinet") == "1"  # a number still works
    assert _menu_badge(page, "Lamps out") == "3"  # the three units of E01, not E02's
    assert _menu_badge(page, "Lamp log") is None  # a count of 0 shows no badge
    assert 'bi-bell"></i><span class="badge rounded-pill text-bg-danger ms-1">1</span>' in page
    badges = [s for s in seen if "core_notification" in s and "count(" in s]
    assert len(badges) == 1 and badges[0].count("FROM core_unit") == 2  # the unread count and both lamps
    assert _menu_badge(page, "Lamp notes") == "1"
    db.session.add(Notification(user_id=user.id, title="Lamp out", body=""))
    db.session.commit()
    page = desk.get("/").get_data(as_text=True)
    assert _menu_badge(page, "Lamp notes") == "2"  # the plugin's kept item is counted again, not frozen


def test_hook_nav_items_a_broken_badge_query_costs_only_its_own_badge(site, caplog):
    app = site(keys=KEYS, lamps=LAMPS, broken=BROKEN_BADGE)
    e1, _e2 = two_estates()
    desk, user = staff(app, "frontdesk", [e1])
    db.session.add(Notification(user_id=user.id, title="Key overdue", body=""))
    db.session.commit()
    resp = desk.get("/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-widget="core-estate-summary"' in page
    assert _menu_badge(page, "Lift alarms") is None  # its entry stays, without a number
    assert _menu_badge(page, "Lamps out") == "3" and _menu_badge(page, "Key cabinet") == "1"
    assert 'bi-bell"></i><span class="badge rounded-pill text-bg-danger ms-1">1</span>' in page
    assert "badge query of plugin broken failed" in caplog.text
    assert _menu_badge(page, "Lift names") is None and "gave 'str', not a number" in caplog.text
    assert desk.get("/").status_code == 200  # and the next page too


def test_hook_dashboard_widgets(site):
    app = site(keys=KEYS, flaky=FLAKY)
    e1, _e2 = two_estates()
    client, _u = staff(app, "clerk", [e1])
    page = client.get("/").get_data(as_text=True)
    assert 'data-widget="keys-out"' in page and "3 keys are out" in page
    assert "99 keys are out" not in page  # the clerk lacks that widget's permission
    assert 'data-widget="core-estate-summary"' in page  # the rest of the page renders
    assert page.count("slot-error") == 1 and "dashboard_widgets from flaky" in page


def test_hook_unit_panels(site):
    app = site(keys=KEYS, flaky=FLAKY)
    e1, _e2 = two_estates()
    client, _u = staff(app, "clerk", [e1])
    page = client.get(f"/estates/units/{unit_in(e1).id}").get_data(as_text=True)
    assert 'data-slot="keys-unit"' in page and "Keys of this unit" in page
    assert "Spare keys of 3-2-1201 (asked by Clerk)" in page
    flaky = page.split('data-slot="flaky-unit"', 1)[1].split("</section>", 1)[0]
    assert "slot-error" in flaky and "unit_panels from flaky" in flaky  # an error box in its place
    disable("keys")
    assert "Spare keys" not in client.get(f"/estates/units/{unit_in(e1).id}").get_data(as_text=True)


def test_hook_resident_panels(site):
    app = site(keys=KEYS)
    e1, _e2 = two_estates()
    resident = db.session.scalars(select(Resident).where(Resident.estate_id == e1.id)).first()
    client, _u = staff(app, "clerk", [e1])
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert 'data-slot="keys-resident"' in page and f"{resident.name} holds 2 fobs" in page


def test_hook_search(site):
    app = site(keys=KEYS)
    e1, _e2 = two_estates()
    client, _u = staff(app, "clerk", [e1])
    page = client.get("/search?q=K-77").get_data(as_text=True)
    assert "K-77 tag of E01" in page
    assert "K-77 tag of E02" not in page  # the core drops hits outside the user's estates


def test_hook_record_rules(site):
    app = site(keys=KEYS)
    e1, _e2 = two_estates()
    shop = unit_in(e1, "1-1-102")
    shop.use = "shop"
    db.session.commit()
    desk_client, desk = staff(app, "frontdesk", [e1])
    _c, manager = staff(app, "manager", [e1])
    assert sorted(u.number for u in db.session.scalars(scoped(Unit, desk))) == ["1-1-101", "3-2-1201"]
    assert len(db.session.scalars(scoped(Unit, manager)).all()) == 3  # and never E02's
    listing = desk_client.get("/estates/units").get_data(as_text=True)
    assert "2 records" in listing and "1-1-102" not in listing
    assert desk_client.get(f"/estates/units/{shop.id}").status_code == 404


def test_hook_settings_spec(site):
    app = site(keys=KEYS)
    e1, e2 = two_estates()
    assert spec_for("keys").scope == "estate"
    assert spec_for("keys").form_class is module_of(app, "keys").KeySettings
    assert get_settings("keys", e1.id) == {"loan_days": 1, "deposit": "100.00"}
    save_settings("keys", {"loan_days": 3})  # the site's value
    save_settings("keys", {"loan_days": 7}, estate_id=e1.id)  # one estate's own
    db.session.commit()
    assert get_settings("keys", e1.id) == {"loan_days": 7, "deposit": "100.00"}
    assert get_settings("keys", e2.id) == {"loan_days": 3, "deposit": "100.00"}
    # The core's settings page shows the plugin's form for one estate and saves it.
    client, _admin = staff(app, "admin", all_estates=True)
    page = client.get(f"/admin/settings/keys?estate={e1.id}").get_data(as_text=True)
    assert "Days a contractor may keep a key" in page and 'name="loan_days"' in page and 'value="7"' in page
    client.post(f"/admin/settings/keys?estate={e2.id}", data={"loan_days": "10"})
    assert get_settings("keys", e2.id)["loan_days"] == 10 and get_settings("keys", e1.id)["loan_days"] == 7


def test_hook_scheduled_jobs(site):
    app = site(keys=KEYS, flaky=FLAKY)
    ran = dict(run_due())
    assert ran["keys.remind"] == "1 contractors reminded"
    assert ran["flaky.sync"] == "failed: ConnectionError: gateway unreachable"  # the others still ran
    assert "keys.remind" not in dict(run_due())  # not due again within the hour
    assert dict(run_due(now=utcnow() + timedelta(hours=2)))["keys.remind"] == "2 contractors reminded"
    assert db.session.get(JobLease, "keys.remind").last_status == "2 contractors reminded"
    disable("keys")
    assert "keys.remind" not in dict(run_due(force=True))
    assert module_of(app, "keys").RUNS == [1, 1]


def test_hook_notification_channels(site):
    app = site(keys=KEYS, flaky=FLAKY)
    _c, user = staff(app, "technician")
    assert notify([user], "Lift 2 stopped", "Go to building 3", "/repairs/7") == 1
    db.session.commit()
    assert module_of(app, "keys").SENT == [(user.username, "Lift 2 stopped", "/repairs/7")]
    saved = db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.title for n in saved] == ["Lift 2 stopped"]  # in the centre too, though mail failed
    disable("keys")
    notify([user], "Lift 2 running again")
    assert len(module_of(app, "keys").SENT) == 1


def test_hook_demo_data(site):
    app = site(keys=KEYS)
    assert load_demo() is True
    rooms = db.session.scalars(select(Estate.code).join(Building, Building.estate_id == Estate.id)
                               .where(Building.code == "KC").order_by(Estate.code)).all()
    assert rooms == ["E01", "P01"]  # one per demo estate, committed by the core
    assert module_of(app, "keys").SEEN == [("E01", "manager"), ("P01", "manager")]


LIFT_MIGRATION = """
import sqlalchemy as sa
from alembic import op
revision, down_revision, branch_labels, depends_on = "lift_0001", None, ("lift",), ("core_0001",)
def upgrade():
    op.create_table("lift_log", sa.Column("id", sa.Integer, primary_key=True))
def downgrade():
    op.drop_table("lift_log")
"""


def test_hook_plugin_enabled(site, tmp_path):
    app = site(keys=KEYS, lift=KEYS.replace('"keys', '"lift'), fresh_db=tmp_path / "fresh.db",
               files={"lift": {"migrations/versions/lift_0001.py": LIFT_MIGRATION}},
               manifests={"lift": {"default_enabled": False}})
    assert enable("lift") == ["lift"]
    # Called after the migrations ran, in every enabled plugin: the new one included.
    assert module_of(app, "keys").EVENTS == [("enabled", "lift", True)]
    assert module_of(app, "lift").EVENTS == [("enabled", "lift", True)]


def test_hook_plugin_disabled(site):
    app = site(keys=KEYS, lift=KEYS.replace('"keys', '"lift'))
    disable("lift")
    assert module_of(app, "keys").EVENTS == [("disabled", "lift")]
    assert module_of(app, "lift").EVENTS == []  # it is off already: not called
    assert "lift" not in app.extensions["propdesk_plugins"].enabled


SLA = """
from datetime import timedelta
from core import hookimpl

@hookimpl
def deadline_for(case_type, estate, priority, start, category):
    if case_type == "repair" and category == "lift":
        return start + timedelta(hours=1)  # people may be trapped
    if case_type == "repair" and priority == "urgent":
        return start + timedelta(hours=2)
    return None  # not ours: the next plugin answers
"""
BASIC_DEADLINES = """
from datetime import timedelta
from core import hookimpl

@hookimpl
def deadline_for(case_type, start):  # an implementation takes only the arguments it needs
    return start + timedelta(days=3)
"""


def test_hook_deadline_for(site):
    # sla depends on basic, so it is loaded after it and asked first.
    site(basic=BASIC_DEADLINES, sla=SLA, manifests={"sla": {"depends": ["basic"]}})
    e1, _e2 = two_estates()
    t0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    ask = hook("deadline_for")
    assert ask(case_type="repair", estate=e1, priority="urgent", start=t0, category="water") == t0 + timedelta(hours=2)
    assert ask(case_type="repair", estate=e1, priority="normal", start=t0, category="lift") == t0 + timedelta(hours=1)
    assert ask(case_type="repair", estate=e1, priority="normal", start=t0, category=None) == t0 + timedelta(days=3)
    disable("sla")
    assert hook("deadline_for")(case_type="repair", estate=e1, priority="urgent", start=t0,
                                category="lift") == t0 + timedelta(days=3)


def test_hook_app_ready(site):
    # Called at start-up for every loaded plugin, even one this site has not enabled.
    app = site(keys=KEYS, manifests={"keys": {"default_enabled": False}})
    assert "keys" not in app.extensions["propdesk_plugins"].enabled
    with app.test_request_context():
        assert render_template_string("{{ '粤b12345'|plate }}") == "粤B·12345"
