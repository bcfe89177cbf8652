"""The plugin contract: discovery, dependency graph, per-site enablement, isolation."""

import pytest
from sqlalchemy import inspect as sa_inspect

from core.site import disable, enable

HELLO = """
from flask import Blueprint
from core import hookimpl

bp = Blueprint("{code}", __name__)

@bp.route("/")
def index():
    return "hello from {code}"

@hookimpl
def blueprints():
    return [bp]
"""


def manifest(code, **kw):
    return {"code": code, "name": code.title(), "version": "1.0.0", **kw}


def test_built_in_plugins_are_discovered_through_entry_points(make_app):
    app = make_app()
    pm = app.extensions["propdesk_plugins"]
    assert "notices" in pm.infos
    assert pm.infos["notices"].package == "plugins.notices"
    assert pm.infos["notices"].loaded


def test_allow_list_limits_what_a_process_loads(make_app):
    app = make_app(plugins=[])
    assert app.extensions["propdesk_plugins"].infos == {}


def test_a_plugin_with_a_missing_dependency_is_skipped_with_its_dependents(make_app, temp_plugin):
    a = temp_plugin("needsghost", manifest("needsghost", depends=["ghost"]))
    b = temp_plugin("ontop", manifest("ontop", depends=["needsghost"]))
    ok = temp_plugin("fine", manifest("fine"))
    app = make_app(plugins=[], extra=dict([a, b, ok]))
    pm = app.extensions["propdesk_plugins"]
    assert "missing dependency 'ghost'" in pm.infos["needsghost"].skip_reason
    assert "needsghost" in pm.infos["ontop"].skip_reason
    assert pm.infos["fine"].loaded and not pm.infos["ontop"].loaded


def test_a_dependency_cycle_skips_its_members(make_app, temp_plugin):
    a = temp_plugin("cyca", manifest("cyca", depends=["cycb"]))
    b = temp_plugin("cycb", manifest("cycb", depends=["cyca"]))
    app = make_app(plugins=[], extra=dict([a, b]))
    pm = app.extensions["propdesk_plugins"]
    for code in ("cyca", "cycb"):
        assert "dependency cycle" in pm.infos[code].skip_reason
        assert not pm.infos[code].loaded


def test_a_plugin_that_fails_to_import_is_skipped_and_the_site_starts(make_app, temp_plugin, client):
    broken = temp_plugin("broken", manifest("broken"), "raise RuntimeError('boom at import')\n")
    dependent = temp_plugin("userofbroken", manifest("userofbroken", depends=["broken"]))
    app = make_app(plugins=["notices"], extra=dict([broken, dependent]))
    pm = app.extensions["propdesk_plugins"]
    assert "boom at import" in pm.infos["broken"].skip_reason
    assert not pm.infos["userofbroken"].loaded
    assert pm.infos["notices"].loaded
    assert app.test_client().get("/health").json == {"status": "ok"}


def test_manifest_problems_are_reported_not_raised(make_app, temp_plugin):
    bad_literal = temp_plugin("badlit", "{'code': 'badlit', 'name': 'x', 'version': __import__('os')}")
    wrong_code = temp_plugin("wrongcode", manifest("other"))
    unknown_key = temp_plugin("unknownkey", manifest("unknownkey", colour="red"))
    old_api = temp_plugin("oldapi", manifest("oldapi", core_api=">=2,<3"))
    app = make_app(plugins=[], extra=dict([bad_literal, wrong_code, unknown_key, old_api]))
    infos = app.extensions["propdesk_plugins"].infos
    assert "not a literal dict" in infos["badlit"].skip_reason
    assert "differs from manifest code" in infos["wrongcode"].skip_reason
    assert "unknown keys: colour" in infos["unknownkey"].skip_reason
    assert "needs core API >=2,<3" in infos["oldapi"].skip_reason


def test_reading_manifests_imports_no_plugin_code(make_app, temp_plugin):
    import sys

    code, package = temp_plugin("lazy", manifest("lazy", depends=["ghost"]), "raise SystemExit('imported!')\n")
    make_app(plugins=[], extra={code: package})
    assert package not in sys.modules


def test_disabling_in_one_worker_reaches_another_without_restart(make_app, temp_plugin, make_user, estates):
    code, package = temp_plugin("hello", manifest("hello"), HELLO.format(code="hello"))
    worker1 = make_app(plugins=[], extra={code: package})
    worker2 = make_app(plugins=[], extra={code: package})
    with worker1.app_context():
        make_user("admin", all_estates=True, username="boss")
    c2 = worker2.test_client()
    c2.post("/login", data={"username": "boss", "password": "secret-pass-1"})
    assert c2.get("/hello/").get_data(as_text=True) == "hello from hello"
    with worker1.app_context():
        disable("hello")
    assert c2.get("/hello/").status_code == 404
    with worker1.app_context():
        enable("hello")
    assert c2.get("/hello/").get_data(as_text=True) == "hello from hello"


def test_a_disabled_plugin_contributes_nothing(app, client, login_as, estates):
    login_as("manager", estates=[estates[0]])
    assert "Notices" in client.get("/").get_data(as_text=True)
    disable("notices")
    page = client.get("/").get_data(as_text=True)
    assert "Notices" not in page and 'data-widget="notices-current"' not in page
    assert client.get("/notices/").status_code == 404
    pm = app.extensions["propdesk_plugins"]
    assert all(i.plugin_name != "notices" for i in pm.implementations("nav_items"))
    from core.permissions import has_permission

    assert not has_permission("notices.view")


def test_disabling_keeps_data_and_enabling_brings_it_back(app, db, estates, make_user):
    from datetime import date

    from plugins.notices import services
    from plugins.notices.models import Notice

    user = make_user("manager", [estates[0]])
    services.save_draft(user, None, estate_id=estates[0].id, title="Lift maintenance", body="Lift 2 stops",
                        category="maintenance", buildings="", posted_from=date(2026, 1, 5), posted_until=None)
    db.session.commit()
    disable("notices")
    assert "notices_notice" in sa_inspect(db.engine).get_table_names()
    enable("notices")
    assert db.session.query(Notice).one().title == "Lift maintenance"


def test_disabling_is_refused_while_an_enabled_plugin_depends_on_it(make_app, temp_plugin):
    from core.errors import DomainError

    base = temp_plugin("basep", manifest("basep"))
    top = temp_plugin("topp", manifest("topp", depends=["basep"]))
    app = make_app(plugins=[], extra=dict([base, top]))
    with app.app_context():
        from core.site import refresh

        refresh(force=True)
        with pytest.raises(DomainError, match="topp depend on it"):
            disable("basep")
        disable("topp")
        disable("basep")
        refresh(force=True)
        assert app.extensions["propdesk_plugins"].enabled == set()
        changed = enable("topp")
        assert changed == ["basep", "topp"]


def test_a_bridge_plugin_is_enabled_automatically_with_its_dependencies(make_app, temp_plugin):
    one = temp_plugin("one", manifest("one"))
    two = temp_plugin("two", manifest("two"))
    bridge = temp_plugin("onetwo", manifest("onetwo", depends=["one", "two"], auto_enable=True))
    app = make_app(plugins=[], extra=dict([one, two, bridge]))
    with app.app_context():
        from core.site import refresh

        refresh(force=True)
        assert "onetwo" in app.extensions["propdesk_plugins"].enabled
        disable("onetwo")
        disable("two")
        refresh(force=True)
        assert "onetwo" not in app.extensions["propdesk_plugins"].enabled


def test_enabling_runs_only_that_plugins_branch(make_app, temp_plugin, tmp_path):
    """A fresh database: enabling one plugin creates its tables and nobody else's."""
    migration = '''
    import sqlalchemy as sa
    from alembic import op
    revision = "{code}_0001"
    down_revision = None
    branch_labels = ("{code}",)
    depends_on = ("core_0001",)
    def upgrade():
        op.create_table("{code}_thing", sa.Column("id", sa.Integer, primary_key=True))
    def downgrade():
        op.drop_table("{code}_thing")
    '''
    plugs = {}
    for code in ("alpha", "beta"):
        c, p = temp_plugin(code, manifest(code, default_enabled=False),
                           files={"migrations/versions/0001.py": migration.format(code=code)})
        plugs[c] = p
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = make_app(plugins=[], extra=plugs, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        from core.extensions import db
        from core.site import refresh, upgrade_site

        upgrade_site()
        tables = set(sa_inspect(db.engine).get_table_names())
        assert "core_unit" in tables and "alpha_thing" not in tables and "beta_thing" not in tables
        enable("alpha")
        tables = set(sa_inspect(db.engine).get_table_names())
        assert "alpha_thing" in tables and "beta_thing" not in tables
        refresh(force=True)
        assert app.extensions["propdesk_plugins"].enabled == {"alpha"}


def test_an_enabled_plugin_whose_migrations_are_missing_is_switched_off(make_app, temp_plugin):
    migration = '''
    revision = "late_0001"
    down_revision = None
    branch_labels = ("late",)
    depends_on = ("core_0001",)
    def upgrade():
        pass
    def downgrade():
        pass
    '''
    code, package = temp_plugin("late", manifest("late"), files={"migrations/versions/0001.py": migration})
    app = make_app(plugins=[], extra={code: package})
    with app.app_context():
        from core.site import refresh

        refresh(force=True)
        pm = app.extensions["propdesk_plugins"]
        assert "late" not in pm.enabled
        assert pm.state_reasons["late"] == "migrations not applied"


def test_event_hooks_reach_only_enabled_plugins_and_optionalhook_tolerates_absence(make_app, temp_plugin):
    listener = temp_plugin("listener", manifest("listener"), """
        from core import hookimpl
        SEEN = []

        @hookimpl(optionalhook=True)
        def notices_published(notice):
            SEEN.append(notice)

        @hookimpl(optionalhook=True)
        def somebody_elses_hook(thing):
            raise AssertionError("never called: no such plugin")
    """)
    app = make_app(plugins=["notices"], extra=dict([listener]))
    with app.app_context():
        from core.plugins import hook
        from core.site import refresh

        refresh(force=True)
        module = app.extensions["propdesk_plugins"].infos["listener"].module
        hook("notices_published")(notice="N1")
        assert module.SEEN == ["N1"]
        disable("listener")
        hook("notices_published")(notice="N2")
        assert module.SEEN == ["N1"]


def test_plugins_cli_lists_enables_and_disables(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["plugins", "list"]).output
    assert "notices" in out and "enabled" in out
    result = runner.invoke(args=["plugins", "disable", "notices"])
    assert "disabled: notices (data kept)" in result.output
    assert "disabled" in runner.invoke(args=["plugins", "list"]).output
    assert "enabled: notices" in runner.invoke(args=["plugins", "enable", "notices"]).output
    bad = runner.invoke(args=["plugins", "enable", "nosuch"])
    assert bad.exit_code != 0 and "There is no module called nosuch" in bad.output


def test_admin_page_lists_plugins_and_switches_them(app, client, login_as, estates, make_app, temp_plugin):
    login_as("admin", all_estates=True)
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert 'data-plugin="notices" data-state="enabled"' in page
    resp = client.post("/admin/plugins/notices/disable", follow_redirects=True)
    assert 'data-plugin="notices" data-state="disabled"' in resp.get_data(as_text=True)
    assert "Its data is kept" in resp.get_data(as_text=True)
    resp = client.post("/admin/plugins/notices/enable", follow_redirects=True)
    assert 'data-plugin="notices" data-state="enabled"' in resp.get_data(as_text=True)


def test_only_plugin_admins_may_switch_plugins(app, client, login_as, estates):
    login_as("manager", estates=[estates[0]])
    assert client.get("/admin/plugins").status_code == 403
    assert client.post("/admin/plugins/notices/disable").status_code == 403
    assert "notices" in app.extensions["propdesk_plugins"].enabled


def test_purge_is_refused_for_enabled_or_non_purgeable_plugins(make_app, temp_plugin):
    keep = temp_plugin("ledger", manifest("ledger", purgeable=False))
    app = make_app(plugins=["notices"], extra=dict([keep]))
    with app.app_context():
        runner = app.test_cli_runner()
        out = runner.invoke(args=["plugins", "purge", "ledger", "--yes"]).output
        assert "must never be deleted" in out
        out = runner.invoke(args=["plugins", "purge", "notices", "--yes"]).output
        assert "disable notices first" in out
