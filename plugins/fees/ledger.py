"""The money rules of the fees plugin, in one place: rounding, shared-meter allocation,
taking a payment, voiding it, prepaid credit and a unit's balance and statement.

Every function works inside the caller's transaction and raises
:class:`core.errors.DomainError` (translated message, form field) before it changes
anything it refuses. Amounts are ``Decimal`` with two places; no float anywhere.

Concurrency: a bill's ``paid`` is raised with one conditional ``UPDATE … WHERE paid = :seen``;
if another cashier paid the bill in between, no row matches and the payment is refused
with a clear message (the whole transaction rolls back, so its receipt number is given back
and the sequence stays gapless).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_date, fmt_money
from core.models import Estate, utcnow
from core.numbering import next_number
from core.plugins import hook
from plugins.fees.models import (
    METHODS,
    Bill,
    CreditEntry,
    DailyClose,
    Deposit,
    FeeItem,
    Payment,
    PaymentLine,
    Refund,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest single payment the desk accepts (a typo guard, not a business limit).
MAX_PAYMENT = Decimal("10000000.00")


def money(value) -> Decimal:
    """Round to the cent, half up (the way a receipt is written)."""
    if isinstance(value, float):  # pragma: no cover - a programming error, never user input
        raise TypeError("money must not be float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def check_amount(value, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Validate an amount typed by someone: a finite Decimal, positive, at most two places."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("Enter an amount such as 1280.50."), field)
    if value.as_tuple().exponent < -2:
        raise DomainError(_("Use at most %(n)s decimal places.", n=2), field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError(_("The amount must be more than zero."), field)
    if value > MAX_PAYMENT:
        raise DomainError(_("The amount is too large."), field)
    return value.quantize(CENT)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` across ``weights`` (areas, or 1 each for equal shares) so that the parts
    are whole cents and **sum exactly to the total** (largest remainder; ties go to the
    earlier entry, so the result is deterministic). Zero weights get zero."""
    total = money(total)
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("negative weight")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("all weights are zero")
    cents = int(total / CENT)
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(r) for r in raw]  # int() truncates toward zero: floor for positives
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(c) * CENT for c in floors]


def bill_state(amount: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return "open"
    return "paid" if paid >= amount else "partial"


def local_now(estate: Estate) -> datetime:
    return utcnow().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai"))


def business_date_of(estate: Estate, when: datetime | None = None) -> date:
    when = when or utcnow()
    return when.astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


# --- balances -----------------------------------------------------------------------------

def credit_balance(unit_id: int) -> Decimal:
    value = db.session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0))
                              .where(CreditEntry.unit_id == unit_id))
    return money(value or 0)


def outstanding(unit_id: int) -> Decimal:
    value = db.session.scalar(select(func.coalesce(func.sum(Bill.amount - Bill.paid), 0)).where(
        Bill.unit_id == unit_id, Bill.state.in_(("open", "partial"))))
    return money(value or 0)


def balance(unit_id: int) -> Decimal:
    """What the unit owes now (negative: it is in credit) = unpaid bills − prepaid credit."""
    return outstanding(unit_id) - credit_balance(unit_id)


def open_bills(unit_id: int, for_update: bool = False) -> list[Bill]:
    """The unit's unpaid bills, oldest due first (the order the cashier pays them in)."""
    stmt = (select(Bill).where(Bill.unit_id == unit_id, Bill.state.in_(("open", "partial")))
            .order_by(Bill.due_date, Bill.period_start, Bill.id))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class StatementEntry:
    when: datetime | date
    kind: str  # charge, charge_void, payment, payment_void, refund
    ref: str
    description: str
    amount: Decimal  # + the unit owes more, − it paid


def statement(unit_id: int) -> list[StatementEntry]:
    """The unit's ledger: every charge, payment and reversal in date order. Its sum always
    equals :func:`balance` (a property test holds the two together). Deposits are held
    money, not fees, and are not in it."""
    entries: list[StatementEntry] = []
    for bill in db.session.scalars(select(Bill).where(Bill.unit_id == unit_id)):
        label = f"{bill.item.name} {bill.period_start:%Y-%m}"
        entries.append(StatementEntry(bill.created_at, "charge", str(bill.id), label, bill.amount))
        if bill.voided_at:
            entries.append(StatementEntry(bill.voided_at, "charge_void", str(bill.id), label, -bill.amount))
    for payment in db.session.scalars(select(Payment).where(Payment.unit_id == unit_id)):
        fee_part = sum((ln.amount for ln in payment.lines if ln.kind != "deposit"), ZERO)
        if not fee_part:
            continue
        entries.append(StatementEntry(payment.received_at, "payment", payment.number, payment.method, -fee_part))
        if payment.voided_at:
            entries.append(StatementEntry(payment.voided_at, "payment_void", payment.number,
                                          payment.void_reason or "", fee_part))
    for refund in db.session.scalars(select(Refund).where(
            Refund.unit_id == unit_id, Refund.kind == "credit", Refund.state == "paid")):
        entries.append(StatementEntry(refund.paid_at, "refund", refund.number, refund.reason, refund.amount))

    def key(e: StatementEntry):
        w = e.when
        return w if isinstance(w, datetime) else datetime.combine(w, datetime.min.time(), tzinfo=ZoneInfo("UTC"))

    entries.sort(key=key)
    return entries


# --- paying ------------------------------------------------------------------------------

def _current(bill_id: int):
    """The bill's amount, paid and void mark as committed now (not the session's copy)."""
    return db.session.execute(select(Bill.amount, Bill.paid, Bill.voided_at, Bill.state, Bill.estate_id)
                              .where(Bill.id == bill_id)).one()


def _set_paid(bill_id: int, seen: Decimal, new_paid: Decimal, state: str, current) -> bool:
    """Move a bill's ``paid`` from ``seen`` to ``new_paid`` in one conditional UPDATE.

    The new figure is computed here in ``Decimal`` (never by the database: SQLite would add
    floats) and written only if ``paid`` is still what was seen. The change is written to the
    audit log here: the ORM's audit hook does not see SQL updates."""
    result = db.session.execute(
        update(Bill).where(Bill.id == bill_id, Bill.paid == seen).values(paid=new_paid, state=state)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    changes = {"paid": (seen, new_paid)}
    if state != current.state:
        changes["state"] = (current.state, state)
    record_sql_change("fees_bill", bill_id, current.estate_id, changes)
    return True


def _raise_paid(bill_id: int, amount: Decimal, seen_paid: Decimal | None) -> None:
    """Add ``amount`` to a bill's ``paid`` (see the module doc): refused if the bill changed
    since the cashier saw it, is void, or would be paid more than its amount."""
    current = _current(bill_id)
    bill_amount, paid, voided_at = current.amount, current.paid, current.voided_at
    seen = paid if seen_paid is None else money(seen_paid)
    new_paid = seen + amount
    if voided_at is not None or paid != seen or new_paid > bill_amount \
            or not _set_paid(bill_id, seen, new_paid, bill_state(bill_amount, new_paid), current):
        raise DomainError(_("Another cashier has just taken a payment for this bill. "
                            "Nothing was saved: reload the unit and check what it still owes."), "bills")


def _lower_paid(bill_id: int, amount: Decimal) -> None:
    current = _current(bill_id)
    new_paid = current.paid - amount
    state = "void" if current.voided_at is not None else bill_state(current.amount, new_paid)
    if not _set_paid(bill_id, current.paid, new_paid, state, current):
        raise DomainError(_("A bill of this receipt changed at the same moment. Nothing was saved: "
                            "try again."), "reason")


def day_is_closed(estate_id: int, cashier_id: int, day: date) -> DailyClose | None:
    return db.session.scalar(select(DailyClose).where(
        DailyClose.estate_id == estate_id, DailyClose.cashier_id == cashier_id,
        DailyClose.business_date == day, DailyClose.state != "reopened"))


def lock_receipts(estate: Estate, year: int) -> None:
    """Hold the estate's receipt counter of ``year`` until the transaction ends (a no-op update):
    a payment being taken finishes first, and later ones wait and then see what was committed."""
    from core.models.system import NumberSequence

    t = NumberSequence.__table__
    db.session.execute(update(t).where(t.c.code == "SJ", t.c.estate_id == estate.id, t.c.year == year)
                       .values(last_value=t.c.last_value))


def take_payment(*, estate: Estate, unit_id: int, cashier_id: int, method: str, amount: Decimal,
                 bills: list[tuple[int, Decimal, Decimal | None]], prepay: bool = False,
                 deposit_item_id: int | None = None, deposit_ref: str = "", payer: str = "",
                 reference: str = "", note: str = "", now: datetime | None = None) -> Payment:
    """Take one payment and issue its receipt.

    ``bills`` is ``[(bill_id, amount to pay on it, its paid amount as the cashier saw it)]``.
    What is left after the bills becomes prepaid credit when ``prepay`` is true (else the
    payment is refused as more than owed), or a deposit when ``deposit_item_id`` is given.
    """
    now = now or utcnow()
    if method not in METHODS:
        raise DomainError(_("Choose how the money was paid."), "method")
    amount = check_amount(amount)
    day = business_date_of(estate, now)
    if day_is_closed(estate.id, cashier_id, day):
        raise DomainError(_("You have closed this day's takings already. A manager must reopen "
                            "the daily close before you take more payments today."), "amount")
    lines: list[tuple[str, int | None, Decimal, Decimal | None]] = []
    seen: set[int] = set()
    for bill_id, part, seen_paid in bills:
        if bill_id in seen:
            raise DomainError(_("A bill was chosen twice."), "bills")
        seen.add(bill_id)
        part = check_amount(part, "bills")
        bill = db.session.get(Bill, bill_id)
        if bill is None or bill.unit_id != unit_id or bill.estate_id != estate.id:
            raise DomainError(_("That bill does not belong to this unit."), "bills")
        if bill.voided_at is not None:
            raise DomainError(_("Bill %(ref)s has been voided.", ref=bill.id), "bills")
        base = bill.paid if seen_paid is None else seen_paid
        if part > bill.amount - base:
            if bill.paid != base:
                raise DomainError(_("Another cashier has just taken a payment for this bill. "
                                    "Nothing was saved: reload the unit and check what it still owes."), "bills")
            raise DomainError(_("%(amount)s is more than bill %(ref)s still owes (%(owed)s).", amount=fmt_money(part),
                                ref=bill.id, owed=fmt_money(bill.amount - bill.paid)), "bills")
        lines.append(("bill", bill_id, part, seen_paid))
    to_bills = sum((p for _k, _b, p, _s in lines), ZERO)
    if to_bills > amount:
        raise DomainError(_("The bills chosen come to %(sum)s, more than the %(amount)s received.",
                            sum=fmt_money(to_bills), amount=fmt_money(amount)), "amount")
    rest = amount - to_bills
    if deposit_item_id:
        item = db.session.get(FeeItem, deposit_item_id)
        if item is None or item.estate_id != estate.id or item.kind != "deposit":
            raise DomainError(_("Choose a deposit item of this estate."), "deposit_item")
        if not rest:
            raise DomainError(_("Enter the deposit amount on top of the bills chosen."), "amount")
    if rest:
        if deposit_item_id:
            lines.append(("deposit", None, rest, None))
        elif prepay:
            lines.append(("prepayment", None, rest, None))
        else:
            raise DomainError(_("%(amount)s is more than the %(owed)s chosen. Tick “keep the rest as "
                                "prepaid credit” or lower the amount.", amount=fmt_money(amount), owed=fmt_money(to_bills)),
                              "amount")

    # The bills first: each conditional UPDATE locks only its own bill row. The receipt
    # counter (one row per estate and year, held until commit) is taken afterwards, so the
    # part of the work that payments of the whole estate wait for stays short.
    for kind, bill_id, part, seen_paid in lines:
        if kind == "bill":
            _raise_paid(bill_id, part, seen_paid)
    local = now.astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai"))
    number = next_number("SJ", estate, when=local)
    # The receipt counter is now locked until commit; the daily close takes the same lock
    # (lock_receipts), so a close submitted meanwhile is seen here and refuses the payment.
    if day_is_closed(estate.id, cashier_id, day):
        raise DomainError(_("You have closed this day's takings already. A manager must reopen "
                            "the daily close before you take more payments today."), "amount")
    payment = Payment(estate_id=estate.id, number=number, year=local.year, seq=int(number.rsplit("-", 1)[1]),
                      unit_id=unit_id, payer=payer.strip(), method=method, amount=amount, received_at=now,
                      business_date=day, cashier_id=cashier_id, reference=reference.strip(), note=note.strip())
    db.session.add(payment)
    db.session.flush()
    for kind, bill_id, part, _seen in lines:
        line = PaymentLine(payment_id=payment.id, kind=kind, bill_id=bill_id, amount=part)
        if kind == "prepayment":
            db.session.add(CreditEntry(estate_id=estate.id, unit_id=unit_id, kind="prepaid", amount=part,
                                       payment_id=payment.id))
        elif kind == "deposit":
            deposit = Deposit(estate_id=estate.id, unit_id=unit_id, item_id=deposit_item_id, amount=part,
                              payment_id=payment.id, source_ref=deposit_ref)
            db.session.add(deposit)
            db.session.flush()
            line.deposit_id = deposit.id
        db.session.add(line)
    db.session.flush()
    _expire_bills()
    db.session.expire(payment, ["lines"])
    hook("fees_receipt_issued")(payment=payment)
    return payment


def _expire_bills() -> None:
    """Bills changed by the conditional UPDATEs are re-read on next access (and nothing else)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Bill):
            db.session.expire(obj)


def apply_credit(unit_id: int, estate_id: int) -> Decimal:
    """Use the unit's prepaid credit on its unpaid bills, oldest due first. Returns the amount used."""
    available = credit_balance(unit_id)
    used = ZERO
    if available <= 0:
        return used
    for bill in open_bills(unit_id):
        if available <= 0:
            break
        part = min(available, bill.amount - bill.paid)
        if part <= 0:
            continue
        _raise_paid(bill.id, part, bill.paid)
        db.session.add(CreditEntry(estate_id=estate_id, unit_id=unit_id, kind="applied", amount=-part,
                                   bill_id=bill.id))
        available -= part
        used += part
    db.session.flush()
    _expire_bills()
    return used


def void_payment(payment: Payment, reason: str, user_id: int, now: datetime | None = None) -> Payment:
    """Void a receipt: its number stays in the sequence, marked void; the bills it paid are owed
    again, its prepaid credit is taken back (credit already used on later bills is taken back
    from those bills first), a deposit it took must still be held. The caller checks
    ``fees.void``."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(_("Give the reason for voiding (at least 4 characters)."), "reason")
    if payment.voided_at is not None:
        raise DomainError(_("Receipt %(number)s is void already.", number=payment.number), "reason")
    close = day_is_closed(payment.estate_id, payment.cashier_id, payment.business_date)
    if close is not None:
        raise DomainError(_("The daily close of %(day)s (%(number)s) locks this receipt. A manager must "
                            "reopen that close first.", day=fmt_date(payment.business_date),
                            number=close.number), "reason")
    now = now or utcnow()
    prepaid = sum((ln.amount for ln in payment.lines if ln.kind == "prepayment"), ZERO)
    if prepaid:
        applied = -money(db.session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.unit_id == payment.unit_id, CreditEntry.kind.in_(("applied", "unapplied")))) or 0)
        if prepaid > credit_balance(payment.unit_id) + applied:
            raise DomainError(_("The prepaid credit of this receipt has been refunded: it cannot be voided."),
                              "reason")
    for line in payment.lines:
        if line.kind == "deposit":
            deposit = db.session.get(Deposit, line.deposit_id)
            if deposit.state != "held":
                raise DomainError(_("The deposit taken on this receipt is being refunded or was refunded: "
                                    "it cannot be voided."), "reason")
    for line in payment.lines:
        if line.kind == "bill":
            _lower_paid(line.bill_id, line.amount)
        elif line.kind == "prepayment":
            db.session.add(CreditEntry(estate_id=payment.estate_id, unit_id=payment.unit_id, kind="void",
                                       amount=-line.amount, payment_id=payment.id, note=reason[:200]))
        else:
            db.session.get(Deposit, line.deposit_id).state = "void"
    db.session.flush()
    _cover_negative_credit(payment.unit_id, payment.estate_id)
    _expire_bills()
    payment.voided_at = now
    payment.voided_by_id = user_id
    payment.void_reason = reason
    db.session.flush()
    hook("fees_receipt_voided")(payment=payment, reason=reason)
    return payment


def _cover_negative_credit(unit_id: int, estate_id: int) -> None:
    """After a prepayment is voided the credit may be below zero because part of it was used on
    bills: give those bills back their debt (latest first) until the credit is zero again."""
    short = -credit_balance(unit_id)
    if short <= 0:
        return
    applied = db.session.scalars(select(CreditEntry).where(
        CreditEntry.unit_id == unit_id, CreditEntry.kind == "applied").order_by(CreditEntry.id.desc()))
    for entry in applied:
        if short <= 0:
            break
        already = -db.session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.unit_id == unit_id, CreditEntry.bill_id == entry.bill_id,
            CreditEntry.kind.in_(("applied", "unapplied"))))
        part = min(short, money(already))
        if part <= 0:
            continue
        _lower_paid(entry.bill_id, part)
        db.session.add(CreditEntry(estate_id=estate_id, unit_id=unit_id, kind="unapplied", amount=part,
                                   bill_id=entry.bill_id))
        short -= part
    db.session.flush()
