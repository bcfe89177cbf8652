"""Database engine behaviour that must hold on every connection.

SQLite: foreign keys on, WAL journal (readers never block the writer), a busy
timeout, and — for requests that may write (POST, PUT, PATCH, DELETE) and
code inside :func:`immediate` (scheduled jobs) — ``BEGIN IMMEDIATE``, so
concurrent writers queue up on the busy timeout instead of failing halfway
with "database is locked" (the numbering service depends on this). Reads
(GET requests, CLI and tests outside a request) begin deferred, so they never
hold the write lock while another connection of the same process needs it.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
force_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("force_immediate", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if not _is_memory(dbapi_connection):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def _is_memory(dbapi_connection) -> bool:
    cur = dbapi_connection.cursor()
    try:
        rows = cur.execute("PRAGMA database_list").fetchall()
        return any(r[1] == "main" and not r[2] for r in rows)
    finally:
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    writes = force_immediate.get() or (has_request_context() and request.method not in _READ_ONLY_METHODS)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def immediate():
    """Transactions begun inside take SQLite's write lock at once (no-op elsewhere)."""
    token = force_immediate.set(True)
    try:
        yield
    finally:
        force_immediate.reset(token)
