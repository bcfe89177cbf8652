"""Pytest fixtures for PropDesk and its plugins (registered as a ``pytest11`` plugin).

Plugin authors get, in any test suite once ``propdesk`` is installed:

``app``            the application with the built-in plugins (or ``@pytest.mark.plugins("a", "b")``)
``make_app``       a factory: ``make_app(plugins=["notices"], extra={"x": "pkg"}, **config)``
``db``             the SQLAlchemy handle, inside an app context
``client``         a Flask test client for ``app``
``estates``        two estates (``E01`` and ``E02``) with a building, units and residents each
``login_as``       ``login_as("clerk", estates=[e1])`` → a logged-in user (``client`` session)
``temp_plugin``    writes a throw-away plugin package and returns its (code, package)
``clock``          the test clock: ``clock.move_to(datetime(...))``, ``clock.shift(timedelta(days=3))``

The whole test session runs on a **shifted clock** (time-machine): it starts at
``PROPDESK_TEST_NOW`` (an ISO date-time with its offset), by default
``DEFAULT_TEST_NOW``, and ticks on from there, so no test depends on the day or
the hour the suite happens to run. CI runs the PostgreSQL pass at New Year just after
midnight in Shanghai and the SQLite suite again on 29 February just after midnight.

The database is real: a SQLite file per test session, or PostgreSQL when
``PROPDESK_TEST_DB=postgres`` and ``PROPDESK_TEST_DATABASE_URL`` are set. It is
migrated once (core + every built-in plugin branch) and emptied after each test. Apps are
kept for the next test that asks for the same one (see ``make_app``).
"""

from __future__ import annotations

import itertools
import os
import sys
import textwrap
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, inspect, text

TEST_PASSWORD = "secret-pass-1"
# An ordinary moment: mid-month, mid-week, office hours in Shanghai (02:00 UTC), after the
# dates the tests' stories are set in.
DEFAULT_TEST_NOW = "2026-11-18T10:00:00+08:00"
_counter = itertools.count(1)


REQUIRE_ALL = os.environ.get("PROPDESK_REQUIRE_ALL") == "1"


def refused(message: str, fn, *args, **kw):
    """Assert that ``fn(*args, **kw)`` refuses with a :class:`~core.errors.DomainError` whose
    message contains ``message``; rolls the session back (nothing half-saved stays) and
    returns the error (its ``field`` can be checked)."""
    import pytest

    from core.errors import DomainError
    from core.extensions import db

    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    db.session.rollback()
    assert message in str(exc.value.message), exc.value.message
    return exc.value


def skip_or_fail(reason: str):
    """Skip a test whose requirement is missing — or fail it when CI demands that everything
    runs (``PROPDESK_REQUIRE_ALL=1``)."""
    if REQUIRE_ALL:
        pytest.fail(f"PROPDESK_REQUIRE_ALL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def test_now():
    """The instant the test session's clock starts at (aware)."""
    from datetime import datetime

    raw = os.environ.get("PROPDESK_TEST_NOW") or DEFAULT_TEST_NOW
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise pytest.UsageError(f"PROPDESK_TEST_NOW={raw!r} is not an ISO date-time") from None
    if when.tzinfo is None:
        raise pytest.UsageError(f"PROPDESK_TEST_NOW={raw!r} needs its UTC offset, e.g. +08:00")
    return when


test_now.__test__ = False  # a helper, not a test

_session_travel = None


def _start_session_clock() -> None:
    """Every test session runs on a clock that starts at :func:`test_now` and ticks.

    Started when pytest is configured, before collection, so module-level values
    (``parametrize`` arguments computed from today) see the same clock as the tests. The
    patch is process-wide (C level), so servers in threads share it. The browser keeps
    the real clock: ``live_server`` stretches cookie lifetimes so Chromium does not
    discard a cookie that expires, by its own clock, in the past.
    """
    global _session_travel
    try:
        import time_machine
    except ImportError:
        raise pytest.UsageError("PropDesk's tests run on a shifted clock: pip install time-machine") from None
    _session_travel = time_machine.travel(test_now(), tick=True)
    _session_travel.start()


@pytest.fixture
def clock():
    """The test clock, to move within a test: ``clock.move_to(datetime)`` jumps (ticking on
    from there), ``clock.shift(timedelta)`` moves by an amount. A travel on top of the
    session's: when the test ends, the session's clock is where it would have been anyway."""
    import time

    import time_machine

    with time_machine.travel(time.time(), tick=True) as traveller:
        yield traveller


def _database_url(tmp_root) -> str:
    if os.environ.get("PROPDESK_TEST_DB") == "postgres":
        url = os.environ.get("PROPDESK_TEST_DATABASE_URL")
        if not url:
            pytest.exit("PROPDESK_TEST_DB=postgres needs PROPDESK_TEST_DATABASE_URL", returncode=2)
        return _worker_database(url)
    return f"sqlite:///{tmp_root / 'propdesk-test.db'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database, ``<name>_<worker>``
    (``propdesk_test_gw0``…), created on the same server when missing; SQLite files already
    live in each worker's own temporary directory."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _reset_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if is_postgres(url):
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def base_config(url: str, instance) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "PROPDESK_INSTANCE": str(instance),
        "PROPDESK_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def propdesk_database(tmp_path_factory):
    """The migrated test database URL (migrated once per test session)."""
    from core import create_app
    from core.site import upgrade_site

    root = tmp_path_factory.mktemp("propdesk")
    url = _database_url(root)
    _reset_schema(url)
    app = create_app(base_config(url, root))
    with app.app_context():
        upgrade_site()
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()
    _empty_tables(url)  # every test starts from the schema alone (roles come from the app fixture)
    return url


def _empty_tables(url: str) -> None:
    if is_postgres(url):
        engine = create_engine(url)
        with engine.begin() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
            if names:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    import sqlite3

    con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    try:
        con.execute("PRAGMA foreign_keys=OFF")  # must be set outside a transaction
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        con.execute("BEGIN IMMEDIATE")
        for n in names:
            if n != "alembic_version":
                con.execute(f'DELETE FROM "{n}"')
        con.execute("COMMIT")
    finally:
        con.close()


# Apps built for earlier tests of this worker, by the plugins and configuration asked for.
# Building one (loading the plugins, compiling ~450 URL rules) costs more than most tests;
# between tests only the data goes (the tables are emptied), so an app that a test left
# as it found it serves the next test that asks for the same one.
_BUILT: dict = {}


def _shape(app) -> tuple:
    """What a test could change in an app that emptying the tables does not undo."""
    pm = app.extensions["propdesk_plugins"]
    return (len(app.url_map._rules), tuple(app.blueprints), tuple(pm.order),
            tuple((c, i.loaded, i.skip_reason) for c, i in sorted(pm.infos.items())),
            len(pm.pm.get_plugins()), tuple(sorted(app.jinja_env.globals)),
            tuple(sorted(app.jinja_env.filters)))


@pytest.fixture
def make_app(propdesk_database, tmp_path, request):
    """Factory for apps on the shared test database; they are torn down after the test.

    An app without third-party ``extra`` plugins is kept for the next test asking for the
    same plugins and configuration, with its configuration restored, its caches dropped and
    the instance folder moved to the new test's ``tmp_path``. A test that adds routes,
    blueprints or hook implementations to its app marks itself ``@pytest.mark.fresh_app``;
    an app whose shape changed anyway is not kept.
    """
    from core import create_app

    made = []
    fresh = request.node.get_closest_marker("fresh_app") is not None

    def factory(plugins=None, extra=None, **config):
        cfg = base_config(propdesk_database, tmp_path)
        if plugins is not None:
            cfg["PROPDESK_PLUGINS"] = list(plugins) + list((extra or {}).keys())
        if extra:
            cfg["PROPDESK_EXTRA_PLUGINS"] = dict(extra)
        cfg.update(config)
        key = None
        if not extra and not fresh:
            environ = sorted((k, v) for k, v in os.environ.items() if k.startswith(("PROPDESK_", "FLASK_")))
            key = (propdesk_database, repr(sorted((k, v) for k, v in cfg.items() if k != "PROPDESK_INSTANCE")),
                   repr(environ))
        kept = _BUILT.pop(key, None) if key else None
        if kept is not None:
            app, settings, shape = kept
            app.config.clear()
            app.config.update(settings)
            app.config["PROPDESK_INSTANCE"] = str(tmp_path)
            app.extensions.pop("propdesk_caches", None)
            app.extensions["propdesk_plugins"].revision = -1  # the enabled set is read again
        else:
            app = create_app(cfg)
            settings, shape = dict(app.config), _shape(app)
        made.append((app, key, settings, shape))
        return app

    yield factory
    from core.extensions import db

    for app, key, settings, shape in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if key is not None and key not in _BUILT and _shape(app) == shape:
            _BUILT[key] = (app, settings, shape)
    _empty_tables(propdesk_database)


@pytest.fixture
def app(make_app, request):
    marker = request.node.get_closest_marker("plugins")
    app = make_app(plugins=list(marker.args) if marker else None)
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import refresh

        ensure_roles()
        db.session.commit()
        refresh(force=True)
        yield app


@pytest.fixture
def db(app):
    from core.extensions import db as _db

    return _db


@pytest.fixture
def client(app):
    return app.test_client()


def make_estate(code: str, name: str, units=("1-1-101", "1-1-102", "3-2-1201")):
    from core.extensions import db
    from core.models import Building, Company, Estate, Occupancy, Resident, Unit

    company = db.session.query(Company).first()
    if company is None:
        company = Company(name="Test Property Co.")
        db.session.add(company)
        db.session.flush()
    estate = Estate(company_id=company.id, code=code, name=name)
    db.session.add(estate)
    db.session.flush()
    buildings = {}
    for number in units:
        bcode = number.split("-")[0]
        if bcode not in buildings:
            buildings[bcode] = Building(estate_id=estate.id, code=bcode, name=f"Building {bcode}")
            db.session.add(buildings[bcode])
            db.session.flush()
        unit = Unit(estate_id=estate.id, building_id=buildings[bcode].id, number=number,
                    floor=int(number.split("-")[-1][:-2] or 1), area=Decimal("98.50"), use="residence")
        db.session.add(unit)
        db.session.flush()
        res = Resident(estate_id=estate.id, name=f"Owner of {code} {number}", phone=f"1380000{next(_counter):04d}")
        db.session.add(res)
        db.session.flush()
        db.session.add(Occupancy(estate_id=estate.id, unit_id=unit.id, resident_id=res.id, role="owner"))
    db.session.flush()
    return estate


@pytest.fixture
def estates(app):
    """Two estates the tests can tell apart: E01 (ours) and E02 (another office's)."""
    from core.extensions import db

    e1 = make_estate("E01", "Sunshine Garden")
    e2 = make_estate("E02", "Riverside Park", units=("1-1-101", "2-1-201", "3-2-1201"))
    db.session.commit()
    return e1, e2


@pytest.fixture
def make_user(app):
    from core.extensions import db
    from core.models import Role, User

    def factory(role: str = "clerk", estates=(), username: str | None = None, all_estates=False, **kw):
        username = username or f"{role}{next(_counter)}"
        roles = [db.session.query(Role).filter_by(code=r).one() for r in ([role] if isinstance(role, str) else role)]
        user = User(username=username, full_name=kw.pop("full_name", username.title()), roles=roles,
                    estates=list(estates), all_estates=all_estates, **kw)
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client, make_user):
    """``login_as("clerk", estates=[e1])``: create a user with that role and log the client in."""

    def do(role: str = "clerk", estates=(), **kw):
        user = make_user(role, estates, **kw)
        resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
        assert resp.status_code == 302, f"login of {user.username} failed: {resp.status_code}"
        return user

    return do


@pytest.fixture
def temp_plugin(tmp_path, monkeypatch):
    """Write a plugin package on the fly: ``temp_plugin("demo", manifest={...}, code="...")``.

    Returns ``(code, package)`` to pass to ``make_app(extra={code: package})``.
    """
    root = tmp_path / "temp_plugins"
    root.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(root))

    def write(code: str, manifest: dict | str | None = None, source: str = "", package: str | None = None,
              files: dict | None = None):
        package = package or f"tp_{code}_{next(_counter)}"
        pkg = root / package
        pkg.mkdir()
        if manifest is None:
            manifest = {"code": code, "name": code.title(), "version": "0.1.0"}
        (pkg / "__manifest__.py").write_text(manifest if isinstance(manifest, str) else repr(manifest))
        (pkg / "__init__.py").write_text(textwrap.dedent(source))
        for name, content in (files or {}).items():
            path = pkg / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content))
        sys.modules.pop(package, None)
        return code, package

    return write


def pytest_configure(config):
    config.addinivalue_line("markers", "plugins(*codes): load only these plugins in the app fixture")
    config.addinivalue_line("markers", "fresh_app: build the test's apps anew (it adds routes or hooks to them)")
    _start_session_clock()


def pytest_unconfigure(config):
    if _session_travel is not None:
        _session_travel.stop()


class LiveServer:
    """The app served by a real threaded WSGI server on 127.0.0.1 (for browsers and load)."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(make_app, request):
    """``live_server(**config)`` starts the app on a free port; stopped after the test."""
    servers = []

    def start(plugins=None, **config):
        from datetime import timedelta

        # The browser's clock is the real one, the server's the test clock: make the
        # cookies outlive the gap so Chromium keeps them.
        config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(days=3650))
        config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=3650))
        app = make_app(plugins=plugins, **config)
        with app.app_context():
            from core.demo import ensure_roles
            from core.extensions import db

            ensure_roles()
            db.session.commit()
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


class HttpSession:
    """A tiny cookie-keeping HTTP client over http.client (one connection per request).
    Redirects are not followed: ``request`` returns ``(status, body)``, ``exchange`` returns
    ``(status, headers, body)`` (e.g. ``headers["Location"]``; safe to call from several
    threads on one session)."""

    def __init__(self, base_url: str):
        from http.cookiejar import CookieJar
        from urllib.request import HTTPCookieProcessor, build_opener

        class NoRedirect(__import__("urllib.request").request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.base = base_url
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method: str, path: str, data: dict | None = None):
        status, _headers, body = self.exchange(method, path, data)
        return status, body

    def exchange(self, method: str, path: str, data: dict | None = None):
        from urllib.error import HTTPError
        from urllib.parse import urlencode
        from urllib.request import Request

        body = urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode("utf-8", "replace")

    def login(self, username: str, password: str = TEST_PASSWORD):
        status, _ = self.request("POST", "/login", {"username": username, "password": password})
        assert status == 302, f"login failed: {status}"
        return self
