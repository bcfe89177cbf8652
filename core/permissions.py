"""Permission codes and the one way to check them (route decorator, template helper)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import wraps

from flask import abort, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required


@dataclass(frozen=True)
class Permission:
    code: str
    title: object  # a lazy translated string
    default_roles: tuple[str, ...] = field(default_factory=tuple)


#: The demo roles, one per job in the seeds; their sets stay editable.
ROLES = {
    "admin": _l("Administrator"),
    "manager": _l("Office manager"),
    "supervisor": _l("Customer service supervisor"),
    "clerk": _l("Customer service clerk"),
    "frontdesk": _l("Front desk"),
    "cashier": _l("Cashier"),
    "archivist": _l("Archivist"),
    "technician": _l("Maintenance technician"),
    "cleaning": _l("Cleaning and greening supervisor"),
}

_STAFF = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist")

CORE_PERMISSIONS = [
    Permission("core.estates.view", _l("See estates, buildings and units"),
               _STAFF + ("technician", "cleaning")),
    Permission("core.estates.edit", _l("Create and edit buildings and units"), ("manager", "supervisor")),
    Permission("core.estates.admin", _l("Create and edit estates"), ()),
    Permission("core.residents.view", _l("See residents"), _STAFF),
    Permission("core.residents.edit", _l("Create and edit residents and occupancies"),
               ("manager", "supervisor", "clerk", "frontdesk")),
    Permission("core.residents.private", _l("See full phone and ID numbers"), ("manager", "supervisor")),
    Permission("core.import", _l("Import units and residents from files"), ("manager", "supervisor")),
    Permission("core.export", _l("Export lists to Excel"), ("manager", "supervisor", "clerk", "archivist")),
    Permission("core.audit.view", _l("Read the audit log"), ("manager",)),
    Permission("core.users.admin", _l("Manage staff accounts"), ()),
    Permission("core.roles.admin", _l("Manage roles and permissions"), ()),
    Permission("core.plugins.admin", _l("Enable and disable modules"), ()),
]


def all_permissions() -> list[Permission]:
    from core.plugins import plugins

    pm = plugins()
    cached = getattr(pm, "_permissions", None)
    if cached is None:
        cached = []
        for item in pm.collect_all_loaded("permissions"):
            if isinstance(item, Permission) and isinstance(item.code, str):
                cached.append(item)
            else:
                logging.getLogger(__name__).error(
                    "hook permissions returned %r, not a Permission: left out", item)
        pm._permissions = cached
    return cached


def permission_plugin(code: str) -> str:
    return code.split(".", 1)[0]


def has_permission(code: str, user=None) -> bool:
    """True if ``user`` (default: the current user) holds ``code`` and, for a plugin's
    permission, that plugin is enabled.

    The answers for the current user are kept for the request (the menu, the
    templates and the views ask the same few codes many times); they are dropped
    when the user or the site's enabled set changes.
    """
    from core.plugins import plugins, request_cache

    if user is None:
        user = current_user._get_current_object() if has_request_context() else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    pm = plugins()
    cache = request_cache()
    entry = cache.get("permissions")
    if entry is None or entry[0] is not user or entry[1] is not pm.enabled:
        entry = (user, pm.enabled, {})
        cache["permissions"] = entry
    answers = entry[2]
    answer = answers.get(code)
    if answer is None:
        owner = permission_plugin(code)
        answer = (owner == "core" or pm.is_active(owner)) and user.can(code)
        answers[code] = answer
    return answer


def require(*codes: str):
    """Route decorator: login required and every permission in ``codes`` held (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            for code in codes:
                if not has_permission(code):
                    abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = codes
        return wrapped

    return decorator
