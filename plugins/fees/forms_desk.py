"""Forms of the cashier desk, the receipts, refunds and the daily close (CSRF via core.forms.Form).

Every form that moves money or changes its state (payment, deposit, use of credit, refund
request, approval and payout, void, daily close, its confirmation and reopening) carries a
one-time key (``once_key``, :class:`core.forms.OnceKeyField`): sent twice, it acts once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.forms import Form, MoneyField, OnceKeyField, options
from core.listing import FilterForm
from plugins.fees.desk import METHOD_LABELS, REFUND_STATE_LABELS
from plugins.fees.models import METHODS, REFUND_STATES


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def method_choices():
    return [(m, METHOD_LABELS[m]) for m in METHODS]


class PaymentForm(Form):
    """Take a payment. The ticked bills come as ``bill`` (ids) with ``seen_<id>`` (paid as seen)."""

    once_key = OnceKeyField()
    method = SelectField(_l("Paid by"), choices=method_choices)
    amount = MoneyField(_l("Amount received"), validators=[InputRequired(_l("Enter the amount received."))])
    prepay = BooleanField(_l("Keep the rest as prepaid credit"))
    payer = StringField(_l("Paid by (name)"), validators=[Optional(), Length(max=100)])
    reference = StringField(_l("Transaction reference"), validators=[Optional(), Length(max=60)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class DepositForm(Form):
    """Take a deposit (decoration deposit, key deposit…) at the desk."""

    once_key = OnceKeyField()
    deposit_item = SelectField(_l("Deposit"), coerce=_optional_int, validate_choice=False)
    amount = MoneyField(_l("Amount received"), validators=[InputRequired(_l("Enter the amount received."))])
    method = SelectField(_l("Paid by"), choices=method_choices)
    source_ref = StringField(_l("What it secures (e.g. the decoration application number)"),
                             validators=[Optional(), Length(max=60)])
    payer = StringField(_l("Paid by (name)"), validators=[Optional(), Length(max=100)])
    reference = StringField(_l("Transaction reference"), validators=[Optional(), Length(max=60)])


class CreditForm(Form):
    """Use the unit's prepaid credit on its unpaid bills (the button alone)."""

    once_key = OnceKeyField()


class ReasonForm(Form):
    once_key = OnceKeyField()
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=500)])


class InvoiceForm(Form):
    invoice_no = StringField(_l("Invoice number"), validators=[DataRequired(_l("Enter the invoice number.")),
                                                               Length(max=40)])


class RefundRequestForm(Form):
    once_key = OnceKeyField()
    kind = SelectField(_l("Refund of"), choices=options([("deposit", _l("A deposit")), ("credit", _l("Prepaid credit"))]))
    deposit_id = SelectField(_l("Deposit"), coerce=_optional_int, validate_choice=False)
    amount = MoneyField(_l("Amount (prepaid credit)"), validators=[Optional()])
    payee = StringField(_l("Paid to"), validators=[Optional(), Length(max=100)])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=500)])


class RefundDecisionForm(Form):
    once_key = OnceKeyField()
    decision = SelectField(_l("Decision"), choices=options([("approve", _l("Approve")), ("reject", _l("Reject"))]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class RefundPayForm(Form):
    once_key = OnceKeyField()
    method = SelectField(_l("Paid out by"), choices=method_choices)


class CloseForm(Form):
    """The cashier submits the day's handover form."""

    once_key = OnceKeyField()
    handed_to = SelectField(_l("Handed to (finance cashier)"), coerce=_optional_int, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2})


class ConfirmForm(Form):
    once_key = OnceKeyField()
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReceiptFilter(FilterForm):
    q = StringField(_l("Receipt, invoice or unit"))
    method = SelectField(_l("Paid by"), choices=lambda: [("", _l("All methods"))] + method_choices(),
                         validate_choice=False)
    state = SelectField(_l("State"), choices=options([("", _l("All")), ("live", _l("Valid")), ("void", _l("Void"))]),
                        validate_choice=False)
    cashier = SelectField(_l("Cashier"), coerce=_optional_int, validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])


class RefundFilter(FilterForm):
    state = SelectField(_l("State"), choices=lambda: [("", _l("All"))] + [(s, REFUND_STATE_LABELS[s])
                                                                          for s in REFUND_STATES],
                        validate_choice=False)


class CloseFilter(FilterForm):
    state = SelectField(_l("State"), choices=options([("", _l("All")), ("submitted", _l("Awaiting confirmation")),
                                              ("confirmed", _l("Confirmed")), ("reopened", _l("Reopened"))]),
                        validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
