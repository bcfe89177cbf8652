"""Keep one plugin's broken models from breaking every other model.

SQLAlchemy configures the mappers of a registry together (at the first query, or
``configure_mappers()``), and once one mapper failed every later configuration
raises again: a relationship to a class that does not exist in one plugin would
stop every query of the site. There is no public way to take a single mapper out
of a registry (``clear_mappers()`` and ``registry.dispose()`` drop them all), so
the loader configures after each plugin's step and, when that fails, takes out
that plugin's mappers with :func:`dispose_plugin_mappers`: their classes leave the
declarative registry (so a later class of the same name resolves), their tables
leave the metadata, and relationships other mappers received from them (a
``backref`` onto a core model) are removed again.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Mapper, configure_mappers
from sqlalchemy.orm.relationships import RelationshipProperty

log = logging.getLogger(__name__)


def _registry():
    from core.extensions import db

    return db.Model.registry


def _belongs(cls, package: str) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module == package or module.startswith(package + ".")


def pending() -> bool:
    """Whether mappers were added (or failed) since the last configuration: one attribute
    read, cheap enough for every request."""
    return _registry()._new_mappers


def configure(package: str) -> str | None:
    """Configure every pending mapper. ``None`` when that works; otherwise the mappers
    of ``package`` (and any other mapper left unconfigured by the failure, which this
    step added) are disposed of and the reason is returned."""
    try:
        configure_mappers()
        return None
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
    reg = _registry()
    doomed = {m for m in reg.mappers
              if _belongs(m.class_, package) or not m.configured or getattr(m, "_configure_failed", False)}
    dispose_mappers(doomed)
    try:
        configure_mappers()
    except Exception:  # pragma: no cover - the rest of the site is broken beyond this plugin
        log.exception("mappers still fail after disposing of %s's", package)
    return reason


def dispose_package(package: str) -> None:
    """Dispose of every mapper defined in ``package`` (a plugin that was taken out)."""
    dispose_mappers({m for m in _registry().mappers if _belongs(m.class_, package)})


def dispose_mappers(doomed: set[Mapper]) -> None:
    from core.extensions import db

    if not doomed:
        return
    reg = _registry()
    classes = {m.class_ for m in doomed}
    # Relationships that other mappers received from the doomed ones (backrefs).
    for mapper in list(reg.mappers):
        if mapper in doomed:
            continue
        for key, prop in list(mapper._props.items()):
            if not isinstance(prop, RelationshipProperty):
                continue
            target = prop.argument
            target = getattr(target, "class_", target)
            if target in classes or prop.__dict__.get("entity") is not None and prop.entity.class_ in classes:
                del mapper._props[key]
                _remove_attribute(mapper, key)
    for mapper in doomed:
        manager = mapper.class_manager
        reg._managers.pop(manager, None)
        reg._dispose_manager_and_mapper(manager)
        table = mapper.local_table
        if table is not None and table.key in db.metadata.tables and mapper.inherits is None:
            db.metadata.remove(db.metadata.tables[table.key])
    # The registry flagged the failure; everything left is either configured or new.
    reg._new_mappers = any(not m.configured for m in reg.mappers)


def _remove_attribute(mapper: Mapper, key: str) -> None:
    """Take attribute ``key`` off a mapped class (declarative refuses ``delattr`` on mapped
    attributes, and ``ClassManager.uninstrument_attribute`` goes through ``delattr``)."""
    cls = mapper.class_
    manager = mapper.class_manager
    if key in cls.__dict__:
        type.__delattr__(cls, key)
    manager.local_attrs.pop(key, None)
    if key in manager:
        manager._reset_memoizations()
        del manager[key]
    for sub in cls.__subclasses__():
        sub_manager = getattr(sub, "_sa_class_manager", None)
        if sub_manager is not None and key in sub_manager and key not in sub_manager.local_attrs:
            del sub_manager[key]
    mapper._expire_memoizations()
