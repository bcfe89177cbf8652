"""Billing periods and cycles.

A billing period is a calendar month, named by its first day. An item's cycle decides in
which months it is billed and how many months one bill covers: monthly items every month;
quarterly items every third month counted from ``cycle_start_month`` (1 = calendar
quarters); yearly items once a year in ``cycle_start_month`` (11 = a heating season that
starts in November).
"""

from __future__ import annotations

from datetime import date, timedelta

from plugins.fees.models import CYCLE_MONTHS


def period_start(d: date) -> date:
    """The first day of ``d``'s month (the name of its billing period)."""
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` after ``d``'s month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str | None) -> date | None:
    """``"2026-11"`` or ``"2026-11-01"`` → 2026-11-01; ``None`` if it is not a month."""
    text = (text or "").strip()
    try:
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 1)
        return period_start(date.fromisoformat(text))
    except (ValueError, TypeError):
        return None


def cycle_months(item) -> int:
    """How many months one bill of ``item`` covers (1, 3 or 12)."""
    return CYCLE_MONTHS.get(item.cycle, 1)


def billed_in(item, period: date) -> bool:
    """Whether a billing run of ``period`` bills ``item`` (its cycle starts that month)."""
    if item.cycle not in CYCLE_MONTHS:
        return False
    months = CYCLE_MONTHS[item.cycle]
    return (period.month - (item.cycle_start_month or 1)) % months == 0


def period_end(item, period: date) -> date:
    """The last day covered by the bill of ``item`` that starts in ``period``."""
    return add_months(period, cycle_months(item)) - timedelta(days=1)
