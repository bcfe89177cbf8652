"""Return-visit figures per kind and month: return-visit rate and on-time rate against the rule.

A visit counts in the month its due time falls in (local time of its estate) once it is due
or closed: *due* = visits due by now or already done/missed (cancelled ones never count);
*done* = those with a recorded result; *on time* = done no later than due.
Return-visit rate = done / due, on-time rate = on time / due, satisfaction = satisfied / done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.extensions import db
from core.models import Estate, utcnow
from plugins.visits.models import KINDS, ReturnVisit
from plugins.visits.rules import rules_for


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Cell:
    due: int = 0
    done: int = 0
    on_time: int = 0
    satisfied: int = 0

    @property
    def rate(self):
        return percent(self.done, self.due)

    @property
    def on_time_rate(self):
        return percent(self.on_time, self.due)

    @property
    def satisfied_rate(self):
        return percent(self.satisfied, self.done)

    def add(self, other: Cell) -> None:
        self.due += other.due
        self.done += other.done
        self.on_time += other.on_time
        self.satisfied += other.satisfied


@dataclass
class Figures:
    months: list[tuple[int, int]]
    targets: dict[str, int]
    cells: dict[tuple[tuple[int, int], str], Cell] = field(default_factory=dict)

    def cell(self, month, kind) -> Cell:
        return self.cells.setdefault((month, kind), Cell())

    def total(self, kind: str | None = None, month=None) -> Cell:
        out = Cell()
        for (m, k), c in self.cells.items():
            if (kind is None or k == kind) and (month is None or m == month):
                out.add(c)
        return out

    def meets(self, kind: str, month=None) -> bool | None:
        rate = self.total(kind, month).rate
        return None if rate is None else rate >= self.targets[kind]


def month_list(last: date, count: int) -> list[tuple[int, int]]:
    y, m = last.year, last.month
    out = []
    for _ in range(count):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


def compute(estate_ids: list[int], months: list[tuple[int, int]], now: datetime | None = None) -> Figures:
    now = now or utcnow()
    targets = {k: 0 for k in KINDS}
    for eid in estate_ids:
        for kind, rule in rules_for(eid).items():
            targets[kind] = max(targets[kind], rule.target)
    fig = Figures(months, targets)
    if not estate_ids or not months:
        return fig
    zones = {e.id: ZoneInfo(e.timezone or "Asia/Shanghai")
             for e in db.session.scalars(select(Estate).where(Estate.id.in_(estate_ids)))}
    (y0, m0), (y1, m1) = months[0], months[-1]
    start = datetime(y0, m0, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(y1 + (m1 == 12), m1 % 12 + 1, 1, tzinfo=UTC) + timedelta(days=1)
    wanted = set(months)
    rows = db.session.execute(
        select(ReturnVisit.estate_id, ReturnVisit.source_type, ReturnVisit.due_at, ReturnVisit.state,
               ReturnVisit.visited_at, ReturnVisit.satisfied)
        .where(ReturnVisit.estate_id.in_(estate_ids), ReturnVisit.state != "cancelled",
               ReturnVisit.due_at >= start, ReturnVisit.due_at < end)).all()
    for estate_id, kind, due_at, state, visited_at, satisfied in rows:
        local = due_at.astimezone(zones.get(estate_id, ZoneInfo("Asia/Shanghai")))
        month = (local.year, local.month)
        if month not in wanted or kind not in targets:
            continue
        if state == "planned" and due_at > now:
            continue  # not due yet
        c = fig.cell(month, kind)
        c.due += 1
        if state == "done":
            c.done += 1
            if visited_at is not None and visited_at <= due_at:
                c.on_time += 1
            if satisfied:
                c.satisfied += 1
    return fig
