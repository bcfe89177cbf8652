"""Forms and the translated labels of the shifts plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, options
from core.listing import FilterForm
from plugins.shifts.models import LEAVE_KINDS, MARKS, REQUEST_STATES, ROSTER_STATES

STATE_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "withdrawn": _l("Withdrawn")}
KIND_LABELS = {"month": _l("Month's schedule"), "holiday": _l("Holiday schedule")}
REQUEST_LABELS = {"swap": _l("Swap with a colleague"), "change": _l("Change of shift")}
DECISION_LABELS = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "refused": _l("Refused")}
LEAVE_LABELS = {"annual": _l("Annual leave"), "sick": _l("Sick leave"), "personal": _l("Personal leave"),
                "off_post": _l("Leaving the post")}
MARK_LABELS = {"present": lazy_pgettext("attendance", "Present"), "late": lazy_pgettext("attendance", "Late"), "leave": _l("On leave"), "absent": lazy_pgettext("attendance", "Absent"),
               "overtime": _l("Overtime")}
REPORT_LABELS = {"prepared": _l("Prepared, to confirm"), "confirmed": _l("Confirmed")}
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class PatternForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    code = StringField(_l("Code"), validators=[InputRequired(message=_l("Enter a short code for the shift.")),
                                               Length(max=10)])
    name = StringField(_l("Shift"), validators=[InputRequired(message=_l("Enter the name of the shift.")),
                                                Length(max=50)])
    starts = TimeField(_l("Starts"), validators=[InputRequired(message=_l("Enter when the shift starts."))])
    ends = TimeField(_l("Ends (the next day when earlier than the start)"),
                     validators=[InputRequired(message=_l("Enter when the shift ends."))])


class PostForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    name = StringField(_l("Post"), validators=[InputRequired(message=_l("Enter the name of the post.")),
                                               Length(max=50)])
    staff_needed = IntegerField(_l("People needed per shift"), default=1, validators=[
        InputRequired(message=_l("A post needs at least one person.")), NumberRange(min=1, max=50)])


class RosterForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Schedule"), choices=_choices(KIND_LABELS, ("month", "holiday")), validate_choice=False)
    first_day = DateField(_l("Month (any day of it) or first day of the holiday"),
                          validators=[InputRequired(message=_l("Enter the first day."))])
    last_day = DateField(_l("Last day of the holiday"), validators=[Optional()])
    title = StringField(_l("Title (holidays)"), validators=[Optional(), Length(max=100)])


class FillForm(Form):
    user_id = SelectField(_l("Member of staff"), coerce=int, validate_choice=False)
    start = DateField(_l("From"), validators=[InputRequired(message=_l("Enter the first day of the week."))])
    repeat = BooleanField(_l("Repeat every week to the end of the schedule"))


class NoteForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class PublishForm(NoteForm):
    understaffed_ok = BooleanField(_l("Publish although a post is below its staff needed"))


class ChangeForm(Form):
    roster_id = SelectField(_l("Schedule"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Request"), choices=_choices(REQUEST_LABELS, ("swap", "change")), validate_choice=False)
    day = DateField(_l("My shift on"), validators=[InputRequired(message=_l("Choose a day of this schedule."))])
    other_user_id = SelectField(_l("Swap with"), coerce=int, validate_choice=False)
    other_day = DateField(_l("Their shift on (empty: the same day)"), validators=[Optional()])
    new_pattern_id = SelectField(_l("Change to"), coerce=int, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[InputRequired(message=_l("Say why the change is needed.")),
                                                   Length(max=500)])


class LeaveForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Kind"), choices=_choices(LEAVE_LABELS, LEAVE_KINDS), validate_choice=False)
    first_day = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day."))])
    last_day = DateField(_l("Last day"), validators=[Optional()])
    leaves_at = TimeField(_l("Leaving the post at"), validators=[Optional()])
    back_at = TimeField(_l("Back at"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[InputRequired(message=_l("Say why.")), Length(max=500)])


class DecisionForm(Form):
    note = StringField(_l("Reason or note"), validators=[Optional(), Length(max=500)])


class MarkForm(Form):
    user_id = SelectField(_l("Member of staff"), coerce=int, validate_choice=False)
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Enter the day."))])
    mark = SelectField(_l("Mark"), choices=_choices(MARK_LABELS, MARKS), validate_choice=False)
    overtime_hours = StringField(_l("Overtime hours"), validators=[Optional(), Length(max=10)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ClockForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)


class SettingsForm(Form):
    holiday_notice_days = IntegerField(_l("Holiday schedules are published at least this many days ahead"),
                                       validators=[InputRequired(), NumberRange(min=0, max=60)])
    report_day = IntegerField(_l("Day of the month the attendance report is due"),
                              validators=[InputRequired(), NumberRange(min=1, max=31)])
    reminder_days = IntegerField(_l("Prepare the report and remind this many days before"),
                                 validators=[InputRequired(), NumberRange(min=0, max=20)])
    late_grace_minutes = IntegerField(_l("Minutes after the start before clocking in counts as late"),
                                      validators=[InputRequired(), NumberRange(min=0, max=120)])


class RosterFilter(FilterForm):
    kind = SelectField(_l("Schedule"), choices=_choices(KIND_LABELS, ("month", "holiday"), ("", _l("All schedules"))),
                       validate_choice=False)
    state = SelectField(_l("State"), choices=_choices(STATE_LABELS, ROSTER_STATES, ("", _l("All states"))),
                        validate_choice=False)


class RequestFilter(FilterForm):
    state = SelectField(_l("State"), choices=_choices(DECISION_LABELS, REQUEST_STATES, ("", _l("All states"))),
                        validate_choice=False)


class AttendanceFilter(FilterForm):
    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("To"), validators=[Optional()])
    mark = SelectField(_l("Mark"), choices=_choices(MARK_LABELS, MARKS, ("", _l("All marks"))), validate_choice=False)
