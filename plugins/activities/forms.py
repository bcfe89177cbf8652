"""Forms and the translated labels of the activities plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, MoneyField, OnceKeyField, options
from core.listing import FilterForm
from plugins.activities.models import STATES

STATE_LABELS = {"draft": _l("Draft"), "submitted": _l("Waiting for approval"), "approved": _l("Approved"),
                "refused": _l("Refused"), "held": lazy_pgettext("activity", "Held"), "cancelled": _l("Cancelled")}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class ActivityForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    theme = StringField(_l("Theme"), validators=[InputRequired(message=_l("Enter the theme of the activity.")),
                                                 Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the activity starts."))])
    ends_at = DateTimeLocalField(_l("Ends at"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the activity ends."))])
    place = StringField(_l("Place"), validators=[InputRequired(message=_l("Enter where the activity takes place.")),
                                                 Length(max=200)])
    budget = MoneyField(_l("Budget"), validators=[InputRequired(message=_l("Enter an amount such as 1280.50."))])
    expected_participants = IntegerField(_l("Expected participants"), validators=[
        InputRequired(message=_l("Enter the expected number of participants.")), NumberRange(min=0, max=10_000)])
    capacity = IntegerField(_l("Places for sign-up"), validators=[
        InputRequired(message=_l("Enter how many residents may sign up.")), NumberRange(min=1, max=10_000)])
    organiser_ids = SelectMultipleField(_l("Organisers"), coerce=int, validate_choice=False)
    description = TextAreaField(_l("Programme"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class DecisionForm(Form):
    note = StringField(_l("Reason (required when refusing)"), validators=[Optional(), Length(max=500)])


class SignupForm(Form):
    resident_id = SelectField(_l("Resident"), coerce=int, validate_choice=False)
    name = StringField(_l("Or a walk-in: name"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Walk-in's phone"), validators=[Optional(), Length(max=30)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class AttendanceForm(Form):
    attended = SelectMultipleField(_l("Attended"), coerce=int, validate_choice=False)


class ExpenseForm(Form):
    once_key = OnceKeyField()
    item = StringField(lazy_pgettext("expense", "Item"), validators=[InputRequired(message=_l("Say what was bought or paid for.")),
                                               Length(max=200)])
    amount = MoneyField(_l("Amount"), validators=[InputRequired(message=_l("Enter an amount such as 1280.50."))])
    spent_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date of the expense."))])


class SummaryForm(Form):
    summary = TextAreaField(lazy_pgettext("activity", "What happened"), validators=[
        InputRequired(message=_l("Say what happened at the activity.")), Length(max=4000)], render_kw={"rows": 5})
    feedback = TextAreaField(_l("Residents' feedback"), validators=[Optional(), Length(max=2000)],
                             render_kw={"rows": 3})


class PhotoForm(Form):
    pass


class ActivityFilter(FilterForm):
    q = StringField(_l("Theme or number"))
    year = StringField(_l("Year"))
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("All states"))] + [(k, STATE_LABELS[k]) for k in STATES]))


class YearForm(FilterForm):
    year = StringField(_l("Year"))
