"""Arrears (催缴): which units owe overdue bills, how old the debt is, and the reminders sent.

Rules implemented here:

* a bill is **overdue** on a date when it is unpaid or part paid, not void, and its due date is
  before that date (a bill due on the 30th may still be paid on the 30th);
* a bill is **at least N months overdue** on ``as_of`` when its due date plus N months (the
  day clamped to the month's end) is on or before ``as_of``: due 15 January → a month overdue
  on 15 February; due 31 January → on 28 February. The age buckets are 0 (under a month), 1,
  3, 6 and 12+ months;
* a unit's bucket is the age of its **oldest** overdue bill; the amounts per bucket age each
  bill on its own (the aged-debt columns of the list);
* by default the amounts are what is still owed **now**; the as-of date decides which bills
  count as overdue and how old they are (whom to chase, and how hard);
* with ``history`` the list is **as the books stood at the end of the as-of day** (in each
  estate's time zone), for month-end reports: a bill counts when it existed then and was
  not void, and what it owed is its amount less the receipts of business days up to then
  that were not voided by then and the credit applied to it by then — a list "as at the
  end of last month" printed today does not change with this month's payments. For a day
  that is not over yet both are the same (what is owed now);
* a printed reminder notice (催缴通知单) records one :class:`Reminder` per unit, the units
  printed together sharing a batch number (``CJ``); calls, visits, SMS and WeChat messages are
  logged per unit with the owner's response.

Money is summed in SQL as Numeric and comes back as ``Decimal``. Functions raise
:class:`~core.errors.DomainError` before changing anything they refuse; the caller commits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select, type_coerce

from core.daystats import local_midnight
from core.errors import DomainError
from core.extensions import db
from core.models import Building, Estate, Occupancy, Resident, Unit, UTCDateTime, utcnow
from core.numbering import next_number
from plugins.fees.ledger import money
from plugins.fees.models import Bill, CreditEntry, Payment, PaymentLine, Reminder

ZERO = Decimal("0.00")
MONEY = Bill.__table__.c.amount.type
OPEN = ("open", "partial")
#: Lower bounds of the age buckets, in months overdue.
BUCKETS = (0, 1, 3, 6, 12)
BUCKET_LABELS = {
    0: _l("Under 1 month"),
    1: _l("1 to 3 months"),
    3: _l("3 to 6 months"),
    6: _l("6 to 12 months"),
    12: _l("12 months or more"),
}
#: Ways of reminding that are logged by hand (a printed notice is recorded when printed).
LOGGED_METHODS = ("phone", "sms", "visit", "wechat")
REMINDER_LABELS = {
    "notice": _l("Printed notice"),
    "phone": _l("Telephone call"),
    "sms": _l("SMS"),
    "visit": _l("Home visit"),
    "wechat": _l("WeChat message"),
}
#: A printed batch may hold at most this many units (one A4 page each).
MAX_BATCH = 500


# --- dates ----------------------------------------------------------------------------------

def months_before(d: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to the end of a shorter month."""
    index = d.year * 12 + d.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def cutoff(as_of: date, months: int) -> date:
    """The latest due date of a bill that is at least ``months`` overdue on ``as_of``
    (``months`` = 0: merely overdue, i.e. due before ``as_of``). On the last day of a month
    it is the last day of the earlier month: a bill due 31 January is a month overdue on
    28 February (due date + n months, clamped, is on or before ``as_of``)."""
    if months == 0:
        return as_of - timedelta(days=1)
    earlier = months_before(as_of, months)
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
    return earlier


def months_overdue(due: date, as_of: date) -> int:
    """Whole months a bill due on ``due`` is overdue on ``as_of`` (0 when under a month)."""
    if due >= as_of:
        return 0
    n = (as_of.year - due.year) * 12 + as_of.month - due.month
    while n > 0 and due > cutoff(as_of, n):
        n -= 1
    return n


def bucket_of(due: date, as_of: date) -> int:
    n = months_overdue(due, as_of)
    return max(b for b in BUCKETS if b <= n)


# --- the list -------------------------------------------------------------------------------

def _owed():
    return type_coerce(Bill.amount - Bill.paid, MONEY)


def _bucket_sums(bills, as_of: date) -> list:
    """One ``SUM(CASE …)`` per bucket: the overdue amount whose bill is that old."""
    cols = []
    bounds = list(BUCKETS) + [None]
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        cond = bills.c.due_date <= cutoff(as_of, low)
        if high is not None:
            cond = and_(cond, bills.c.due_date > cutoff(as_of, high))
        cols.append(type_coerce(func.coalesce(func.sum(case((cond, bills.c.owed), else_=literal(ZERO, MONEY))),
                                              literal(ZERO, MONEY)), MONEY).label(f"b{low}"))
    return cols


def overdue_where(estate_ids: list[int], as_of: date):
    """The overdue bills of the estates on ``as_of`` as they are now (uses the (estate, state,
    due) index)."""
    return and_(Bill.estate_id.in_(estate_ids), Bill.state.in_(OPEN), Bill.voided_at.is_(None),
                Bill.due_date < as_of)


def day_ends(estate_ids: list[int], as_of: date) -> dict[int, datetime]:
    """The end of ``as_of`` in each estate's time zone (the next local midnight), in UTC."""
    zones = dict(db.session.execute(select(Estate.id, Estate.timezone).where(Estate.id.in_(estate_ids))).all())
    return {e: local_midnight(as_of + timedelta(days=1), zones.get(e) or "Asia/Shanghai") for e in estate_ids}


def overdue_bills_as_of(estate_ids: list[int], as_of: date, history: bool = False, now: datetime | None = None):
    """The bills overdue on ``as_of`` with what each owes now, or (``history``) owed at the end
    of that day: a subquery of ``id, unit_id, estate_id, due_date, owed`` (``owed`` > 0). See
    the module's rules."""
    ends = day_ends(estate_ids, as_of) if history and estate_ids else {}
    if not ends or min(ends.values()) > (now or utcnow()):  # now, or a day not over: what is owed now
        return (select(Bill.id, Bill.unit_id, Bill.estate_id, Bill.due_date, _owed().label("owed"))
                .where(overdue_where(estate_ids, as_of)).subquery("overdue"))
    # Typed as the columns are (naive UTC on the wire): an aware parameter would make
    # PostgreSQL compare in the session's time zone.
    end = case({e: literal(t, UTCDateTime()) for e, t in ends.items()}, value=Bill.estate_id)
    lines = (select(func.coalesce(func.sum(PaymentLine.amount), literal(ZERO, MONEY)))
             .join(Payment, Payment.id == PaymentLine.payment_id)
             .where(PaymentLine.bill_id == Bill.id, PaymentLine.kind == "bill", Payment.business_date <= as_of,
                    or_(Payment.voided_at.is_(None), Payment.voided_at >= end))
             .correlate(Bill).scalar_subquery())
    # Credit applied to the bill is booked as negative "applied" entries, given back as "unapplied".
    credit = (select(func.coalesce(func.sum(CreditEntry.amount), literal(ZERO, MONEY)))
              .where(CreditEntry.bill_id == Bill.id, CreditEntry.kind.in_(("applied", "unapplied")),
                     CreditEntry.created_at < end)
              .correlate(Bill).scalar_subquery())
    # A bill that is settled now and had no receipt, credit or void after the day was settled
    # then too: only the others can have owed something (keeps the scan to a few bills).
    earliest = min(ends.values())
    touched_later = or_(
        Bill.state.in_(OPEN), Bill.voided_at.is_not(None),
        Bill.id.in_(select(PaymentLine.bill_id).join(Payment, Payment.id == PaymentLine.payment_id).where(
            Payment.estate_id.in_(estate_ids), PaymentLine.bill_id.is_not(None),
            or_(Payment.business_date > as_of, Payment.voided_at.is_not(None)))),
        Bill.id.in_(select(CreditEntry.bill_id).where(
            CreditEntry.estate_id.in_(estate_ids), CreditEntry.bill_id.is_not(None),
            CreditEntry.created_at >= earliest)))
    owed = type_coerce(Bill.amount + credit - lines, MONEY)
    then = (select(Bill.id, Bill.unit_id, Bill.estate_id, Bill.due_date, owed.label("owed"))
            .where(Bill.estate_id.in_(estate_ids), Bill.due_date < as_of, Bill.created_at < end,
                   or_(Bill.voided_at.is_(None), Bill.voided_at >= end), touched_later)
            .subquery("then"))
    return select(then).where(then.c.owed > 0).subquery("overdue")


def units_stmt(estate_ids: list[int], as_of: date, building_id: int | None = None, min_age: int = 0,
               history: bool = False):
    """One row per unit in arrears: its oldest due date, bill count, total and aged amounts.

    ``min_age`` keeps the units whose oldest overdue bill is at least that many months old;
    ``history``: the amounts as they stood at the end of ``as_of``.
    """
    bills = overdue_bills_as_of(estate_ids, as_of, history)
    stmt = (select(bills.c.unit_id.label("unit_id"), Unit.estate_id.label("estate_id"),
                   Unit.building_id.label("building_id"), Unit.number.label("number"),
                   Unit.sort_key.label("sort_key"),
                   func.min(bills.c.due_date).label("oldest"), func.count(bills.c.id).label("bills"),
                   type_coerce(func.sum(bills.c.owed), MONEY).label("total"), *_bucket_sums(bills, as_of))
            .join(Unit, Unit.id == bills.c.unit_id)
            .group_by(bills.c.unit_id, Unit.estate_id, Unit.building_id, Unit.number, Unit.sort_key))
    if building_id:
        stmt = stmt.where(Unit.building_id == building_id)
    if min_age:
        stmt = stmt.having(func.min(bills.c.due_date) <= cutoff(as_of, min_age))
    return stmt


@dataclass
class ArrearsRow:
    unit_id: int
    estate_id: int
    building_id: int
    number: str
    oldest: date
    bills: int
    total: Decimal
    by_bucket: dict[int, Decimal]
    months: int
    bucket: int
    building: str = ""
    owner: str = ""
    phone: str = ""
    last_reminder: Reminder | None = None


def _row(r, as_of: date) -> ArrearsRow:
    return ArrearsRow(unit_id=r.unit_id, estate_id=r.estate_id, building_id=r.building_id, number=r.number,
                      oldest=r.oldest, bills=r.bills, total=money(r.total or 0),
                      by_bucket={b: money(getattr(r, f"b{b}") or 0) for b in BUCKETS},
                      months=months_overdue(r.oldest, as_of), bucket=bucket_of(r.oldest, as_of))


def arrears_rows(estate_ids: list[int], as_of: date, building_id: int | None = None, min_age: int = 0,
                 limit: int | None = None, offset: int = 0, history: bool = False) -> list[ArrearsRow]:
    """The units in arrears in unit-number order, with owner, building and last reminder."""
    sub = units_stmt(estate_ids, as_of, building_id, min_age, history).subquery()
    stmt = select(sub).order_by(sub.c.estate_id, sub.c.sort_key, sub.c.unit_id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [_row(r, as_of) for r in db.session.execute(stmt)]
    _decorate(rows)
    return rows


def _decorate(rows: list[ArrearsRow]) -> None:
    if not rows:
        return
    ids = [r.unit_id for r in rows]
    names = dict(db.session.execute(select(Building.id, Building.name).where(
        Building.id.in_({r.building_id for r in rows}))).all())
    people = owners(ids)
    last = last_reminders(ids)
    for r in rows:
        r.building = names.get(r.building_id, "")
        r.owner, r.phone = people.get(r.unit_id, ("", ""))
        r.last_reminder = last.get(r.unit_id)


def count_units(estate_ids: list[int], as_of: date, building_id: int | None = None, min_age: int = 0,
                history: bool = False) -> int:
    sub = units_stmt(estate_ids, as_of, building_id, min_age, history).subquery()
    return db.session.scalar(select(func.count()).select_from(sub)) or 0


@dataclass
class Summary:
    """Totals per building and for everything listed: units, amounts per age bucket."""

    buildings: list[dict] = field(default_factory=list)
    units: int = 0
    total: Decimal = ZERO
    by_bucket: dict[int, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    units_by_bucket: dict[int, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))


def summary(estate_ids: list[int], as_of: date, building_id: int | None = None, min_age: int = 0,
            history: bool = False) -> Summary:
    """Per building (and in all): units in arrears, amounts per bucket and the total, summed in SQL."""
    sub = units_stmt(estate_ids, as_of, building_id, min_age, history).subquery()
    sums = [type_coerce(func.sum(sub.c[f"b{b}"]), MONEY).label(f"b{b}") for b in BUCKETS]
    rows = db.session.execute(
        select(sub.c.building_id, Building.name, Building.code, Estate.code.label("estate_code"),
               func.count().label("units"), type_coerce(func.sum(sub.c.total), MONEY).label("total"), *sums)
        .join(Building, Building.id == sub.c.building_id).join(Estate, Estate.id == Building.estate_id)
        .group_by(sub.c.building_id, Building.name, Building.code, Estate.code)
        .order_by(Estate.code, Building.code)).all()
    out = Summary()
    for r in rows:
        by_bucket = {b: money(getattr(r, f"b{b}") or 0) for b in BUCKETS}
        out.buildings.append({"id": r.building_id, "name": r.name, "estate_code": r.estate_code,
                              "units": r.units, "total": money(r.total or 0), "by_bucket": by_bucket})
        out.units += r.units
        out.total += money(r.total or 0)
        for b in BUCKETS:
            out.by_bucket[b] += by_bucket[b]
    oldest_bucket = case(*[(sub.c.oldest <= cutoff(as_of, b), b) for b in reversed(BUCKETS[1:])], else_=0)
    for bucket, n in db.session.execute(
            select(oldest_bucket.label("bucket"), func.count()).select_from(sub).group_by(oldest_bucket)).all():
        out.units_by_bucket[int(bucket)] = n
    return out


def bucket_totals(estate_ids: list[int], as_of: date) -> Summary:
    """The dashboard's figures in one pass over the overdue bills (no grouping per unit): units
    in arrears, the total and the amount per bucket (each bill aged on its own)."""
    bills = overdue_bills_as_of(estate_ids, as_of)
    row = db.session.execute(select(func.count(func.distinct(bills.c.unit_id)).label("units"),
                                    type_coerce(func.coalesce(func.sum(bills.c.owed), literal(ZERO, MONEY)),
                                                MONEY).label("total"), *_bucket_sums(bills, as_of))).one()
    return Summary(units=row.units or 0, total=money(row.total or 0),
                   by_bucket={b: money(getattr(row, f"b{b}") or 0) for b in BUCKETS})


def owners(unit_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The name and phone to address a notice to: the current owner, else a current occupant."""
    rank = {"owner": 0, "tenant": 1, "occupant": 2}
    rows = db.session.execute(
        select(Occupancy.unit_id, Occupancy.role, Resident.name, Resident.phone)
        .join(Resident, Resident.id == Occupancy.resident_id)
        .where(Occupancy.unit_id.in_(unit_ids), Occupancy.end_date.is_(None))
        .order_by(Occupancy.id)).all()
    best: dict[int, tuple[int, str, str]] = {}
    for unit_id, role, name, phone in rows:
        r = rank.get(role, 9)
        if unit_id not in best or r < best[unit_id][0]:
            best[unit_id] = (r, name, phone)
    return {k: (v[1], v[2]) for k, v in best.items()}


def last_reminders(unit_ids: list[int]) -> dict[int, Reminder]:
    """Each unit's latest reminder (any method)."""
    if not unit_ids:
        return {}
    latest = (select(Reminder.unit_id, func.max(Reminder.sent_at).label("at"))
              .where(Reminder.unit_id.in_(unit_ids)).group_by(Reminder.unit_id).subquery())
    rows = db.session.scalars(select(Reminder).join(
        latest, and_(Reminder.unit_id == latest.c.unit_id, Reminder.sent_at == latest.c.at))
        .order_by(Reminder.id)).all()
    return {r.unit_id: r for r in rows}


def overdue_bills(unit_id: int, as_of: date) -> list[Bill]:
    """The unit's overdue bills on ``as_of``, oldest first."""
    return list(db.session.scalars(select(Bill).where(
        Bill.unit_id == unit_id, Bill.state.in_(OPEN), Bill.voided_at.is_(None), Bill.due_date < as_of)
        .order_by(Bill.due_date, Bill.period_start, Bill.id)))


@dataclass
class NoticeLine:
    item: str
    period: str
    due: str
    amount: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        return self.amount - self.paid


def notice_lines(bills: list[Bill], limit: int = 12) -> list[NoticeLine]:
    """The lines of a printed notice: one per bill, or one per fee item (periods from–to)
    when there are more than ``limit`` bills, so that a notice stays on one A4 page."""
    if len(bills) <= limit:
        return [NoticeLine(b.item.name, _period_text(b.period_start, b.period_end), b.due_date.isoformat(),
                           b.amount, b.paid) for b in bills]
    groups: dict[int, list[Bill]] = {}
    for b in bills:
        groups.setdefault(b.item_id, []).append(b)
    lines = []
    for group in groups.values():
        first, last = group[0], group[-1]
        lines.append(NoticeLine(
            f"{first.item.name} ×{len(group)}", _period_text(first.period_start, last.period_end),
            f"{first.due_date.isoformat()} – {last.due_date.isoformat()}",
            sum((b.amount for b in group), ZERO), sum((b.paid for b in group), ZERO)))
    return lines


def _period_text(start: date, end: date) -> str:
    return f"{start:%Y-%m}" if (start.year, start.month) == (end.year, end.month) else f"{start:%Y-%m} – {end:%Y-%m}"


def unit_arrears(unit_id: int, as_of: date) -> tuple[Decimal, date | None]:
    """What the unit owes overdue on ``as_of`` and its oldest due date."""
    total, oldest = db.session.execute(select(
        type_coerce(func.coalesce(func.sum(_owed()), literal(ZERO, MONEY)), MONEY), func.min(Bill.due_date))
        .where(Bill.unit_id == unit_id, Bill.state.in_(OPEN), Bill.voided_at.is_(None),
               Bill.due_date < as_of)).one()
    return money(total or 0), oldest


def reminders_of(unit_id: int) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.unit_id == unit_id)
                                   .order_by(Reminder.sent_at.desc(), Reminder.id.desc())))


# --- reminders ------------------------------------------------------------------------------

def print_notices(user, units: list[Unit], as_of: date, pay_by: date, today: date,
                  now: datetime | None = None) -> list[Reminder]:
    """Record a printed notice for each unit; the units of one estate share a batch number.

    ``units`` must already be the ones the user may see. Refused (nothing recorded) when no
    unit is chosen, the pay-by date is not after today, or a unit owes nothing overdue.
    """
    if not units:
        raise DomainError(_("Choose at least one unit to print a reminder notice for."), "units")
    if len(units) > MAX_BATCH:
        raise DomainError(_("Print at most %(n)s notices at a time.", n=MAX_BATCH), "units")
    if pay_by is None or pay_by <= today:
        raise DomainError(_("The pay-by date must be after today."), "pay_by")
    if pay_by > today + timedelta(days=365):
        raise DomainError(_("The pay-by date must be within a year."), "pay_by")
    owed = {}
    for unit in units:
        total, oldest = unit_arrears(unit.id, as_of)
        if total <= 0:
            raise DomainError(_("Unit %(unit)s has no overdue bills: no notice was printed.",
                                unit=unit.number), "units")
        owed[unit.id] = (total, oldest)
    now = now or utcnow()
    batches: dict[int, str] = {}
    made = []
    for unit in sorted(units, key=lambda u: (u.estate_id, u.sort_key, u.id)):
        if unit.estate_id not in batches:
            batches[unit.estate_id] = next_number("CJ", unit.estate_id, when=now)
        total, oldest = owed[unit.id]
        reminder = Reminder(estate_id=unit.estate_id, unit_id=unit.id, method="notice", owed=total,
                            oldest_due=oldest, batch=batches[unit.estate_id], pay_by=pay_by, sent_at=now,
                            sent_by_id=user.id)
        db.session.add(reminder)
        made.append(reminder)
    db.session.flush()
    return made


def log_reminder(user, unit: Unit, *, method: str, sent_at: datetime, note: str = "", response: str = "",
                 as_of: date) -> Reminder:
    """Log a call, SMS, visit or WeChat message to the unit about its arrears."""
    if method not in LOGGED_METHODS:
        raise DomainError(_("Choose how the owner was reminded."), "method")
    if sent_at is None:
        raise DomainError(_("Enter when the owner was reminded."), "sent_at")
    if sent_at > utcnow() + timedelta(minutes=5):
        raise DomainError(_("The reminder cannot be in the future."), "sent_at")
    note, response = (note or "").strip(), (response or "").strip()
    if not note and not response:
        raise DomainError(_("Write what was said, or the owner's response."), "response")
    if len(note) > 500:
        raise DomainError(_("Keep the note under 500 characters."), "note")
    if len(response) > 500:
        raise DomainError(_("Keep the response under 500 characters."), "response")
    total, oldest = unit_arrears(unit.id, as_of)
    reminder = Reminder(estate_id=unit.estate_id, unit_id=unit.id, method=method, owed=total, oldest_due=oldest,
                        sent_at=sent_at, sent_by_id=user.id, note=note, response=response)
    db.session.add(reminder)
    db.session.flush()
    return reminder


def batch_reminders(batch: str, estate_ids: list[int]) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(
        Reminder.batch == batch, Reminder.estate_id.in_(estate_ids)).order_by(Reminder.id)))


# --- the scheduled job's question -------------------------------------------------------------

def due_for_reminder(estate_id: int, as_of: date, min_months: int, interval_days: int,
                     now: datetime | None = None) -> int:
    """Units overdue by at least ``min_months`` with no reminder in the last ``interval_days``."""
    now = now or utcnow()
    recent = select(Reminder.unit_id).where(Reminder.estate_id == estate_id,
                                            Reminder.sent_at >= now - timedelta(days=interval_days))
    sub = (select(Bill.unit_id).where(overdue_where([estate_id], as_of), Bill.unit_id.not_in(recent))
           .group_by(Bill.unit_id).having(func.min(Bill.due_date) <= cutoff(as_of, min_months)).subquery())
    return db.session.scalar(select(func.count()).select_from(sub)) or 0
