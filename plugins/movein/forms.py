"""Forms and translated labels of the movein plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm

KIND_LABELS = {"in": _l("Move-in"), "out": _l("Move-out")}
STATE_LABELS = {"open": _l("Open"), "completed": _l("Completed"), "cancelled": _l("Cancelled")}
ITEM_LABELS = {
    "documents": _l("Identity and purchase documents checked"),
    "contract": _l("Property service contract signed"),
    "fees": _l("Fees settled"),
    "keys": _l("Keys handed over"),
    "cards": _l("Cards and passes issued"),
    "resident": _l("Owner registered as resident"),
    "keys_returned": _l("Keys returned"),
    "deposits": _l("Deposits released"),
    "occupancy": _l("Occupancy ended"),
}
ROOM_LABELS = {"living": _l("Living room"), "bedroom": _l("Bedroom"), "kitchen": _l("Kitchen"),
               "bathroom": _l("Bathroom"), "balcony": _l("Balcony"), "whole": _l("Whole unit")}
ELEMENT_LABELS = {"walls": _l("Walls"), "floors": _l("Floor surfaces"), "doors": _l("Doors"), "windows": _l("Windows"),
                  "plumbing": _l("Plumbing"), "electrical": _l("Electrical"), "water_meter": _l("Water meter"),
                  "electricity_meter": _l("Electricity meter"), "gas_meter": _l("Gas meter")}
REPAIR_STATE_LABELS = {"recorded": _l("Recorded"), "dispatched": _l("Dispatched"), "in_progress": _l("In progress"),
                       "completed": _l("Completed"), "closed": _l("Closed"), "cancelled": _l("Cancelled")}


class CaseForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validators=[InputRequired()])
    kind = SelectField(_l("Move-in or move-out"), choices=options(KIND_LABELS), default="in")
    unit_number = StringField(_l("Unit"), validators=[InputRequired(), Length(max=30)])
    owner_name = StringField(_l("Owner"), validators=[InputRequired(), Length(max=100)])
    owner_phone = StringField(_l("Owner's phone"), validators=[InputRequired(), Length(max=30)])
    owner_id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class TickForm(Form):
    item_id = IntegerField(validators=[Optional()], widget=HiddenInput())
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class CheckForm(Form):
    once_key = OnceKeyField()
    room = SelectField(_l("Room"), choices=options(ROOM_LABELS))
    element = SelectField(_l("Item checked"), choices=options(ELEMENT_LABELS))
    result = RadioField(_l("Result"), choices=options({"ok": _l("OK"), "defect": _l("Defect")}), default="ok")
    defect = StringField(_l("Defect"), validators=[Optional(), Length(max=500)])
    reading = StringField(_l("Opening reading (meters)"), validators=[Optional(), Length(max=20)])
    confirmed = BooleanField(_l("Meter replaced / figure confirmed"))
    photos = MultipleFileField(_l("Photos"))


class HandoverForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class CancelForm(Form):
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=300)])


class EmptyForm(Form):
    pass


class FixedForm(Form):
    check_id = IntegerField(validators=[Optional()], widget=HiddenInput())


class CaseFilter(FilterForm):
    q = StringField(_l("Number, unit or owner"))
    kind = SelectField(_l("Move-in or move-out"), choices=options([("", _l("All cases"))] + list(KIND_LABELS.items())),
                       validate_choice=False)
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + list(STATE_LABELS.items())),
                        validate_choice=False)
    defects = SelectField(_l("Open defects"), choices=options([("", _l("Any")), ("1", _l("With open defects"))]),
                          validate_choice=False)


class SettingsForm(Form):
    in_documents = BooleanField(ITEM_LABELS["documents"])
    in_contract = BooleanField(ITEM_LABELS["contract"])
    in_fees = BooleanField(ITEM_LABELS["fees"])
    in_keys = BooleanField(ITEM_LABELS["keys"])
    in_cards = BooleanField(ITEM_LABELS["cards"])
    in_resident = BooleanField(ITEM_LABELS["resident"])
    in_extra = TextAreaField(_l("More move-in items, one a line"), validators=[Optional(), Length(max=2000)])
    out_fees = BooleanField(ITEM_LABELS["fees"])
    out_keys_returned = BooleanField(ITEM_LABELS["keys_returned"])
    out_deposits = BooleanField(ITEM_LABELS["deposits"])
    out_occupancy = BooleanField(ITEM_LABELS["occupancy"])
    out_extra = TextAreaField(_l("More move-out items, one a line"), validators=[Optional(), Length(max=2000)])

