"""Read-side queries: overdue repairs, dashboard figures and the monthly statistics.

Every figure a user sees goes through :func:`core.security.scoped` (estate scope and
record rules); the scheduled job alone works across estates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from core.extensions import db
from core.models import utcnow
from core.security import scope_filters, scoped, user_estate_ids
from plugins.repairs.models import CATEGORIES, OPEN_STATES, STATES, Repair


def overdue_clause(now: datetime | None = None):
    """Past its due time and not completed, closed nor cancelled."""
    return and_(Repair.state.in_(OPEN_STATES), Repair.due_at < (now or utcnow()))


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def overdue_count_query(user, estates):
    """The menu badge (every page): a plain ``count(*)`` over the scope, no subquery of all columns."""
    return select(func.count()).select_from(Repair).where(*scope_filters(Repair, user, estates), overdue_clause())


def open_figures(user, estates) -> dict:
    """Open repairs per state and how many of them are overdue."""
    now = utcnow()
    base = scoped(Repair, user, estate_ids=estates).where(Repair.state.in_(OPEN_STATES)).subquery()
    rows = db.session.execute(
        select(base.c.state, func.count(), func.sum(case((base.c.due_at < now, 1), else_=0)))
        .group_by(base.c.state)
    ).all()
    by_state = {s: (0, 0) for s in OPEN_STATES}
    for state, n, late in rows:
        by_state[state] = (n, int(late or 0))
    return {
        "states": list(OPEN_STATES),
        "open": [by_state[s][0] - by_state[s][1] for s in OPEN_STATES],
        "overdue": [by_state[s][1] for s in OPEN_STATES],
        "total_open": sum(v[0] for v in by_state.values()),
        "total_overdue": sum(v[1] for v in by_state.values()),
    }


# -- months --------------------------------------------------------------------
def month_bounds(year: int, month: int, tz: str) -> tuple[datetime, datetime]:
    """The month [start, end) in the estate's time zone, as aware UTC datetimes."""
    zone = ZoneInfo(tz)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def last_months(today: date, n: int = 6) -> list[tuple[int, int]]:
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


def _hours_expr():
    """Hours from report to completion, in the database's own date arithmetic."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Repair.completed_at - Repair.reported_at) / 3600.0
    return (func.julianday(Repair.completed_at) - func.julianday(Repair.reported_at)) * 24.0


def completion_figures(user, estates, start: datetime, end: datetime) -> dict:
    """Repairs completed in [start, end): how many, average hours, how many on time."""
    base = scoped(Repair, user, estate_ids=estates).where(
        Repair.completed_at.is_not(None), Repair.completed_at >= start, Repair.completed_at < end)
    sub = base.with_only_columns(
        _hours_expr().label("hours"),
        case((Repair.completed_at <= Repair.due_at, 1), else_=0).label("on_time"),
    ).subquery()
    n, avg_hours, on_time = db.session.execute(
        select(func.count(), func.avg(sub.c.hours), func.sum(sub.c.on_time))
    ).one()
    n = n or 0
    return {
        "completed": n,
        "avg_hours": round(float(avg_hours), 1) if n and avg_hours is not None else None,
        "on_time": int(on_time or 0),
        "on_time_rate": round(100.0 * (on_time or 0) / n, 1) if n else None,
    }


def trend(user, estates, today: date, tz: str, n: int = 6) -> dict:
    """Average hours to complete and share on time, for the ``n`` months up to ``today``'s.

    Days that are over come from the stored day figures (``daystats``), the rest live;
    with a record rule on repairs (a technician), everything is live.
    """
    from plugins.repairs import daystats

    months = last_months(today, n)
    labels = [f"{y}-{m:02d}" for y, m in months]
    hours, rates = [], []
    plain = getattr(user, "is_authenticated", False) and len(scope_filters(Repair, user, estates)) == 1
    if plain:  # the estate filter alone: figures per estate
        mine = set(user_estate_ids(user))
        for fig in daystats.monthly([e for e in estates if e in mine], months, tz):
            n_done = fig["completed"]
            hours.append(round(fig["hours_sum"] / n_done, 1) if n_done else None)
            rates.append(round(100.0 * fig["on_time"] / n_done, 1) if n_done else None)
        return {"labels": labels, "hours": hours, "rates": rates}
    for y, m in months:
        start, end = month_bounds(y, m, tz)
        fig = completion_figures(user, estates, start, end)
        hours.append(fig["avg_hours"])
        rates.append(fig["on_time_rate"])
    return {"labels": labels, "hours": hours, "rates": rates}


def monthly_statistics(user, estates, year: int, month: int, tz: str) -> dict:
    """Counts by category and state of the repairs reported in the month, and completion figures."""
    start, end = month_bounds(year, month, tz)
    sub = scoped(Repair, user, estate_ids=estates).where(
        Repair.reported_at >= start, Repair.reported_at < end).subquery()
    grid = {c: dict.fromkeys(STATES, 0) for c in CATEGORIES}
    for cat, state, n in db.session.execute(
            select(sub.c.category, sub.c.state, func.count()).group_by(sub.c.category, sub.c.state)).all():
        if cat in grid and state in grid[cat]:
            grid[cat][state] = n
    overdue_now = count(scoped(Repair, user, estate_ids=estates).where(
        Repair.reported_at >= start, Repair.reported_at < end, overdue_clause()))
    return {
        "year": year, "month": month, "grid": grid,
        "row_totals": {c: sum(grid[c].values()) for c in CATEGORIES},
        "col_totals": {s: sum(grid[c][s] for c in CATEGORIES) for s in STATES},
        "total": sum(sum(v.values()) for v in grid.values()),
        "overdue_now": overdue_now,
        "completion": completion_figures(user, estates, start, end),
    }
