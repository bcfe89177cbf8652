from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.callers import caller_field
from core.forms import Form, MoneyField, Phone, TextLength, UnitNumber, options
from core.listing import FilterForm
from plugins.repairs.labels import (
    AREA_LABELS,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    PRIORITY_LABELS,
    STATE_LABELS,
)
from plugins.repairs.models import AREAS, CATEGORIES, CHANNELS, MIN_DESCRIPTION, PRIORITIES, STATES


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class RepairForm(Form):
    """The Resident Repair Record (《住户报修记录表》)."""

    estate_id = SelectField(_l("Estate"), coerce=int)
    unit_number = StringField(_l("Unit"), validators=[Optional(), Length(max=30), UnitNumber()],
                              render_kw={"placeholder": "3-2-1201"})
    resident_id = caller_field()  # core.callers: chosen as on every desk form
    address = StringField(_l("Address or place (if not a unit on file)"), validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("Reported by"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    channel = SelectField(_l("Channel"), choices=options([(c, CHANNEL_LABELS[c]) for c in CHANNELS]))
    category = SelectField(_l("What is wrong"), choices=options([(c, CATEGORY_LABELS[c]) for c in CATEGORIES]))
    description = TextAreaField(_l("Description"),
                                validators=[DataRequired(_l("Describe what is wrong.")),
                                            TextLength(MIN_DESCRIPTION, 5000)],
                                render_kw={"rows": 4})
    area = SelectField(_l("Area"), choices=options([(a, AREA_LABELS[a]) for a in AREAS]))
    priority = SelectField(_l("Priority"), choices=options([(p, PRIORITY_LABELS[p]) for p in PRIORITIES]))
    paid = BooleanField(_l("Paid repair (the resident pays a repair fee)"))
    appointment_at = DateTimeLocalField(_l("Appointment time"), format="%Y-%m-%dT%H:%M",
                                        validators=[Optional()])
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*"})


class DispatchForm(Form):
    technician_id = SelectField(_l("Technician"), coerce=_optional_int, validate_choice=False)
    notes = TextAreaField(_l("Notes for the technician"), validators=[Optional(), Length(max=2000)],
                          render_kw={"rows": 2})


def work_time_field(label):
    """When the work really started or finished, in the estate's local time; empty: now."""
    return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", validators=[Optional()])


class AcceptForm(Form):
    started_at = work_time_field(_l("Work started at (empty: now)"))


class CompleteForm(Form):
    work_done = TextAreaField(_l("Work done"), validators=[DataRequired(), Length(max=5000)],
                              render_kw={"rows": 3})
    materials = TextAreaField(_l("Materials used"), validators=[Optional(), Length(max=2000)],
                              render_kw={"rows": 2})
    minutes_spent = IntegerField(_l("Time spent (minutes)"), validators=[InputRequired(), NumberRange(1, 10080)])
    fee = MoneyField(_l("Repair fee"), validators=[Optional(), NumberRange(min=0)])
    finished_at = work_time_field(_l("Work finished at (empty: now)"))


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=2, max=500)])


class CloseForm(Form):
    note = StringField(_l("Note (why no return visit is needed)"), validators=[Optional(), Length(max=500)])


class PhotoForm(Form):
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*"})


class RepairFilter(FilterForm):
    q = StringField(_l("Number, name or phone"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + [(s, STATE_LABELS[s]) for s in STATES]),
                        validate_choice=False)
    category = SelectField(_l("What is wrong"),
                           choices=options([("", _l("All kinds"))] + [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]),
                           validate_choice=False)
    estate = SelectField(_l("Estate"), coerce=_optional_int, validate_choice=False)
    unit = StringField(_l("Unit"))
    technician = SelectField(_l("Technician"), coerce=_optional_int, validate_choice=False)
    date_from = DateField(_l("Reported from"), validators=[Optional()])
    date_to = DateField(_l("Reported until"), validators=[Optional()])
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("All")), ("1", _l("Overdue only"))]),
                          validate_choice=False)


class OrderFilter(FilterForm):
    state = SelectField(_l("State"), choices=options([("", _l("Open orders")), ("all", _l("All"))]), validate_choice=False)
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("All")), ("1", _l("Overdue only"))]),
                          validate_choice=False)
