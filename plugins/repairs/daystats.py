"""Completion figures per estate and day, kept for days that are over (issue 3).

The dashboard's *completion time* widget shows six months of "repairs completed,
average hours from report to completion, share completed by the due time". Months
that are over (and the days of this month that are over) cannot change except by a
late event (a reopen, a back-dated completion), so their figures are computed once
into ``repairs_day_stat`` — one row per estate, time zone and local day — and only
the day that is not over yet is read from ``repairs_repair``.

The keeping (the job, ``flask repairs rebuild-stats``, the lock, deleting the days a
change touches) is :class:`core.daystats.DayStore`; this module supplies the figures and
reads them. The rows hold the very sums the live query makes (count, sum of hours in the
database's own date arithmetic, count on time); a month's average is their sum divided by
their count, whether the days came from rows or live. Record rules (a technician sees
their own repairs only) make figures per user: then everything is computed live.
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
from plugins.repairs.models import Repair, RepairDayStat, RepairStatRevision

__all__ = ["KEEP_MONTHS", "job", "monthly", "refresh", "touched"]

DAY = RepairDayStat.__table__


# -- the figures, straight from repairs_repair -------------------------------------
def hours_expr(dialect: str):
    """Hours from report to completion, in the database's own date arithmetic (as the live query)."""
    return hours_between(dialect, Repair.reported_at, Repair.completed_at)


def _figures(n, h, t) -> dict:
    return {"completed": int(n or 0), "hours_sum": float(h) if h is not None else 0.0, "on_time": int(t or 0)}


def _zero() -> dict:
    return _figures(0, None, 0)


def live_rows(conn, estate_ids, edges: list[datetime]) -> dict[tuple[int, int], dict]:
    """``{(estate_id, bucket): figures}`` of repairs completed in ``[edges[0], edges[-1])``,
    ``bucket`` being the index of the interval between edges."""
    if not estate_ids:
        return {}
    inner = select(
        Repair.estate_id.label("e"), bucket(Repair.completed_at, edges).label("b"),
        hours_expr(conn.dialect.name).label("hours"),
        case((Repair.completed_at <= Repair.due_at, 1), else_=0).label("on_time"),
    ).where(Repair.estate_id.in_(list(estate_ids)), Repair.completed_at.is_not(None),
            Repair.completed_at >= edges[0], Repair.completed_at < edges[-1]).subquery()
    return {(e, b): _figures(n, h, t) for e, b, n, h, t in conn.execute(
        select(inner.c.e, inner.c.b, func.count(), func.sum(inner.c.hours), func.sum(inner.c.on_time))
        .group_by(inner.c.e, inner.c.b)).all()}


STORE = DayStore(DAY, RepairStatRevision.__table__, live_rows, _zero)
refresh = STORE.refresh
job = STORE.job


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


def _add(into: dict, fig: dict) -> None:
    for k in ("completed", "hours_sum", "on_time"):
        into[k] += fig[k]


def monthly(estate_ids, months: list[tuple[int, int]], tz: str, now: datetime | None = None) -> list[dict]:
    """Per month of ``months``: ``{"completed", "hours_sum", "on_time"}`` over ``estate_ids``,
    from the stored days where they are all there, live for the rest."""
    now = now or utcnow()
    estate_ids = sorted(set(estate_ids))
    if not estate_ids or not months:
        return [_zero() for _ in months]
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
        if all(by_month.get(yyyymm(f), (0, None))[0] == days_over(f, over) * len(estate_ids) for f in firsts):
            out = [_figures(*by_month[yyyymm(f)][1]) if yyyymm(f) in by_month else _zero()
                   for f in firsts]
            for kind, _m, _n, *sums in rows:
                if kind == 1:
                    _add(out[-1], _figures(*sums))
            return out
    return _by_estate(conn, estate_ids, firsts, tz, over, stored_q, live_q)


def _by_estate(conn, estate_ids, firsts, tz, over, stored_q, live_q) -> list[dict]:
    """:func:`monthly` when some stored days are missing: per estate and month, the stored
    days when they are all there, else the month live; the days not over yet live."""
    out = [_zero() for _ in firsts]
    stored = {}
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
                _add(out[i], by_estate.get(e, _zero()))
    return out


# -- invalidation ----------------------------------------------------------------------
_WATCHED = ("completed_at", "reported_at", "due_at", "estate_id")


def touched(conn, target, inserted: bool) -> None:
    """After a repair was inserted or updated (in the flush): forget the stored days its
    old and new completion times fall in, when a watched column changed."""
    state = sa.inspect(target)
    if not inserted and not any(state.attrs[a].history.has_changes() for a in _WATCHED):
        return
    times = history_values(state, "completed_at")
    if not times and not inserted and "completed_at" not in state.dict:
        times = [v for v in [conn.scalar(select(Repair.completed_at).where(Repair.id == target.id))] if v]
    if not times:
        return
    estates = set(history_values(state, "estate_id"))
    if not estates:
        estates = {conn.scalar(select(Repair.estate_id).where(Repair.id == target.id))}
    STORE.forget(conn, estates, times)
