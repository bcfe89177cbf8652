"""Forms of the complaints plugin; times are entered in the estate's local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.callers import caller_field
from core.forms import Form, Phone, TextLength, UnitNumber, options
from core.listing import FilterForm
from plugins.complaints.labels import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    DECISION_LABELS,
    KIND_LABELS,
    REPLY_METHOD_LABELS,
    SEVERITY_LABELS,
    STATE_LABELS,
    SUGGESTION_STATE_LABELS,
)
from plugins.complaints.models import (
    CATEGORIES,
    CHANNELS,
    DECISIONS,
    KINDS,
    REPLY_METHODS,
    SEVERITIES,
    STATES,
    SUGGESTION_STATES,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def _choices(codes, labels):
    return [(c, labels[c]) for c in codes]


def to_utc(value: datetime | None, tz: str) -> datetime | None:
    """A local time typed into a form → an aware datetime (the estate's zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(tz))


def when_field(label=_l("When")):
    return DateTimeLocalField(label, format=TIME_FORMAT, validators=[Optional()])


class ComplaintForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    received_at = DateTimeLocalField(_l("Received at"), format=TIME_FORMAT, validators=[DataRequired()])
    channel = SelectField(_l("Channel"), choices=options(_choices(CHANNELS, CHANNEL_LABELS)))
    unit_number = StringField(_l("Unit number"), validators=[Optional(), Length(max=30), UnitNumber()])
    contact_name = StringField(_l("Complainant"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    resident_id = caller_field()  # core.callers: chosen as on every desk form
    category = SelectField(_l("Category"), choices=options(_choices(CATEGORIES, CATEGORY_LABELS)))
    content = TextAreaField(_l("What the complaint is about"),
                            validators=[DataRequired(_l("Describe the complaint.")), TextLength(4, 5000)],
                            render_kw={"rows": 5})
    kind = RadioField(_l("Kind of complainant"), choices=options(_choices(KINDS, KIND_LABELS)),
                      validators=[InputRequired()])
    severity = SelectField(_l("Severity"), choices=options(_choices(SEVERITIES, SEVERITY_LABELS)), default="normal")


class ForwardForm(Form):
    department_id = SelectField(_l("Department responsible"), coerce=int, validators=[DataRequired()])
    note = StringField(_l("Instructions"), validators=[Optional(), Length(max=500)])
    at = when_field(_l("Forwarded at"))


class NoteForm(Form):
    text = TextAreaField(_l("Investigation note"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 3})
    at = when_field()


class EscalateForm(Form):
    reason = TextAreaField(_l("Why the manager must decide"), validators=[DataRequired(), Length(max=5000)],
                           render_kw={"rows": 2})


class DecideForm(Form):
    decision = TextAreaField(_l("Manager's decision"), validators=[DataRequired(), Length(max=5000)],
                             render_kw={"rows": 3})


class ReplyForm(Form):
    text = TextAreaField(_l("Reply to the complainant"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 6})
    method = SelectField(_l("Reply given by"), choices=options(_choices(REPLY_METHODS, REPLY_METHOD_LABELS)))
    at = when_field(_l("Replied at"))


class CloseForm(Form):
    at = when_field(_l("Closed at"))


class VisitForm(Form):
    satisfied = RadioField(_l("Result of the return visit"), choices=options([
        ("yes", _l("Satisfied")), ("no", _l("Not satisfied"))]), validators=[InputRequired()])
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=500)])


class ReopenForm(Form):
    reason = StringField(_l("Why it is reopened"), validators=[DataRequired(), Length(max=500)])


class ComplaintFilter(FilterForm):
    q = StringField(_l("Number, name or phone"))
    state = SelectField(_l("State"), choices=options([("", _l("All states")), ("open", _l("Open"))]
                        + _choices(STATES, STATE_LABELS)), validate_choice=False)
    category = SelectField(_l("Category"), choices=options([("", _l("All categories"))]
                           + _choices(CATEGORIES, CATEGORY_LABELS)), validate_choice=False)
    severity = SelectField(_l("Severity"), choices=options([("", _l("All"))] + _choices(SEVERITIES, SEVERITY_LABELS)),
                           validate_choice=False)
    estate = SelectField(_l("Estate"), coerce=str, validate_choice=False)
    department = SelectField(_l("Department"), coerce=str, validate_choice=False)
    date_from = DateField(_l("Received from"), validators=[Optional()])
    date_to = DateField(_l("Received to"), validators=[Optional()])
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("All")), ("y", _l("Overdue only"))]),
                          validate_choice=False)


# -- suggestions ---------------------------------------------------------------
class SuggestionForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    received_at = DateTimeLocalField(_l("Received at"), format=TIME_FORMAT, validators=[DataRequired()])
    channel = SelectField(_l("Channel"), choices=options(_choices(CHANNELS, CHANNEL_LABELS)))
    unit_number = StringField(_l("Unit number"), validators=[Optional(), Length(max=30), UnitNumber()])
    suggester_name = StringField(_l("Suggested by"), validators=[DataRequired(), Length(max=100)])
    suggester_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    content = TextAreaField(_l("Suggestion"), validators=[DataRequired(), Length(max=5000)],
                            render_kw={"rows": 5})


class SuggestionDecideForm(Form):
    decision = RadioField(_l("Decision"), choices=options(_choices(DECISIONS, DECISION_LABELS)),
                          validators=[InputRequired()])
    plan = TextAreaField(_l("Rectification plan"), validators=[Optional(), Length(max=5000)],
                         render_kw={"rows": 3})
    reason = TextAreaField(_l("Reason for declining"), validators=[Optional(), Length(max=5000)],
                           render_kw={"rows": 2})


class SuggestionAnswerForm(Form):
    text = TextAreaField(_l("Answer to the suggester"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 3})


class SuggestionFilter(FilterForm):
    q = StringField(_l("Number, name or phone"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))]
                        + _choices(SUGGESTION_STATES, SUGGESTION_STATE_LABELS)), validate_choice=False)


class StatsFilter(FilterForm):
    year = SelectField(_l("Year"), coerce=str, validate_choice=False)
    estate = SelectField(_l("Estate"), coerce=str, validate_choice=False)
