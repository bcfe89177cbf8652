"""Record rules: the estate scope and plugin filters, applied as query filters.

A user never sees another estate's records — not in lists, counts, search,
exports, nor by guessing an id (404) — because every read goes through
:func:`scoped` or :func:`get_scoped_or_404`.
"""

from __future__ import annotations

from flask import abort, session
from flask_login import current_user
from sqlalchemy import false, select

from core.extensions import db


def user_estates(user=None) -> list:
    """The active estates the user belongs to (all of them for company-level staff),
    ordered by code; one query per request (the estate switcher shows them)."""
    from sqlalchemy import inspect as sa_inspect

    from core.models import Estate
    from core.models.auth import user_estate

    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return []
    from core.plugins import request_cache

    cache = request_cache().setdefault("estates", {})
    found = cache.get(user.id)
    if found is not None:
        return found
    if user.all_estates:
        stmt = select(Estate).where(Estate.active.is_(True))
    elif "estates" in sa_inspect(user).dict:  # already loaded (and maybe changed) in this session
        ids = user_estate_ids(user)
        stmt = select(Estate).where(Estate.id.in_(ids)) if ids else None
    else:
        stmt = select(Estate).where(Estate.active.is_(True), Estate.id.in_(
            select(user_estate.c.estate_id).where(user_estate.c.user_id == user.id)))
    # Ordered by the database, as the switcher always was (collations differ from Python's).
    found = list(db.session.scalars(stmt.order_by(Estate.code))) if stmt is not None else []
    cache[user.id] = found
    return found


def user_estate_ids(user=None) -> list[int]:
    """Every estate the user belongs to (all of them for company-level staff)."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return []
    from core.plugins import request_cache

    cache = request_cache().setdefault("estate_ids", {})
    ids = cache.get(user.id)
    if ids is None:
        from sqlalchemy import inspect as sa_inspect

        if not user.all_estates and "estates" in sa_inspect(user).dict:
            ids = sorted(e.id for e in user.estates if e.active)  # loaded already: no query
        else:
            ids = sorted(e.id for e in estate_choices(user))
        cache[user.id] = ids
    return ids


class EstateChoice:
    """An estate as the shell shows it (id, code, name), kept across requests; any other
    attribute is read from the estate itself (loaded on first use)."""

    __slots__ = ("id", "code", "name")

    def __init__(self, id: int, code: str, name: str):
        self.id, self.code, self.name = id, code, name

    def __getattr__(self, attr):
        from core.models import Estate

        return getattr(db.session.get(Estate, self.id), attr)


def estate_choices(user=None) -> list[EstateChoice]:
    """:func:`user_estates` as :class:`EstateChoice` — the estate switcher and the estate
    scope — computed once per user until users, memberships or estates change
    (``core.revisions``): no query on most requests."""
    from core import revisions

    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return []
    from sqlalchemy import inspect as sa_inspect

    if (not user.all_estates and "estates" in sa_inspect(user).dict) or revisions.unsettled(revisions.ACCESS):
        # changed in this session, maybe: as the database has them now, kept nowhere
        return [EstateChoice(e.id, e.code, e.name) for e in user_estates(user)]
    version = revisions.current().get(revisions.ACCESS)
    found = revisions.kept("estates", user.id, version)
    if found is None:
        found = revisions.keep("estates", user.id, version,
                               [EstateChoice(e.id, e.code, e.name) for e in user_estates(user)])
    return found


def current_estate_ids(user=None) -> list[int]:
    """The estates in the user's current view: the switcher's choice, or all of theirs."""
    ids = user_estate_ids(user)
    chosen = session.get("estate_id")
    if chosen and chosen in ids and (user is None or user is current_user):
        return [chosen]
    return ids


def _plugin_rules(model, user) -> list:
    from core.plugins import plugins, request_cache

    cache = request_cache().setdefault("record_rules", {})
    if user.id not in cache:
        merged: dict = {}
        for _code, rules, err in plugins().call_each("record_rules", user=user):
            if err is not None:
                # A rule that cannot be computed denies: better no rows than another's rows.
                merged = {"__deny__": True}
                break
            for mdl, exprs in (rules or {}).items():
                merged.setdefault(mdl, []).extend(exprs)
        cache[user.id] = merged
    if cache[user.id].get("__deny__"):
        return [false()]
    return cache[user.id].get(model, [])


def scope_filters(model, user=None, estate_ids=None) -> list:
    """The WHERE clauses that restrict ``model`` to what ``user`` may see."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return [false()]
    filters = []
    if hasattr(model, "estate_id"):
        mine = user_estate_ids(user)
        ids = mine if estate_ids is None else [i for i in estate_ids if i in mine]
        filters.append(model.estate_id.in_(ids) if ids else false())
    elif model.__tablename__ == "core_estate":
        ids = user_estate_ids(user) if estate_ids is None else estate_ids
        filters.append(model.id.in_(ids) if ids else false())
    filters.extend(_plugin_rules(model, user))
    return filters


def scoped(model, user=None, estate_ids=None):
    """``select(model)`` restricted to the user's estates and the plugins' record rules."""
    return select(model).where(*scope_filters(model, user, estate_ids))


def get_scoped_or_404(model, ident, user=None):
    """Load one record the user may see, or answer 404 (never 403: ids are not confirmed)."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    pk = model.__mapper__.primary_key[0]
    obj = db.session.scalars(scoped(model, user).where(pk == ident)).first()
    if obj is None:
        abort(404)
    return obj


def users_with_permission(estate_id: int, code: str) -> list:
    """Active staff who belong to the estate and whose roles grant ``code``.

    For "tell the estate's supervisors" (overdue jobs) and "pick a technician"
    lists: one query, membership only (company-wide accounts are not on duty in
    an estate unless they are members of it).
    """
    from core.models import RolePermission, User
    from core.models.auth import user_estate, user_role

    return list(db.session.scalars(
        select(User).where(
            User.active.is_(True),
            User.id.in_(select(user_estate.c.user_id).where(user_estate.c.estate_id == estate_id)),
            User.id.in_(select(user_role.c.user_id)
                        .join(RolePermission, RolePermission.role_id == user_role.c.role_id)
                        .where(RolePermission.code.in_([code, "*"]))),
        ).order_by(User.id)))
