"""The cashier desk pages: find a unit (htmx as you type), its account and the payment form,
receipts (list, page, printable receipt, void, invoice number) and refunds."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.errors import DomainError
from core.extensions import db
from core.hooks import _like
from core.i18n import fmt_money, locale_code
from core.listing import Column, ListPage
from core.models import Estate, Unit, User
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.ui import NavItem
from plugins.fees import desk, ledger
from plugins.fees.blueprint import bp
from plugins.fees.forms_desk import (
    CreditForm,
    DepositForm,
    InvoiceForm,
    PaymentForm,
    ReasonForm,
    ReceiptFilter,
    RefundDecisionForm,
    RefundFilter,
    RefundPayForm,
    RefundRequestForm,
)
from plugins.fees.models import Payment, Refund


def nav_items(user, estates):
    return [
        NavItem(_l("Cashier desk"), "fees.desk", "money", "fees.collect", 10, icon="cash-coin"),
        NavItem(_l("Receipts"), "fees.receipts", "money", "fees.view", 20, icon="receipt"),
        NavItem(_l("Refunds"), "fees.refunds", "money", "fees.refund", 25, icon="arrow-return-left"),
    ]


# --- finding a unit ----------------------------------------------------------------------

@bp.route("/desk", endpoint="desk")
@require("fees.collect")
def desk_index():
    q = request.args.get("q", "").strip()
    hits = desk.find_units(q, current_estate_ids()) if q else []
    if request.headers.get("HX-Request"):
        return render_template("fees/desk/_results.html", hits=hits, q=q)
    return render_template("fees/desk/index.html", hits=hits, q=q)



def _today(unit):
    estate = db.session.get(Estate, unit.estate_id)
    return ledger.business_date_of(estate)


def render_unit(unit, status=200, pay_form=None, deposit_form=None, refund_form=None, credit_form=None,
                ticked=None):
    acct = desk.account(unit, _today(unit))
    pay_form = pay_form or PaymentForm(formdata=None, amount=acct.owed if acct.owed > 0 else None)
    deposit_form = deposit_form or DepositForm(formdata=None)
    deposit_form.deposit_item.choices = [(i.id, i.name) for i in desk.deposit_items(unit.estate_id)]
    refund_form = refund_form or RefundRequestForm(formdata=None)
    credit_form = credit_form or CreditForm(formdata=None)
    refund_form.deposit_id.choices = [(d.id, f"{d.item.name} {fmt_money(d.amount)}") for d in acct.deposits
                                      if d.state == "held"]
    if ticked is None:
        ticked = {b.id for b in acct.bills}
    closed = ledger.day_is_closed(unit.estate_id, current_user.id, _today(unit))
    # Once the day is closed the desk says so (who closed it, when, what to do) instead of
    # offering payment and deposit forms that would be refused.
    closed_by = db.session.get(User, closed.cashier_id).full_name if closed else ""
    closed_next = closed.business_date + timedelta(days=1) if closed else None
    ticked_sum = sum((b.amount - b.paid for b in acct.bills if b.id in ticked), ledger.ZERO)
    return render_template("fees/desk/unit.html", acct=acct, unit=unit, pay_form=pay_form,
                           deposit_form=deposit_form, refund_form=refund_form, credit_form=credit_form, ticked=ticked, closed=closed,
                           closed_by=closed_by, closed_next=closed_next, ticked_sum=ticked_sum, labels=desk), status


@bp.route("/desk/units/<int:unit_id>")
@require("fees.collect")
def desk_unit(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    return render_unit(unit)


def _ticked_bills():
    """The ticked bills with their paid amount as the cashier saw it (hidden ``seen_<id>``)."""
    out = []
    for raw in request.form.getlist("bill"):
        try:
            bill_id = int(raw)
        except ValueError:
            raise DomainError(_("That bill does not belong to this unit."), "bills") from None
        seen = request.form.get(f"seen_{bill_id}")
        try:
            seen_value = ledger.money(seen) if seen not in (None, "") else None
        except Exception:  # noqa: BLE001 - a tampered hidden field
            raise DomainError(_("That bill does not belong to this unit."), "bills") from None
        out.append((bill_id, seen_value))
    return out


def _at_desk(unit_id: int, form, form_name: str, act, redirect_to, once: Once, ticked=None, **kw):
    """Run ``act`` for the unit at the desk, once per form (``once``): on to ``redirect_to``
    with its message, or the unit's page again (422) with the refusal beside its field or
    above the form."""
    return record_action(
        form, act, redirect_to=redirect_to, once=once,
        rerender=lambda f: render_unit(db.session.get(Unit, unit_id), 422, ticked=ticked, **{form_name: f}), **kw)


def _receipt_url(payment_id: int) -> str:
    return url_for("fees.receipt", payment_id=payment_id)


def _refund_url(refund_id: int) -> str:
    return url_for("fees.refund", refund_id=refund_id)


def _receipt_message(payment) -> str:
    return _("Receipt %(number)s issued for %(amount)s.", number=payment.number, amount=fmt_money(payment.amount))


@bp.route("/desk/units/<int:unit_id>/pay", methods=["POST"])
@require("fees.collect")
def desk_pay(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    form = PaymentForm()
    ticked = {int(x) for x in request.form.getlist("bill") if x.isdigit()}
    made = {}

    def act():
        made["payment"] = payment = desk.collect(
            current_user, unit, method=form.method.data, amount=form.amount.data, bills=_ticked_bills(),
            prepay=form.prepay.data, payer=form.payer.data, reference=form.reference.data, note=form.note.data)
        return _receipt_message(payment)

    return _at_desk(unit_id, form, "pay_form", act, ticked=ticked,
                    redirect_to=lambda: _receipt_url(made["payment"].id),
                    once=Once("fees_payment", lambda: made["payment"].id, _receipt_url, unit.estate_id))


@bp.route("/desk/units/<int:unit_id>/deposit", methods=["POST"])
@require("fees.collect")
def desk_deposit(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    form = DepositForm()
    form.deposit_item.choices = [(i.id, i.name) for i in desk.deposit_items(unit.estate_id)]
    made = {}

    def act():
        if not form.deposit_item.data:
            raise DomainError(_("Choose a deposit item of this estate."), "deposit_item")
        made["payment"] = payment = desk.collect(
            current_user, unit, method=form.method.data, amount=form.amount.data, bills=[], payer=form.payer.data,
            reference=form.reference.data, deposit_item_id=form.deposit_item.data,
            deposit_ref=form.source_ref.data or "")
        return _receipt_message(payment)

    return _at_desk(unit_id, form, "deposit_form", act, redirect_to=lambda: _receipt_url(made["payment"].id),
                    once=Once("fees_payment", lambda: made["payment"].id, _receipt_url, unit.estate_id))


@bp.route("/desk/units/<int:unit_id>/credit", methods=["POST"])
@require("fees.collect")
def desk_credit(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    form = CreditForm()  # the button and its one-time key

    def act():
        return _("%(amount)s of prepaid credit used on the unit's bills.",
                 amount=fmt_money(desk.use_credit(current_user, unit)))

    # The result is the unit's page; a refusal ("no credit") is flashed: the button may be gone.
    return _at_desk(unit_id, form, "credit_form", act, redirect_to=url_for("fees.desk_unit", unit_id=unit_id),
                    once=Once("core_unit", unit_id, lambda uid: url_for("fees.desk_unit", unit_id=uid),
                              unit.estate_id), flash_unplaced=True)


@bp.route("/desk/units/<int:unit_id>/refund", methods=["POST"])
@require("fees.refund")
def desk_refund_request(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    form = RefundRequestForm()
    made = {}

    def act():
        made["refund"] = refund = desk.request_refund(
            current_user, unit, kind=form.kind.data, reason=form.reason.data, payee=form.payee.data,
            deposit_id=form.deposit_id.data, amount=form.amount.data)
        return _("Refund %(number)s requested: it waits for approval.", number=refund.number)

    return _at_desk(unit_id, form, "refund_form", act, redirect_to=lambda: _refund_url(made["refund"].id),
                    once=Once("fees_refund", lambda: made["refund"].id, _refund_url, unit.estate_id))


# --- receipts ----------------------------------------------------------------------------

def _cashier_choices(estates):
    ids = select(Payment.cashier_id).where(Payment.estate_id.in_(estates)).distinct()
    return [(u.id, u.full_name) for u in db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))]


@bp.route("/receipts")
@require("fees.view")
def receipts():
    estates = current_estate_ids()
    filters = ReceiptFilter(request.args)
    filters.cashier.choices = [("", _("All cashiers"))] + _cashier_choices(estates)
    stmt = scoped(Payment, estate_ids=estates)
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Payment.number.like(pat, escape="\\"), Payment.invoice_no.like(pat, escape="\\"),
                              Payment.payer.like(pat, escape="\\"),
                              Payment.unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(estates),
                                                                        Unit.number.like(pat, escape="\\")))))
    if filters.method.data:
        stmt = stmt.where(Payment.method == filters.method.data)
    if filters.state.data == "live":
        stmt = stmt.where(Payment.voided_at.is_(None))
    elif filters.state.data == "void":
        stmt = stmt.where(Payment.voided_at.is_not(None))
    if filters.cashier.data:
        stmt = stmt.where(Payment.cashier_id == filters.cashier.data)
    if filters.date_from.data:
        stmt = stmt.where(Payment.business_date >= filters.date_from.data)
    if filters.date_to.data:
        stmt = stmt.where(Payment.business_date < filters.date_to.data + timedelta(days=1))
    methods = {k: str(v) for k, v in desk.METHOD_LABELS.items()}
    void = _("Void")
    page = ListPage(stmt, [
        Column("number", _l("Receipt"), lambda p: p.number, Payment.number,
               link=lambda p: url_for("fees.receipt", payment_id=p.id)),
        Column("date", _l("Date"), lambda p: p.business_date, Payment.business_date, fmt="date"),
        Column("unit", _l("Unit"), lambda p: p.unit.number),
        Column("payer", _l("Paid by (name)"), lambda p: p.payer, Payment.payer),
        Column("method", _l("Paid by"), lambda p: methods.get(p.method, p.method), Payment.method),
        Column("amount", _l("Amount"), lambda p: p.amount, Payment.amount, css="text-end", fmt="money"),
        Column("invoice", _l("Invoice number"), lambda p: p.invoice_no or "", Payment.invoice_no),
        Column("cashier", _l("Cashier"), lambda p: p.cashier.full_name, Payment.cashier_id),
        Column("state", _l("State"), lambda p: void if p.voided_at else "", css="text-danger"),
    ], "-number", _("Receipts"), "receipts")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("fees/desk/receipts.html", page=page, result=page.page(), filters=filters)


def _receipt_context(payment):
    return dict(payment=payment, labels=desk, estate=db.session.get(Estate, payment.estate_id), words=desk.rmb_upper(payment.amount) if
                locale_code().startswith("zh") else "", large=desk.is_large(payment),
                closed=ledger.day_is_closed(payment.estate_id, payment.cashier_id, payment.business_date))


def render_receipt(payment, status=200, void_form=None, invoice_form=None):
    return render_template("fees/desk/receipt.html", void_form=void_form or ReasonForm(formdata=None),
                           invoice_form=invoice_form or InvoiceForm(formdata=None),
                           **_receipt_context(payment)), status


@bp.route("/receipts/<int:payment_id>")
@require("fees.view")
def receipt(payment_id):
    return render_receipt(get_scoped_or_404(Payment, payment_id))


@bp.route("/receipts/<int:payment_id>/print")
@require("fees.view")
def receipt_print(payment_id):
    payment = get_scoped_or_404(Payment, payment_id)
    size = "half" if request.args.get("size") == "half" else "a4"
    return render_template("fees/desk/receipt_print.html", size=size, **_receipt_context(payment))


@bp.route("/receipts/<int:payment_id>/void", methods=["POST"])
@require("fees.void")
def receipt_void(payment_id):
    payment = get_scoped_or_404(Payment, payment_id)
    form = ReasonForm()

    def act():
        desk.void(current_user, payment, form.reason.data)
        return _("Receipt %(number)s voided.", number=payment.number)

    return record_action(form, act, field="reason", redirect_to=_receipt_url(payment_id),
                         rerender=lambda f: render_receipt(db.session.get(Payment, payment_id), 422, void_form=f),
                         once=Once("fees_payment", payment_id, _receipt_url, payment.estate_id))


@bp.route("/receipts/<int:payment_id>/invoice", methods=["POST"])
@require("fees.collect")
def receipt_invoice(payment_id):
    payment = get_scoped_or_404(Payment, payment_id)
    form = InvoiceForm()

    def act():
        desk.record_invoice(current_user, payment, form.invoice_no.data)
        return _("Invoice %(invoice)s recorded.", invoice=payment.invoice_no)

    return record_action(form, act, field="invoice_no", redirect_to=url_for("fees.receipt", payment_id=payment_id),
                         rerender=lambda f: render_receipt(db.session.get(Payment, payment_id), 422, invoice_form=f))


# --- refunds -----------------------------------------------------------------------------

@bp.route("/refunds")
@require("fees.refund")
def refunds():
    filters = RefundFilter(request.args)
    stmt = scoped(Refund, estate_ids=current_estate_ids())
    if filters.state.data:
        stmt = stmt.where(Refund.state == filters.state.data)
    states = {k: str(v) for k, v in desk.REFUND_STATE_LABELS.items()}
    kinds = {"deposit": _("Deposit"), "credit": _("Prepaid credit")}
    page = ListPage(stmt, [
        Column("number", _l("Refund"), lambda r: r.number, Refund.number,
               link=lambda r: url_for("fees.refund", refund_id=r.id)),
        Column("requested", _l("Requested"), lambda r: r.requested_at, Refund.requested_at, fmt="datetime"),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("kind", _l("Refund of"), lambda r: kinds.get(r.kind, r.kind), Refund.kind),
        Column("amount", _l("Amount"), lambda r: r.amount, Refund.amount, css="text-end", fmt="money"),
        Column("payee", _l("Paid to"), lambda r: r.payee),
        Column("state", _l("State"), lambda r: states.get(r.state, r.state), Refund.state),
    ], "-requested", _("Refunds"), "refunds")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("fees/desk/refunds.html", page=page, result=page.page(), filters=filters)


def _refund_people(refund) -> dict:
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (refund.requested_by_id, refund.decided_by_id, refund.paid_by_id) if i])))}


def render_refund(refund, status=200, decision_form=None, pay_form=None):
    return render_template("fees/desk/refund.html", refund=refund, users=_refund_people(refund), labels=desk,
                           decision_form=decision_form or RefundDecisionForm(formdata=None),
                           pay_form=pay_form or RefundPayForm(formdata=None)), status


@bp.route("/refunds/<int:refund_id>/print")
@require("fees.view")
def refund_print(refund_id):
    """The refund voucher (退款凭证) on A4: what is paid back, to whom, why, who asked,
    approved and paid it out, the amount in capital numerals, and the payee's signature.
    Until it is paid out it says so across the page (an approval slip, not a voucher)."""
    refund = get_scoped_or_404(Refund, refund_id)
    return render_template("fees/desk/refund_print.html", refund=refund, users=_refund_people(refund),
                           labels=desk, estate=db.session.get(Estate, refund.estate_id),
                           words=desk.rmb_upper(refund.amount) if locale_code().startswith("zh") else "")


@bp.route("/refunds/<int:refund_id>")
@require("fees.view")
def refund(refund_id):
    return render_refund(get_scoped_or_404(Refund, refund_id))


@bp.route("/refunds/<int:refund_id>/decide", methods=["POST"])
@require("fees.refund_approve")
def refund_decide(refund_id):
    refund = get_scoped_or_404(Refund, refund_id)
    form = RefundDecisionForm()

    def act():
        desk.decide_refund(current_user, refund, form.decision.data == "approve", form.note.data)
        if refund.state == "approved":
            return _("Refund %(number)s approved.", number=refund.number)
        return _("Refund %(number)s rejected.", number=refund.number)

    return record_action(form, act, field="note", redirect_to=_refund_url(refund_id),
                         rerender=lambda f: render_refund(db.session.get(Refund, refund_id), 422, decision_form=f),
                         once=Once("fees_refund", refund_id, _refund_url, refund.estate_id))


@bp.route("/refunds/<int:refund_id>/pay", methods=["POST"])
@require("fees.collect")
def refund_pay(refund_id):
    refund = get_scoped_or_404(Refund, refund_id)
    form = RefundPayForm()

    def act():
        desk.pay_refund(current_user, refund, form.method.data)
        return _("Refund %(number)s paid out.", number=refund.number)

    return record_action(form, act, field="method", redirect_to=_refund_url(refund_id),
                         rerender=lambda f: render_refund(db.session.get(Refund, refund_id), 422, pay_form=f),
                         once=Once("fees_refund", refund_id, _refund_url, refund.estate_id))
