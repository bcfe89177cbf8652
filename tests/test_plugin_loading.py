"""A broken plugin is skipped at every stage of loading, with its reason on the Modules
page and in ``flask plugins list``; the rest of the site serves and every command works."""

import pytest

from core.testing import TEST_PASSWORD

HELLO_VIEW = """
from flask import Blueprint
from core import hookimpl

bp = Blueprint("{code}", __name__, template_folder="templates")

@bp.route("/")
def index():
    return "hello from {code}"

@hookimpl
def blueprints():
    {body}
    return [bp]
"""

#: A model with a relationship to a class that does not exist, and a backref onto a core model.
BROKEN_MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from core.extensions import db

class BrokenThing(db.Model):
    __tablename__ = "{code}_thing"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    unit = relationship("Unit", backref="{code}_things")
    ghost = relationship("NoSuchClass")
"""


def manifest(code, **kw):
    return {"code": code, "name": code.title(), "version": "1.0.0", **kw}


def _broken_models_in_blueprints(temp_plugin, code):
    # models in a module that is not ``models``: imported only by blueprints()
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="from . import things  # noqa"),
                       files={"things.py": BROKEN_MODELS.format(code=code)})


def _broken_models_module(temp_plugin, code):
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="pass"),
                       files={"models.py": BROKEN_MODELS.format(code=code)})


def _broken_hookspecs(temp_plugin, code):
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="pass"),
                       files={"hookspecs.py": "from core import hookspec\n\n@hookspec\ndef x(:\n    pass\n"})


def _blueprints_raise(temp_plugin, code):
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="raise LookupError('no views')"))


def _blueprints_wrong_type(temp_plugin, code):
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="return ['not a blueprint']"))


def _broken_migration(temp_plugin, code):
    migration = f"""
    revision = "{code}_0001"
    down_revision = "{code}_0000_missing"
    branch_labels = ("{code}",)
    depends_on = None
    def upgrade():
        pass
    """
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="pass"),
                       files={"migrations/versions/0001.py": migration})


def _broken_template(temp_plugin, code):
    return temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="pass"),
                       files={f"templates/{code}/page.html": "{% if x %}never closed\n"})


def _broken_translations(temp_plugin, code):
    code, package = temp_plugin(code, manifest(code), HELLO_VIEW.format(code=code, body="pass"))
    import sys

    root = next(p for p in sys.path if p.endswith("temp_plugins"))
    from pathlib import Path

    mo = Path(root) / package / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    mo.write_bytes(b"\xde\x12\x04\x95 this is not a catalog")
    return code, package


STAGES = {
    "models in blueprints()": (_broken_models_in_blueprints, "models failed: InvalidRequestError"),
    "models module": (_broken_models_module, "models failed: InvalidRequestError"),
    "hookspecs": (_broken_hookspecs, "failed to import: SyntaxError"),
    "blueprints raise": (_blueprints_raise, "blueprints failed: LookupError: no views"),
    "blueprints wrong type": (_blueprints_wrong_type, "blueprints failed: TypeError"),
    "migrations": (_broken_migration, "migrations failed:"),
    "templates": (_broken_template, "templates failed: "),
    "translations": (_broken_translations, "translations failed: "),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_plugin_broken_at_any_stage_is_skipped_and_the_site_serves(stage, make_app, temp_plugin, make_user,
                                                                    estates):
    make_broken, reason = STAGES[stage]
    code = "brk" + "".join(w[:3] for w in stage.split()).strip("()")
    broken = make_broken(temp_plugin, code)
    dependent = temp_plugin(f"{code}dep", manifest(f"{code}dep", depends=[code]))
    app = make_app(plugins=["notices", "repairs"], extra=dict([broken, dependent]))
    pm = app.extensions["propdesk_plugins"]
    assert reason in (pm.infos[code].skip_reason or ""), pm.infos[code].skip_reason
    assert not pm.infos[f"{code}dep"].loaded and "dependency" in pm.infos[f"{code}dep"].skip_reason
    assert pm.infos["notices"].loaded and pm.infos["repairs"].loaded

    with app.app_context():
        make_user("admin", username="boss", all_estates=True)
    c = app.test_client()
    c.post("/login", data={"username": "boss", "password": TEST_PASSWORD})
    # the site serves: the other plugins' pages query their models
    assert 'data-widget="notices-current"' in c.get("/").get_data(as_text=True)
    assert c.get("/repairs/").status_code == 200
    page = c.get("/admin/plugins").get_data(as_text=True)
    assert f'data-plugin="{code}" data-state="skipped"' in page
    assert reason.split(":")[0] in page
    # the broken plugin leaves no route behind
    assert c.get(f"/{code}/").status_code == 404

    runner = app.test_cli_runner()
    with app.app_context():  # the ``app`` fixture's context is pushed too
        listed = runner.invoke(args=["plugins", "list"])
        jobs = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    line = next((x for x in listed.output.splitlines() if x.startswith(code + " ")), listed.output)
    assert "skipped" in line and reason.split(":")[0] in line
    assert jobs.exit_code == 0 and "core.purge_login_attempts" in jobs.output


def test_broken_models_leave_no_trace_in_the_other_models(make_app, temp_plugin):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Unit

    broken = _broken_models_module(temp_plugin, "brkorm")
    app = make_app(plugins=["repairs"], extra=dict([broken]))
    with app.app_context():
        assert "brkorm_thing" not in db.metadata.tables
        assert not hasattr(Unit, "brkorm_things")  # the backref onto the core's model is gone
        assert "BrokenThing" not in db.Model.registry._class_registry
        db.session.execute(select(Unit).limit(1)).all()  # the mappers configure
        from core.testing import make_estate

        estate = make_estate("E09", "After the broken plugin")  # units and residents flush
        db.session.commit()
        assert db.session.scalar(select(Unit.number).where(Unit.estate_id == estate.id).limit(1))


def test_a_later_plugin_may_reuse_a_class_name_of_a_disposed_one(make_app, temp_plugin):
    broken = _broken_models_module(temp_plugin, "brkfirst")
    good = temp_plugin("goodsecond", manifest("goodsecond"), files={"models.py": """
        from sqlalchemy.orm import Mapped, mapped_column, relationship
        import sqlalchemy as sa
        from core.extensions import db

        class BrokenThing(db.Model):
            __tablename__ = "goodsecond_thing"
            id: Mapped[int] = mapped_column(primary_key=True)

        class Other(db.Model):
            __tablename__ = "goodsecond_other"
            id: Mapped[int] = mapped_column(primary_key=True)
            thing_id: Mapped[int] = mapped_column(sa.ForeignKey("goodsecond_thing.id"))
            thing = relationship("BrokenThing")
    """})
    app = make_app(plugins=[], extra=dict([broken, good]))
    pm = app.extensions["propdesk_plugins"]
    assert pm.infos["goodsecond"].loaded, pm.infos["goodsecond"].skip_reason
    assert not pm.infos["brkfirst"].loaded


def test_commands_on_a_database_not_yet_upgraded_say_so_without_a_traceback(make_app, tmp_path):
    app = make_app(plugins=["notices"], SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    runner = app.test_cli_runner()  # no context pushed: each command pushes its own, as `flask` does
    for args in (["plugins", "list"], ["plugins", "enable", "notices"], ["jobs", "list"], ["jobs", "run"],
                 ["roles", "list"], ["demo", "load"], ["users", "create", "boss", "--password", "x"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "run `flask --app wsgi upgrade` first" in result.output, (args, result.output)
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    with app.app_context():  # `flask` (FlaskGroup) pushes one for a plain command; the test runner does not
        assert runner.invoke(args=["upgrade"]).exit_code == 0
    listed = runner.invoke(args=["plugins", "list"])
    assert listed.exit_code == 0 and "notices" in listed.output and "enabled" in listed.output
    with app.app_context():
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_a_plugin_whose_tables_have_no_migration_is_not_enabled(make_app, temp_plugin, make_user, estates):
    from core.errors import DomainError
    from core.site import enable, refresh

    tables = temp_plugin("nomig", manifest("nomig"), HELLO_VIEW.format(code="nomig", body="pass"),
                         files={"models.py": """
        from sqlalchemy.orm import Mapped, mapped_column
        from core.extensions import db

        class Locker(db.Model):
            __tablename__ = "nomig_locker"
            id: Mapped[int] = mapped_column(primary_key=True)
    """})
    plain = temp_plugin("notables", manifest("notables"), HELLO_VIEW.format(code="notables", body="pass"))
    app = make_app(plugins=["notices"], extra=dict([tables, plain]))
    make_user("admin", username="boss", all_estates=True)
    with app.app_context():
        refresh(force=True)
        pm = app.extensions["propdesk_plugins"]
        assert "notables" in pm.enabled  # no tables: no migration needed, usable
        assert "nomig" not in pm.enabled
        assert str(pm.state_reasons["nomig"]) == "no migration creates its tables (nomig_locker)"
        with pytest.raises(DomainError) as refused:
            enable("nomig")
        assert "no migration creates its tables (nomig_locker)" in str(refused.value.message)
        listed = app.test_cli_runner().invoke(args=["plugins", "list"]).output
        assert any(x.startswith("nomig ") and "disabled" in x and "nomig_locker" in x for x in listed.splitlines())
    c = app.test_client()
    c.post("/login", data={"username": "boss", "password": TEST_PASSWORD})
    page = c.get("/admin/plugins").get_data(as_text=True)
    assert 'data-plugin="nomig" data-state="disabled"' in page and "no migration creates its tables" in page
    assert 'data-plugin="notables" data-state="enabled"' in page
    assert c.get("/nomig/").status_code == 404 and c.get("/notables/").get_data(as_text=True) == "hello from notables"


def test_models_first_imported_by_a_request_take_out_only_their_plugin(make_app, temp_plugin, make_user, estates):
    lazy = temp_plugin("lazyorm", manifest("lazyorm"), """
        from flask import Blueprint
        from core import hookimpl

        bp = Blueprint("lazyorm", __name__)

        @bp.route("/")
        def index():
            from . import things  # imported on the first visit only
            from core.extensions import db
            return str(db.session.query(things.BrokenThing).count())

        @hookimpl
        def blueprints():
            return [bp]
    """, files={"things.py": BROKEN_MODELS.format(code="lazyorm")})
    app = make_app(plugins=["notices"], extra=dict([lazy]), PROPAGATE_EXCEPTIONS=False)
    make_user("admin", username="boss", all_estates=True)
    c = app.test_client()
    c.post("/login", data={"username": "boss", "password": TEST_PASSWORD})
    assert c.get("/lazyorm/").status_code == 500  # that request fails...
    assert 'data-widget="notices-current"' in c.get("/").get_data(as_text=True)  # ...the next ones serve
    page = c.get("/admin/plugins").get_data(as_text=True)
    assert 'data-plugin="lazyorm" data-state="skipped"' in page and "models failed" in page
    assert c.get("/lazyorm/").status_code == 404
