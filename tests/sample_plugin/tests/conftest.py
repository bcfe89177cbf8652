"""Fixtures for the parking plugin's tests, on top of the ones PropDesk ships.

``propdesk`` registers ``core.testing`` as a pytest plugin, so ``make_app``,
``db``, ``client``, ``estates``, ``make_user``, ``login_as`` and ``temp_plugin``
are available here without an import. We override ``app`` so that every
shipped fixture runs on a site with this plugin enabled and migrated.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from core.testing import skip_or_fail  # skips — or fails when PROPDESK_REQUIRE_ALL=1 (CI)

PACKAGE = "propdesk_parking"


def installed() -> bool:
    """Installed = PropDesk can discover it: the ``propdesk.plugins`` entry point exists."""
    return any(ep.name == "parking" and ep.value == PACKAGE
               for ep in entry_points(group="propdesk.plugins"))


def require_installed() -> None:
    if not installed():
        skip_or_fail("propdesk-plugin-parking is not installed (pip install -e tests/sample_plugin)")


def compile_catalogs() -> None:
    """Compile messages.po → messages.mo when stale, as ``make translations`` does for built-ins."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from core.manifest import package_path

    for po in (package_path(PACKAGE) / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as src, mo.open("wb") as out:
                write_mo(out, read_po(src))
        except OSError:  # a read-only install ships its .mo already
            pass


@pytest.fixture(scope="module", autouse=True)
def parking_branch(propdesk_database, tmp_path_factory):
    """Leave the shared test database as we found it.

    The session database is migrated once, for the plugins installed then; if
    parking's branch was not among them, ``app`` below applies it and we drop
    it again after this module (rows are emptied after every test anyway).
    """
    if not installed():
        yield
        return
    from flask_migrate import downgrade

    from core import create_app
    from core.extensions import db
    from core.site import MIGRATIONS_DIR, applied_revisions
    from core.testing import base_config

    site = create_app(base_config(propdesk_database, tmp_path_factory.mktemp("parking")))

    def applied() -> bool:
        with site.app_context():
            try:
                return "parking_0001" in applied_revisions()
            finally:
                db.session.remove()

    before = applied()
    yield
    if not before and applied():
        with site.app_context():
            downgrade(directory=str(MIGRATIONS_DIR), revision="parking@base")
            db.session.remove()
    with site.app_context():
        db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The site with every installed plugin, parking enabled and migrated.

    No ``plugins=[...]`` allow-list here: Alembic must know every branch
    already applied to the shared database to run ``upgrade parking@head``.
    """
    require_installed()
    compile_catalogs()
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()  # the standard roles: a clerk holds parking.view, a manager parking.manage
        db.session.commit()
        enable("parking")  # the site's own way: `upgrade parking@head` unless applied already
        refresh(force=True)
        yield app


@pytest.fixture
def manager(make_user, estates):
    """The office manager of estate E01 (``estates`` is the shipped E01 / E02 pair)."""
    return make_user("manager", [estates[0]], username="parking-manager")


@pytest.fixture
def add_space(manager):
    """``add_space("B1-023")`` → a space of E01, added by its manager."""
    from propdesk_parking import services

    from core.extensions import db

    def add(code="B1-023", tenure="rental", estate=None):
        space = services.add_space(manager, estate_id=(estate or manager.estates[0]).id, code=code,
                                   tenure=tenure)
        db.session.commit()
        return space

    return add


@pytest.fixture
def unit(estates):
    """Flat 3-2-1201 of E01."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Unit

    return db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id, Unit.number == "3-2-1201"))
