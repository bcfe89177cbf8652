"""Plugin discovery, dependency resolution, loading and per-site enablement.

One path for every plugin: the entry-point group ``propdesk.plugins`` (built-ins
are declared in our own pyproject.toml the same way). Manifests are read without
importing plugin code; a plugin that is broken, misses a dependency, sits in a
cycle or wants another core API is skipped together with its dependents, and
the reason is kept for the admin page. The site still starts.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pluggy
from flask import current_app, g

from core import CORE_API_VERSION
from core import hookspecs as core_hookspecs
from core.manifest import Manifest, ManifestError, package_path, read_manifest, version_satisfies

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "propdesk.plugins"
CORE_CODE = "core"


@dataclass
class PluginInfo:
    code: str
    package: str
    path: Path | None = None
    manifest: Manifest | None = None
    module: object | None = None
    loaded: bool = False
    skip_reason: str | None = None
    blueprint_names: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The manifest's name in the current language (from the plugin's own catalog)."""
        return self._own_text(self.manifest.name if self.manifest else self.code)

    @property
    def summary(self) -> str:
        """The manifest's summary in the current language (from the plugin's own catalog)."""
        return self._own_text(self.manifest.summary if self.manifest else "")

    def _own_text(self, text: str) -> str:
        from core.i18n import catalog_text

        return catalog_text(self.path / "translations", text) if self.path is not None else text

    @property
    def migrations_path(self) -> Path | None:
        if self.path is None:
            return None
        p = self.path / "migrations" / "versions"
        return p if p.is_dir() else None


class PluginManager:
    """Wraps pluggy's manager with discovery, ordering and the site's enabled set."""

    def __init__(self, allow: list[str] | None = None, extra: dict[str, str] | None = None):
        self.pm = pluggy.PluginManager("propdesk")
        self.pm.add_hookspecs(core_hookspecs)
        self.allow = allow
        self.extra = extra or {}
        self.infos: dict[str, PluginInfo] = {}
        self.order: list[str] = []  # loaded plugins, dependencies first
        # Per-site state, refreshed when the ``plugins`` revision changes.
        self.enabled: set[str] = set()
        self.state_reasons: dict[str, str] = {}
        self.revision: int | None = None
        self._callers: dict[str, object] = {}
        # name -> (enabled set it was computed for, sorted enabled implementations)
        self._impls: dict[str, tuple[set[str], list]] = {}

    # -- discovery and loading -------------------------------------------------
    def discover(self) -> None:
        found: dict[str, str] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(ep.name, ep.value)
        found.update(self.extra)
        for code, package in sorted(found.items()):
            if self.allow is not None and code not in self.allow:
                continue
            info = PluginInfo(code=code, package=package)
            self.infos[code] = info
            try:
                info.path = package_path(package)
                info.manifest = read_manifest(info.path, expected_code=code)
            except (ManifestError, ImportError, ValueError) as exc:
                info.skip_reason = f"bad manifest: {exc}"

    def _skip(self, code: str, reason: str) -> None:
        info = self.infos[code]
        if info.skip_reason is None:
            info.skip_reason = reason

    def resolve(self) -> list[str]:
        """Order plugins dependencies-first; skip the unloadable with a reason."""
        infos = self.infos
        for code, info in infos.items():
            if info.skip_reason:
                continue
            m = info.manifest
            try:
                if not version_satisfies(CORE_API_VERSION, m.core_api):
                    self._skip(code, f"needs core API {m.core_api}, this core is {CORE_API_VERSION}")
            except ManifestError as exc:
                self._skip(code, str(exc))
            for dep in m.depends:
                if dep not in infos:
                    self._skip(code, f"missing dependency {dep!r}")
        # Depth-first topological sort; cycles are skipped with their members.
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(code: str, stack: list[str]) -> None:
            if state.get(code) == "done":
                return
            if state.get(code) == "visiting":
                cycle = stack[stack.index(code):] + [code]
                for member in cycle:
                    self._skip(member, "dependency cycle: " + " → ".join(cycle))
                return
            state[code] = "visiting"
            info = infos[code]
            if info.manifest:
                for dep in info.manifest.depends:
                    if dep in infos:
                        visit(dep, stack + [code])
            state[code] = "done"
            order.append(code)

        for code in sorted(infos, key=lambda c: (self._sequence(c), c)):
            visit(code, [])
        # Propagate skips to dependents (order is dependencies-first).
        for code in order:
            info = infos[code]
            if info.skip_reason or not info.manifest:
                continue
            for dep in info.manifest.depends:
                if infos[dep].skip_reason:
                    self._skip(code, f"dependency {dep!r} was skipped")
        return [c for c in order if not infos[c].skip_reason]

    def _sequence(self, code: str) -> int:
        m = self.infos[code].manifest if code in self.infos else None
        return m.sequence if m else 100

    def load(self) -> None:
        """Import every resolvable plugin in dependency order, each on its own.

        After each plugin's import its models are configured (``<package>.models`` is
        imported when there is one): a plugin whose models do not configure is taken
        out again, its mappers disposed of, so the rest of the site still queries.
        """
        import core.models  # noqa: F401  (the core's mappers first: they must configure)
        from core import plugin_models

        if (reason := plugin_models.configure("core")) is not None:
            raise RuntimeError(f"the core's models do not configure: {reason}")
        self.discover()
        for code in self.resolve():
            info = self.infos[code]
            if any(self.infos[d].skip_reason for d in info.manifest.depends):
                self._skip(code, "a dependency failed to load")
                continue
            try:
                module = importlib.import_module(info.package)
                try:
                    specs = importlib.import_module(info.package + ".hookspecs")
                except ModuleNotFoundError as exc:
                    if exc.name != info.package + ".hookspecs":
                        raise
                    specs = None
                if specs is not None:
                    self.pm.add_hookspecs(specs)
                self.pm.register(module, name=code)
            except Exception as exc:  # a broken plugin must not stop the site
                log.error("plugin %s failed to load:\n%s", code, traceback.format_exc())
                if self.pm.has_plugin(code):
                    self.pm.unregister(name=code)
                self._skip(code, f"failed to import: {type(exc).__name__}: {exc}")
                continue
            info.module = module
            info.loaded = True
            self.order.append(code)
            self._load_models(code)
        self._check_pending()
        self._impls.clear()

    def _load_models(self, code: str) -> bool:
        """Import ``<package>.models`` if the plugin has one and configure every mapper;
        on failure the plugin (and its dependents) is unloaded. True when all is well."""
        from core import plugin_models

        info = self.infos[code]
        try:
            importlib.import_module(info.package + ".models")
        except ModuleNotFoundError as exc:
            if exc.name != info.package + ".models":
                return self._models_failed(code, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            return self._models_failed(code, f"{type(exc).__name__}: {exc}")
        reason = plugin_models.configure(info.package)
        if reason is not None:
            return self._models_failed(code, reason)
        return True

    def check_models(self, code: str) -> bool:
        """Configure the mappers a plugin's step may have added (its ``blueprints()``
        importing its models); unload the plugin when they fail. True when all is well."""
        from core import plugin_models

        reason = plugin_models.configure(self.infos[code].package)
        return True if reason is None else self._models_failed(code, reason)

    def check_all_models(self) -> None:
        """At the end of start-up: models imported later (``app_ready``, ``cli_commands``)
        configure too, or their plugin is taken out."""
        from sqlalchemy.orm import configure_mappers

        from core import plugin_models

        try:
            configure_mappers()
            return
        except Exception:
            pass
        pending = [m.class_ for m in plugin_models._registry().mappers
                   if not m.configured or getattr(m, "_configure_failed", False)]
        for code in list(self.order):
            if any(plugin_models._belongs(cls, self.infos[code].package) for cls in pending):
                self.check_models(code)

    def _models_failed(self, code: str, reason: str) -> bool:
        from core import plugin_models

        log.error("models of plugin %s failed to configure: %s", code, reason)
        before = set(self.order)
        self.unload(code, f"models failed: {reason}")
        # Dependents already loaded go too, and so do their models (they may point at
        # the classes just disposed of).
        for other in before - set(self.order) - {code}:
            plugin_models.dispose_package(self.infos[other].package)
        return False

    def _check_pending(self) -> None:
        """``pm.check_pending()``, but a plugin implementing an unknown hook (without
        ``optionalhook=True``) is unloaded with its dependents instead of stopping the site."""
        while True:
            try:
                self.pm.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                code = self.pm.get_name(exc.plugin) if exc.plugin is not None else None
                if code is None or code == CORE_CODE:
                    raise
                self.unload(code, f"implements an unknown hook: {exc}")

    def unload(self, code: str, reason: str) -> None:
        """Take a loaded plugin (and every loaded plugin depending on it) out again."""
        for other in list(self.order):
            m = self.infos[other].manifest
            if other != code and m and code in m.depends:
                self.unload(other, f"dependency {code!r} was skipped")
        info = self.infos[code]
        if self.pm.has_plugin(code):
            self.pm.unregister(name=code)
        info.loaded = False
        info.skip_reason = info.skip_reason or reason
        if code in self.order:
            self.order.remove(code)
        self.enabled.discard(code)
        self._callers.clear()
        self._impls.clear()

    def register_core(self, module) -> None:
        """The core implements its own hooks (its menu, search, permissions)."""
        self.pm.register(module, name=CORE_CODE)
        self._impls.clear()

    # -- the site's enabled set ------------------------------------------------
    def is_active(self, code: str) -> bool:
        return code == CORE_CODE or code in self.enabled

    def set_enabled(self, enabled: set[str], reasons: dict[str, str], revision: int) -> None:
        self.enabled = set(enabled)
        self.state_reasons = dict(reasons)
        self.revision = revision
        self._callers.clear()
        self._impls.clear()

    def hook(self, name: str):
        """A hook caller limited to the enabled plugins (for event hooks)."""
        caller = self._callers.get(name)
        if caller is None:
            remove = [
                self.infos[c].module for c in self.order if c not in self.enabled
            ]
            caller = self.pm.subset_hook_caller(name, remove_plugins=remove)
            self._callers[name] = caller
        return caller

    def implementations(self, name: str):
        """Enabled implementations of hook ``name``, in plugin ``sequence`` order.

        Kept until the enabled set or the registered plugins change (every request
        calls the UI hooks; the answer only changes with the site's revision).
        """
        cached = self._impls.get(name)
        if cached is not None and cached[0] is self.enabled:
            return cached[1]
        caller = getattr(self.pm.hook, name, None)
        if caller is None:
            return []
        impls = [i for i in caller.get_hookimpls() if self.is_active(i.plugin_name)]
        impls.sort(
            key=lambda i: (
                -1 if i.plugin_name == CORE_CODE else self._sequence(i.plugin_name),
                i.plugin_name,
            ),
        )
        self._impls[name] = (self.enabled, impls)
        return impls

    def call_each(self, name: str, /, **kwargs):
        """Call each enabled implementation alone; yields ``(plugin_code, result, error)``.

        Used for UI hooks so one failing plugin cannot break a page.
        """
        for impl in self.implementations(name):
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                yield impl.plugin_name, impl.function(**args), None
            except Exception as exc:
                log.exception("hook %s of plugin %s failed", name, impl.plugin_name)
                yield impl.plugin_name, None, exc

    def collect(self, name: str, /, **kwargs) -> list:
        """Flatten list results of enabled implementations; failures are logged and skipped."""
        out = []
        for _code, result, _err in self.call_each(name, **kwargs):
            if result:
                out.extend(result if isinstance(result, list | tuple) else [result])
        return out

    def collect_all_loaded(self, name: str, /, **kwargs) -> list:
        """Like :meth:`collect` but over every loaded plugin, enabled or not (permissions,
        blueprints: things declared once at start-up)."""
        caller = getattr(self.pm.hook, name)
        out = []
        for impl in caller.get_hookimpls():
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                result = impl.function(**args)
            except Exception:
                log.exception("hook %s of plugin %s failed", name, impl.plugin_name)
                continue
            if result:
                out.extend(result if isinstance(result, list | tuple) else [result])
        return out


def plugins() -> PluginManager:
    """The application's plugin manager."""
    return current_app.extensions["propdesk_plugins"]


def hook(name: str):
    """Call a plugin event hook for the enabled plugins: ``hook("repairs_completed")(repair=r)``."""
    return plugins().hook(name)


def is_enabled(code: str) -> bool:
    """Whether plugin ``code`` is enabled on this site right now."""
    return plugins().is_active(code)


def table_owner(table: str) -> str | None:
    """Who owns the table ``table``: ``"core"``, a loaded plugin's code, or None when no
    loaded model maps it (its plugin is not installed or failed to load)."""
    from core.extensions import db
    from core.plugin_models import _belongs

    for mapper in db.Model.registry.mappers:
        if getattr(mapper.local_table, "name", None) != table:
            continue
        if _belongs(mapper.class_, "core"):
            return "core"
        for code, info in plugins().infos.items():
            if _belongs(mapper.class_, info.package):
                return code
    return None


def request_cache() -> dict:
    """A dict that lives for one request (reset in ``before_request``), or one app context."""
    if "propdesk_cache" not in g:
        g.propdesk_cache = {}
    return g.propdesk_cache


def reset_request_cache() -> None:
    g.propdesk_cache = {}
