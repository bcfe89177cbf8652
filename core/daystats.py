"""Figures per estate and local day, stored once the day is over.

A statistic over months (repairs completed and their average time, complaints handled
within the deadline…) cannot change for days that are over, except by a late event (a
reopen, a back-dated entry). A plugin keeps such figures in its own table — one row per
estate, time zone and local day, columns ``estate_id, tz, day, month`` (``yyyymm``) plus
its sums — and reads only the day that is not over yet live. :class:`DayStore` does the
keeping; the plugin supplies the live computation and reads the rows its own way.

- **Filling**: :meth:`DayStore.refresh` (a scheduled job, every few minutes) computes the
  days missing in the last :data:`KEEP_MONTHS` months, in the company's default time zone
  and in each estate's own; with ``rebuild=True`` it recomputes them all (the plugin's
  ``rebuild-stats`` command). A day is computed once it ended :data:`GRACE` ago.
- **Staying right**: the plugin's mapper events call :meth:`DayStore.forget` with the old and
  new times a change touches; it deletes those days in the same transaction, for every time
  zone. A missing row means "compute live", so a figure is never stale, only slower.
- **Concurrency**: forgetting and computing both lock the plugin's one-row revision table
  first, so a computation never stores figures a concurrent change made stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from core.extensions import db
from core.models import Estate, utcnow

#: How many months (this one included) are kept computed.
KEEP_MONTHS = 13
#: A day is computed once it ended this long ago (a transaction still writing into it has ended by then).
GRACE = timedelta(minutes=5)
#: Changes to times newer than this cannot touch a computed day (see GRACE): no lock, no delete.
RECENT = timedelta(minutes=1)


# -- days and months in a time zone -------------------------------------------------
def local_midnight(day: date, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def month_first(year: int, month: int) -> date:
    return date(year, month, 1)


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def last_day_over(tz: str, now: datetime) -> date:
    """The last local day in ``tz`` that ended at least :data:`GRACE` before ``now``."""
    return (now - GRACE).astimezone(ZoneInfo(tz)).date() - timedelta(days=1)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def yyyymm(d: date) -> int:
    return d.year * 100 + d.month


def days_over(first: date, over: date) -> int:
    """How many days of the month starting ``first`` are over (and so should be stored)."""
    last = min(over, next_month(first) - timedelta(days=1))
    return (last - first).days + 1 if last >= first else 0


def window(tz: str, now: datetime, months: int = KEEP_MONTHS) -> tuple[date, date]:
    """The days kept: from the first day ``months - 1`` months back to the last day over."""
    today = now.astimezone(ZoneInfo(tz)).date()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return first, last_day_over(tz, now)


def bucket(column, edges: list[datetime]):
    """The index of the interval between ``edges`` that ``column`` falls in (SQL ``CASE``)."""
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return sa.case(*whens, else_=len(edges) - 2) if whens else sa.literal(0)


def hours_between(dialect: str, start, end):
    """Hours between two columns, in the database's own date arithmetic."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def time_zones() -> dict[str, list[int]]:
    """The estates to keep figures for, per time zone: every active estate in the default
    zone (views of several estates) and in its own (the view of that one estate)."""
    default = current_app.config["PROPDESK_DEFAULT_TIMEZONE"]
    out: dict[str, set[int]] = defaultdict(set)
    for eid, tz in db.session.execute(select(Estate.id, Estate.timezone).where(Estate.active.is_(True))).all():
        out[default].add(eid)
        out[tz or default].add(eid)
    return {tz: sorted(ids) for tz, ids in out.items()}


# -- a change's old and new values (for the mapper events) ---------------------------
def history_values(state, attr: str) -> list:
    """An attribute's new, old and unchanged values in this flush (``None`` left out)."""
    h = state.attrs[attr].history
    return [v for v in (*(h.added or ()), *(h.deleted or ()), *(h.unchanged or ())) if v is not None]


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DayStore:
    """The stored days of one statistic.

    ``day_table`` has ``estate_id, tz, day, month`` and the figure columns; ``revision_table``
    one row (``id``, ``revision``). ``compute(conn, estate_ids, edges)`` returns
    ``{(estate_id, bucket): {column: value}}`` for the intervals between ``edges`` (see
    :func:`bucket`), straight from the source table; ``zero()`` the figures of an empty day.
    """

    def __init__(self, day_table: sa.Table, revision_table: sa.Table,
                 compute: Callable[..., dict], zero: Callable[[], dict]):
        self.day = day_table
        self.revision = revision_table
        self.compute = compute
        self.zero = zero

    def lock(self, conn) -> None:
        """Take the revision row's lock (bumping it): held until the transaction ends."""
        rev = self.revision
        res = conn.execute(update(rev).where(rev.c.id == 1).values(revision=rev.c.revision + 1))
        if res.rowcount == 0:
            conn.execute(insert(rev).values(id=1, revision=1))

    def compute_days(self, conn, estate_ids, tz: str, first: date, last: date) -> int:
        """(Re)compute the rows of ``estate_ids`` for the days ``first..last`` in ``tz``; the
        caller holds :meth:`lock` and commits. Returns how many rows were written."""
        if not estate_ids or last < first:
            return 0
        day_t = self.day
        written = 0
        start = first
        while start <= last:  # a month at a time: one grouped query, at most 31 buckets
            end = min(last, next_month(start) - timedelta(days=1))
            span = days(start, end)
            edges = [local_midnight(d, tz) for d in span] + [local_midnight(end + timedelta(days=1), tz)]
            found = self.compute(conn, estate_ids, edges)
            conn.execute(delete(day_t).where(day_t.c.estate_id.in_(list(estate_ids)), day_t.c.tz == tz,
                                             day_t.c.day >= start, day_t.c.day <= end))
            rows = [{"estate_id": e, "tz": tz, "day": d, "month": yyyymm(d), **found.get((e, i), self.zero())}
                    for e in estate_ids for i, d in enumerate(span)]
            conn.execute(insert(day_t), rows)
            written += len(rows)
            start = end + timedelta(days=1)
        return written

    def refresh(self, now: datetime | None = None, rebuild: bool = False, months: int = KEEP_MONTHS) -> dict:
        """Compute the missing days (``rebuild``: all days) of the window, a month per
        transaction. Returns ``{"months": …, "rows": …}`` (months per time zone computed, rows written)."""
        now = now or utcnow()
        day_t = self.day
        done = {"months": 0, "rows": 0}
        for tz, estate_ids in time_zones().items():
            first, last = window(tz, now, months)
            if last < first:
                continue
            have = defaultdict(int)
            if not rebuild:
                for e, m, n in db.session.execute(
                        select(day_t.c.estate_id, day_t.c.month, func.count()).where(
                            day_t.c.tz == tz, day_t.c.estate_id.in_(estate_ids), day_t.c.day >= first,
                            day_t.c.day <= last)
                        .group_by(day_t.c.estate_id, day_t.c.month)).all():
                    have[(e, m)] = n
            start = first
            while start <= last:
                end = min(last, next_month(start) - timedelta(days=1))
                want = (end - start).days + 1
                todo = [e for e in estate_ids if have[(e, yyyymm(start))] != want]
                if todo:
                    conn = db.session.connection()
                    self.lock(conn)
                    done["rows"] += self.compute_days(conn, todo, tz, start, end)
                    done["months"] += 1
                    db.session.commit()
                start = end + timedelta(days=1)
        if rebuild:  # rows outside the window (older months, zones no longer used) are dropped
            conn = db.session.connection()
            self.lock(conn)
            zones = list(time_zones())
            for tz in zones:
                first, _last = window(tz, now, months)
                conn.execute(delete(day_t).where(day_t.c.tz == tz, day_t.c.day < first))
            conn.execute(delete(day_t).where(day_t.c.tz.not_in(zones)))
            db.session.commit()
        return done

    def job(self) -> str:
        done = self.refresh()
        return f"{done['months']} month(s) computed, {done['rows']} day rows"

    def rebuild_command(self, help_text: str):
        """The plugin's ``flask <code> rebuild-stats [--months N]`` (for ``cli_commands``):
        recompute every stored day, e.g. once after the upgrade that added the table."""
        import click

        @click.command("rebuild-stats", help=help_text)
        @click.option("--months", default=None, type=int, help="How many months back, this one included.")
        def rebuild_stats(months):
            from core.db import immediate

            with immediate():
                done = self.refresh(rebuild=True, months=months or KEEP_MONTHS)
            db.session.commit()
            click.echo(f"{done['months']} month(s) computed, {done['rows']} day rows")

        return rebuild_stats

    def forget(self, conn, estate_ids, times) -> None:
        """Delete the stored days (every time zone) that the UTC ``times`` of a change fall in,
        for ``estate_ids``; times too recent to be in a stored day are ignored."""
        cutoff = utcnow() - RECENT
        old = sorted({as_utc(t).date() for t in times if as_utc(t) < cutoff})
        if not old:
            return  # only days that are not over yet (and so not stored) are touched
        self.lock(conn)
        day_t = self.day
        for d in old:  # any time zone's local day of t lies within the UTC days around t
            conn.execute(delete(day_t).where(day_t.c.estate_id.in_(sorted(estate_ids)),
                                             day_t.c.day >= d - timedelta(days=1),
                                             day_t.c.day <= d + timedelta(days=1)))
