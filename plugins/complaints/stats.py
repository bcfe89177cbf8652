"""Figures: the effective handling rate (有效投诉处理率) per month, category and department.

A complaint closed in the period counts as *effectively handled* when it was
answered by its reply deadline **and** confirmed satisfied on the return visit.
Rate = effectively handled / closed in the period. Everything is aggregated in
SQL, in the estate's time zone, so the report stays fast on large tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import case, func, select

from core.extensions import db
from plugins.complaints.models import CATEGORIES, Complaint


@dataclass
class Figures:
    key: object = None
    label: str = ""
    received: int = 0
    closed: int = 0
    on_time: int = 0
    satisfied: int = 0
    effective: int = 0
    avg_reply_hours: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        if not self.closed:
            return None
        return (Decimal(self.effective) * 100 / Decimal(self.closed)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def month_start(year: int, month: int, tz: str) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz))


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def last_months(today: date, n: int) -> list[tuple[int, int]]:
    """The ``n`` months up to and including ``today``'s, oldest first."""
    return [add_months(today.year, today.month, -k) for k in range(n - 1, -1, -1)]


def _bounds(months: list[tuple[int, int]], tz: str) -> list[datetime]:
    edges = [month_start(y, m, tz) for y, m in months]
    y, m = add_months(*months[-1], 1)
    return edges + [month_start(y, m, tz)]


def _bucket(column, edges: list[datetime]):
    """SQL: the index of the month ``column`` falls in (edges are ascending)."""
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2) if whens else sa.literal(0)


def _hours_between(start, end):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _measures(t):
    """count, on time, satisfied, effective, average hours to reply — over columns ``t``."""
    on_time = Complaint.replied_on_time_sql(t)
    satisfied = t.satisfied.is_(True)
    return [
        func.count(),
        func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
        func.coalesce(func.sum(case((satisfied, 1), else_=0)), 0),
        func.coalesce(func.sum(case((sa.and_(on_time, satisfied), 1), else_=0)), 0),
        func.avg(_hours_between(t.received_at, t.reply_at)),
    ]


def _closed_figures(key, where, start: datetime, end: datetime):
    """Rows of (key, measures…) for complaints closed in [start, end), grouped by ``key``.

    The key is computed in a subquery so that PostgreSQL groups by a plain column.
    """
    inner = select(key.label("k"), Complaint.reply_at, Complaint.reply_due_at, Complaint.satisfied,
                   Complaint.received_at).where(
        *where, Complaint.closed_at >= start, Complaint.closed_at < end).subquery()
    return db.session.execute(select(inner.c.k, *_measures(inner.c)).group_by(inner.c.k)).all()


def _received(key, where, start: datetime, end: datetime):
    inner = select(key.label("k")).where(
        *where, Complaint.received_at >= start, Complaint.received_at < end).subquery()
    return db.session.execute(select(inner.c.k, func.count()).group_by(inner.c.k)).all()


def _fill(fig: Figures, row) -> None:
    fig.closed, fig.on_time, fig.satisfied, fig.effective = (int(v or 0) for v in row[:4])
    fig.avg_reply_hours = Decimal(str(round(row[4], 1))) if row[4] is not None else None


def monthly(estate_ids, months: list[tuple[int, int]], tz: str) -> list[Figures]:
    """One row per month: received, closed, on time, satisfied, effective, average hours to reply.

    Days that are over come from the stored day figures (``daystats``), the rest live;
    :func:`monthly_live` is the same computed from the complaints alone.
    """
    from plugins.complaints import daystats

    rows = [Figures(key=(y, m), label=f"{y}-{m:02d}") for y, m in months]
    if not estate_ids:
        return rows
    for fig, sums in zip(rows, daystats.monthly(estate_ids, months, tz), strict=True):
        fig.received, fig.closed = sums["received"], sums["closed"]
        fig.on_time, fig.satisfied, fig.effective = sums["on_time"], sums["satisfied"], sums["effective"]
        if sums["reply_hours_n"]:
            fig.avg_reply_hours = Decimal(str(round(sums["reply_hours_sum"] / sums["reply_hours_n"], 1)))
    return rows


def monthly_live(estate_ids, months: list[tuple[int, int]], tz: str) -> list[Figures]:
    """:func:`monthly` straight from ``complaints_complaint`` (the reference the stored figures are tested against)."""
    edges = _bounds(months, tz)
    rows = [Figures(key=(y, m), label=f"{y}-{m:02d}") for y, m in months]
    if not estate_ids:
        return rows
    where = [Complaint.estate_id.in_(list(estate_ids))]
    for r in _closed_figures(_bucket(Complaint.closed_at, edges), where, edges[0], edges[-1]):
        _fill(rows[r[0]], r[1:])
    for b, n in _received(_bucket(Complaint.received_at, edges), where, edges[0], edges[-1]):
        rows[b].received = int(n)
    return rows


def _breakdown(estate_ids, start: datetime, end: datetime) -> list:
    """Per (category, department), in one scan: complaints received in [start, end), and the
    closed figures of those closed in it — the hours to reply as a sum and a count, so that
    categories and departments can each add them up.

    One scan with "received OR closed in the period" (``daystats`` reads the two through
    their own indexes instead): over a year most complaints qualify, so a scan is cheaper."""
    c = Complaint
    received = sa.and_(c.received_at >= start, c.received_at < end)
    closed = sa.and_(c.closed_at >= start, c.closed_at < end)
    on_time = c.replied_on_time_sql(c)
    satisfied = c.satisfied.is_(True)
    hours = case((closed, _hours_between(c.received_at, c.reply_at)))

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    return db.session.execute(
        select(c.category, c.department_id, n(received), n(closed), n(sa.and_(closed, on_time)),
               n(sa.and_(closed, satisfied)), n(sa.and_(closed, on_time, satisfied)),
               func.sum(hours), func.count(hours))
        .where(c.estate_id.in_(list(estate_ids)), sa.or_(received, closed))
        .group_by(c.category, c.department_id)
    ).all()


def breakdown(estate_ids, start: datetime, end: datetime, tz: str | None = None) -> tuple[list[Figures], list[Figures]]:
    """The figures per category (every category, in order) and per department (those with
    complaints, by name; "not forwarded yet" last) for [start, end): one statement — or, given
    the time zone ``tz`` in which ``start`` and ``end`` are the first instants of months, the
    stored months that are over (``breakdown``) and one statement for the rest."""
    from flask_babel import gettext as _

    from core.models import Department
    from plugins.complaints import breakdown as stored
    from plugins.complaints.labels import CATEGORY_LABELS

    cats: dict = {code: [Figures(key=code, label=str(CATEGORY_LABELS[code])), 0.0, 0] for code in CATEGORIES}
    depts: dict = {}
    first = last = None
    if tz is not None:
        first, last = (t.astimezone(ZoneInfo(tz)) for t in (start, end))
        months = first.day == last.day == 1 and first.time() == last.time() == time(0)
        first, last = (first.date(), last.date()) if months else (None, None)
    if not estate_ids:
        rows = []
    elif first is not None:
        rows = stored.rows(estate_ids, first, last, tz)
    else:
        rows = _breakdown(estate_ids, start, end)
    for category, dept, received, closed, on_time, satisfied, effective, h_sum, h_n in rows:
        for acc in (cats.setdefault(category, [Figures(key=category, label=category), 0.0, 0]),
                    depts.setdefault(dept, [Figures(key=dept), 0.0, 0])):
            fig = acc[0]
            fig.received += int(received)
            fig.closed += int(closed)
            fig.on_time += int(on_time)
            fig.satisfied += int(satisfied)
            fig.effective += int(effective)
            acc[1] += float(h_sum or 0)
            acc[2] += int(h_n)
    for fig, h_sum, h_n in (*cats.values(), *depts.values()):
        if h_n:
            fig.avg_reply_hours = Decimal(str(round(h_sum / h_n, 1)))
    names = dict(db.session.execute(select(Department.id, Department.name)).all()) if depts else {}
    for key, (fig, _s, _n) in depts.items():
        fig.label = names.get(key, "") if key is not None else _("Not forwarded yet")
    by_category = [cats[code][0] for code in CATEGORIES] + [
        acc[0] for code, acc in cats.items() if code not in CATEGORIES]
    by_department = sorted((acc[0] for acc in depts.values()), key=lambda f: (f.key is None, f.label))
    return by_category, by_department


def total(rows: list[Figures]) -> Figures:
    out = Figures(label="")
    for f in rows:
        out.received += f.received
        out.closed += f.closed
        out.on_time += f.on_time
        out.satisfied += f.satisfied
        out.effective += f.effective
    weights = [(f.avg_reply_hours, f.closed) for f in rows if f.avg_reply_hours is not None and f.closed]
    if weights:
        n = sum(w for _h, w in weights)
        out.avg_reply_hours = (sum(h * w for h, w in weights) / n).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return out
