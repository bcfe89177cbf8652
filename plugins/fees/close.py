"""The cashier's daily close (日收日清) and its handover form (《日收入情况交接表》).

Rules:

* a cashier closes **their own** day: the figures (per payment method, receipt number range and
  count, voided numbers, invoice numbers, refunds paid out, cash to hand over, large amounts)
  are computed from the receipts and frozen in a :class:`DailyClose` with one line per method;
* the form is handed to a finance cashier (``fees.confirm``, not the cashier) who confirms it;
* once submitted, that day's receipts are locked: no payment, payout or void for that cashier
  and day (:func:`plugins.fees.ledger.day_is_closed`);
* a manager (``fees.reopen``) may reopen a close with a reason (audited); the cashier then closes
  the day again with a new form and a new number.

Submitting takes the receipt counter's lock (:func:`ledger.lock_receipts`), so a payment being
taken at the same moment is either in the figures or refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_date
from core.models import Estate, User, utcnow
from core.numbering import next_number
from plugins.fees import ledger
from plugins.fees.models import METHODS, DailyClose, DailyCloseLine, Payment, Refund
from plugins.fees.settings import large_amount

ZERO = Decimal("0.00")


@dataclass
class MethodLine:
    method: str
    count: int = 0
    amount: Decimal = ZERO
    refunds: Decimal = ZERO


@dataclass
class Figures:
    """The day's figures of one cashier, as the handover form shows them."""

    day: date
    receipts: list = field(default_factory=list)  # every receipt of the day, void ones too
    lines: dict = field(default_factory=dict)  # method -> MethodLine
    voided: list = field(default_factory=list)
    invoices: list = field(default_factory=list)
    refunds: list = field(default_factory=list)
    large: list = field(default_factory=list)

    @property
    def live(self) -> list:
        return [p for p in self.receipts if p.voided_at is None]

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.live), ZERO)

    @property
    def refunds_total(self) -> Decimal:
        return sum((r.amount for r in self.refunds), ZERO)

    @property
    def cash_to_hand_over(self) -> Decimal:
        cash = self.lines["cash"]
        return cash.amount - cash.refunds


def figures(estate_id: int, cashier_id: int, day: date) -> Figures:
    receipts = list(db.session.scalars(select(Payment).where(
        Payment.estate_id == estate_id, Payment.cashier_id == cashier_id, Payment.business_date == day)
        .order_by(Payment.year, Payment.seq)))
    refunds = list(db.session.scalars(select(Refund).where(
        Refund.estate_id == estate_id, Refund.paid_by_id == cashier_id, Refund.business_date == day,
        Refund.state == "paid").order_by(Refund.id)))
    f = Figures(day, receipts, {m: MethodLine(m) for m in METHODS}, refunds=refunds)
    limit = large_amount(estate_id)
    for p in receipts:
        if p.voided_at is not None:
            f.voided.append(p.number)
            continue
        line = f.lines[p.method]
        line.count += 1
        line.amount += p.amount
        if p.invoice_no:
            f.invoices.append(p.invoice_no)
        if p.amount >= limit:
            f.large.append(p)
    for r in refunds:
        f.lines[r.method].refunds += r.amount
    return f


def close_day(user, estate: Estate, day: date, handed_to_id: int | None, note: str = "") -> DailyClose:
    """Submit the cashier's handover form for ``day`` (their own receipts only)."""
    today = ledger.business_date_of(estate)
    if day > today:
        raise DomainError(_("A day can be closed once it has begun, not in advance."), "day")
    if ledger.day_is_closed(estate.id, user.id, day):
        raise DomainError(_("You have closed %(day)s already.", day=fmt_date(day)), "day")
    receiver = next((u for u in receivers(estate.id, user.id) if u.id == handed_to_id), None)
    if receiver is None:
        raise DomainError(_("Choose the finance cashier who receives the takings."), "handed_to")
    ledger.lock_receipts(estate, day.year)
    f = figures(estate.id, user.id, day)
    close = DailyClose(
        estate_id=estate.id, number=next_number("JJ", estate, when=ledger.local_now(estate)),
        cashier_id=user.id, business_date=day, state="submitted",
        receipt_count=len(f.receipts), receipt_first=f.receipts[0].number if f.receipts else "",
        receipt_last=f.receipts[-1].number if f.receipts else "", void_count=len(f.voided),
        void_numbers=", ".join(f.voided), invoice_count=len(f.invoices),
        invoice_first=min(f.invoices) if f.invoices else "", invoice_last=max(f.invoices) if f.invoices else "",
        total=f.total, refunds_total=f.refunds_total, cash_to_hand_over=f.cash_to_hand_over,
        large_count=len(f.large), note=(note or "").strip()[:500], submitted_at=utcnow(),
        handed_to_id=receiver.id)
    db.session.add(close)
    db.session.flush()
    for m in METHODS:
        line = f.lines[m]
        if line.count or line.refunds:
            db.session.add(DailyCloseLine(close_id=close.id, method=m, count=line.count, amount=line.amount,
                                          refunds=line.refunds))
    ids = [p.id for p in f.receipts]
    if ids:
        db.session.execute(update(Payment).where(Payment.id.in_(ids)).values(close_id=close.id)
                           .execution_options(synchronize_session=False))
    refund_ids = [r.id for r in f.refunds]
    if refund_ids:
        db.session.execute(update(Refund).where(Refund.id.in_(refund_ids)).values(close_id=close.id)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire_all()
    return db.session.get(DailyClose, close.id)


def confirm(user, close: DailyClose, note: str = "") -> DailyClose:
    """The finance cashier confirms they received the takings of the form."""
    if close.state != "submitted":
        raise DomainError(_("Only a submitted handover form can be confirmed."), "note")
    if close.cashier_id == user.id:
        raise DomainError(_("A cashier cannot confirm their own handover."), "note")
    close.state = "confirmed"
    close.confirmed_by_id = user.id
    close.confirmed_at = utcnow()
    close.confirm_note = (note or "").strip()[:500]
    db.session.flush()
    return close


def reopen(user, close: DailyClose, reason: str) -> DailyClose:
    """A manager reopens a close (with a reason, audited): the day's receipts are unlocked and
    the cashier closes the day again with a new form."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(_("Give the reason for reopening (at least 4 characters)."), "reason")
    if close.state == "reopened":
        raise DomainError(_("This handover form has been reopened already."), "reason")
    close.state = "reopened"
    close.reopened_by_id = user.id
    close.reopened_at = utcnow()
    close.reopen_reason = reason[:500]
    db.session.execute(update(Payment).where(Payment.close_id == close.id).values(close_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Refund).where(Refund.close_id == close.id).values(close_id=None)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return close


def receivers(estate_id: int, cashier_id: int) -> list[User]:
    """Who may receive a cashier's takings: the estate's people with ``fees.confirm``."""
    from core.security import users_with_permission

    return [u for u in users_with_permission(estate_id, "fees.confirm") if u.id != cashier_id]
