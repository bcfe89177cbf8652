"""Completion figures per estate and day, kept for days that are over (issue 3).

The dashboard's *completion time* widget shows six months of "repairs completed,
average hours from report to completion, share completed by the due time". Months
that are over (and the days of this month that are over) cannot change except by a
late event (a reopen, a back-dated completion), so their figures are computed once
into ``repairs_day_stat`` — one row per estate, time zone and local day — and only
the day that is not over yet is read from ``repairs_repair``.

- **Filling**: the ``repairs.day_stats`` job (every 5 minutes) computes the days
  missing in the last :data:`KEEP_MONTHS` months, in the company's default time zone
  and in each estate's own one; ``flask repairs rebuild-stats`` recomputes them all
  (after an upgrade, or to check). A day is computed once it ended :data:`GRACE` ago.
- **Staying right**: a mapper event on :class:`Repair` deletes, in the same
  transaction, the rows of the days a change touches (the old and the new completion
  time), for every time zone; the job computes them again. A missing row means
  "compute live", so a figure is never stale, only sometimes slower.
- **Concurrency**: deleting and computing both lock the one ``repairs_stat_revision``
  row first, so a computation never stores figures a concurrent change made stale.
- **Same figures**: the rows hold the very sums the live query makes (count, sum of
  hours in the database's own date arithmetic, count on time); a month's average is
  their sum divided by their count, whether the days came from rows or live.
  Record rules (a technician sees their own repairs only) make figures per user: then
  everything is computed live, as before.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import bindparam, case, delete, func, insert, select, update

from core.extensions import db
from core.models import Estate, utcnow
from plugins.repairs.models import Repair, RepairDayStat, RepairStatRevision

#: How many months (this one included) the job keeps computed.
KEEP_MONTHS = 13
#: A day is computed once it ended this long ago (a transaction still writing into it has ended by then).
GRACE = timedelta(minutes=5)
#: Changes to times newer than this cannot touch a computed day (see GRACE): no lock, no delete.
RECENT = timedelta(minutes=1)

DAY = RepairDayStat.__table__
REVISION = RepairStatRevision.__table__


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


# -- the figures, straight from repairs_repair -------------------------------------
def hours_expr(dialect: str):
    """Hours from report to completion, in the database's own date arithmetic (as the live query)."""
    if dialect == "postgresql":
        return func.extract("epoch", Repair.completed_at - Repair.reported_at) / 3600.0
    return (func.julianday(Repair.completed_at) - func.julianday(Repair.reported_at)) * 24.0


def _bucket(column, edges: list[datetime]):
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2) if whens else sa.literal(0)


def live_rows(conn, estate_ids, edges: list[datetime]) -> list[tuple]:
    """``(estate_id, bucket, completed, hours_sum, on_time)`` of repairs completed in
    ``[edges[0], edges[-1])``, ``bucket`` being the index of the interval between edges."""
    if not estate_ids:
        return []
    inner = select(
        Repair.estate_id.label("e"), _bucket(Repair.completed_at, edges).label("b"),
        hours_expr(conn.dialect.name).label("hours"),
        case((Repair.completed_at <= Repair.due_at, 1), else_=0).label("on_time"),
    ).where(Repair.estate_id.in_(list(estate_ids)), Repair.completed_at.is_not(None),
            Repair.completed_at >= edges[0], Repair.completed_at < edges[-1]).subquery()
    return [tuple(r) for r in conn.execute(
        select(inner.c.e, inner.c.b, func.count(), func.sum(inner.c.hours), func.sum(inner.c.on_time))
        .group_by(inner.c.e, inner.c.b)).all()]


# -- keeping the rows -----------------------------------------------------------------
def lock(conn) -> None:
    """Take the revision row's lock (bumping it): held until the transaction ends."""
    res = conn.execute(update(REVISION).where(REVISION.c.id == 1).values(revision=REVISION.c.revision + 1))
    if res.rowcount == 0:
        conn.execute(insert(REVISION).values(id=1, revision=1))


def compute_days(conn, estate_ids, tz: str, first: date, last: date) -> int:
    """(Re)compute the rows of ``estate_ids`` for the days ``first..last`` in ``tz``; the
    caller holds :func:`lock` and commits. Returns how many rows were written."""
    if not estate_ids or last < first:
        return 0
    written = 0
    start = first
    while start <= last:  # a month at a time: one grouped query, at most 31 buckets
        end = min(last, next_month(start) - timedelta(days=1))
        span = days(start, end)
        edges = [local_midnight(d, tz) for d in span] + [local_midnight(end + timedelta(days=1), tz)]
        found = {(e, b): (n, h, t) for e, b, n, h, t in live_rows(conn, estate_ids, edges)}
        conn.execute(delete(DAY).where(DAY.c.estate_id.in_(list(estate_ids)), DAY.c.tz == tz,
                                       DAY.c.day >= start, DAY.c.day <= end))
        rows = []
        for e in estate_ids:
            for i, d in enumerate(span):
                n, h, t = found.get((e, i), (0, None, 0))
                rows.append({"estate_id": e, "tz": tz, "day": d, "month": yyyymm(d), "completed": int(n or 0),
                             "hours_sum": float(h) if h is not None else 0.0, "on_time": int(t or 0)})
        conn.execute(insert(DAY), rows)
        written += len(rows)
        start = end + timedelta(days=1)
    return written


def time_zones() -> dict[str, list[int]]:
    """The estates to keep figures for, per time zone: every active estate in the default
    zone (views of several estates) and in its own (the view of that one estate)."""
    default = current_app.config["PROPDESK_DEFAULT_TIMEZONE"]
    out: dict[str, set[int]] = defaultdict(set)
    for eid, tz in db.session.execute(select(Estate.id, Estate.timezone).where(Estate.active.is_(True))).all():
        out[default].add(eid)
        out[tz or default].add(eid)
    return {tz: sorted(ids) for tz, ids in out.items()}


def window(tz: str, now: datetime, months: int = KEEP_MONTHS) -> tuple[date, date]:
    today = now.astimezone(ZoneInfo(tz)).date()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return first, last_day_over(tz, now)


def refresh(now: datetime | None = None, rebuild: bool = False, months: int = KEEP_MONTHS) -> dict:
    """Compute the missing days (``rebuild``: all days) of the window, a month per
    transaction. Returns ``{"months": …, "rows": …}`` (months per time zone computed, rows written)."""
    now = now or utcnow()
    done = {"months": 0, "rows": 0}
    for tz, estate_ids in time_zones().items():
        first, last = window(tz, now, months)
        if last < first:
            continue
        have = defaultdict(int)
        if not rebuild:
            for e, m, n in db.session.execute(
                    select(DAY.c.estate_id, DAY.c.month, func.count()).where(
                        DAY.c.tz == tz, DAY.c.estate_id.in_(estate_ids), DAY.c.day >= first, DAY.c.day <= last)
                    .group_by(DAY.c.estate_id, DAY.c.month)).all():
                have[(e, m)] = n
        start = first
        while start <= last:
            end = min(last, next_month(start) - timedelta(days=1))
            want = (end - start).days + 1
            todo = [e for e in estate_ids if have[(e, yyyymm(start))] != want]
            if todo:
                conn = db.session.connection()
                lock(conn)
                done["rows"] += compute_days(conn, todo, tz, start, end)
                done["months"] += 1
                db.session.commit()
            start = end + timedelta(days=1)
    if rebuild:  # rows outside the window (older months, zones no longer used) are dropped
        conn = db.session.connection()
        lock(conn)
        zones = list(time_zones())
        for tz in zones:
            first, _last = window(tz, now, months)
            conn.execute(delete(DAY).where(DAY.c.tz == tz, DAY.c.day < first))
        conn.execute(delete(DAY).where(DAY.c.tz.not_in(zones)))
        db.session.commit()
    return done


def job() -> str:
    done = refresh()
    return f"{done['months']} month(s) computed, {done['rows']} day rows"


# -- reading: cached days + live rest ------------------------------------------------
_READ: dict[str, tuple] = {}


def _read_statements(dialect: str) -> tuple:
    """The statements of :func:`monthly`, built once (only their parameters change).

    ``usual``: one round trip for the usual call (every month but the last is over, the
    last one up to yesterday): the stored days' sums and row counts per month, and the
    live sums of the days not over yet. ``stored``, ``live``: the same per estate, for
    when some stored days are missing.
    """
    if dialect not in _READ:
        days_in = (DAY.c.tz == bindparam("tz"), DAY.c.estate_id.in_(bindparam("ids", expanding=True)),
                   DAY.c.day >= bindparam("first"), DAY.c.day <= bindparam("last"))
        day_sums = (func.sum(DAY.c.completed), func.sum(DAY.c.hours_sum), func.sum(DAY.c.on_time))
        live_in = (Repair.estate_id.in_(bindparam("ids", expanding=True)),
                   Repair.completed_at >= bindparam("start"), Repair.completed_at < bindparam("end"))
        live_sums = (func.count(), func.sum(hours_expr(dialect)),
                     func.sum(case((Repair.completed_at <= Repair.due_at, 1), else_=0)))
        stored = select(DAY.c.estate_id, DAY.c.month, func.count(), *day_sums).where(*days_in).group_by(
            DAY.c.estate_id, DAY.c.month)
        live = select(Repair.estate_id, *live_sums).where(*live_in).group_by(Repair.estate_id)
        zero_ = sa.literal_column("0")
        usual = sa.union_all(
            select(sa.literal_column("0"), DAY.c.month, func.count(), *day_sums).where(*days_in)
            .group_by(DAY.c.month),
            select(sa.literal_column("1"), zero_, zero_, *live_sums).where(*live_in),
        )
        _READ[dialect] = (usual, stored, live)
    return _READ[dialect]


def _want(first: date, over: date) -> int:
    """How many days of the month starting ``first`` are over (and so should be stored)."""
    last = min(over, next_month(first) - timedelta(days=1))
    return (last - first).days + 1 if last >= first else 0


def _figures(n, h, t) -> dict:
    return {"completed": int(n or 0), "hours_sum": float(h) if h is not None else 0.0, "on_time": int(t or 0)}


def _add(into: dict, fig: dict) -> None:
    for k in ("completed", "hours_sum", "on_time"):
        into[k] += fig[k]


def monthly(estate_ids, months: list[tuple[int, int]], tz: str, now: datetime | None = None) -> list[dict]:
    """Per month of ``months``: ``{"completed", "hours_sum", "on_time"}`` over ``estate_ids``,
    from the stored days where they are all there, live for the rest."""
    now = now or utcnow()
    estate_ids = sorted(set(estate_ids))
    if not estate_ids or not months:
        return [_figures(0, None, 0) for _ in months]
    conn = db.session.connection()
    over = last_day_over(tz, now)
    firsts = [month_first(y, m) for y, m in months]
    usual, stored_q, live_q = _read_statements(conn.dialect.name)
    tail_start, window_end = over + timedelta(days=1), next_month(firsts[-1])
    if firsts[-1] <= tail_start < window_end:
        rows = conn.execute(usual, {
            "tz": tz, "ids": estate_ids, "first": firsts[0], "last": over,
            "start": local_midnight(tail_start, tz), "end": local_midnight(window_end, tz)}).all()
        by_month = {m: (n_rows, sums) for kind, m, n_rows, *sums in rows if kind == 0}
        # Each (estate, zone, day) is one row: the count tells whether every day is there.
        if all(by_month.get(yyyymm(f), (0, None))[0] == _want(f, over) * len(estate_ids) for f in firsts):
            out = [_figures(*by_month[yyyymm(f)][1]) if yyyymm(f) in by_month else _figures(0, None, 0)
                   for f in firsts]
            for kind, _m, _n, *sums in rows:
                if kind == 1:
                    _add(out[-1], _figures(*sums))
            return out
    return _by_estate(conn, estate_ids, firsts, tz, over, stored_q, live_q)


def _by_estate(conn, estate_ids, firsts, tz, over, stored_q, live_q) -> list[dict]:
    """:func:`monthly` when some stored days are missing: per estate and month, the stored
    days when they are all there, else the month live; the days not over yet live."""
    out = [_figures(0, None, 0) for _ in firsts]
    stored = {}
    if firsts[0] <= over:
        for e, m, n_days, *sums in conn.execute(
                stored_q, {"tz": tz, "ids": estate_ids, "first": firsts[0], "last": over}).all():
            stored[(e, m)] = (n_days, sums)
    ranges: dict[tuple[date, date], list[tuple[int, list[int]]]] = defaultdict(list)
    for i, first in enumerate(firsts):
        end = next_month(first)  # exclusive
        want = _want(first, over)
        complete, partial = [], []
        for e in estate_ids:
            n_days, sums = stored.get((e, yyyymm(first)), (0, None))
            if want and n_days == want:
                _add(out[i], _figures(*sums))
                complete.append(e)
            else:
                partial.append(e)
        if partial:
            ranges[(first, end)].append((i, partial))
        after = first + timedelta(days=want)
        if complete and after < end:
            ranges[(after, end)].append((i, complete))
    for (start, end), parts in ranges.items():  # one grouped query per range
        ids = sorted({e for _i, es in parts for e in es})
        by_estate = {e: _figures(*sums) for e, *sums in conn.execute(
            live_q, {"ids": ids, "start": local_midnight(start, tz), "end": local_midnight(end, tz)}).all()}
        for i, es in parts:
            for e in es:
                _add(out[i], by_estate.get(e, _figures(0, None, 0)))
    return out


# -- invalidation ----------------------------------------------------------------------
_WATCHED = ("completed_at", "reported_at", "due_at", "estate_id")


def _values(state, attr: str) -> list:
    h = state.attrs[attr].history
    return [v for v in (*(h.added or ()), *(h.deleted or ()), *(h.unchanged or ())) if v is not None]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def touched(conn, target, inserted: bool) -> None:
    """After a repair was inserted or updated (in the flush): delete the stored days its
    old and new completion times fall in, when a watched column changed."""
    state = sa.inspect(target)
    if not inserted and not any(state.attrs[a].history.has_changes() for a in _WATCHED):
        return
    times = _values(state, "completed_at")
    if not times and not inserted and "completed_at" not in state.dict:
        times = [v for v in [conn.scalar(select(Repair.completed_at).where(Repair.id == target.id))] if v]
    cutoff = utcnow() - RECENT
    old = sorted({_as_utc(t).date() for t in times if _as_utc(t) < cutoff})
    if not old:
        return  # no completion time, or only days that are not over yet (so not stored)
    estates = set(_values(state, "estate_id"))
    if not estates:
        estates = {conn.scalar(select(Repair.estate_id).where(Repair.id == target.id))}
    lock(conn)
    for d in old:  # any time zone's local day of t lies within the UTC days around t
        conn.execute(delete(DAY).where(DAY.c.estate_id.in_(sorted(estates)),
                                       DAY.c.day >= d - timedelta(days=1), DAY.c.day <= d + timedelta(days=1)))
