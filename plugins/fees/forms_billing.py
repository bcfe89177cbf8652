"""Forms and labels of the billing pages (fee items, prices, meters, runs, bills)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.forms import Form, MoneyField, options
from core.listing import FilterForm
from core.models.estates import UNIT_USES
from plugins.fees.models import ALLOCATIONS, BILL_STATES, ITEM_KINDS, METER_KINDS

KIND_LABELS = {
    "area": _l("By area (per m² per month)"),
    "fixed": _l("Fixed per unit per month"),
    "meter": _l("Unit's own meter"),
    "shared": _l("Shared common meter (公摊)"),
    "deposit": _l("Deposit"),
    "oneoff": _l("One-off charge"),
}
CYCLE_LABELS = {"monthly": _l("Monthly"), "quarterly": _l("Quarterly"), "yearly": _l("Yearly"),
                "oneoff": _l("One-off")}
METER_LABELS = {"water": _l("Water meter"), "electricity": _l("Electricity meter"), "gas": _l("Gas meter")}
ALLOCATION_LABELS = {"area": _l("By area"), "equal": _l("Equally")}
USE_LABELS = {"residence": _l("Residence"), "shop": _l("Shop"), "office": _l("Office"), "plant": _l("Plant")}
STATE_LABELS = {"open": _l("Unpaid"), "partial": _l("Part paid"), "paid": _l("Paid"), "void": _l("Void")}
SOURCE_LABELS = {"run": _l("Billing run"), "repair": _l("Repair"), "decoration": _l("Decoration"),
                 "manual": _l("Manual charge")}
RUN_STATE_LABELS = {"running": _l("Running"), "done": _l("Finished"), "failed": _l("Failed")}
MONTHS = [(m, str(m)) for m in range(1, 13)]


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class ItemForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], render_kw={"placeholder": "PROP"})
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("How the amount is worked out"), choices=options([(k, KIND_LABELS[k]) for k in ITEM_KINDS]))
    cycle = SelectField(_l("Billing cycle"), choices=options([(c, CYCLE_LABELS[c]) for c in ("monthly", "quarterly", "yearly")]))
    cycle_start_month = SelectField(_l("First month of the cycle (e.g. 11 for heating from November)"),
                                    coerce=int, choices=options(MONTHS), default=1)
    meter_kind = SelectField(_l("Meter kind (meter and shared items)"),
                             choices=options([("", "—")] + [(k, METER_LABELS[k]) for k in METER_KINDS]), default="",
                             validate_choice=False)
    allocation = SelectField(_l("Split a shared meter"),
                             choices=options([("", "—")] + [(a, ALLOCATION_LABELS[a]) for a in ALLOCATIONS]), default="",
                             validate_choice=False)
    unit_uses = SelectMultipleField(_l("Applies to unit uses (none chosen: every unit)"),
                                    choices=options([(u, USE_LABELS[u]) for u in UNIT_USES]))
    on_behalf = BooleanField(_l("Collected on behalf of a utility (代收代缴)"))
    due_days = IntegerField(_l("Bills fall due after (days from the start of the period)"), default=30,
                            validators=[InputRequired(), NumberRange(min=0, max=365)])
    sequence = IntegerField(_l("Order on bills and lists"), default=10,
                            validators=[InputRequired(), NumberRange(min=0, max=999)])


class PriceForm(Form):
    unit_use = SelectField(_l("For unit use"), default="",
                           choices=options([("", _l("Every use"))] + [(u, USE_LABELS[u]) for u in UNIT_USES]))
    price = MoneyField(_l("Unit price (yuan)"), places=4, validators=[InputRequired()])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid until (empty: until the next price)"), validators=[Optional()])
    basis = StringField(_l("Basis (price authority document, contract…)"), validators=[Optional(), Length(max=200)])


class MeterForm(Form):
    code = StringField(_l("Meter code"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=options([(k, METER_LABELS[k]) for k in METER_KINDS]))
    unit_number = StringField(_l("Unit (empty for a common meter)"), validators=[Optional(), Length(max=30)],
                              render_kw={"placeholder": "3-2-1201"})
    item_id = SelectField(_l("Shared item (common meter)"), coerce=_optional_int, validate_choice=False)
    building_id = SelectField(_l("Shared by the units of (common meter)"), coerce=_optional_int,
                              validate_choice=False)
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("In use"), default=True)


class CsrfForm(Form):
    """A form with nothing but its CSRF token (buttons that post)."""


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=4, max=500)], render_kw={"rows": 2})


class RunForm(Form):
    period = StringField(_l("Month to bill"), validators=[DataRequired()], render_kw={"type": "month"})


class BillForm(Form):
    unit_number = StringField(_l("Unit"), validators=[DataRequired(), Length(max=30)],
                              render_kw={"placeholder": "3-2-1201"})
    item_id = SelectField(_l("Fee item"), coerce=_optional_int, validate_choice=False)
    amount = MoneyField(_l("Amount (yuan)"), validators=[InputRequired()])
    description = StringField(_l("What the charge is for"), validators=[Optional(), Length(max=200)])


class ImportForm(Form):
    period = StringField(_l("Month of the readings"), validators=[DataRequired()], render_kw={"type": "month"})
    file = FileField(_l("XLSX file (columns: meter, reading, start, confirmed, note)"))
    token = HiddenField()


class BillFilter(FilterForm):
    estate = SelectField(_l("Estate"), coerce=_optional_int, validate_choice=False)
    building = SelectField(_l("Building"), coerce=_optional_int, validate_choice=False)
    item = SelectField(_l("Fee item"), coerce=_optional_int, validate_choice=False)
    period = StringField(_l("Billing period"), validators=[Optional()], render_kw={"type": "month"})
    state = SelectField(_l("State"), choices=options([("", _l("Any"))] + [(s, STATE_LABELS[s]) for s in BILL_STATES]))
    unit = StringField(_l("Unit"), validators=[Optional()])
