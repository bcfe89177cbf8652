"""Plugin settings: a WTForms form, defaults, and a scope (site or estate)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from core.extensions import db
from core.models import Setting


@dataclass
class SettingsSpec:
    namespace: str  # usually the plugin code
    title: object
    form_class: type
    defaults: dict = field(default_factory=dict)
    scope: str = "site"  # or "estate"
    permission: str = "core.plugins.admin"


def specs() -> list[SettingsSpec]:
    from core.plugins import plugins, request_cache

    cache = request_cache()
    if "settings_specs" not in cache:
        cache["settings_specs"] = plugins().collect("settings_spec")
    return cache["settings_specs"]


def spec_for(namespace: str) -> SettingsSpec | None:
    return next((s for s in specs() if s.namespace == namespace), None)


def get_settings(namespace: str, estate_id: int | None = None) -> dict:
    """Defaults, overlaid by the site's values, overlaid by the estate's (cached per request)."""
    from core.plugins import request_cache

    cache = request_cache().setdefault("settings", {})
    key = (namespace, estate_id or 0)
    if key not in cache:
        cache[key] = _load_settings(namespace, estate_id)
    return dict(cache[key])


#: The site's row (estate 0) then the estate's, values only: read on most pages, built once.
_ROWS = (select(Setting.values)
         .where(Setting.namespace == bindparam("namespace"), Setting.estate_id.in_(bindparam("estates")))
         .order_by(Setting.estate_id))


def _load_settings(namespace: str, estate_id: int | None) -> dict:
    spec = spec_for(namespace)
    values = dict(spec.defaults) if spec else {}
    for row_values in db.session.scalars(_ROWS, {"namespace": namespace, "estates": (0, estate_id or 0)}):
        values.update(row_values or {})
    return values


def save_settings(namespace: str, values: dict, estate_id: int | None = None) -> None:
    row = db.session.scalars(
        select(Setting).where(Setting.namespace == namespace, Setting.estate_id == (estate_id or 0))
    ).first()
    if row is None:
        row = Setting(namespace=namespace, estate_id=estate_id or 0, values={})
        db.session.add(row)
    row.values = {**(row.values or {}), **values}
    from core.plugins import request_cache

    request_cache().get("settings", {}).clear()
