"""The cashier desk services: find a unit, show what it owes, take a payment, void a receipt,
record the invoice number, use prepaid credit, and the refund procedure for deposits and
credit (request → approval → payout).

Rules implemented here (the money itself moves in :mod:`plugins.fees.ledger`):

* ticked bills are paid oldest due first; only the last one may be paid in part; what is left
  over becomes prepaid credit only when the cashier says so;
* a receipt at or above the estate's ``large_amount`` is reported the same day to the people
  with ``fees.reports`` (日收日报);
* an invoice number is unique per estate and recorded once per receipt;
* a refund is numbered (``TK``, gapless per estate and year) when requested, approved by
  someone else than the requester, and paid out by a cashier whose day is not closed.

Every function raises :class:`~core.errors.DomainError` before changing anything it refuses;
the caller commits or rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from core.errors import DomainError
from core.extensions import db
from core.hooks import _like
from core.i18n import fmt_money
from core.models import Estate, Occupancy, Resident, Unit, utcnow
from core.notify import notify_each
from core.numbering import next_number
from core.security import users_with_permission
from core.ui import SearchHit
from plugins.fees import ledger
from plugins.fees.models import METHODS, Bill, Deposit, FeeItem, Payment, Refund
from plugins.fees.settings import large_amount

ZERO = Decimal("0.00")

METHOD_LABELS = {
    "cash": _l("Cash"),
    "card": _l("Bank card"),
    "transfer": _l("Bank transfer"),
    "wechat": _l("WeChat Pay"),
    "alipay": _l("Alipay"),
}
REFUND_STATE_LABELS = {
    "requested": _l("Awaiting approval"),
    "approved": _l("Approved, to be paid out"),
    "paid": _l("Paid out"),
    "rejected": _l("Rejected"),
}
DEPOSIT_STATE_LABELS = {
    "held": _l("Held"),
    "refunding": _l("Being refunded"),
    "refunded": _l("Refunded"),
    "void": _l("Void"),
}


# --- finding a unit ----------------------------------------------------------------------

@dataclass
class UnitHit:
    id: int
    number: str
    estate_id: int
    owners: list[str] = field(default_factory=list)
    owed: Decimal = ZERO
    credit: Decimal = ZERO


def find_units(query: str, estate_ids: list[int], limit: int = 20) -> list[UnitHit]:
    """Units whose number, owner's name or phone matches ``query`` (a few queries, indexed
    columns, no per-row work), with what each owes and its credit."""
    query = (query or "").strip()
    if not query or not estate_ids:
        return []
    pattern = _like(query)
    # A whole unit number (the usual case at the desk) is found through the index alone.
    ids = list(db.session.scalars(select(Unit.id).where(Unit.estate_id.in_(estate_ids), Unit.number == query)
                                  .order_by(Unit.estate_id)))
    exact = bool(ids) and "-" in query
    if not exact:
        ids = list(db.session.scalars(
            select(Unit.id).where(Unit.estate_id.in_(estate_ids), Unit.number.like(pattern, escape="\\"))
            .order_by(func.length(Unit.number), Unit.sort_key, Unit.number).limit(limit)))
    if len(ids) < limit and not exact:
        digits = "".join(ch for ch in query if ch.isdigit())
        conds = [Resident.name.like(pattern, escape="\\")]
        if len(digits) >= 4:
            conds.append(Resident.phone.like(_like(digits), escape="\\"))
        more = db.session.scalars(
            select(Occupancy.unit_id).join(Resident, Resident.id == Occupancy.resident_id)
            .where(Occupancy.estate_id.in_(estate_ids), Occupancy.end_date.is_(None), or_(*conds))
            .limit(limit)).all()
        ids += [i for i in dict.fromkeys(more) if i not in ids][: limit - len(ids)]
    if not ids:
        return []
    hits = {r.id: UnitHit(r.id, r.number, r.estate_id) for r in db.session.execute(
        select(Unit.id, Unit.number, Unit.estate_id).where(Unit.id.in_(ids)))}
    for unit_id, name in db.session.execute(
            select(Occupancy.unit_id, Resident.name).join(Resident, Resident.id == Occupancy.resident_id)
            .where(Occupancy.unit_id.in_(ids), Occupancy.end_date.is_(None)).order_by(Occupancy.id)):
        hits[unit_id].owners.append(name)
    for unit_id, owed in db.session.execute(
            select(Bill.unit_id, func.sum(Bill.amount - Bill.paid))
            .where(Bill.unit_id.in_(ids), Bill.state.in_(("open", "partial"))).group_by(Bill.unit_id)):
        hits[unit_id].owed = ledger.money(owed or 0)
    from plugins.fees.models import CreditEntry

    for unit_id, credit in db.session.execute(
            select(CreditEntry.unit_id, func.sum(CreditEntry.amount))
            .where(CreditEntry.unit_id.in_(ids)).group_by(CreditEntry.unit_id)):
        hits[unit_id].credit = ledger.money(credit or 0)
    return [hits[i] for i in ids if i in hits]


@dataclass
class Account:
    """What the desk shows for one unit."""

    unit: Unit
    bills: list  # open bills, oldest due first (the order they are paid in)
    overdue: set
    owed: Decimal
    by_item: list  # [(item name, count, outstanding)]
    credit: Decimal
    deposits: list
    receipts: list
    refunds: list
    owners: list


def account(unit: Unit, today: date) -> Account:
    bills = ledger.open_bills(unit.id)
    overdue = {b.id for b in bills if b.due_date < today}
    by_item: dict[str, list] = {}
    for b in bills:
        row = by_item.setdefault(b.item.name, [0, ZERO])
        row[0] += 1
        row[1] += b.amount - b.paid
    deposits = list(db.session.scalars(select(Deposit).where(Deposit.unit_id == unit.id)
                                       .order_by(Deposit.id.desc())))
    receipts = list(db.session.scalars(select(Payment).where(Payment.unit_id == unit.id)
                                       .order_by(Payment.received_at.desc(), Payment.id.desc()).limit(10)))
    refunds = list(db.session.scalars(select(Refund).where(Refund.unit_id == unit.id)
                                      .order_by(Refund.id.desc()).limit(10)))
    owners = [o.resident for o in db.session.scalars(select(Occupancy).where(
        Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None)).order_by(Occupancy.id))]
    return Account(unit, bills, overdue, sum((b.amount - b.paid for b in bills), ZERO),
                   [(name, n, amt) for name, (n, amt) in by_item.items()], ledger.credit_balance(unit.id),
                   deposits, receipts, refunds, owners)


def deposit_items(estate_id: int) -> list[FeeItem]:
    return list(db.session.scalars(select(FeeItem).where(
        FeeItem.estate_id == estate_id, FeeItem.kind == "deposit", FeeItem.active.is_(True))
        .order_by(FeeItem.sequence, FeeItem.id)))


# --- taking a payment -------------------------------------------------------------------

def plan(amount: Decimal, chosen: list[tuple[Bill, Decimal]]) -> list[tuple[int, Decimal, Decimal]]:
    """Split ``amount`` over the ticked bills, oldest due first: each is paid in full, the last
    one may be paid in part. ``chosen`` holds each bill with its paid amount as the cashier saw
    it. A ticked bill the amount does not reach is refused (untick it instead)."""
    parts = []
    left = amount
    ordered = sorted(chosen, key=lambda bs: (bs[0].due_date, bs[0].period_start, bs[0].id))
    for n, (bill, seen) in enumerate(ordered):
        owed = bill.amount - seen
        if owed <= 0:
            raise DomainError(_("Another cashier has just taken a payment for this bill. "
                                "Nothing was saved: reload the unit and check what it still owes."), "bills")
        if left <= 0:
            raise DomainError(_("The amount does not reach every bill ticked: untick the later bills "
                                "or raise the amount."), "amount")
        part = min(owed, left)
        if part < owed and n != len(ordered) - 1:
            raise DomainError(_("Only the last bill ticked may be paid in part: untick the later bills "
                                "or raise the amount."), "amount")
        parts.append((bill.id, part, seen))
        left -= part
    return parts


def collect(user, unit: Unit, *, method: str, amount: Decimal, bills: list[tuple[int, Decimal]],
            prepay: bool = False, payer: str = "", reference: str = "", note: str = "",
            deposit_item_id: int | None = None, deposit_ref: str = "") -> Payment:
    """Take a payment at the desk for ``unit``. ``bills`` = ``[(bill id, paid as seen)]``."""
    estate = db.session.get(Estate, unit.estate_id)
    if amount is None:
        raise DomainError(_("Enter the amount received."), "amount")
    amount = ledger.check_amount(amount)
    chosen = []
    for bill_id, seen in bills:
        bill = db.session.get(Bill, bill_id)
        if bill is None or bill.unit_id != unit.id:
            raise DomainError(_("That bill does not belong to this unit."), "bills")
        if bill.voided_at is not None:
            raise DomainError(_("Bill %(ref)s has been voided.", ref=bill.id), "bills")
        chosen.append((bill, seen if seen is not None else bill.paid))
    parts = plan(amount, chosen)
    limit = large_amount(unit.estate_id)  # read before the receipt counter is locked
    payment = ledger.take_payment(
        estate=estate, unit_id=unit.id, cashier_id=user.id, method=method, amount=amount, bills=parts,
        prepay=prepay, deposit_item_id=deposit_item_id, deposit_ref=deposit_ref, payer=payer or "",
        reference=reference or "", note=note or "")
    flag_large(payment, limit)
    return payment


def is_large(payment: Payment) -> bool:
    return payment.amount >= large_amount(payment.estate_id)


def flag_large(payment: Payment, limit: Decimal | None = None) -> None:
    """日收日报: a large receipt is reported the same day to the estate's report readers."""
    if payment.amount < (large_amount(payment.estate_id) if limit is None else limit):
        return
    users = users_with_permission(payment.estate_id, "fees.reports")
    notify_each(users, lambda: _("Large amount received: %(amount)s on receipt %(number)s (unit %(unit)s).",
                                 amount=fmt_money(payment.amount), number=payment.number,
                                 unit=payment.unit.number),
                link=url_for("fees.receipt", payment_id=payment.id), estate_id=payment.estate_id)


def void(user, payment: Payment, reason: str) -> Payment:
    """Void a receipt (the caller checked ``fees.void``)."""
    return ledger.void_payment(payment, reason, user.id)


def record_invoice(user, payment: Payment, invoice_no: str) -> Payment:
    """Record the number of the invoice issued for a receipt (once; unique in the estate)."""
    invoice_no = (invoice_no or "").strip()
    if not invoice_no or len(invoice_no) > 40:
        raise DomainError(_("Enter the invoice number (at most 40 characters)."), "invoice_no")
    if payment.voided_at is not None:
        raise DomainError(_("Receipt %(number)s is void: no invoice can be recorded for it.",
                            number=payment.number), "invoice_no")
    if payment.invoice_no:
        raise DomainError(_("Invoice %(invoice)s is already recorded for this receipt.",
                            invoice=payment.invoice_no), "invoice_no")
    other = db.session.scalar(select(Payment.number).where(
        Payment.estate_id == payment.estate_id, Payment.invoice_no == invoice_no))
    if other:
        raise DomainError(_("Invoice %(invoice)s is already recorded on receipt %(number)s.",
                            invoice=invoice_no, number=other), "invoice_no")
    payment.invoice_no = invoice_no
    payment.invoice_at = utcnow()
    db.session.flush()
    return payment


def use_credit(user, unit: Unit) -> Decimal:
    """Use the unit's prepaid credit on its unpaid bills, oldest first."""
    if ledger.credit_balance(unit.id) <= 0:
        raise DomainError(_("This unit has no prepaid credit."), None)
    if not ledger.open_bills(unit.id):
        raise DomainError(_("This unit owes nothing: the credit stays for later bills."), None)
    return ledger.apply_credit(unit.id, unit.estate_id)


# --- refunds ------------------------------------------------------------------------------

def _pending_credit_refunds(unit_id: int) -> Decimal:
    value = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.unit_id == unit_id, Refund.kind == "credit", Refund.state.in_(("requested", "approved"))))
    return ledger.money(value or 0)


def request_refund(user, unit: Unit, *, kind: str, reason: str, payee: str = "",
                   deposit_id: int | None = None, amount: Decimal | None = None) -> Refund:
    """Ask for a deposit (whole) or part of the prepaid credit to be paid back."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Give the reason for the refund (at least 2 characters)."), "reason")
    deposit = None
    if kind == "deposit":
        deposit = db.session.get(Deposit, deposit_id) if deposit_id else None
        if deposit is None or deposit.unit_id != unit.id:
            raise DomainError(_("Choose a deposit held for this unit."), "deposit_id")
        if deposit.state != "held":
            raise DomainError(_("This deposit is not held any more: it is being refunded or was refunded."),
                              "deposit_id")
        amount = deposit.amount
    elif kind == "credit":
        if amount is None:
            raise DomainError(_("Enter the amount to refund."), "amount")
        amount = ledger.check_amount(amount)
        available = ledger.credit_balance(unit.id) - _pending_credit_refunds(unit.id)
        if amount > available:
            raise DomainError(_("The unit has only %(credit)s of prepaid credit that is not being refunded "
                                "already.", credit=fmt_money(max(available, ZERO))), "amount")
    else:
        raise DomainError(_("Choose what is refunded."), "kind")
    estate = db.session.get(Estate, unit.estate_id)
    refund = Refund(estate_id=unit.estate_id, number=next_number("TK", estate, when=ledger.local_now(estate)),
                    unit_id=unit.id, kind=kind, deposit_id=deposit.id if deposit else None, amount=amount,
                    reason=reason[:500], payee=(payee or "").strip()[:100], requested_by_id=user.id)
    db.session.add(refund)
    if deposit is not None:
        deposit.state = "refunding"
    db.session.flush()
    return refund


def decide_refund(user, refund: Refund, approve: bool, note: str = "") -> Refund:
    """Approve or reject a refund request: someone else than the person who asked."""
    if refund.state != "requested":
        raise DomainError(_("Refund %(number)s has been decided already.", number=refund.number), "note")
    if refund.requested_by_id == user.id:
        raise DomainError(_("You asked for this refund: someone else must approve it."), "note")
    note = (note or "").strip()
    if not approve and len(note) < 2:
        raise DomainError(_("Say why the refund is rejected (at least 2 characters)."), "note")
    refund.state = "approved" if approve else "rejected"
    refund.decided_by_id = user.id
    refund.decided_at = utcnow()
    refund.decision_note = note[:500]
    if not approve and refund.deposit_id:
        db.session.get(Deposit, refund.deposit_id).state = "held"
    db.session.flush()
    return refund


def pay_refund(user, refund: Refund, method: str) -> Refund:
    """The cashier pays out an approved refund; it counts in the cashier's daily close."""
    if refund.state != "approved":
        raise DomainError(_("Only an approved refund can be paid out."), "method")
    if method not in METHODS:
        raise DomainError(_("Choose how the money was paid."), "method")
    estate = db.session.get(Estate, refund.estate_id)
    day = ledger.business_date_of(estate)
    ledger.lock_receipts(estate, day.year)  # a daily close being submitted finishes first
    if ledger.day_is_closed(estate.id, user.id, day):
        raise DomainError(_("You have closed this day's takings already. A manager must reopen "
                            "the daily close before you pay out more today."), "method")
    if refund.kind == "credit":
        if ledger.credit_balance(refund.unit_id) < refund.amount:
            raise DomainError(_("The unit's prepaid credit is now less than the refund: it was used on "
                                "bills. Reject this refund and ask again."), "method")
        from plugins.fees.models import CreditEntry

        db.session.add(CreditEntry(estate_id=refund.estate_id, unit_id=refund.unit_id, kind="refund",
                                   amount=-refund.amount, refund_id=refund.id, note=refund.number))
    else:
        db.session.get(Deposit, refund.deposit_id).state = "refunded"
    refund.state = "paid"
    refund.paid_by_id = user.id
    refund.paid_at = utcnow()
    refund.method = method
    refund.business_date = day
    db.session.flush()
    return refund


def release_deposits(application):
    """``decoration_accepted``: the deposits held for that application may be refunded now;
    a refund request is made for each (someone still approves it and the cashier pays it)."""
    deposits = list(db.session.scalars(select(Deposit).where(
        Deposit.estate_id == application.estate_id, Deposit.unit_id == application.unit_id,
        Deposit.source_ref == str(application.number), Deposit.state == "held")))
    if not deposits:
        return []
    requester = _requester(application)
    made = []
    for deposit in deposits:
        deposit.releasable_at = utcnow()
        if requester is None:
            continue
        unit = db.session.get(Unit, deposit.unit_id)
        made.append(request_refund(
            requester, unit, kind="deposit", deposit_id=deposit.id, payee=_owner_name(unit),
            reason=_("Decoration %(number)s accepted: the deposit is to be refunded.",
                     number=application.number)))
    db.session.flush()
    return made


def _requester(application):
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return current_user
    users = users_with_permission(application.estate_id, "fees.refund")
    return users[0] if users else None


def _owner_name(unit: Unit) -> str:
    name = db.session.scalar(select(Resident.name).join(Occupancy, Occupancy.resident_id == Resident.id).where(
        Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None)).order_by(Occupancy.id).limit(1))
    return name or ""


# --- the global search --------------------------------------------------------------------

def search(query, user, estates, limit):
    """Receipts by number in the global search (at least 3 characters, ``fees.view``)."""
    from core.permissions import has_permission

    query = (query or "").strip()
    if not estates or len(query) < 3 or not has_permission("fees.view", user):
        return []
    pattern = _like(query)
    rows = db.session.execute(
        select(Payment.id, Payment.number, Payment.amount, Payment.estate_id, Payment.voided_at)
        .where(Payment.estate_id.in_(estates), Payment.number.like(pattern, escape="\\"))
        .order_by(Payment.id.desc()).limit(limit)).all()
    return [SearchHit(_l("Receipt"), r.number, url_for("fees.receipt", payment_id=r.id),
                      str(r.amount) + (" · " + _("Void") if r.voided_at else ""), r.estate_id) for r in rows]


# --- amounts in words ---------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """An amount in Chinese capital numerals (大写), as written on receipts:
    ``1280.50`` → 壹仟贰佰捌拾元伍角整, ``100.05`` → 壹佰元零伍分, ``0`` → 零元整."""
    amount = ledger.money(amount)
    sign = "负" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    out = ""
    if yuan:
        digits = str(yuan)
        length = len(digits)
        zero = False
        for i, ch in enumerate(digits):
            pos = length - 1 - i
            d = int(ch)
            if d == 0:
                zero = True
            else:
                if zero and out:
                    out += "零"
                zero = False
                out += _DIGITS[d] + _SMALL[pos % 4]
            if pos % 4 == 0 and pos > 0 and int(digits[max(0, i - 3):i + 1]):
                out += _BIG[pos // 4]
        out += "元"
    if not jiao and not fen:
        return sign + out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    else:
        out += "整"
    return sign + out


# --- for other plugins (README "Services other plugins call") -------------------------------

@dataclass
class DepositRelease:
    """What :func:`release_unit_deposits` did: the refund requests it made, and those of the
    unit's deposits already under way (requested or approved earlier)."""

    requested: list = field(default_factory=list)
    under_way: list = field(default_factory=list)


def release_unit_deposits(user, unit: Unit, *, reason: str, payee: str = "") -> DepositRelease:
    """A move-out: every deposit still held for ``unit`` becomes releasable and gets a refund
    request by ``user`` (:func:`request_refund`: numbered ``TK-…``, the whole deposit, with
    ``reason``), which someone else still approves and a cashier pays out. Nothing is deleted.
    Deposits already being refunded are listed, not asked for twice. The user must belong to
    the unit's estate; a reason of fewer than 2 characters is refused (nothing saved)."""
    from core.security import user_estate_ids

    if unit is None or unit.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose a deposit held for this unit."), "deposit_id")
    if len((reason or "").strip()) < 2:
        raise DomainError(_("Give the reason for the refund (at least 2 characters)."), "reason")
    result = DepositRelease()
    held = list(db.session.scalars(select(Deposit).where(
        Deposit.estate_id == unit.estate_id, Deposit.unit_id == unit.id, Deposit.state == "held")
        .order_by(Deposit.id)))
    for deposit in held:
        deposit.releasable_at = deposit.releasable_at or utcnow()
        result.requested.append(request_refund(user, unit, kind="deposit", deposit_id=deposit.id,
                                               payee=payee or _owner_name(unit), reason=reason))
    made = {r.id for r in result.requested}
    result.under_way = [r for r in db.session.scalars(select(Refund).where(
        Refund.unit_id == unit.id, Refund.kind == "deposit", Refund.state.in_(("requested", "approved")))
        .order_by(Refund.id)) if r.id not in made]
    db.session.flush()
    return result
