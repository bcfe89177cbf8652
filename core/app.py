"""The application factory."""

from __future__ import annotations

import logging
import os

import flask_babel
from flask import Flask, g, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import audit
from core.config import ROOT, default_config
from core.extensions import babel, csrf, db, login_manager, migrate
from core.plugins import PluginManager

log = logging.getLogger(__name__)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a background request (htmx: a caller lookup
    fired as the form is sent, a badge refresh) writes the cookie back only when it changed the
    session itself. Its copy of the cookie may be older than the one the page's own request has
    just set — the flash saying what was saved, a login, an estate chosen — and whichever response
    arrives last wins the browser's cookie. Page loads still refresh the session's expiry."""

    def should_set_cookie(self, app, session) -> bool:
        if request.headers.get("HX-Request") and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "propdesk",
        root_path=str(ROOT),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("PROPDESK_INSTANCE", str(ROOT / "instance")),
    )
    # Bad input is refused before any view sees it (core/inputs.py): integers in URLs
    # and ``request.args.get(type=int)`` stay within a 32-bit column's range.
    from core.inputs import BoundedIntConverter, PropdeskRequest

    app.request_class = PropdeskRequest
    from core.routing import LazyRule

    app.url_rule_class = LazyRule  # URL builders compiled on first url_for, not at start-up
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(default_config())
    if config:
        app.config.update(config)

    import core.db  # noqa: F401  (engine events)

    app.session_interface = SessionInterface()
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)

    from core import i18n

    # Plugins first: their translation folders join the core's.
    pm = PluginManager(allow=app.config.get("PROPDESK_PLUGINS"),
                       extra=app.config.get("PROPDESK_EXTRA_PLUGINS"))
    app.extensions["propdesk_plugins"] = pm
    pm.load()
    import core.hooks as core_hooks

    pm.register_core(core_hooks)

    from core.i18n import catalog_errors

    for code in list(pm.order):
        tdir = pm.infos[code].path / "translations"
        broken = catalog_errors(tdir) if code in pm.order and tdir.is_dir() else None
        if broken:
            log.error("translations of plugin %s cannot be read: %s", code, broken)
            pm.unload(code, f"translations failed: {broken}")
    dirs = [str(ROOT / "translations")]
    for code in pm.order:
        tdir = pm.infos[code].path / "translations"
        if tdir.is_dir():
            dirs.append(str(tdir))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    with app.app_context():
        babel.domain_instance.get_translations = _request_translations

    from core.site import MIGRATIONS_DIR

    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)

    if _version_locations not in migrate.configure_callbacks:
        migrate.configure(_version_locations)

    from core.site import check_migrations

    check_migrations(app)

    audit.install(Session)
    from core import revisions

    revisions.install(Session)  # the change counters the shell's and dashboard's caches read

    _register_blueprints(app, pm)
    _register_request_hooks(app, pm)
    _register_errors(app)
    _register_template_helpers(app)

    from core import cli

    cli.register(app, pm)

    # app_ready runs for every loaded plugin at start-up, enabled or not:
    # template filters and signals cannot be removed later.
    with app.app_context():
        for impl in pm.pm.hook.app_ready.get_hookimpls():
            try:
                impl.function(**({"app": app} if "app" in impl.argnames else {}))
            except Exception:
                log.exception("app_ready of %s failed", impl.plugin_name)
    pm.check_all_models()
    # Only the catalogs of plugins still loaded (one may have been taken out since).
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        [dirs[0]] + [d for d in dirs[1:] if any(d == str(pm.infos[c].path / "translations") for c in pm.order)])
    return app


def freeze_startup_objects() -> None:
    """Call once the serving process has built its app (``wsgi.py`` does).

    What start-up built (modules, the app, mappers, compiled templates, catalogs) lives
    as long as the process; ``gc.freeze`` moves it out of the cycle collector's
    generations, so the collections a request triggers walk that request's objects only
    instead of the whole heap (about 1 ms less per page, measured in ``bench/``).
    Reference counting still frees everything as usual."""
    import gc

    gc.collect()
    gc.freeze()


def _request_translations():
    """``core.i18n.get_translations``, kept in ``g`` for as long as the locale object
    Flask-Babel caches for the context stays the same (a page asks for it once per
    translated string; ``flask_babel.refresh()`` and ``force_locale`` change the object)."""
    from flask import has_app_context

    from core import i18n

    if not has_app_context():
        return i18n.get_translations()
    loc = flask_babel.get_locale()
    hit = g.get("_propdesk_translations")
    if hit is not None and hit[0] is loc and loc is not None:
        return hit[1]
    translations = i18n.get_translations()
    g._propdesk_translations = (loc, translations)
    return translations


def _version_locations(cfg):
    """Alembic sees the core's versions folder plus each discovered plugin's."""
    from flask import current_app

    from core.site import version_locations

    paths = os.pathsep.join(version_locations(current_app._get_current_object()))
    cfg.set_main_option("version_locations", paths.replace("%", "%%"))
    return cfg


def _register_blueprints(app: Flask, pm: PluginManager) -> None:
    from core.attachments import bp as attachments_bp
    from core.views import admin, auth, estates, main, residents, settings

    for bp in (auth.bp, main.bp, estates.bp, residents.bp, admin.bp, settings.bp, attachments_bp):
        app.register_blueprint(bp)
    from core.plugin_templates import template_errors

    for code in list(pm.order):
        if code not in pm.order:  # taken out with a dependency that failed
            continue
        impls = [i for i in pm.pm.hook.blueprints.get_hookimpls() if i.plugin_name == code]
        for impl in impls:
            # Everything is checked before anything is registered: Flask cannot take a
            # blueprint back, and a plugin that fails must leave no route behind.
            try:
                bps = list(impl.function() or [])
                from flask import Blueprint

                for bp in bps:
                    if not isinstance(bp, Blueprint):
                        raise TypeError(f"blueprints() returned {type(bp).__name__}, not a Blueprint")
            except Exception as exc:
                log.exception("blueprints of plugin %s failed", code)
                pm.unload(code, f"blueprints failed: {type(exc).__name__}: {exc}")
                continue
            if not pm.check_models(code):  # its blueprints() imported models that do not configure
                continue
            broken = template_errors(app, bps)
            if broken:
                log.error("templates of plugin %s do not compile: %s", code, broken)
                pm.unload(code, f"templates failed: {broken}")
                continue
            for bp in bps:
                prefix = bp.url_prefix or f"/{code}"
                app.register_blueprint(bp, url_prefix=prefix)
                pm.infos[code].blueprint_names.append(bp.name)
    # Every plugin's blueprints, loaded or not: one taken out later (its models failed at
    # the end of start-up) answers 404 like a disabled one.
    pm.blueprint_owner = {
        name: code for code, info in pm.infos.items() for name in info.blueprint_names
    }


PUBLIC_ENDPOINTS = {"static", "auth.login", "main.health", "auth.set_language"}


def _register_request_hooks(app: Flask, pm: PluginManager) -> None:
    from core import plugin_models
    from core.inputs import refuse_nul
    from core.plugins import reset_request_cache
    from core.site import refresh_if_changed

    app.before_request(refuse_nul)

    @app.before_request
    def _site_state():
        # Each request loads its user afresh — even when a test keeps one app
        # context (and so one ``g``) pushed across requests.
        g.pop("_login_user", None)
        flask_babel.refresh()  # likewise the cached locale and time zone
        reset_request_cache()
        if plugin_models.pending():
            # A plugin imported models during a request (inside a view) and they did not
            # configure: take that plugin out before they stop every query of the site.
            pm.check_all_models()
        refresh_if_changed()
        owner = pm.blueprint_owner.get(request.blueprint or "")
        if owner and not pm.is_active(owner):
            from flask import abort

            abort(404)
        if request.endpoint and request.endpoint.endswith(".static"):
            return None
        if request.endpoint not in PUBLIC_ENDPOINTS and request.endpoint is not None:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
        if not session.permanent:  # setting it marks the session changed, on every request
            session.permanent = True
        return None

    from flask import got_request_exception

    def _models_broke(sender, exception, **extra):
        # Before the error page renders: it queries too (the menu), and would fail the same way.
        if sender is app and plugin_models.pending():
            pm.check_all_models()

    app.extensions["propdesk_models_broke"] = _models_broke  # the signal holds it weakly
    got_request_exception.connect(_models_broke, app)

    from core.forms import answer_refused_forms

    answer_refused_forms(app)  # a POST whose form was refused answers 422, everywhere

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; font-src 'self'; frame-ancestors 'self'; form-action 'self'",
        )
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    from sqlalchemy import bindparam, select
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm import lazyload

    from core import revisions
    from core.models import RolePermission, User
    from core.models.auth import user_role

    # The user's row only: roles, estates and department are loaded when something
    # reads them. The shell needs the permission codes (one query, below) and the
    # estates (one query in ``core.security.user_estates``).
    user_options = [lazyload(User.roles), lazyload(User.estates), lazyload(User.department)]
    # What ``User.permission_codes`` computes from the roles and their grants.
    permission_codes = (
        select(RolePermission.code)
        .join(user_role, user_role.c.role_id == RolePermission.role_id)
        .where(user_role.c.user_id == bindparam("uid"))
    )

    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import set_committed_value

    user_columns = [attr.key for attr in User.__mapper__.column_attrs]

    def _user_row(uid: int):
        """The user's row as of this request's counters: read from the database when users,
        roles or grants changed since it was last read (``core.revisions``, ``access``) or
        this session holds such changes, else rebuilt from the values kept then — no query.
        A user disabled, signed out everywhere or renamed moves the counter in the same
        commit, so the next request reads the row again: nothing of it is ever stale."""
        user = db.session.identity_map.get(sa_inspect(User).identity_key_from_primary_key((uid,)))
        if user is not None:  # this session has it already (a test keeping one session)
            return user
        version = revisions.current().get(revisions.ACCESS)
        unsettled = revisions.unsettled(revisions.ACCESS)
        row = None if unsettled else revisions.kept("user_rows", uid, version)
        if row is None:
            user = db.session.get(User, uid, options=user_options)
            if user is not None and not unsettled:
                state = sa_inspect(user)
                revisions.keep("user_rows", uid, version, (tuple(getattr(user, k) for k in user_columns),
                                                          state.load_options, state.load_path))
            return user
        values, load_options, load_path = row
        user = User.__mapper__.class_manager.new_instance()
        for key, value in zip(user_columns, values, strict=True):
            set_committed_value(user, key, value)
        make_transient_to_detached(user)  # persistent once added: no INSERT, no SELECT
        # As ``get`` leaves them: a rollback (an error page) expires the user, and its
        # reload then keeps roles, estates and department lazy, as on a loaded user.
        state = sa_inspect(user)
        state.load_options, state.load_path = load_options, load_path
        db.session.add(user)
        return user

    @login_manager.user_loader
    def _load_user(ident: str):
        try:
            uid, version = (int(x) for x in ident.split(":", 1))
        except ValueError:
            return None
        user = _user_row(uid)
        if user is None or user.session_version != version or not user.active:
            return None
        if "roles" not in sa_inspect(user).dict:
            # Kept across requests until users, roles or grants change (core/revisions.py);
            # set on every request, also on a user object a session keeps across requests.
            version = revisions.current().get(revisions.ACCESS)
            unsettled = revisions.unsettled(revisions.ACCESS)
            codes = None if unsettled else revisions.kept("permissions", uid, version)
            if codes is None:
                codes = frozenset(db.session.scalars(permission_codes, {"uid": uid}))
                if not unsettled:
                    revisions.keep("permissions", uid, version, codes)
            user._perm_cache = codes
        else:  # the roles are loaded in this session: the codes from them, afresh
            user._perm_cache = None
        return user


def _register_errors(app: Flask) -> None:
    from sqlalchemy.exc import DataError, ProgrammingError

    from core.errors import DomainError

    @app.errorhandler(OperationalError)
    def _db_down(exc):
        log.error("database error: %s", exc)
        return error_page(503, exc, database_usable=False)

    @app.errorhandler(ProgrammingError)
    def _schema_behind(exc):
        # PostgreSQL: a table or column the code expects is missing — the database was not
        # upgraded (``flask upgrade``) after an install or update. Like SQLite's "no such
        # table" (an OperationalError), the site is unavailable rather than broken.
        if getattr(exc.orig, "sqlstate", None) in ("42P01", "42703"):
            log.error("the database schema is behind the code (run `flask upgrade`): %s", exc)
            return error_page(503, exc, database_usable=False)
        return error_page(500, exc)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _bad_value(exc):
        # A value the database refuses (PostgreSQL: a number beyond its column, text it
        # cannot store; SQLite: an integer beyond 64 bits) that slipped past the input
        # checks (core/inputs.py), e.g. a filter's select compared with an id column:
        # the request's fault, so a 400 page rather than a 500.
        log.warning("value refused on %s: %s", request.path, exc, exc_info=True)
        return error_page(400, None)

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, lambda e, c=code: error_page(c, e))

    @app.errorhandler(DomainError)
    def _domain(exc):
        return error_page(400, exc)


def error_page(code: int, error=None, database_usable: bool = True):
    """The error page of ``code``, which never fails itself.

    The request's transaction is rolled back first (on PostgreSQL a failed statement
    leaves it unusable, and nothing of a failed request is kept). When the database
    is not usable — it is down, or the rollback or the full page fails — the page is
    rendered in the minimal shell: the visitor treated as anonymous (so neither the
    user, the menu nor the estates are loaded) and the locale from the session or
    the browser. Last resort: plain text."""
    template = f"errors/{code}.html"
    try:
        db.session.rollback()
    except Exception:  # the connection itself is gone
        log.warning("rollback before the %s page failed", code, exc_info=True)
        database_usable = False
    if database_usable:
        try:
            return render_template(template, error=error), code
        except Exception:
            log.exception("the %s page failed; sending the minimal one", code)
            try:
                db.session.rollback()
            except Exception:
                pass
    from core.plugins import request_cache

    g._login_user = login_manager.anonymous_user()
    g.propdesk_minimal_shell = True
    request_cache().pop("shell", None)
    flask_babel.refresh()
    try:
        return render_template(template, error=error), code
    except Exception:
        log.exception("the minimal %s page failed", code)
        return _plain_error(code)


def _plain_error(code: int):
    from flask import Response

    return Response(f"PropDesk: error {code}\n", status=code, mimetype="text/plain")


def _register_template_helpers(app: Flask) -> None:
    from core import i18n, ui
    from core.listing import export_url
    from core.permissions import has_permission

    app.jinja_env.filters.update(
        datetime=i18n.fmt_datetime,
        date=i18n.fmt_date,
        list_date=i18n.list_date,
        money=i18n.fmt_money,
        number=i18n.fmt_number,
        mask_phone=i18n.mask_phone,
        mask_id=i18n.mask_id,
        badge=ui.badge,
    )

    @app.context_processor
    def _shell():
        from core.shell import shell_context

        return shell_context()

    from flask_babel import get_locale

    app.jinja_env.globals.update(can=has_permission, section_title=ui.section_title,
                                 languages=i18n.LANGUAGE_NAMES, get_locale=get_locale,
                                 current_locale=i18n.select_locale, export_url=export_url,
                                 satisfaction_scale=ui.satisfaction_scale)
