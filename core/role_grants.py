"""Giving the roles a plugin's permissions when it arrives — once, never over a site's edits.

The standard roles get every permission's defaults when they are *created*. A plugin
enabled later on an existing site (or a new permission of an upgraded plugin) would
otherwise be held by nobody, not even the administrator, until someone ticked it.
So when the enabled set grows (``core.site.enable``, ``flask upgrade``), every permission
of an enabled plugin that this site has **never seen** goes to the administrator role and
to the standard roles it names as defaults. The codes seen are recorded (the core's
setting ``core.permissions``), so a permission a site took away from a role is not given
back by the next upgrade, and a role's other grants are never touched: seeding only adds.

A site from before this record starts with everything granted to some role or belonging
to an enabled plugin counted as seen.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.extensions import db

log = logging.getLogger(__name__)
NAMESPACE = "core.permissions"
ADMIN_ROLE = "admin"


def _row():
    from core.models import Setting

    return db.session.scalar(select(Setting).where(Setting.namespace == NAMESPACE, Setting.estate_id == 0))


def seen_codes() -> set[str] | None:
    """The permission codes this site has seeded (or found granted), ``None`` before the first record."""
    row = _row()
    return None if row is None else set((row.values or {}).get("seen", []))


def _record(codes: set[str]) -> None:
    from core.models import Setting

    row = _row()
    if row is None:
        row = Setting(namespace=NAMESPACE, estate_id=0, values={})
        db.session.add(row)
    row.values = {**(row.values or {}), "seen": sorted(codes)}


def ensure_record() -> set[str]:
    """The seen codes; on a site without the record, start it from what is granted to any
    role now and what enabled plugins declare (the site has had its say on those)."""
    from core.models import RolePermission
    from core.permissions import all_permissions, permission_plugin
    from core.plugins import plugins

    seen = seen_codes()
    if seen is None:
        from core.site import refresh

        refresh()  # the enabled set as the site has it (a command may not have read it yet)
        pm = plugins()
        seen = set(db.session.scalars(select(RolePermission.code).distinct()))
        seen |= {p.code for p in all_permissions() if pm.is_active(permission_plugin(p.code))}
        _record(seen)
        db.session.flush()
    return seen


def grant(role, codes) -> list[str]:
    """Add ``codes`` to ``role`` (nothing is removed). Returns the codes it did not hold."""
    new = sorted(set(codes) - role.permission_codes)
    if new:
        role.set_permissions(role.permission_codes | set(new))
    return new


def seed_new_permissions() -> dict[str, list[str]]:
    """Give every permission of an enabled plugin that the site has never seen to the
    administrator role and to its default standard roles; record them as seen.
    Returns ``{role code: [codes granted]}``. The caller commits."""
    from core.permissions import all_permissions, permission_plugin
    from core.plugins import plugins

    pm = plugins()
    seen = ensure_record()
    new = [p for p in all_permissions() if p.code not in seen and pm.is_active(permission_plugin(p.code))]
    if not new:
        return {}
    granted = _grant_defaults(new)
    _record(seen | {p.code for p in new})
    for role_code, codes in granted.items():
        log.info("role %s given the new permissions %s", role_code, ", ".join(codes))
    db.session.flush()
    return granted


def _grant_defaults(perms) -> dict[str, list[str]]:
    from core.models import Role

    roles = {r.code: r for r in db.session.scalars(select(Role))}
    granted: dict[str, list[str]] = {}
    for role_code, role in roles.items():
        wanted = [p.code for p in perms if role_code == ADMIN_ROLE or role_code in p.default_roles]
        added = grant(role, wanted)
        if added:
            granted[role_code] = added
    return granted


def grant_plugin_defaults(code: str) -> dict[str, list[str]]:
    """``flask plugins grant-defaults CODE``: the administrator role gets every permission of
    plugin ``code``, the standard roles their defaults — whether seen before or not (an
    administrator asked). Only adds. The caller commits."""
    from core.permissions import all_permissions, permission_plugin

    perms = [p for p in all_permissions() if permission_plugin(p.code) == code]
    granted = _grant_defaults(perms)
    seen = ensure_record()
    _record(seen | {p.code for p in perms})
    db.session.flush()
    return granted
