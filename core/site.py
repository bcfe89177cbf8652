"""The site's state: which plugins are enabled, their migrations, the revision counter.

Every worker keeps the enabled set in memory and compares one counter per
request (:func:`refresh_if_changed`); enabling or disabling bumps the counter,
so every worker of every host follows without a restart.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from core.errors import DomainError
from core.extensions import db
from core.models import PluginState, Revision, utcnow
from core.plugins import CORE_CODE, plugins

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PLUGINS_REVISION = "plugins"


# -- migrations ---------------------------------------------------------------
def alembic_config():
    return current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))


def version_locations(app) -> list[str]:
    """The core's versions folder and every installed plugin's — loaded in this process
    or not (an allow-list must not hide revisions the database already holds)."""
    from importlib.metadata import entry_points

    from core.manifest import package_path
    from core.plugins import ENTRY_POINT_GROUP

    pm = app.extensions["propdesk_plugins"]
    packages = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    packages.update(pm.extra)
    paths = [str(MIGRATIONS_DIR / "versions")]
    broken = getattr(pm, "broken_migrations", set())
    for code, package in sorted(packages.items()):
        if code in broken:
            continue
        info = pm.infos.get(code)
        try:
            path = info.path if info and info.path else package_path(package)
        except Exception:
            continue
        versions = path / "migrations" / "versions"
        if versions.is_dir() and str(versions) not in paths:
            paths.append(str(versions))
    return paths


def _plugin_versions(pm, code: str) -> str | None:
    from core.manifest import package_path

    info = pm.infos.get(code)
    try:
        path = info.path if info and info.path else None
        if path is None:
            from importlib.metadata import entry_points

            from core.plugins import ENTRY_POINT_GROUP

            packages = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
            packages.update(pm.extra)
            path = package_path(packages[code])
    except Exception:
        return None
    versions = path / "migrations" / "versions"
    return str(versions) if versions.is_dir() else None


def _check_script(script: ScriptDirectory, codes) -> None:
    """Raise unless every revision file loads and each branch in ``codes`` has a head."""
    script.revision_map.get_revisions("heads")
    for code in codes:
        if not script.revision_map.get_revisions(f"{code}@head"):
            raise ValueError(f"no revision labelled {code!r}")


def check_migrations(app) -> None:
    """The migrations stage of loading: a plugin whose revision files do not load
    (a Python error, a duplicate or unknown revision, no branch label) is skipped with
    the reason, and its folder is left out of Alembic's ``version_locations`` — one
    bad file would otherwise stop the enabled set, every page and ``flask upgrade``."""
    pm = app.extensions["propdesk_plugins"]
    pm.broken_migrations = set()
    with app.app_context():
        paths = version_locations(app)
        with_versions = [c for c in pm.order if plugin_has_migrations(c)]
        try:
            script = ScriptDirectory.from_config(alembic_config())
            _check_script(script, with_versions)
            app.extensions.setdefault("propdesk_script", {})["script"] = script
            return
        except Exception:
            log.warning("the migration scripts do not load together; checking plugin by plugin")
        core_dir = str(MIGRATIONS_DIR / "versions")
        for path in paths[1:]:
            code = next((c for c in set(pm.infos) | set(pm.extra) | _installed_codes()
                         if _plugin_versions(pm, c) == path), None)
            if code is None:
                continue
            deps = dependency_closure_safe(pm, code)
            dirs = [core_dir] + [d for d in (_plugin_versions(pm, c) for c in deps) if d] + [path]
            cfg = alembic_config()
            cfg.set_main_option("version_locations", os.pathsep.join(dirs).replace("%", "%%"))
            try:
                _check_script(ScriptDirectory.from_config(cfg), [code])
            except Exception as exc:
                log.error("migrations of plugin %s do not load: %s", code, exc)
                pm.broken_migrations.add(code)
                if code in pm.infos:
                    pm.unload(code, f"migrations failed: {type(exc).__name__}: {exc}")
        _reset_script_cache()


def _installed_codes() -> set[str]:
    from importlib.metadata import entry_points

    from core.plugins import ENTRY_POINT_GROUP

    return {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _script() -> ScriptDirectory:
    app = current_app._get_current_object()
    cache = app.extensions.setdefault("propdesk_script", {})
    if "script" not in cache:
        cache["script"] = ScriptDirectory.from_config(alembic_config())
    return cache["script"]


def applied_revisions() -> set[str]:
    """Every revision applied to the database (the current heads and all their ancestors)."""
    script = _script()
    # The session's own connection: a second one would wait on SQLite's write lock.
    heads = MigrationContext.configure(db.session.connection()).get_current_heads()
    seen: set[str] = set()
    todo = list(heads)
    while todo:
        ident = todo.pop()
        try:
            rev = script.revision_map.get_revision(ident)
        except Exception:
            # A head of a plugin this process does not load (allow-list, uninstalled):
            # it is applied, but its history is not ours to walk.
            seen.add(ident)
            continue
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        for attr in (rev.down_revision, rev.dependencies):
            if not attr:
                continue
            for ref in (attr,) if isinstance(attr, str) else attr:
                for r in script.revision_map.get_revisions(ref):
                    if r is not None:
                        todo.append(r.revision)
    return seen


def plugin_has_migrations(code: str) -> bool:
    info = plugins().infos.get(code)
    return bool(info and info.migrations_path and any(info.migrations_path.glob("*.py")))


def plugin_tables(code: str) -> list[str]:
    """The tables the plugin's mapped models declare (joined or own tables, not a parent's)."""
    from core import plugin_models

    info = plugins().infos.get(code)
    if info is None:
        return []
    names = set()
    for mapper in plugin_models._registry().mappers:
        if not plugin_models._belongs(mapper.class_, info.package) or mapper.local_table is None:
            continue
        if mapper.inherits is not None and mapper.local_table is mapper.inherits.local_table:
            continue
        names.add(mapper.local_table.name)
    return sorted(names)


def upgrade_branch(code: str) -> None:
    """Run one branch's migrations (``upgrade <code>@head``), never ``heads``."""
    from flask_migrate import upgrade

    upgrade(directory=str(MIGRATIONS_DIR), revision=f"{code}@head")


def core_is_migrated() -> bool:
    try:
        head = _script().revision_map.get_revisions("core@head")[0].revision
        return head in applied_revisions()
    except Exception:
        return False


# -- enabled set --------------------------------------------------------------
_REVISION_QUERY = select(Revision.value).where(Revision.name == PLUGINS_REVISION)


def current_revision() -> int:
    value = db.session.execute(_REVISION_QUERY).scalar()
    return value or 0


def bump_revision() -> None:
    res = db.session.execute(
        update(Revision).where(Revision.name == PLUGINS_REVISION).values(value=Revision.value + 1)
    )
    if res.rowcount == 0:
        db.session.add(Revision(name=PLUGINS_REVISION, value=1))


def compute_enabled() -> tuple[set[str], dict[str, str]]:
    """The enabled set from ``core_plugin_state``, defaults and migration status."""
    pm = plugins()
    states = {s.code: s for s in db.session.scalars(select(PluginState))}
    applied = applied_revisions()
    enabled: set[str] = set()
    reasons: dict[str, str] = {}
    for code in pm.order:
        m = pm.infos[code].manifest
        state = states.get(code)
        if state is not None:
            want = state.enabled
        elif m.auto_enable:
            want = bool(m.depends) and all(d in enabled for d in m.depends)
        else:
            want = m.default_enabled
        if not want:
            continue
        missing = [d for d in m.depends if d not in enabled]
        if missing:
            reasons[code] = _l("dependency disabled: %(codes)s", codes=", ".join(missing))
            continue
        if plugin_has_migrations(code):
            head = _branch_head_safe(code)
            if head is None or head not in applied:
                reasons[code] = _l("migrations not applied")
                continue
        elif tables := plugin_tables(code):
            # A plugin without tables needs no migration; one whose tables were never
            # created would fail on its first page.
            reasons[code] = _l("no migration creates its tables (%(tables)s)", tables=", ".join(tables))
            continue
        enabled.add(code)
    return enabled, reasons


def _branch_head_safe(code: str) -> str | None:
    try:
        revs = _script().revision_map.get_revisions(f"{code}@head")
        return revs[0].revision if revs else None
    except Exception:
        return None


def refresh(force: bool = False) -> None:
    pm = plugins()
    rev = current_revision()
    if force or rev != pm.revision:
        enabled, reasons = compute_enabled()
        pm.set_enabled(enabled, reasons, rev)


def refresh_if_changed() -> None:
    """One read of the counters per request; reload the enabled set when it changed.

    The read goes through the session's connection (its transaction, as before)
    without the ORM's statement handling: nothing is pending at the start of a
    request, so there is nothing to autoflush.
    """
    from core import revisions
    from core.plugins import request_cache

    pm = plugins()
    # Every counter in the same read: the shell's and the dashboard's caches key on them.
    revs = revisions.read_all(db.session.connection())
    request_cache()["revisions"] = revs
    rev = revs.get(PLUGINS_REVISION) or 0
    if rev != pm.revision:
        refresh(force=True)


# -- enabling and disabling ---------------------------------------------------
def _set_state(code: str, enabled: bool, user=None) -> None:
    state = db.session.get(PluginState, code)
    if state is None:
        state = PluginState(code=code)
        db.session.add(state)
    state.enabled = enabled
    state.changed_at = utcnow()
    state.changed_by_id = getattr(user, "id", None)
    if enabled:
        state.schema_revision = _branch_head_safe(code)
        state.failed_reason = None


def dependency_closure(code: str) -> list[str]:
    """``code`` and every plugin it depends on, dependencies first."""
    pm = plugins()
    out: list[str] = []

    def visit(c):
        for d in pm.infos[c].manifest.depends:
            visit(d)
        if c not in out:
            out.append(c)

    visit(code)
    return out


def dependents(code: str, among: set[str]) -> list[str]:
    pm = plugins()
    return sorted(c for c in among if c != code and code in dependency_closure_safe(pm, c))


def dependency_closure_safe(pm, code):
    seen = []

    def visit(c):
        info = pm.infos.get(c)
        if info is None or info.manifest is None:
            return
        for d in info.manifest.depends:
            if d not in seen:
                seen.append(d)
                visit(d)

    visit(code)
    return seen


def enable(code: str, user=None) -> list[str]:
    """Enable ``code`` and its dependencies; run their migrations. Returns what was enabled."""
    pm = plugins()
    info = pm.infos.get(code)
    if code == CORE_CODE or info is None:
        raise DomainError(_("There is no module called %(code)s.", code=code))
    if not info.loaded:
        raise DomainError(_("Module %(code)s cannot be enabled: %(reason)s", code=code,
                            reason=info.skip_reason or ""))
    for c in dependency_closure(code):
        if not plugin_has_migrations(c) and (tables := plugin_tables(c)):
            raise DomainError(_("Module %(code)s cannot be enabled: %(reason)s", code=c, reason=_(
                "no migration creates its tables (%(tables)s)", tables=", ".join(tables))))
    from core.role_grants import ensure_record, seed_new_permissions

    todo = dependency_closure(code)
    ensure_record()  # what the site has seen, from before this change
    db.session.commit()  # migrations run on their own connection
    changed = []
    for c in todo:
        if c in pm.enabled:
            continue
        if plugin_has_migrations(c):
            upgrade_branch(c)
        _set_state(c, True, user)
        changed.append(c)
    if code in pm.enabled and not changed:
        return []
    bump_revision()
    db.session.commit()
    _reset_script_cache()
    refresh(force=True)
    # The administrator (and the standard roles, by the plugin's defaults) get the
    # permissions new to this site; a site's own edits are never undone.
    seed_new_permissions()
    db.session.commit()
    for c in changed:
        _notify_listeners("plugin_enabled", c)
    return changed


def disable(code: str, user=None) -> None:
    """Disable ``code``; refused while an enabled plugin depends on it. Data is kept."""
    pm = plugins()
    if code == CORE_CODE or code not in pm.infos:
        raise DomainError(_("There is no module called %(code)s.", code=code))
    users_of = dependents(code, pm.enabled)
    if users_of:
        raise DomainError(_("Module %(code)s cannot be disabled: %(others)s depend on it.",
                            code=code, others=", ".join(users_of)))
    _set_state(code, False, user)
    bump_revision()
    db.session.commit()
    refresh(force=True)
    _notify_listeners("plugin_disabled", code)  # the disabled plugin itself is no longer called


def _notify_listeners(hook_name: str, code: str) -> None:
    """The change is committed already: a failing listener is logged, never undoes it."""
    for plugin, _result, err in plugins().call_each(hook_name, code=code):
        if err is not None:
            db.session.rollback()
            log.error("%s listener of %s failed for %s: %s", hook_name, plugin, code, err)
        else:
            db.session.commit()


def _reset_script_cache() -> None:
    current_app.extensions.get("propdesk_script", {}).clear()


def upgrade_site() -> list[str]:
    """Upgrade the core branch and every plugin meant to be enabled (``flask upgrade``)."""
    from core.role_grants import ensure_record, seed_new_permissions

    db.session.commit()
    upgrade_branch(CORE_CODE)
    _reset_script_cache()
    refresh(force=True)
    ensure_record()  # what the site has seen, from before this upgrade
    db.session.commit()
    pm = plugins()
    states = {s.code: s for s in db.session.scalars(select(PluginState))}
    db.session.commit()  # migrations run on their own connection
    done = []
    for code in pm.order:
        m = pm.infos[code].manifest
        state = states.get(code)
        want = state.enabled if state is not None else (m.default_enabled and not m.auto_enable)
        if want and plugin_has_migrations(code):
            upgrade_branch(code)
            done.append(code)
    db.session.commit()
    _reset_script_cache()
    refresh(force=True)
    from core.demo import ensure_roles

    ensure_roles()  # the standard roles, when missing; existing ones are never changed
    seed_new_permissions()  # ...except that permissions new to the site are added
    db.session.commit()
    return done
