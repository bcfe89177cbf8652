"""Handling-rate figures per estate and day, kept for days that are over (issue 3).

The *handling rate* widget and the monthly report show per month: complaints
received, closed, answered on time, confirmed satisfied, handled effectively, and
the average hours to the written reply. Days that are over cannot change except by
a late event (a return visit's result, a reopen, a back-dated entry), so their
figures are computed once into ``complaints_day_stat`` — one row per estate, time
zone and local day — and only the day that is not over yet is read live.

The keeping (the ``complaints.day_stats`` job, ``flask complaints rebuild-stats``, the
lock on ``complaints_stat_revision``, deleting the days a change touches — received day;
closed day, old and new — in the same transaction) is :class:`core.daystats.DayStore`;
this module supplies the figures and reads them. The rows hold the live query's own
sums, so the figures are the same either way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import bindparam, case, func, select

from core.daystats import (
    KEEP_MONTHS,
    DayStore,
    bucket,
    days_over,
    history_values,
    hours_between,
    last_day_over,
    local_midnight,
    month_first,
    next_month,
    yyyymm,
)
from core.extensions import db
from core.models import utcnow
from plugins.complaints.models import Complaint, ComplaintDayStat, ComplaintStatRevision

__all__ = ["KEEP_MONTHS", "job", "monthly", "refresh", "touched"]

DAY = ComplaintDayStat.__table__


# -- the figures, straight from complaints_complaint ----------------------------------
#: The sums kept per day, in this order.
FIELDS = ("received", "closed", "on_time", "satisfied", "effective", "reply_hours_sum", "reply_hours_n")


def live_rows(conn, estate_ids, edges: list[datetime]) -> dict[tuple[int, int], dict]:
    """``{(estate_id, bucket): {field: sum}}`` for complaints received / closed in
    ``[edges[0], edges[-1])``, ``bucket`` being the index of the interval between edges."""
    out: dict[tuple[int, int], dict] = {}
    if not estate_ids:
        return out
    c = Complaint
    where = [c.estate_id.in_(list(estate_ids))]
    on_time = c.replied_on_time_sql(c)
    satisfied = c.satisfied.is_(True)
    inner = select(
        c.estate_id.label("e"), bucket(c.closed_at, edges).label("b"),
        case((on_time, 1), else_=0).label("on_time"), case((satisfied, 1), else_=0).label("satisfied"),
        case((sa.and_(on_time, satisfied), 1), else_=0).label("effective"),
        hours_between(conn.dialect.name, c.received_at, c.reply_at).label("hours"),
    ).where(*where, c.closed_at >= edges[0], c.closed_at < edges[-1]).subquery()
    for e, b, n, t, s, f, h_sum, h_n in conn.execute(
            select(inner.c.e, inner.c.b, func.count(), func.sum(inner.c.on_time), func.sum(inner.c.satisfied),
                   func.sum(inner.c.effective), func.sum(inner.c.hours), func.count(inner.c.hours))
            .group_by(inner.c.e, inner.c.b)).all():
        out[(e, b)] = {"received": 0, "closed": int(n), "on_time": int(t or 0), "satisfied": int(s or 0),
                       "effective": int(f or 0), "reply_hours_sum": float(h_sum) if h_sum is not None else 0.0,
                       "reply_hours_n": int(h_n or 0)}
    inner = select(c.estate_id.label("e"), bucket(c.received_at, edges).label("b")).where(
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


STORE = DayStore(DAY, ComplaintStatRevision.__table__, live_rows, zero)
refresh = STORE.refresh
job = STORE.job


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
        on_time = c.replied_on_time_sql(c)
        satisfied = c.satisfied.is_(True)
        hours = hours_between(dialect, c.received_at, c.reply_at)
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
        if all(by_month.get(yyyymm(f), (0, None))[0] == days_over(f, over) * len(estate_ids) for f in firsts):
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
        want = days_over(first, over)
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
#: A change of these moves a complaint between the month figures' groups (``breakdown``).
_GROUPS = ("category", "department_id")


def _current(conn, state, target, attr: str, inserted: bool) -> list:
    """The attribute's old, new or unchanged values; read from the row when not loaded."""
    vals = history_values(state, attr)
    if not vals and not inserted and attr not in state.dict:
        vals = [v for v in [conn.scalar(select(getattr(Complaint, attr)).where(Complaint.id == target.id))] if v]
    return vals


def touched(conn, target, inserted: bool) -> None:
    """After a complaint was inserted or updated (in the flush): delete the stored days
    whose figures it changes."""
    from plugins.complaints import breakdown

    state = sa.inspect(target)
    changed = lambda attrs: inserted or any(state.attrs[a].history.has_changes() for a in attrs)  # noqa: E731
    times = []
    if changed(_CLOSED_FIGURES):
        times += _current(conn, state, target, "closed_at", inserted)
    if changed(_RECEIVED_FIGURES):
        times += _current(conn, state, target, "received_at", inserted)
    # The month figures (``breakdown``) also split by category and department.
    months = times if not changed(_GROUPS) else (_current(conn, state, target, "closed_at", inserted)
                                                 + _current(conn, state, target, "received_at", inserted))
    if not times and not months:
        return
    estates = set(_current(conn, state, target, "estate_id", inserted))
    if times:
        STORE.forget(conn, estates, times)
    breakdown.forget(conn, estates, months)
