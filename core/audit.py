"""The one audit hook: every insert, update and void of a business record is logged.

Models opt in with ``__audited__ = True`` (every :class:`BusinessRecord` does);
``__audit_exclude__`` names fields never logged (last login time);
``__audit_mask__`` fields logged as changed without their values (password hashes).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from core.models.base import utcnow
from core.models.system import AuditLog

_acting_user: contextvars.ContextVar[int | None] = contextvars.ContextVar("acting_user", default=None)
_SKIP = {"created_at", "updated_at", "created_by_id", "updated_by_id"}


def acting_user_id() -> int | None:
    """The user behind the current change: the logged-in user, or the CLI/job's user."""
    uid = _acting_user.get()
    if uid is not None:
        return uid
    if has_request_context():
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False):
            return current_user.id
    return None


@contextmanager
def acting_as(user):
    """Attribute changes made outside a request (CLI, jobs, demo data) to ``user``."""
    token = _acting_user.set(user.id if user is not None else None)
    try:
        yield
    finally:
        _acting_user.reset(token)


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _column_changes(obj, new: bool) -> dict:
    state = inspect(obj)
    exclude = getattr(obj, "__audit_exclude__", set())
    masked = getattr(obj, "__audit_mask__", set())
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP or key in exclude or key in masked:
            continue
        hist = state.attrs[key].history
        if new:
            value = getattr(obj, key)
            if value is not None and key != "id":
                changes[key] = [None, _jsonable(value)]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            newv = hist.added[0] if hist.added else None
            if _jsonable(old) != _jsonable(newv):
                changes[key] = [_jsonable(old), _jsonable(newv)]
    for key in masked:  # say that it changed, never what it was or is
        if key in state.mapper.column_attrs.keys() and state.attrs[key].history.has_changes():
            changes[key] = ["***", "***"]
    # Many-to-many links (a user's roles and estates) are part of the record.
    for rel in state.mapper.relationships:
        if rel.secondary is None or not rel.uselist or rel.viewonly:
            continue
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            changes[rel.key] = [sorted(_label(o) for o in hist.deleted) or None,
                                sorted(_label(o) for o in hist.added) or None]
    return changes


def _label(obj) -> str:
    return str(getattr(obj, "code", None) or inspect(obj).identity or obj)


def _record_id(obj) -> str:
    state = inspect(obj)
    ident = state.mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident)


def _before_flush(session: Session, flush_context, instances) -> None:
    uid = acting_user_id()
    for obj in session.new:
        if hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by_id = uid
            obj.updated_by_id = uid
    from core.revisions import only_bookkeeping

    for obj in session.dirty:
        if only_bookkeeping(obj):
            # Written back unchanged, so the column's ``onupdate`` does not stamp it either.
            if "updated_at" in inspect(obj).dict:
                flag_modified(obj, "updated_at")
            continue
        if hasattr(obj, "updated_by_id") and session.is_modified(obj, include_collections=False):
            obj.updated_by_id = uid
            if hasattr(obj, "updated_at"):
                obj.updated_at = utcnow()


def _after_flush(session: Session, flush_context) -> None:
    uid = acting_user_id()
    rows = []
    for obj, action in (
        [(o, "insert") for o in session.new]
        + [(o, "update") for o in session.dirty]
        + [(o, "delete") for o in session.deleted]
    ):
        if not getattr(obj, "__audited__", False):
            continue
        if action == "update" and not session.is_modified(obj, include_collections=True):
            continue
        changes = _column_changes(obj, new=(action == "insert"))
        if action == "update":
            if not changes:
                continue
            if "voided_at" in changes and changes["voided_at"][0] is None:
                action = "void"
        rows.append(
            {
                "at": utcnow(),
                "user_id": uid,
                "action": action,
                "table_name": obj.__tablename__,
                "record_id": _record_id(obj),
                "estate_id": getattr(obj, "estate_id", None),
                "changes": changes,
            }
        )
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def record_sql_change(table_name: str, record_id, estate_id: int | None, changes: dict,
                      action: str = "update") -> None:
    """Write the audit row of a change made with a SQL statement rather than through the ORM
    (a conditional ``UPDATE … WHERE paid = :seen``, say), which the flush hooks cannot see.
    ``changes`` maps a column to ``(old, new)``; the acting user is taken as for ORM changes."""
    db_changes = {k: [_jsonable(old), _jsonable(new)] for k, (old, new) in changes.items()}
    from core.extensions import db

    db.session.execute(insert(AuditLog.__table__), [{
        "at": utcnow(), "user_id": acting_user_id(), "action": action, "table_name": table_name,
        "record_id": str(record_id), "estate_id": estate_id, "changes": db_changes}])


def install(session_class) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
