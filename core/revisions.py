"""Site-wide change counters, and the per-app caches keyed by them.

``core_revision`` holds one counter per kind of change; every request reads them all in
one statement (``core.site.refresh_if_changed``), in every worker:

- ``plugins``: the enabled set (``core.site.bump_revision``);
- ``access`` (:data:`ACCESS`): users, roles, grants, estate memberships, estates and
  departments — what the page shell computes once per user (permission codes, estates,
  the menu);
- ``data`` (:data:`DATA`): any other change written through the ORM session — what the
  dashboard's cached figures and the menu's badges depend on;
- ``notifications`` (:data:`NOTIFICATIONS`): notifications written or read — the unread
  count beside the bell (kept with the badges), without emptying the dashboard's cache.

A transaction that changed rows (ORM flushes, and ``insert``/``update``/``delete``
statements run through the session) moves the counters it touched in ``before_commit``,
as its last statements: the row lock is held only until its commit, and once a worker
reads the new value the change is committed and visible. So a value computed from the
database after reading counter ``N`` is right for as long as the counter still reads ``N``:
:func:`cache` entries keyed by the counters are never stale. Writes that go around the
session (a raw DB-API connection) do not move the counters.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError

ACCESS = "access"
DATA = "data"
NOTIFICATIONS = "notifications"
ACCESS_TABLES = frozenset({
    "core_user", "core_role", "core_role_permission", "core_user_role", "core_user_estate",
    "core_estate", "core_department",
})
NOTIFICATION_TABLES = frozenset({"core_notification"})
#: Writes that move no cached figure: the counters themselves and bookkeeping.
QUIET_TABLES = frozenset({
    "core_revision", "core_login_attempt", "core_job_lease", "core_audit_log", "core_once_key",
    "alembic_version",
})
#: How many entries a cache keeps before it is emptied (one per user, or user's view).
MAX_ENTRIES = 2000

_PENDING = "propdesk_revisions"


def _revision_model():
    from core.models import Revision

    return Revision


def all_query():
    Revision = _revision_model()
    return select(Revision.name, Revision.value)


def read_all(connection) -> dict[str, int]:
    """Every counter, read on ``connection`` as plain SQL: the statement is the same on
    every request, so it skips SQLAlchemy's statement compilation and caching."""
    return dict(connection.exec_driver_sql(_ALL_SQL).all())


_ALL_SQL = "SELECT name, value FROM core_revision"


def current() -> dict[str, int]:
    """The counters as this request read them (read now outside a request)."""
    from core.extensions import db
    from core.plugins import request_cache

    cache = request_cache()
    revs = cache.get("revisions")
    if revs is None:
        revs = read_all(db.session.connection())
        cache["revisions"] = revs
    return revs


def cache(name: str) -> dict:
    """A dict kept by the current app across requests (emptied when it grows too big);
    its keys must hold every counter (and user, locale…) its values depend on."""
    from flask import current_app

    caches = current_app.extensions.setdefault("propdesk_caches", {})
    found = caches.get(name)
    if found is None or len(found) > MAX_ENTRIES:
        found = caches[name] = {}
    return found


def kept(name: str, subject, version):
    """The value :func:`keep` stored for ``subject`` (a user, a user's view…) in cache
    ``name``, if it was stored at ``version`` (the counters and whatever else it depends
    on); else ``None``. One entry per subject: a newer version replaces the older one."""
    entry = cache(name).get(subject)
    return entry[1] if entry is not None and entry[0] == version else None


def keep(name: str, subject, version, value):
    cache(name)[subject] = (version, value)
    return value


def unsettled(name: str) -> bool:
    """Whether the current session holds changes of kind ``name`` not committed yet (a
    test, or a view that flushed before rendering): a cache keyed by the counters would not
    know them, so the caller computes afresh and keeps nothing."""
    from core.extensions import db

    session = db.session()
    return name in session.info.get(_PENDING, ()) or bool(session.new or session.dirty or session.deleted)


# -- moving the counters ----------------------------------------------------------
def _mark(session, table: str | None) -> None:
    if not table or table in QUIET_TABLES:
        return
    kind = ACCESS if table in ACCESS_TABLES else NOTIFICATIONS if table in NOTIFICATION_TABLES else DATA
    session.info.setdefault(_PENDING, set()).add(kind)


def _table_of(obj) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return getattr(table, "name", None)


#: Stamps the audit sets on every edited record (``core.audit``).
_STAMPS = frozenset({"updated_at", "updated_by_id"})


def only_bookkeeping(obj) -> bool:
    """Whether every change of ``obj`` is to a column its model lists in
    ``__bookkeeping__``: what no kept page shows and no one edits (a user's last sign-in
    time). Such a change is not an edit of the record: it moves no counter, so a sign-in
    does not empty every user's kept menu and row, and ``core.audit`` stamps no
    ``updated_at``/``updated_by`` for it."""
    quiet = getattr(type(obj), "__bookkeeping__", None)
    if not quiet:
        return False
    from sqlalchemy import inspect as sa_inspect

    changed = {a.key for a in sa_inspect(obj).attrs if a.history.has_changes()} - _STAMPS
    return bool(changed) and changed <= quiet


def _after_flush(session, _flush_context) -> None:
    for obj in chain(session.new, session.deleted):
        _mark(session, _table_of(obj))
    for obj in session.dirty:
        if session.is_modified(obj) and not only_bookkeeping(obj):
            _mark(session, _table_of(obj))


def _on_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _mark(state.session, getattr(getattr(state.statement, "table", None), "name", None))


def _before_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer transaction commits later
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    names = session.info.pop(_PENDING, None)
    for name in sorted(names or ()):  # always in the same order: no deadlock between two
        bump(session, name)
    session.info.pop(_PENDING, None)


def _forget(session, *_args) -> None:
    if session.in_nested_transaction():  # a savepoint's end: the outer transaction goes on
        return
    session.info.pop(_PENDING, None)


def bump(session, name: str) -> None:
    """Move counter ``name`` in the session's transaction."""
    Revision = _revision_model()
    res = session.execute(update(Revision).where(Revision.name == name).values(value=Revision.value + 1))
    if res.rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(insert(Revision).values(name=name, value=1))
        except IntegrityError:  # another transaction made the row first
            session.execute(update(Revision).where(Revision.name == name).values(value=Revision.value + 1))


def install(session_class) -> None:
    if event.contains(session_class, "before_commit", _before_commit):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _on_execute)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_commit", _forget)
    event.listen(session_class, "after_rollback", _forget)
