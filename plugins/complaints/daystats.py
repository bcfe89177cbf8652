"""Handling-rate figures per estate and day, kept for days that are over (issue 3).

The *handling rate* widget and the monthly report show per month: complaints
received, closed, answered on time, confirmed satisfied, handled effectively, and
the average hours to the written reply. Days that are over cannot change except by
a late event (a return visit's result, a reopen, a back-dated entry), so their
figures are computed once into ``complaints_day_stat`` — one row per estate, time
zone and local day — and only the day that is not over yet is read live.

Same scheme as the repairs plugin's ``daystats``: the ``complaints.day_stats`` job
fills missing days of the last :data:`KEEP_MONTHS` months (default time zone and each
estate's own), ``flask complaints rebuild-stats`` recomputes them, a mapper event on
:class:`Complaint` deletes the days a change touches (received day; closed day, old
and new) in the same transaction, both sides lock the ``complaints_stat_revision``
row, and a missing row means "compute live". The rows hold the live query's own
sums, so the figures are the same either way.
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
from plugins.complaints.models import Complaint, ComplaintDayStat, ComplaintStatRevision

#: How many months (this one included) the job keeps computed.
KEEP_MONTHS = 13
#: A day is computed once it ended this long ago (a transaction still writing into it has ended by then).
GRACE = timedelta(minutes=5)
#: Changes to times newer than this cannot touch a computed day (see GRACE): no lock, no delete.
RECENT = timedelta(minutes=1)

DAY = ComplaintDayStat.__table__
REVISION = ComplaintStatRevision.__table__


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


# -- the figures, straight from complaints_complaint ----------------------------------
#: The sums kept per day, in this order.
FIELDS = ("received", "closed", "on_time", "satisfied", "effective", "reply_hours_sum", "reply_hours_n")


def hours_expr(dialect: str, start, end):
    """Hours between two columns, in the database's own date arithmetic (as the live query)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _bucket(column, edges: list[datetime]):
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2) if whens else sa.literal(0)


def live_rows(conn, estate_ids, edges: list[datetime]) -> dict[tuple[int, int], dict]:
    """``{(estate_id, bucket): {field: sum}}`` for complaints received / closed in
    ``[edges[0], edges[-1])``, ``bucket`` being the index of the interval between edges."""
    out: dict[tuple[int, int], dict] = {}
    if not estate_ids:
        return out
    c = Complaint
    where = [c.estate_id.in_(list(estate_ids))]
    on_time = sa.and_(c.reply_at.is_not(None), c.reply_at <= c.reply_due_at)
    satisfied = c.satisfied.is_(True)
    inner = select(
        c.estate_id.label("e"), _bucket(c.closed_at, edges).label("b"),
        case((on_time, 1), else_=0).label("on_time"), case((satisfied, 1), else_=0).label("satisfied"),
        case((sa.and_(on_time, satisfied), 1), else_=0).label("effective"),
        hours_expr(conn.dialect.name, c.received_at, c.reply_at).label("hours"),
    ).where(*where, c.closed_at >= edges[0], c.closed_at < edges[-1]).subquery()
    for e, b, n, t, s, f, h_sum, h_n in conn.execute(
            select(inner.c.e, inner.c.b, func.count(), func.sum(inner.c.on_time), func.sum(inner.c.satisfied),
                   func.sum(inner.c.effective), func.sum(inner.c.hours), func.count(inner.c.hours))
            .group_by(inner.c.e, inner.c.b)).all():
        out[(e, b)] = {"received": 0, "closed": int(n), "on_time": int(t or 0), "satisfied": int(s or 0),
                       "effective": int(f or 0), "reply_hours_sum": float(h_sum) if h_sum is not None else 0.0,
                       "reply_hours_n": int(h_n or 0)}
    inner = select(c.estate_id.label("e"), _bucket(c.received_at, edges).label("b")).where(
        *where, c.received_at >= edges[0], c.received_at < edges[-1]).subquery()
    for e, b, n in conn.execute(select(inner.c.e, inner.c.b, func.count()).group_by(inner.c.e, inner.c.b)).all():
        out.setdefault((e, b), zero())["received"] = int(n)
    return out


def _sums(values) -> dict:
    """Database sums in :data:`FIELDS` order as a figures dict (NULL sums are 0)."""
    return {k: (float(v) if v is not None else 0.0) if k == "reply_hours_sum" else int(v or 0)
            for k, v in zip(FIELDS, values, strict=True)}


def zero() -> dict:
    return {"received": 0, "closed": 0, "on_time": 0, "satisfied": 0, "effective": 0,
            "reply_hours_sum": 0.0, "reply_hours_n": 0}


def add(into: dict, fig: dict) -> None:
    for k in FIELDS:
        into[k] += fig[k]


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
        found = live_rows(conn, estate_ids, edges)
        conn.execute(delete(DAY).where(DAY.c.estate_id.in_(list(estate_ids)), DAY.c.tz == tz,
                                       DAY.c.day >= start, DAY.c.day <= end))
        rows = []
        for e in estate_ids:
            for i, d in enumerate(span):
                rows.append({"estate_id": e, "tz": tz, "day": d, "month": yyyymm(d), **found.get((e, i), zero())})
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
    live sums of the days not over yet. ``stored``, ``closed``, ``received``: the same per
    estate, for when some stored days are missing.
    """
    if dialect not in _READ:
        c = Complaint
        ids = c.estate_id.in_(bindparam("ids", expanding=True))
        days_in = (DAY.c.tz == bindparam("tz"), DAY.c.estate_id.in_(bindparam("ids", expanding=True)),
                   DAY.c.day >= bindparam("first"), DAY.c.day <= bindparam("last"))
        closed_in = (ids, c.closed_at >= bindparam("start"), c.closed_at < bindparam("end"))
        received_in = (ids, c.received_at >= bindparam("start"), c.received_at < bindparam("end"))
        on_time = sa.and_(c.reply_at.is_not(None), c.reply_at <= c.reply_due_at)
        satisfied = c.satisfied.is_(True)
        hours = hours_expr(dialect, c.received_at, c.reply_at)
        closed_sums = (func.count(), func.sum(case((on_time, 1), else_=0)), func.sum(case((satisfied, 1), else_=0)),
                       func.sum(case((sa.and_(on_time, satisfied), 1), else_=0)), func.sum(hours), func.count(hours))
        day_sums = [func.sum(DAY.c[k]) for k in FIELDS]
        # Closed and received are two selects, not one with "closed in range OR received in
        # range": each reads its own (estate, time) index; the OR scans on SQLite.
        stored = select(DAY.c.estate_id, DAY.c.month, func.count(), *day_sums).where(*days_in).group_by(
            DAY.c.estate_id, DAY.c.month)
        closed = select(c.estate_id, *closed_sums).where(*closed_in).group_by(c.estate_id)
        received = select(c.estate_id, func.count()).where(*received_in).group_by(c.estate_id)
        zero_ = sa.literal_column("0")
        usual = sa.union_all(
            select(sa.literal_column("0"), DAY.c.month, func.count(), *day_sums).where(*days_in)
            .group_by(DAY.c.month),
            select(sa.literal_column("1"), zero_, zero_, zero_, *closed_sums).where(*closed_in),
            select(sa.literal_column("2"), zero_, zero_, func.count(), zero_, zero_, zero_, zero_,
                   sa.cast(sa.null(), sa.Float), zero_).where(*received_in),
        )
        _READ[dialect] = (usual, stored, closed, received)
    return _READ[dialect]


def _want(first: date, over: date) -> int:
    """How many days of the month starting ``first`` are over (and so should be stored)."""
    last = min(over, next_month(first) - timedelta(days=1))
    return (last - first).days + 1 if last >= first else 0


def monthly(estate_ids, months: list[tuple[int, int]], tz: str, now: datetime | None = None) -> list[dict]:
    """Per month of ``months``: the sums of :data:`FIELDS` over ``estate_ids``, from the
    stored days where they are all there, live for the rest."""
    now = now or utcnow()
    estate_ids = sorted(set(estate_ids))
    if not estate_ids or not months:
        return [zero() for _ in months]
    conn = db.session.connection()
    over = last_day_over(tz, now)
    firsts = [month_first(y, m) for y, m in months]
    usual, stored_q, closed_q, received_q = _read_statements(conn.dialect.name)
    tail_start, window_end = over + timedelta(days=1), next_month(firsts[-1])
    if firsts[-1] <= tail_start < window_end:
        rows = conn.execute(usual, {
            "tz": tz, "ids": estate_ids, "first": firsts[0], "last": over,
            "start": local_midnight(tail_start, tz), "end": local_midnight(window_end, tz)}).all()
        by_month = {m: (n, sums) for kind, m, n, *sums in rows if kind == 0}
        # Each (estate, zone, day) is one row: the count tells whether every day is there.
        if all(by_month.get(yyyymm(f), (0, None))[0] == _want(f, over) * len(estate_ids) for f in firsts):
            out = [_sums(by_month[yyyymm(f)][1]) if yyyymm(f) in by_month else zero() for f in firsts]
            for kind, _m, _n, *sums in rows:
                if kind != 0:
                    add(out[-1], _sums(sums))
            return out
    return _by_estate(conn, estate_ids, firsts, tz, over, stored_q, closed_q, received_q)


def _by_estate(conn, estate_ids, firsts, tz, over, stored_q, closed_q, received_q) -> list[dict]:
    """:func:`monthly` when some stored days are missing: per estate and month, the stored
    days when they are all there, else the month live; the days not over yet live."""
    out = [zero() for _ in firsts]
    stored: dict[tuple[int, int], tuple[int, list]] = {}
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
                add(out[i], _sums(sums))
                complete.append(e)
            else:
                partial.append(e)
        if partial:
            ranges[(first, end)].append((i, partial))
        after = first + timedelta(days=want)
        if complete and after < end:
            ranges[(after, end)].append((i, complete))
    for (start, end), parts in ranges.items():  # one pair of grouped queries per range
        params = {"ids": sorted({e for _i, es in parts for e in es}),
                  "start": local_midnight(start, tz), "end": local_midnight(end, tz)}
        found = {e: _sums([0, *sums]) for e, *sums in conn.execute(closed_q, params).all()}
        for e, n in conn.execute(received_q, params).all():
            found.setdefault(e, zero())["received"] = int(n)
        for i, es in parts:
            for e in es:
                add(out[i], found.get(e, zero()))
    return out


# -- invalidation ----------------------------------------------------------------------
#: A change of these touches the day the complaint was closed on (old and new).
_CLOSED_FIGURES = ("closed_at", "reply_at", "reply_due_at", "satisfied", "received_at", "estate_id")
#: A change of these touches the day it was received on (old and new).
_RECEIVED_FIGURES = ("received_at", "estate_id")


def _values(state, attr: str) -> list:
    h = state.attrs[attr].history
    return [v for v in (*(h.added or ()), *(h.deleted or ()), *(h.unchanged or ())) if v is not None]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _current(conn, state, target, attr: str, inserted: bool) -> list:
    """The attribute's old, new or unchanged values; read from the row when not loaded."""
    vals = _values(state, attr)
    if not vals and not inserted and attr not in state.dict:
        vals = [v for v in [conn.scalar(select(getattr(Complaint, attr)).where(Complaint.id == target.id))] if v]
    return vals


def touched(conn, target, inserted: bool) -> None:
    """After a complaint was inserted or updated (in the flush): delete the stored days
    whose figures it changes."""
    state = sa.inspect(target)
    changed = lambda attrs: inserted or any(state.attrs[a].history.has_changes() for a in attrs)  # noqa: E731
    times = []
    if changed(_CLOSED_FIGURES):
        times += _current(conn, state, target, "closed_at", inserted)
    if changed(_RECEIVED_FIGURES):
        times += _current(conn, state, target, "received_at", inserted)
    cutoff = utcnow() - RECENT
    old = sorted({_as_utc(t).date() for t in times if _as_utc(t) < cutoff})
    if not old:
        return  # only days that are not over yet (and so not stored) are touched
    estates = set(_current(conn, state, target, "estate_id", inserted))
    lock(conn)
    for d in old:  # any time zone's local day of t lies within the UTC days around t
        conn.execute(delete(DAY).where(DAY.c.estate_id.in_(sorted(estates)),
                                       DAY.c.day >= d - timedelta(days=1), DAY.c.day <= d + timedelta(days=1)))
