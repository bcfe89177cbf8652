"""Billing: fee items, published prices (明码标价), meters, one-off bills and billing runs.

Rules implemented here (issue 4, "Fee items and published price lists", "Cycles"):

* Fee item codes are unique per estate; items are deactivated, never deleted.
* Prices have validity dates. Adding a price closes the previous one of the same item and
  unit use (its ``valid_to`` becomes the day before); prices never overlap; a price a bill
  was made with is never edited (add a new one instead). A price for a unit use wins over
  the item's general price (``unit_use`` empty).
* Amounts: area = unit area × price × months of the cycle; fixed = price × months;
  meter = the unit's reading usage of the period × price; shared = a common meter's usage ×
  price, split across the units of its building (or the estate) by area or equally with
  :func:`plugins.fees.ledger.allocate` (the parts sum exactly to the total). Every amount is
  rounded with :func:`plugins.fees.ledger.money` (half up). Due date = period start +
  ``item.due_days``.
* A billing run is idempotent: every bill has ``dedupe_key`` ``run:<item>:<unit>:<YYYY-MM>``
  and a partial unique index keeps one live bill per key, so running twice (or two runs at
  once) creates nothing new. Bills are inserted with SQLAlchemy Core in batches
  (``INSERT … ON CONFLICT DO NOTHING``); the run record is the audited record.
* A run works in chunks of units (:func:`run_step`), each in the caller's transaction, so the
  run page can show progress without threads; :func:`run_billing` does every step at once.
  When the last chunk is done, prepaid credit is applied to the new bills.
* A bill is voided (``fees.void``, checked by the view) only while nothing is paid on it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, select, text, update

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_date, fmt_money
from core.models import Building, Estate, Unit, utcnow
from core.models.estates import UNIT_USES
from plugins.fees import ledger
from plugins.fees.models import (
    ALLOCATIONS,
    BILL_SOURCES,
    CYCLE_MONTHS,
    ITEM_KINDS,
    METER_KINDS,
    Bill,
    BillingRun,
    CreditEntry,
    FeeItem,
    FeePrice,
    Meter,
    MeterReading,
)
from plugins.fees.periods import add_months, billed_in, cycle_months, period_end
from plugins.fees.periods import period_start as _period_start

#: Units handled by one step of a run (one transaction, one progress update).
CHUNK = 5000
#: Units per step when a run is done in one go (no progress bar to update).
RUN_CHUNK = 20000
#: Bills inserted by one Core INSERT.
BATCH = 2000
#: A run keeps at most this many "skipped" lines in its messages.
MAX_MESSAGES = 200
RUN_KINDS = ("area", "fixed", "meter", "shared")
CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,20}$")
MAX_PRICE = Decimal("100000000")


def period_start(d: date) -> date:
    """The first day of ``d``'s month: the billing period it belongs to."""
    return _period_start(d)


# --- fee items ------------------------------------------------------------------------------

def _uses_text(uses) -> str:
    if isinstance(uses, str):
        uses = [u.strip() for u in uses.split(",")]
    uses = [u for u in (uses or []) if u]
    for u in uses:
        if u not in UNIT_USES:
            raise DomainError(_("Unknown unit use %(use)s.", use=u), "unit_uses")
    return ",".join(u for u in UNIT_USES if u in uses)


def _check_item(estate_id: int, data: dict, item: FeeItem | None) -> dict:
    code = (data.get("code") or "").strip().upper()
    if not CODE_RE.match(code):
        raise DomainError(_("A code has 1 to 20 letters, digits, dashes or underscores."), "code")
    clash = db.session.scalar(select(FeeItem.id).where(FeeItem.estate_id == estate_id, FeeItem.code == code))
    if clash is not None and (item is None or clash != item.id):
        raise DomainError(_("The estate already has a fee item with code %(code)s.", code=code), "code")
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("Give the item a name of at most 100 characters."), "name")
    kind = data.get("kind")
    if kind not in ITEM_KINDS:
        raise DomainError(_("Choose how the amount is worked out."), "kind")
    if item is not None and kind != item.kind and db.session.scalar(
            select(Bill.id).where(Bill.item_id == item.id).limit(1)) is not None:
        raise DomainError(_("This item has bills already: its kind cannot change. Add a new item instead."), "kind")
    cycle = data.get("cycle") or "monthly"
    if kind in ("oneoff", "deposit"):
        cycle = "oneoff"
    elif cycle not in CYCLE_MONTHS:
        raise DomainError(_("Choose monthly, quarterly or yearly."), "cycle")
    start = data.get("cycle_start_month") or 1
    if not isinstance(start, int) or not 1 <= start <= 12:
        raise DomainError(_("The cycle starts in a month from 1 to 12."), "cycle_start_month")
    if cycle in ("monthly", "oneoff"):
        start = 1
    meter_kind = data.get("meter_kind") or None
    if kind in ("meter", "shared"):
        if meter_kind not in METER_KINDS:
            raise DomainError(_("Choose the kind of meter the item is read from."), "meter_kind")
    else:
        meter_kind = None
    allocation = data.get("allocation") or None
    if kind == "shared":
        if allocation not in ALLOCATIONS:
            raise DomainError(_("Choose how the shared amount is split: by area or equally."), "allocation")
    else:
        allocation = None
    due_days = data.get("due_days")
    if due_days is None:
        due_days = 30
    if not isinstance(due_days, int) or not 0 <= due_days <= 365:
        raise DomainError(_("Bills fall due 0 to 365 days after the start of their period."), "due_days")
    sequence = data.get("sequence")
    return dict(code=code, name=name, kind=kind, cycle=cycle, cycle_start_month=start, meter_kind=meter_kind,
                allocation=allocation, unit_uses=_uses_text(data.get("unit_uses")),
                on_behalf=bool(data.get("on_behalf")), due_days=due_days,
                sequence=sequence if isinstance(sequence, int) else 10)


def create_item(estate: Estate, data: dict) -> FeeItem:
    """Add a fee item to ``estate`` (validated; code unique per estate)."""
    values = _check_item(estate.id, data, None)
    item = FeeItem(estate_id=estate.id, **values)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: FeeItem, data: dict) -> FeeItem:
    """Change an item; its kind cannot change once it has bills."""
    values = _check_item(item.estate_id, data, item)
    for key, value in values.items():
        setattr(item, key, value)
    db.session.flush()
    return item


def set_item_active(item: FeeItem, active: bool) -> FeeItem:
    """Deactivate (or reactivate) an item: runs stop billing it; its bills stay."""
    item.active = active
    db.session.flush()
    return item


# --- prices ---------------------------------------------------------------------------------

def _pick_price(prices, unit_use: str, on: date) -> FeePrice | None:
    general = None
    for p in prices:
        if p.valid_from <= on and (p.valid_to is None or p.valid_to >= on):
            if p.unit_use == unit_use and unit_use:
                return p
            if not p.unit_use:
                general = p
    return general


def item_by_code(estate_id: int, code: str) -> FeeItem | None:
    """The estate's fee item of ``code`` (codes are stored upper-case), active or not, or
    ``None``: for other plugins that price something from the estate's list (decoration)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(select(FeeItem).where(FeeItem.estate_id == estate_id, FeeItem.code == code))


def item_prices(item_id: int) -> list[FeePrice]:
    return list(db.session.scalars(select(FeePrice).where(FeePrice.item_id == item_id)
                                   .order_by(FeePrice.unit_use, FeePrice.valid_from)))


def price_for(item: FeeItem, unit_use: str, on: date) -> FeePrice | None:
    """The price of ``item`` for a unit of ``unit_use`` valid on ``on`` (the use's own price
    first, else the general one), or ``None``."""
    return _pick_price(item_prices(item.id), unit_use or "", on)


def check_price(value) -> Decimal:
    """A unit price typed by someone: positive, at most four decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("Enter a price such as 2.80."), "price")
    if value.as_tuple().exponent < -4:
        raise DomainError(_("Use at most %(n)s decimal places.", n=4), "price")
    if value <= 0:
        raise DomainError(_("The price must be more than zero."), "price")
    if value >= MAX_PRICE:
        raise DomainError(_("The price is too large."), "price")
    return value


def price_used(price: FeePrice) -> bool:
    """Whether a bill (live or void) was made with ``price``: then it is never edited."""
    cond = [Bill.item_id == price.item_id, Bill.unit_price == price.price, Bill.period_start >= price.valid_from]
    if price.valid_to is not None:
        cond.append(Bill.period_start <= price.valid_to)
    stmt = select(Bill.id).where(*cond)
    if price.unit_use:
        stmt = stmt.join(Unit, Unit.id == Bill.unit_id).where(Unit.use == price.unit_use)
    return db.session.scalar(stmt.limit(1)) is not None


def _check_use(item: FeeItem, unit_use: str) -> str:
    unit_use = (unit_use or "").strip()
    if unit_use and unit_use not in UNIT_USES:
        raise DomainError(_("Unknown unit use %(use)s.", use=unit_use), "unit_use")
    if unit_use and not item.applies_to(unit_use):
        raise DomainError(_("This item does not apply to that unit use."), "unit_use")
    return unit_use


def add_price(item: FeeItem, *, price: Decimal, valid_from: date, unit_use: str = "", basis: str = "",
              valid_to: date | None = None) -> FeePrice:
    """Publish a new price. The open price before it is closed the day before ``valid_from``;
    a price starting on or after ``valid_from`` (same use) is an overlap and refused, and so is
    closing a price that bills of later periods were already made with."""
    price = check_price(price)
    unit_use = _check_use(item, unit_use)
    if valid_from is None:
        raise DomainError(_("Enter the date the price is valid from."), "valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(_("The price must end on or after the day it starts."), "valid_to")
    same = [p for p in item_prices(item.id) if p.unit_use == unit_use]
    later = [p for p in same if p.valid_from >= valid_from]
    if later:
        raise DomainError(_("A price from %(day)s exists already: prices must not overlap.",
                            day=fmt_date(later[0].valid_from)), "valid_from")
    previous = max(same, key=lambda p: p.valid_from) if same else None
    if previous is not None and (previous.valid_to is None or previous.valid_to >= valid_from):
        stmt = select(Bill.id).where(Bill.item_id == item.id, Bill.period_start >= valid_from,
                                     Bill.voided_at.is_(None), Bill.unit_price == previous.price)
        if unit_use:
            stmt = stmt.join(Unit, Unit.id == Bill.unit_id).where(Unit.use == unit_use)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise DomainError(_("Bills from %(day)s on were already made with the current price. Start the new "
                                "price after them, or void those bills first.", day=fmt_date(valid_from)),
                              "valid_from")
        previous.valid_to = valid_from - timedelta(days=1)
    new = FeePrice(estate_id=item.estate_id, item_id=item.id, unit_use=unit_use, price=price,
                   valid_from=valid_from, valid_to=valid_to, basis=(basis or "").strip()[:200])
    db.session.add(new)
    db.session.flush()
    return new


def update_price(fee_price: FeePrice, *, price: Decimal, valid_from: date, valid_to: date | None,
                 basis: str = "") -> FeePrice:
    """Correct a price no bill uses yet (a used price is kept: add a new one instead)."""
    if price_used(fee_price):
        raise DomainError(_("Bills were made with this price: it cannot change. Add a new price instead."), "price")
    price = check_price(price)
    if valid_from is None:
        raise DomainError(_("Enter the date the price is valid from."), "valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(_("The price must end on or after the day it starts."), "valid_to")
    for p in item_prices(fee_price.item_id):
        if p.id == fee_price.id or p.unit_use != fee_price.unit_use:
            continue
        if p.valid_from <= (valid_to or date.max) and valid_from <= (p.valid_to or date.max):
            raise DomainError(_("The dates overlap the price from %(day)s.", day=fmt_date(p.valid_from)),
                              "valid_from")
    fee_price.price, fee_price.valid_from, fee_price.valid_to = price, valid_from, valid_to
    fee_price.basis = (basis or "").strip()[:200]
    db.session.flush()
    return fee_price


# --- meters ---------------------------------------------------------------------------------

def save_meter(estate: Estate, data: dict, meter: Meter | None = None) -> Meter:
    """Add or change a meter: a unit's own meter, or a common meter billed through a shared item."""
    code = (data.get("code") or "").strip()
    if not code or len(code) > 40:
        raise DomainError(_("Give the meter a code of at most 40 characters."), "code")
    clash = db.session.scalar(select(Meter.id).where(Meter.estate_id == estate.id, Meter.code == code))
    if clash is not None and (meter is None or clash != meter.id):
        raise DomainError(_("The estate already has a meter with code %(code)s.", code=code), "code")
    kind = data.get("kind")
    if kind not in METER_KINDS:
        raise DomainError(_("Choose water, electricity or gas."), "kind")
    unit_id = data.get("unit_id") or None
    item_id = data.get("item_id") or None
    building_id = data.get("building_id") or None
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate.id:
            raise DomainError(_("There is no such unit in this estate."), "unit")
        item_id = building_id = None
    else:
        item = db.session.get(FeeItem, item_id) if item_id else None
        if item is None or item.estate_id != estate.id or item.kind != "shared":
            raise DomainError(_("A common meter needs the shared fee item it is billed through."), "item_id")
        if item.meter_kind != kind:
            raise DomainError(_("The shared item is read from another kind of meter."), "item_id")
        if building_id:
            building = db.session.get(Building, building_id)
            if building is None or building.estate_id != estate.id:
                raise DomainError(_("There is no such building in this estate."), "building_id")
    values = dict(code=code, kind=kind, unit_id=unit_id, item_id=item_id, building_id=building_id,
                  location=(data.get("location") or "").strip()[:200], active=bool(data.get("active", True)))
    if meter is None:
        meter = Meter(estate_id=estate.id, **values)
        db.session.add(meter)
    else:
        for key, value in values.items():
            setattr(meter, key, value)
    db.session.flush()
    return meter


# --- one bill at a time ---------------------------------------------------------------------

def add_bill(estate: Estate, unit: Unit, item: FeeItem, amount: Decimal, description: str,
             source: str = "manual", source_ref: str = "", user_id: int | None = None,
             on: date | None = None) -> Bill:
    """Charge one amount to a unit (decoration management fee, a repair, a manual charge).

    For a source other than "manual" with a reference, the bill's dedupe key is
    ``<source>:<ref>`` and calling again returns the live bill already made (idempotent).
    """
    from core.i18n import today_local

    if source not in BILL_SOURCES:
        raise DomainError(_("Unknown bill source."), "source")
    if unit is None or unit.estate_id != estate.id:
        raise DomainError(_("There is no such unit in this estate."), "unit")
    if item is None or item.estate_id != estate.id:
        raise DomainError(_("There is no such fee item in this estate."), "item_id")
    if not item.active:
        raise DomainError(_("The fee item %(name)s is no longer in use.", name=item.name), "item_id")
    amount = ledger.check_amount(amount)
    description = (description or "").strip()
    if len(description) > 200:
        raise DomainError(_("The description is longer than 200 characters."), "description")
    source_ref = (source_ref or "").strip()[:60]
    key = f"{source}:{source_ref}" if source != "manual" and source_ref else None
    if key:
        existing = db.session.scalar(select(Bill).where(Bill.dedupe_key == key, Bill.voided_at.is_(None)))
        if existing is not None:
            return existing
    day = on or today_local()
    start = period_start(day)
    bill = Bill(estate_id=estate.id, unit_id=unit.id, item_id=item.id, period_start=start,
                period_end=add_months(start, 1) - timedelta(days=1), due_date=day + timedelta(days=item.due_days),
                quantity=Decimal(1), unit_price=amount, amount=amount, paid=ledger.ZERO, state="open",
                source=source, source_ref=source_ref, description=description, dedupe_key=key,
                created_by_id=user_id, updated_by_id=user_id)
    db.session.add(bill)
    db.session.flush()
    return bill


def void_bill(bill: Bill, reason: str, user_id: int) -> Bill:
    """Void a bill nothing was paid on (the view checks ``fees.void``); it stays, marked void."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(_("Give the reason for voiding (at least 4 characters)."), "reason")
    if bill.voided_at is not None:
        raise DomainError(_("This bill is void already."), "reason")
    if bill.paid != 0:
        raise DomainError(_("%(paid)s has been paid on this bill: void the receipts (or take back the credit) "
                            "first.", paid=fmt_money(bill.paid)), "reason")
    # One conditional UPDATE: a payment taken meanwhile (paid > 0) makes it match nothing.
    now = utcnow()
    done = db.session.execute(
        update(Bill).where(Bill.id == bill.id, Bill.paid == 0, Bill.voided_at.is_(None))
        .values(voided_at=now, voided_by_id=user_id, void_reason=reason[:500], state="void")
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("A payment was just taken on this bill: it cannot be voided. Reload the bill."),
                          "reason")
    # A SQL update: the ORM's audit hook does not see it, so its audit row is written here.
    record_sql_change("fees_bill", bill.id, bill.estate_id, {
        "voided_at": (None, now), "voided_by_id": (None, user_id), "void_reason": (None, reason[:500]),
        "state": (bill.state, "void")}, action="void")
    db.session.refresh(bill)
    return bill


REPAIR_CODE = "REPAIR"


def repair_item(estate_id: int) -> FeeItem:
    """The estate's "repair fee" one-off item (created on first use)."""
    item = db.session.scalar(select(FeeItem).where(FeeItem.estate_id == estate_id, FeeItem.code == REPAIR_CODE))
    if item is None:
        item = FeeItem(estate_id=estate_id, code=REPAIR_CODE, name=_("Repair fee"), kind="oneoff", cycle="oneoff",
                       due_days=30, sequence=90)
        db.session.add(item)
        db.session.flush()
    return item


def bill_repair(repair):
    """``repairs_completed``: a paid repair of a unit becomes one bill (key ``repair:<id>``)."""
    if not getattr(repair, "paid", False) or not getattr(repair, "fee", None) or not repair.unit_id:
        return None
    estate = db.session.get(Estate, repair.estate_id)
    unit = db.session.get(Unit, repair.unit_id)
    item = repair_item(estate.id)
    if not item.active:
        return None
    description = _("Repair %(number)s", number=repair.number)
    return add_bill(estate, unit, item, ledger.money(repair.fee), description, source="repair",
                    source_ref=str(repair.id))


# --- billing runs: what to bill -------------------------------------------------------------

SKIP_REASONS = ("no_price", "no_area", "no_meter", "no_reading", "no_units")


def skip_label(reason: str) -> str:
    return {
        "no_price": _("no price valid at the start of the period"),
        "no_area": _("the unit has no area"),
        "no_meter": _("the unit has no meter of this kind"),
        "no_reading": _("no meter reading for the period"),
        "no_units": _("no unit shares the common meter"),
    }.get(reason, reason)


@dataclass
class Skip:
    item_id: int
    reason: str
    unit_number: str = ""
    meter_code: str = ""


@dataclass
class Plan:
    """What one chunk of units would get: the bill rows, and what was skipped and why."""

    rows: list[dict] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


def run_items(estate_id: int, period: date) -> list[FeeItem]:
    """The active items a run of ``period`` bills (their cycle starts that month)."""
    items = db.session.scalars(select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.active.is_(True), FeeItem.kind.in_(RUN_KINDS))
        .order_by(FeeItem.sequence, FeeItem.code))
    return [i for i in items if billed_in(i, period)]


def dedupe_key(item_id: int, unit_id: int, period: date) -> str:
    return f"run:{item_id}:{unit_id}:{period:%Y-%m}"


def _unit_rows(estate_id: int, after_id: int = 0, limit: int | None = None, upto_id: int | None = None):
    stmt = (select(Unit.id, Unit.building_id, Unit.area, Unit.use, Unit.number)
            .where(Unit.estate_id == estate_id, Unit.id > after_id).order_by(Unit.id))
    if upto_id is not None:
        stmt = stmt.where(Unit.id <= upto_id)
    if limit:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


def _readings(meter_ids, period: date) -> dict:
    """Live readings of ``period`` for the meters: ``{meter_id: (reading_id, usage)}``."""
    if not meter_ids:
        return {}
    found = {}
    ids = list(meter_ids)
    for i in range(0, len(ids), 900):
        found.update((m, (r, usage)) for r, m, usage in db.session.execute(
            select(MeterReading.id, MeterReading.meter_id, MeterReading.usage).where(
                MeterReading.meter_id.in_(ids[i:i + 900]), MeterReading.period == period,
                MeterReading.voided_at.is_(None))))
    return found


def _unit_readings(estate_id: int, period: date, first_id: int, last_id: int) -> dict:
    """Units' own meters and their readings of ``period``, for units ``first_id..last_id``:
    ``{(unit_id, kind): [(meter_id, reading_id or None, usage or None), …]}`` (one query)."""
    found: dict[tuple[int, str], list] = defaultdict(list)
    stmt = (select(Meter.id, Meter.unit_id, Meter.kind, MeterReading.id, MeterReading.usage)
            .outerjoin(MeterReading, and_(MeterReading.meter_id == Meter.id, MeterReading.period == period,
                                          MeterReading.voided_at.is_(None)))
            .where(Meter.estate_id == estate_id, Meter.active.is_(True), Meter.unit_id >= first_id,
                   Meter.unit_id <= last_id).order_by(Meter.id))
    for meter_id, unit_id, kind, reading_id, usage in db.session.execute(stmt):
        found[(unit_id, kind)].append((meter_id, reading_id, usage))
    return found


def _shared_parts(item: FeeItem, price: FeePrice | None, period: date, plan: Plan) -> dict[int, list]:
    """Allocate every common meter of a shared item: ``{unit_id: [quantity, amount, reading_id]}``.

    The parts of one meter sum exactly to its total (``ledger.allocate``); a unit sharing two
    meters (its building's and the estate's) gets one bill with both parts.
    """
    parts: dict[int, list] = {}
    meters = list(db.session.scalars(select(Meter).where(
        Meter.item_id == item.id, Meter.unit_id.is_(None), Meter.active.is_(True)).order_by(Meter.id)))
    readings = _readings([m.id for m in meters], period)
    for meter in meters:
        if meter.id not in readings:
            plan.skips.append(Skip(item.id, "no_reading", meter_code=meter.code))
            continue
        reading_id, usage = readings[meter.id]
        if price is None:
            continue
        stmt = select(Unit.id, Unit.area, Unit.use).where(Unit.estate_id == item.estate_id).order_by(Unit.id)
        if meter.building_id:
            stmt = stmt.where(Unit.building_id == meter.building_id)
        units = [u for u in db.session.execute(stmt) if item.applies_to(u.use)]
        if item.allocation == "area":
            units = [u for u in units if u.area and u.area > 0]
            weights = [Decimal(u.area) for u in units]
        else:
            weights = [Decimal(1)] * len(units)
        if not units:
            plan.skips.append(Skip(item.id, "no_units", meter_code=meter.code))
            continue
        total = ledger.money(usage * price.price)
        amounts = ledger.allocate(total, weights)
        weight_sum = sum(weights, Decimal(0))
        for u, w, amount in zip(units, weights, amounts, strict=True):
            qty = (usage * w / weight_sum).quantize(Decimal("0.0001"))
            part = parts.setdefault(u.id, [Decimal(0), Decimal("0.00"), reading_id])
            part[0] += qty
            part[1] += amount
    return parts


class _Context:
    """Prices, meters and shared allocations of one run step, loaded once for all its units."""

    def __init__(self, estate_id: int, period: date, items: list[FeeItem]):
        self.estate_id, self.period, self.items = estate_id, period, items
        self.prices = {i.id: item_prices(i.id) for i in items}
        self.shared: dict[int, dict[int, list]] = {}
        self.shared_plan = Plan()
        for item in items:
            if item.kind == "shared":
                price = _pick_price(self.prices[item.id], "", period)
                if price is None:
                    self.shared_plan.skips.append(Skip(item.id, "no_price"))
                self.shared[item.id] = _shared_parts(item, price, period, self.shared_plan)


def _uses(item: FeeItem) -> frozenset[str]:
    return frozenset(u.strip() for u in (item.unit_uses or "").split(",") if u.strip())


def plan_units(ctx: _Context, units) -> Plan:
    """The bill rows for ``units`` and the skips, item by item.

    A row holds only what differs from bill to bill (unit, reading, quantity, unit price,
    amount, dedupe key) and its item; what one item's bills share is added by the insert
    (:func:`_insert_item`)."""
    plan = Plan()
    period = ctx.period
    money = ledger.money
    meter_items = [i for i in ctx.items if i.kind == "meter"]
    meters = _unit_readings(ctx.estate_id, period, units[0].id, units[-1].id) if meter_items and units else {}
    suffix = f":{period:%Y-%m}"
    rows = plan.rows
    for item in ctx.items:
        months = Decimal(cycle_months(item))
        uses = _uses(item)
        prices = ctx.prices[item.id]
        by_use = {use: _pick_price(prices, use, period) for use in UNIT_USES}
        shared = ctx.shared.get(item.id)
        prefix = f"run:{item.id}:"
        kind, item_id = item.kind, item.id
        for u in units:
            if uses and u.use not in uses:
                continue
            reading_id = None
            if kind == "shared":
                part = shared.get(u.id)
                if part is None:
                    continue
                qty, amount, reading_id = part
                unit_price = _pick_price(prices, "", period).price
            else:
                price = by_use.get(u.use) or _pick_price(prices, u.use, period)
                if price is None:
                    plan.skips.append(Skip(item_id, "no_price", u.number))
                    continue
                unit_price = price.price
                if kind == "area":
                    if not u.area or u.area <= 0:
                        plan.skips.append(Skip(item_id, "no_area", u.number))
                        continue
                    qty = u.area * months
                elif kind == "fixed":
                    qty = months
                else:  # meter
                    own = meters.get((u.id, item.meter_kind))
                    if not own:
                        plan.skips.append(Skip(item_id, "no_meter", u.number))
                        continue
                    if any(r is None for _m, r, _q in own):
                        plan.skips.append(Skip(item_id, "no_reading", u.number))
                        continue
                    qty = sum((q for _m, _r, q in own), Decimal(0))
                    reading_id = own[0][1]
                amount = money(qty * unit_price)
            rows.append({"item_id": item_id, "unit_id": u.id, "reading_id": reading_id, "quantity": qty,
                         "unit_price": unit_price, "amount": amount, "dedupe_key": f"{prefix}{u.id}{suffix}"})
    return plan


def _literal(value) -> sa.ColumnElement:
    """A constant of every row of a bulk insert, written into the statement once (no per-row
    binding). Only dates, timestamps and numbers made here, never text typed by anyone."""
    if value is None:
        return sa.null()
    if isinstance(value, datetime):
        return sa.literal_column(f"'{value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'")
    if isinstance(value, date):
        return sa.literal_column(f"'{value.isoformat()}'")
    if isinstance(value, int | Decimal):
        return sa.literal_column(str(value))
    raise TypeError(value)  # pragma: no cover


def _insert_item(item: FeeItem, period: date, rows: list[dict], run_id: int | None, user_id: int | None) -> None:
    """Core bulk insert of one item's bills, in batches; a key that has a live bill already
    (another run got there first) is skipped by the unique index (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    now = utcnow()
    constants = dict(estate_id=item.estate_id, run_id=run_id, period_start=period, period_end=period_end(item, period),
                     due_date=period + timedelta(days=item.due_days), paid=ledger.ZERO, created_at=now,
                     updated_at=now, created_by_id=user_id, updated_by_id=user_id)
    stmt = _insert_stmt().values({k: _literal(v) for k, v in constants.items()} |
                                 {"state": sa.literal_column("'open'"), "source": sa.literal_column("'run'"),
                                  "source_ref": sa.literal_column("''"), "description": sa.literal_column("''")})
    for i in range(0, len(rows), BATCH):
        db.session.execute(stmt, rows[i:i + BATCH])


def _existing_keys(estate_id: int, period: date) -> set[str]:
    """The dedupe keys of the live run bills of ``period`` (one query)."""
    return set(db.session.scalars(select(Bill.dedupe_key).where(
        Bill.estate_id == estate_id, Bill.period_start == period, Bill.voided_at.is_(None), Bill.source == "run")))


# --- preview --------------------------------------------------------------------------------

@dataclass
class ItemPreview:
    item: FeeItem
    to_create: int = 0
    existing: int = 0
    amount: Decimal = Decimal("0.00")
    skipped: dict[str, int] = field(default_factory=dict)  # reason → count

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def skipped_labels(self) -> list[str]:
        return [f"{skip_label(r)} ({n})" for r, n in sorted(self.skipped.items())]


@dataclass
class RunPreview:
    period: date
    lines: list[ItemPreview]

    @property
    def to_create(self) -> int:
        return sum(x.to_create for x in self.lines)

    @property
    def existing(self) -> int:
        return sum(x.existing for x in self.lines)

    @property
    def amount(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal("0.00"))

    @property
    def skipped(self) -> int:
        return sum(x.skipped_count for x in self.lines)


def check_period(period) -> date:
    if not isinstance(period, date):
        raise DomainError(_("Choose the month to bill, such as 2026-11."), "period")
    return period_start(period)


def preview_run(estate: Estate, period: date) -> RunPreview:
    """What a run of ``period`` would do, per item: bills to create, bills already there, their
    amount, and the units skipped with the reason. Changes nothing."""
    period = check_period(period)
    items = run_items(estate.id, period)
    lines = {i.id: ItemPreview(i) for i in items}
    ctx = _Context(estate.id, period, items)
    for s in ctx.shared_plan.skips:
        lines[s.item_id].skipped[s.reason] = lines[s.item_id].skipped.get(s.reason, 0) + 1
    keys = _existing_keys(estate.id, period)
    after = 0
    while True:
        units = _unit_rows(estate.id, after, CHUNK)
        if not units:
            break
        plan = plan_units(ctx, units)
        for row in plan.rows:
            line = lines[row["item_id"]]
            if row["dedupe_key"] in keys:
                line.existing += 1
            else:
                line.to_create += 1
                line.amount += row["amount"]
        for s in plan.skips:
            lines[s.item_id].skipped[s.reason] = lines[s.item_id].skipped.get(s.reason, 0) + 1
        after = units[-1].id
    return RunPreview(period, list(lines.values()))


# --- running --------------------------------------------------------------------------------

def start_run(estate: Estate, period: date, user_id: int | None) -> BillingRun:
    """Create the run record of ``estate`` and ``period`` (or return the one still running)."""
    period = check_period(period)
    running = db.session.scalar(select(BillingRun).where(
        BillingRun.estate_id == estate.id, BillingRun.period == period, BillingRun.state == "running"))
    if running is not None:
        return running
    count = db.session.scalar(select(func.count(Unit.id)).where(Unit.estate_id == estate.id)) or 0
    run = BillingRun(estate_id=estate.id, period=period, state="running", progress=0, unit_count=count,
                     last_unit_id=0, created_by_id=user_id, updated_by_id=user_id)
    db.session.add(run)
    db.session.flush()
    return run


def _insert_stmt():
    table = Bill.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(
            index_elements=["dedupe_key"], index_where=text("voided_at IS NULL"))
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(
            index_elements=["dedupe_key"], index_where=text("voided_at IS NULL"))
    return insert(table)  # pragma: no cover - other databases rely on the existing-key check


def _skip_message(items: dict[int, FeeItem], s: Skip) -> str:
    item = items.get(s.item_id)
    who = s.unit_number or s.meter_code
    return f"{item.code if item else s.item_id} {who}: {skip_label(s.reason)}".replace("  ", " ")


def _add_messages(run: BillingRun, lines: list[str]) -> None:
    current = [m for m in (run.messages or "").split("\n") if m]
    room = MAX_MESSAGES - len(current)
    if room > 0:
        current.extend(lines[:room])
    run.messages = "\n".join(current)


def run_step(run: BillingRun, user_id: int | None = None, chunk: int | None = None,
             ctx: _Context | None = None) -> BillingRun:
    """Bill the next ``chunk`` units of a running run, in the caller's transaction.

    The chunk is claimed with a conditional UPDATE of ``last_unit_id``, so two requests
    stepping the same run at once never both process it; the unique index stops any double
    bill across runs (a key billed already is skipped and counted as existing). The last step
    applies prepaid credit and marks the run done. ``ctx`` (prices, shared allocations) may be
    kept from the previous step of the same run.
    """
    if run.state != "running":
        return run
    units = _unit_rows(run.estate_id, run.last_unit_id, chunk or CHUNK)
    if not units:
        return _finish(run)
    claimed = db.session.execute(
        update(BillingRun).where(BillingRun.id == run.id, BillingRun.last_unit_id == run.last_unit_id)
        .values(last_unit_id=units[-1].id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.refresh(run)
        return run
    db.session.refresh(run)
    if ctx is None:
        ctx = _Context(run.estate_id, run.period, run_items(run.estate_id, run.period))
    plan = plan_units(ctx, units)
    if run.progress == 0 and ctx.shared_plan.skips:
        plan.skips[:0] = ctx.shared_plan.skips
    by_item: dict[int, list[dict]] = defaultdict(list)
    for row in plan.rows:
        by_item[row["item_id"]].append(row)
    for item in ctx.items:
        _insert_item(item, run.period, by_item.get(item.id, []), run.id, user_id)
    created = db.session.scalar(select(func.count(Bill.id)).where(
        Bill.run_id == run.id, Bill.unit_id >= units[0].id, Bill.unit_id <= units[-1].id)) or 0
    done = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.estate_id == run.estate_id, Unit.id <= units[-1].id)) or 0
    by_id = {i.id: i for i in ctx.items}
    run.bills_created += created
    run.bills_existing += len(plan.rows) - created
    run.skipped += len(plan.skips)
    _add_messages(run, [_skip_message(by_id, s) for s in plan.skips])
    run.progress = min(99, int(done * 100 / run.unit_count)) if run.unit_count else 99
    db.session.flush()
    return run


def _finish(run: BillingRun) -> BillingRun:
    """The last step: apply prepaid credit to the new bills, then mark the run done."""
    run_id, estate_id = run.id, run.estate_id
    claimed = db.session.execute(
        update(BillingRun).where(BillingRun.id == run_id, BillingRun.state == "running")
        .values(state="done", progress=100, finished_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # another request is finishing it
        db.session.refresh(run)
        return run
    credit_units = db.session.scalars(
        select(CreditEntry.unit_id).where(CreditEntry.estate_id == estate_id)
        .group_by(CreditEntry.unit_id).having(func.sum(CreditEntry.amount) > 0))
    for unit_id in list(credit_units):
        ledger.apply_credit(unit_id, estate_id)
    run = db.session.get(BillingRun, run_id)
    run.bills_created = db.session.scalar(select(func.count(Bill.id)).where(Bill.run_id == run.id)) or 0
    run.amount = ledger.money(db.session.scalar(select(func.coalesce(func.sum(Bill.amount), 0)).where(
        and_(Bill.run_id == run.id, Bill.voided_at.is_(None)))) or 0)
    run.progress = 100
    run.state = "done"
    run.finished_at = utcnow()
    db.session.flush()
    return run


def run_billing(estate: Estate, period: date, user_id: int) -> BillingRun:
    """Run billing for ``estate`` and ``period`` to the end in the caller's transaction."""
    run = start_run(estate, period, user_id)
    ctx = _Context(estate.id, run.period, run_items(estate.id, run.period))
    while run.state == "running":
        run = run_step(run, user_id, RUN_CHUNK, ctx)
    return run
