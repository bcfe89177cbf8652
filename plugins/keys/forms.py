"""Forms and the translated labels of the keys plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm
from plugins.keys.models import BORROWER_KINDS, CONDITIONS, EVENT_KINDS, KINDS, REASON_KINDS, STATES

KIND_LABELS = {
    "security_door": _l("Security door (owner)"),
    "inner_door": _l("Inner door (owner)"),
    "intercom": _l("Intercom door (owner)"),
    "water_meter_box": _l("Water-meter box (owner)"),
    "mailbox": _l("Mailbox (owner)"),
    "public_door": _l("Public door"),
    "public_window": _l("Public window"),
    "equipment_room": _l("Equipment room"),
    "meter_box": _l("Meter box"),
}
STATE_LABELS = {"in_service": _l("In service"), "damaged": _l("Damaged"), "lost": _l("Lost"),
                "handed_over": _l("Handed over to the owner")}
BORROWER_LABELS = {"staff": _l("Staff"), "contractor": _l("Contractor"), "owner": _l("Owner")}
REASON_LABELS = {"repair": _l("Repair work order"), "decoration": _l("Decoration"), "emergency": _l("Emergency"),
                 "inspection": _l("Inspection"), "other": _l("Other")}
CONDITION_LABELS = {"good": _l("Good"), "damaged": _l("Damaged"), "lost": _l("Lost")}
EVENT_LABELS = {"lost": _l("Lost"), "damaged": _l("Damaged"), "recut": _l("Re-cut"), "found": _l("Found")}
APPROVAL_LABELS = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "refused": _l("Refused")}

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _choices(labels, keys, first=None):
    """Fixed choices in the order of ``keys`` (after ``first``, an "all" entry of a filter)."""
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class KeyForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    tag = StringField(_l("Tag number"), validators=[InputRequired(message=_l("Enter the tag number.")),
                                                     Length(max=30)])
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS), validate_choice=False)
    unit_number = StringField(_l("Unit (owner keys)"), validators=[Optional(), Length(max=30)])
    building_id = SelectField(_l("Building (public doors and windows)"), coerce=int, validate_choice=False)
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-10, max=200)])
    location = StringField(_l("Room or equipment"), validators=[Optional(), Length(max=100)])
    position = StringField(_l("Hook or cabinet position"), validators=[Optional(), Length(max=50)])
    copies = IntegerField(_l("Copies"), default=1, validators=[
        InputRequired(message=_l("Enter the number of copies.")), NumberRange(min=1, max=99)])
    emergency_spare = BooleanField(_l("Emergency spare set (lent only with a supervisor's approval)"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class LendForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    tag = StringField(_l("Tag number"), validators=[InputRequired(message=_l("Enter the tag number.")),
                                                     Length(max=30)])
    borrower_kind = SelectField(_l("Borrower is"), choices=_choices(BORROWER_LABELS, BORROWER_KINDS),
                                validate_choice=False)
    borrower_name = StringField(_l("Borrower's name"), validators=[
        InputRequired(message=_l("No private loans: enter the borrower's name.")), Length(max=100)])
    borrower_phone = StringField(_l("Borrower's phone"), validators=[Optional(), Length(max=30)])
    borrower_id_number = StringField(_l("Borrower's ID number"), validators=[Optional(), Length(max=40)])
    reason_kind = SelectField(_l("Borrowed for"), choices=_choices(REASON_LABELS, REASON_KINDS),
                              validate_choice=False)
    work_order_number = StringField(_l("Work order number (repairs)"), validators=[Optional(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[
        InputRequired(message=_l("No private loans: say what the key is borrowed for.")), Length(max=500)])
    expected_return = DateTimeLocalField(_l("Expected return"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the key is to be returned."))])


class ReturnForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    tag = StringField(_l("Tag number"), validators=[InputRequired(message=_l("Enter the tag number.")),
                                                     Length(max=30)])
    condition = SelectField(_l("Condition"), choices=_choices(CONDITION_LABELS, CONDITIONS), default="good",
                            validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class EventForm(Form):
    kind = SelectField(_l("What happened"), choices=_choices(EVENT_LABELS, EVENT_KINDS), validate_choice=False)
    copies = IntegerField(_l("Copies now (after a re-cut)"), validators=[Optional(), NumberRange(min=1, max=99)])
    note = TextAreaField(_l("Details"), validators=[InputRequired(message=_l("Say what happened.")),
                                                    Length(max=500)], render_kw={"rows": 2})


class SpareRequestForm(Form):
    reason = StringField(_l("Why the emergency spare is needed"), validators=[
        InputRequired(message=_l("Say why the emergency spare is needed.")), Length(max=500)])


class DecisionForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class KeeperForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    user_id = SelectField(_l("Member of staff"), coerce=int, validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class KeyFilter(FilterForm):
    q = StringField(_l("Tag or unit"))
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS, ("", _l("All kinds"))),
                       validate_choice=False)
    building = SelectField(_l("Building"), validate_choice=False)
    state = SelectField(_l("State"), choices=_choices(STATE_LABELS, STATES, ("", _l("All states"))),
                        validate_choice=False)
    out = SelectField(_l("Where"), validate_choice=False,
                      choices=options([("", _l("Any")), ("1", _l("Out now")), ("0", _l("On the board"))]))
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("Any")), ("1", _l("Overdue only"))]),
                          validate_choice=False)


class LoanFilter(FilterForm):
    q = StringField(_l("Tag, borrower or work order"))
    scope = SelectField(_l("Loans"), choices=options([("out", _l("Out now")), ("overdue", _l("Overdue")),
                                                      ("all", _l("All loans"))]), validate_choice=False)


class HandoverForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    unit_number = StringField(_l("Unit"), validators=[InputRequired(message=_l("Enter the unit number.")),
                                                      Length(max=30)])
    owner_name = StringField(_l("Owner receiving the keys"), validators=[
        InputRequired(message=_l("Enter the name of the owner who receives the keys.")), Length(max=100)])
    owner_phone = StringField(_l("Owner's phone"), validators=[Optional(), Length(max=30)])
    owner_id_number = StringField(_l("Owner's ID number"), validators=[Optional(), Length(max=40)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
