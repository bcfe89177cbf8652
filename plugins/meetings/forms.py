"""Forms, settings and the translated labels of the meetings plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm
from core.settings import SettingsSpec
from plugins.meetings.models import ITEM_STATES, MEETING_KINDS, MEETING_STATES, SHIFTS

SHIFT_LABELS = {"day": _l("Day shift"), "evening": _l("Evening shift"), "night": _l("Night shift")}
HANDOVER_STATE_LABELS = {"handed_over": _l("Waiting for the incoming staff"),
                         "acknowledged": _l("Waiting for the manager's signature"),
                         "signed": lazy_pgettext("handover state", "Signed")}
KIND_LABELS = {"morning": _l("Morning meeting"), "weekly": _l("Weekly meeting"), "ad_hoc": _l("Ad hoc meeting")}
MEETING_STATE_LABELS = {"planned": lazy_pgettext("meeting state", "Planned"), "held": _l("Minutes recorded"),
                        "circulated": _l("Circulated for signature"), "filed": _l("Signed and filed")}
ITEM_STATE_LABELS = {"open": lazy_pgettext("action item", "Open"), "done": lazy_pgettext("action item", "Done")}
WEEKDAY_LABELS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
                  (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HandoverForm(Form):
    once_key = OnceKeyField()
    estate_id = HiddenField()
    shift = SelectField(_l("Shift handed over"), choices=_choices(SHIFT_LABELS, SHIFTS), validate_choice=False)
    incoming_id = SelectField(_l("Incoming staff"), validate_choice=False)
    references = MultiCheckboxField(_l("Open cases handed over"), validate_choice=False)
    other_matters = TextAreaField(_l("Other open matters (one a line)"), validators=[Optional(), Length(max=15000)])
    handed_over = TextAreaField(_l("Handed over (keys, radios, logs, cash…)"), validators=[
        InputRequired(message=_l("Say what was handed over (keys, radios, logs, cash…).")), Length(max=5000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class NoteForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class EmptyForm(Form):
    pass


class MeetingForm(Form):
    once_key = OnceKeyField()
    estate_id = HiddenField()
    kind = SelectField(_l("Kind of meeting"), choices=_choices(KIND_LABELS, MEETING_KINDS), validate_choice=False)
    title = StringField(_l("Meeting title"), validators=[InputRequired(message=_l("Name the meeting.")),
                                                         Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the meeting starts."))])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=100)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=10000)])
    attendee_ids = MultiCheckboxField(_l("Attendees"), validate_choice=False)
    minute_taker_id = SelectField(_l("Minute-taker"), validate_choice=False)
    chair_id = SelectField(_l("Chair"), validate_choice=False)


class MinutesForm(Form):
    present_ids = MultiCheckboxField(_l("Attended"), validate_choice=False)
    minutes = TextAreaField(_l("Minutes"), validators=[InputRequired(message=_l("Write the minutes.")),
                                                       Length(max=20000)])
    decisions = TextAreaField(_l("Decisions"), validators=[Optional(), Length(max=10000)])


class ActionItemForm(Form):
    once_key = OnceKeyField()
    text = StringField(_l("Action to take"), validators=[InputRequired(message=_l("Say what is to be done.")),
                                                 Length(max=500)])
    owner_id = SelectField(_l("Responsible person"), validate_choice=False)
    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Enter the due date."))])


class HandoverFilter(FilterForm):
    q = StringField(_l("Number or staff"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + [
        (k, HANDOVER_STATE_LABELS[k]) for k in ("handed_over", "acknowledged", "signed")] + [
        ("unsigned", _l("Not signed yet"))]), validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class MeetingFilter(FilterForm):
    q = StringField(_l("Number or title"))
    kind = SelectField(_l("Kind of meeting"), choices=_choices(KIND_LABELS, MEETING_KINDS, ("", _l("All kinds"))),
                       validate_choice=False)
    state = SelectField(_l("State"), choices=_choices(MEETING_STATE_LABELS, MEETING_STATES, ("", _l("All states"))),
                        validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class ItemFilter(FilterForm):
    q = StringField(_l("Action or owner"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + [
        (k, ITEM_STATE_LABELS[k]) for k in ITEM_STATES] + [("overdue", _l("Overdue"))]), validate_choice=False)
    mine = SelectField(_l("Responsible person"), choices=options([("", _l("All owners")), ("1", _l("Mine"))]), validate_choice=False)


class SettingsForm(Form):
    weekly_weekday = SelectField(_l("Weekly meeting: day"), coerce=int, choices=options(WEEKDAY_LABELS))
    weekly_time = StringField(_l("Weekly meeting: time (HH:MM)"), validators=[
        InputRequired(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Enter a time as HH:MM, e.g. 16:00."))])


def settings_spec() -> SettingsSpec:
    from plugins.meetings.services import DEFAULTS, NAMESPACE

    return SettingsSpec(NAMESPACE, _l("Meetings"), SettingsForm, dict(DEFAULTS), scope="estate",
                        permission="meetings.manage")
