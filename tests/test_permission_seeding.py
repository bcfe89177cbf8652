"""A plugin enabled on an existing site: the administrator gets its permissions, the standard
roles its defaults — once, never over the site's own edits; and a CLI to grant by hand."""

from sqlalchemy import select

from core.testing import TEST_PASSWORD

PLUGIN = """
from flask import Blueprint
from core import hookimpl
from core.permissions import Permission, require

bp = Blueprint("{code}", __name__)

@bp.route("/")
@require("{code}.view")
def index():
    return "the {code} desk"

@hookimpl
def permissions():
    return [Permission("{code}.view", "See it", ("clerk", "manager")),
            Permission("{code}.edit", "Change it", ("manager",))]

@hookimpl
def blueprints():
    return [bp]
"""


def _codes(role_code):
    from core.extensions import db
    from core.models import Role

    db.session.expire_all()
    return db.session.scalar(select(Role).where(Role.code == role_code)).permission_codes


def _new_site(make_app, temp_plugin, code="lockers", **manifest):
    """The ``app`` fixture made the roles without this plugin: it arrives on an existing site."""
    plugin = temp_plugin(code, {"code": code, "name": code.title(), "version": "1", **manifest},
                         PLUGIN.format(code=code))
    return make_app(plugins=["notices"], extra=dict([plugin]))


def test_enabling_a_new_plugin_gives_the_administrator_its_permissions(app, make_app, temp_plugin, make_user,
                                                                       estates):
    from core.extensions import db
    from core.models import Role

    manager = db.session.scalar(select(Role).where(Role.code == "manager"))
    manager.set_permissions(manager.permission_codes - {"core.export"})  # the site's own edit
    db.session.commit()
    site = _new_site(make_app, temp_plugin, default_enabled=False)
    boss = make_user("admin", username="boss", all_estates=True)
    client = site.test_client()
    client.post("/login", data={"username": boss.username, "password": TEST_PASSWORD})
    with site.app_context():
        assert "lockers.view" not in _codes("admin")
        page = client.post("/admin/plugins/lockers/enable", follow_redirects=True).get_data(as_text=True)
        assert 'data-plugin="lockers" data-state="enabled"' in page
        assert {"lockers.view", "lockers.edit"} <= _codes("admin")
        assert {"lockers.view", "lockers.edit"} <= _codes("manager")
        assert "lockers.view" in _codes("clerk") and "lockers.edit" not in _codes("clerk")
        assert not {"lockers.view", "lockers.edit"} & _codes("cashier")
        assert "core.export" not in _codes("manager")  # the site's edit stands
    assert client.get("/lockers/").get_data(as_text=True) == "the lockers desk"  # no 403


def test_a_permission_the_site_took_away_is_not_given_back(app, make_app, temp_plugin):
    from core.extensions import db
    from core.models import Role
    from core.site import disable, enable, upgrade_site

    site = _new_site(make_app, temp_plugin, default_enabled=False)
    with site.app_context():
        enable("lockers")
        clerk = db.session.scalar(select(Role).where(Role.code == "clerk"))
        clerk.set_permissions(clerk.permission_codes - {"lockers.view"})
        db.session.commit()
        disable("lockers")
        enable("lockers")
        upgrade_site()
        assert "lockers.view" not in _codes("clerk")
        assert "lockers.view" in _codes("admin")


def test_flask_upgrade_seeds_a_default_enabled_plugin_installed_later(app, make_app, temp_plugin):
    from core.extensions import db
    from core.role_grants import ensure_record
    from core.site import refresh, upgrade_site

    ensure_record()  # the site runs this version already (it keeps the record of codes seen)
    db.session.commit()
    site = _new_site(make_app, temp_plugin, code="bikes")  # on at once: no migrations
    with site.app_context():
        refresh(force=True)
        assert "bikes" in site.extensions["propdesk_plugins"].enabled
        assert "bikes.view" not in _codes("admin")
        upgrade_site()
        assert {"bikes.view", "bikes.edit"} <= _codes("admin")
        assert "bikes.edit" in _codes("manager") and "bikes.edit" not in _codes("clerk")


def test_the_cli_grants_permissions_and_plugin_defaults(app, make_app, temp_plugin):
    from core.extensions import db
    from core.models import Role

    site = _new_site(make_app, temp_plugin)
    runner = site.test_cli_runner()
    with site.app_context():
        out = runner.invoke(args=["roles", "grant", "cashier", "lockers.*"])
        assert out.exit_code == 0 and "cashier: granted lockers.edit, lockers.view" in out.output
        assert {"lockers.view", "lockers.edit"} <= _codes("cashier")
        bad = runner.invoke(args=["roles", "grant", "cashier", "lockers.fly", "core.export"])
        assert bad.exit_code != 0 and "unknown permission: lockers.fly; nothing granted" in bad.output
        assert "core.export" not in _codes("cashier")
        assert runner.invoke(args=["roles", "grant", "nobody", "lockers.view"]).exit_code != 0

        clerk = db.session.scalar(select(Role).where(Role.code == "clerk"))
        clerk.set_permissions(clerk.permission_codes - {"lockers.view"})
        db.session.commit()
        out = runner.invoke(args=["plugins", "grant-defaults", "lockers"])
        assert out.exit_code == 0 and "admin: granted lockers.edit, lockers.view" in out.output
        assert "lockers.view" in _codes("clerk") and "lockers.edit" not in _codes("clerk")
        listed = runner.invoke(args=["roles", "list"]).output
        assert any(line.startswith("clerk ") and "lockers.view" in line for line in listed.splitlines())


def test_a_site_from_before_the_record_keeps_what_it_took_from_every_role(app, make_app, temp_plugin):
    from core.extensions import db
    from core.models import Role
    from core.role_grants import seen_codes
    from core.site import enable

    for role in db.session.scalars(select(Role)):  # nobody publishes notices on this site
        role.set_permissions(role.permission_codes - {"notices.publish"})
    db.session.commit()
    site = _new_site(make_app, temp_plugin, default_enabled=False)
    with site.app_context():
        assert seen_codes() is None
        enable("lockers")
        assert "notices.publish" not in _codes("admin") and "notices.publish" not in _codes("manager")
        assert {"notices.publish", "lockers.view"} <= seen_codes()
