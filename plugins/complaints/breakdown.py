"""The statistics page's figures per category and department, kept for months that are over.

The year's statistics sum every complaint of the year by category and department: at
200,000 complaints one statement of ~190 ms on PostgreSQL (bench/README). The months that are
over are computed once into ``complaints_month_figure`` — per estate, time zone, local month,
category and department — and only the month not over yet is read live, so the page reads
twelve months of a few hundred rows and one month of complaints.

Kept like the day figures (``daystats``), under the same lock row: the
``complaints.month_figures`` job computes the months that are over (a marker row per estate
and month says it was, also when there was no complaint); a change to a complaint deletes the
months it touches — received and closed, old and new, and any change of its category or
department — in the same transaction; a reader takes the stored months while every estate
has them, in order from the first, and reads the rest live. The rows hold the live
statement's own sums, so the figures are the same either way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import case, delete, func, insert, select

from core.daystats import (
    RECENT,
    as_utc,
    hours_between,
    last_day_over,
    local_midnight,
    next_month,
    time_zones,
    window,
    yyyymm,
)
from core.extensions import db
from core.models import utcnow
from plugins.complaints.models import Complaint, ComplaintMonthFigure

MONTH = ComplaintMonthFigure.__table__
#: The category of a month's marker row.
MARK = ""
FIELDS = ("received", "closed", "on_time", "satisfied", "effective", "reply_hours_sum", "reply_hours_n")


def _store():
    from plugins.complaints.daystats import STORE

    return STORE


def live(conn, estate_ids, start: datetime, end: datetime, by_estate: bool = False) -> list:
    """Per (category, department) — and estate first with ``by_estate`` — in one scan:
    complaints received in [start, end), and the closed figures of those closed in it, the hours
    to reply as a sum and a count. Rows: ``(category, department_id, *FIELDS)``."""
    c = Complaint
    received = sa.and_(c.received_at >= start, c.received_at < end)
    closed = sa.and_(c.closed_at >= start, c.closed_at < end)
    on_time = c.replied_on_time_sql(c)
    satisfied = c.satisfied.is_(True)
    hours = case((closed, hours_between(conn.dialect.name, c.received_at, c.reply_at)))

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    keys = [c.estate_id] if by_estate else []
    return conn.execute(
        select(*keys, c.category, c.department_id, n(received), n(closed), n(sa.and_(closed, on_time)),
               n(sa.and_(closed, satisfied)), n(sa.and_(closed, on_time, satisfied)),
               func.sum(hours), func.count(hours))
        .where(c.estate_id.in_(list(estate_ids)), sa.or_(received, closed))
        .group_by(*keys, c.category, c.department_id)).all()


def compute_month(conn, estate_ids, tz: str, first: date) -> int:
    """(Re)compute the month starting ``first`` in ``tz`` for ``estate_ids``; the caller holds
    the lock and commits. Returns how many rows were written."""
    start, end = local_midnight(first, tz), local_midnight(next_month(first), tz)
    month = yyyymm(first)
    rows = [{"estate_id": e, "tz": tz, "month": month, "category": MARK, "department": 0,
             **dict.fromkeys(FIELDS, 0), "reply_hours_sum": 0.0} for e in estate_ids]
    for e, category, dept, *sums in live(conn, estate_ids, start, end, by_estate=True):
        rows.append({"estate_id": e, "tz": tz, "month": month, "category": category, "department": dept or 0,
                     **{k: int(v or 0) for k, v in zip(FIELDS[:5], sums[:5], strict=True)},
                     "reply_hours_sum": float(sums[5] or 0.0), "reply_hours_n": int(sums[6] or 0)})
    conn.execute(delete(MONTH).where(MONTH.c.estate_id.in_(list(estate_ids)), MONTH.c.tz == tz,
                                     MONTH.c.month == month))
    conn.execute(insert(MONTH), rows)
    return len(rows)


def _months(first: date, last_first: date) -> list[date]:
    out, m = [], first
    while m <= last_first:
        out.append(m)
        m = next_month(m)
    return out


def refresh(now: datetime | None = None) -> dict:
    """Compute the months over, in the kept window, that some estate lacks: a month per
    transaction. Returns ``{"months": …, "rows": …}``."""
    now = now or utcnow()
    done = {"months": 0, "rows": 0}
    for tz, estate_ids in time_zones().items():
        first, last_over = window(tz, now)
        over = [m for m in _months(first, date(last_over.year, last_over.month, 1))
                if next_month(m) - timedelta(days=1) <= last_over]
        if not over:
            continue
        have = defaultdict(set)
        for e, m in db.session.execute(select(MONTH.c.estate_id, MONTH.c.month).where(
                MONTH.c.tz == tz, MONTH.c.category == MARK, MONTH.c.estate_id.in_(estate_ids),
                MONTH.c.month >= yyyymm(over[0]))).all():
            have[m].add(e)
        for m in over:
            todo = [e for e in estate_ids if e not in have[yyyymm(m)]]
            if todo:
                conn = db.session.connection()
                _store().lock(conn)
                done["rows"] += compute_month(conn, todo, tz, m)
                done["months"] += 1
                db.session.commit()
    return done


def job() -> str:
    done = refresh()
    return f"{done['months']} month(s) of figures per category and department computed, {done['rows']} rows"


def rows(estate_ids, start_month: date, end_month: date, tz: str, now: datetime | None = None) -> list:
    """The figures per (category, department) of the local months ``start_month`` up to (not
    including) ``end_month`` in ``tz``: the stored months from the first while every estate
    has them, the rest in one live statement. Rows as :func:`live`'s."""
    now = now or utcnow()
    estate_ids = sorted(set(estate_ids))
    conn = db.session.connection()
    over = last_day_over(tz, now)
    stored_upto = start_month
    found: dict[tuple, list] = {}
    candidates = [m for m in _months(start_month, end_month - timedelta(days=1))
                  if next_month(m) - timedelta(days=1) <= over]
    if candidates:
        marks = defaultdict(int)
        for m, n in conn.execute(select(MONTH.c.month, func.count()).where(
                MONTH.c.tz == tz, MONTH.c.category == MARK, MONTH.c.estate_id.in_(estate_ids),
                MONTH.c.month >= yyyymm(candidates[0]), MONTH.c.month <= yyyymm(candidates[-1]))
                .group_by(MONTH.c.month)).all():
            marks[m] = n
        for m in candidates:
            if marks[yyyymm(m)] != len(estate_ids):
                break
            stored_upto = next_month(m)
        if stored_upto > start_month:
            for category, dept, *sums in conn.execute(
                    select(MONTH.c.category, MONTH.c.department, *[func.sum(MONTH.c[k]) for k in FIELDS])
                    .where(MONTH.c.tz == tz, MONTH.c.estate_id.in_(estate_ids), MONTH.c.category != MARK,
                           MONTH.c.month >= yyyymm(start_month), MONTH.c.month < yyyymm(stored_upto))
                    .group_by(MONTH.c.category, MONTH.c.department)).all():
                found[(category, dept or None)] = [int(sums[i] or 0) for i in range(5)] + [
                    float(sums[5] or 0.0), int(sums[6] or 0)]
    if stored_upto < end_month:
        for category, dept, *sums in live(conn, estate_ids, local_midnight(stored_upto, tz),
                                          local_midnight(end_month, tz)):
            acc = found.setdefault((category, dept), [0, 0, 0, 0, 0, 0.0, 0])
            for i in range(5):
                acc[i] += int(sums[i] or 0)
            acc[5] += float(sums[5] or 0.0)
            acc[6] += int(sums[6] or 0)
    return [(category, dept, *acc) for (category, dept), acc in found.items()]


def forget(conn, estate_ids, times) -> None:
    """Delete the stored months (every time zone) that the UTC ``times`` of a change fall in,
    for ``estate_ids`` — any zone's local month of a time lies within the UTC months of the time
    and a day either side. Times too recent to be in a stored month are ignored (as days are:
    a month is computed once its last day ended :data:`~core.daystats.GRACE` ago)."""
    cutoff = utcnow() - RECENT
    old = [as_utc(t) for t in times if as_utc(t) < cutoff]
    if not old or not estate_ids:
        return
    months = sorted({yyyymm((t + timedelta(days=d)).date()) for t in old for d in (-1, 0, 1)})
    _store().lock(conn)
    conn.execute(delete(MONTH).where(MONTH.c.estate_id.in_(sorted(estate_ids)), MONTH.c.month.in_(months)))
