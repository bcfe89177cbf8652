"""Forms and the translated labels of the inventory plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.forms import Form, MoneyField, OnceKeyField, options
from core.i18n import plain_amount
from core.listing import FilterForm
from plugins.inventory.models import KINDS, MOVEMENT_KINDS

KIND_LABELS = {"material": _l("Material"), "tool": _l("Tool"), "equipment": _l("Equipment")}
MOVEMENT_LABELS = {
    "receipt": _l("Goods received"), "issue": _l("Issue"), "return": _l("Return to store"),
    "transfer_out": _l("Transfer out"), "transfer_in": _l("Transfer in"),
    "adjustment": _l("Count adjustment"), "reversal": _l("Reversal"),
}
COUNT_LABELS = {"open": _l("Counting"), "posted": _l("Posted to stock"), "cancelled": _l("Cancelled")}


class QuantityField(MoneyField):
    """A quantity: exact Decimal, at most three decimal places."""

    def __init__(self, label=None, validators=None, **kw):
        super().__init__(label, validators, places=3, **kw)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = plain_amount(valuelist[0])
        if value is None:
            self.data = None
            raise ValueError(_l("Enter a quantity such as 12 or 2.5."))
        if -value.as_tuple().exponent > 3:
            self.data = None
            raise ValueError(_l("Enter a quantity with at most 3 decimal places."))
        self.data = value


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class StoreForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    code = StringField(_l("Code"), validators=[InputRequired(message=_l("Enter the store room's code.")),
                                               Length(max=20)])
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Enter the store room's name.")),
                                               Length(max=100)])
    location = StringField(_l("Where it is"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ItemForm(Form):
    store_id = SelectField(_l("Store room"), coerce=int, validate_choice=False)
    code = StringField(_l("Item code"), validators=[InputRequired(message=_l("Enter the item's code.")),
                                                    Length(max=30)])
    name = StringField(_l("Stock item"), validators=[InputRequired(message=_l("Enter the item's name.")),
                                               Length(max=100)])
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS), validate_choice=False)
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=100)])
    unit = StringField(_l("Unit of measure"), validators=[
        InputRequired(message=_l("Enter the unit of measure (piece, metre, box…).")), Length(max=20)])
    min_stock = QuantityField(_l("Minimum stock"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    active = BooleanField(_l("Still kept"), default=True)


class ReceiptForm(Form):
    once_key = OnceKeyField()
    quantity = QuantityField(_l("Quantity"), validators=[InputRequired(message=_l("Enter the quantity."))])
    unit_cost = MoneyField(_l("Unit cost"), validators=[InputRequired(message=_l("Enter the unit cost."))])
    supplier = StringField(_l("Supplier"), validators=[InputRequired(message=_l("Enter the supplier.")),
                                                       Length(max=100)])
    invoice = StringField(_l("Invoice or delivery note"), validators=[Optional(), Length(max=40)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class IssueForm(Form):
    once_key = OnceKeyField()
    quantity = QuantityField(_l("Quantity"), validators=[InputRequired(message=_l("Enter the quantity."))])
    work_order_number = StringField(_l("Repair work order number"), validators=[Optional(), Length(max=40)])
    department_id = SelectField(_l("Or a department"), coerce=int, validate_choice=False)
    received_by = StringField(_l("Taken by"), validators=[
        InputRequired(message=_l("Enter who received the items.")), Length(max=100)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReturnForm(Form):
    once_key = OnceKeyField()
    quantity = QuantityField(_l("Quantity"), validators=[InputRequired(message=_l("Enter the quantity."))])
    work_order_number = StringField(_l("Repair work order number"), validators=[Optional(), Length(max=40)])
    department_id = SelectField(_l("Or a department"), coerce=int, validate_choice=False)
    received_by = StringField(_l("Brought back by"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("Why they come back"), validators=[
        InputRequired(message=_l("Say why the items come back.")), Length(max=500)])


class TransferForm(Form):
    once_key = OnceKeyField()
    quantity = QuantityField(_l("Quantity"), validators=[InputRequired(message=_l("Enter the quantity."))])
    to_store_id = SelectField(_l("To store room"), coerce=int, validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReverseForm(Form):
    reason = StringField(_l("Why it is reversed"), validators=[
        InputRequired(message=_l("Say why the movement is reversed.")), Length(max=500)])


class CountStartForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ItemFilter(FilterForm):
    q = StringField(_l("Code or name"))
    store = SelectField(_l("Store room"), validate_choice=False)
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS, ("", _l("All kinds"))),
                       validate_choice=False)
    low = SelectField(_l("Stock"), choices=options([("", _l("Any")), ("1", _l("Below minimum"))]),
                      validate_choice=False)


class MovementFilter(FilterForm):
    q = StringField(_l("Item, number or work order"))
    store = SelectField(_l("Store room"), validate_choice=False)
    kind = SelectField(_l("Movement"), choices=_choices(MOVEMENT_LABELS, MOVEMENT_KINDS, ("", _l("All movements"))),
                       validate_choice=False)
