from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from core.forms import Form, Phone, options
from core.listing import FilterForm
from core.ui import SATISFACTION
from plugins.visits.models import KINDS, METHODS, STATES
from plugins.visits.rules import KIND_LABELS

STATE_LABELS = {"planned": _l("Planned"), "done": _l("Done"), "missed": _l("Missed"), "cancelled": _l("Cancelled")}
METHOD_LABELS = {"phone": _l("By phone"), "door": _l("At the door")}
SATISFIED_LABELS = SATISFACTION  # the core's scale: the printed work order offers the same


class RecordForm(Form):
    """The Return Visit Record (《回访记录表》): how, when, satisfied or not, remarks."""

    method = RadioField(_l("How"), choices=options([(m, METHOD_LABELS[m]) for m in METHODS]),
                        validators=[InputRequired(message=_l("Choose how the visit was made."))])
    satisfied = RadioField(_l("Result"), choices=options([("yes", SATISFACTION[True]), ("no", SATISFACTION[False])]),
                           validators=[InputRequired(message=_l("Say whether the resident was satisfied."))])
    visited_at = DateTimeLocalField(_l("Visited at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                    validators=[InputRequired(message=_l("Enter when the visit was made."))])
    remarks = TextAreaField(_l("Remarks (what the resident said)"), validators=[Optional(), Length(max=4000)],
                            render_kw={"rows": 4})


class MissForm(Form):
    reason = StringField(_l("Why the visit could not be made"),
                         validators=[InputRequired(message=_l("Give a reason.")), Length(max=500)])


class CancelForm(Form):
    reason = StringField(_l("Why the visit is cancelled"),
                         validators=[InputRequired(message=_l("Give a reason.")), Length(max=500)])


class ReassignForm(Form):
    assigned_to_id = SelectField(_l("Visitor"), coerce=int, validate_choice=False)


class VisitorForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    user_id = SelectField(_l("Member of staff"), coerce=int, validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class BatchForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Give the batch a title.")),
                                                 Length(max=200)])
    buildings = StringField(_l("Buildings (codes, comma separated; empty = whole estate)"),
                            validators=[Optional(), Length(max=200)])
    unit_from = StringField(_l("From unit"), validators=[Optional(), Length(max=30)])
    unit_to = StringField(_l("To unit"), validators=[Optional(), Length(max=30)])
    due_date = DateField(_l("Due by"), validators=[
        InputRequired(message=_l("Enter the date by which the visits are due."))])


class PlanForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Kind"), choices=options([(k, KIND_LABELS[k]) for k in KINDS]), validate_choice=False)
    unit_number = StringField(_l("Unit"), validators=[Optional(), Length(max=30)])
    contact_name = StringField(_l("Person to visit"), validators=[
        InputRequired(message=_l("Enter the name of the person to visit.")), Length(max=100)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Phone(), Length(max=30)])
    source_number = StringField(_l("Case or form number (optional)"), validators=[Optional(), Length(max=40)])
    due_date = DateField(_l("Due by (empty = from the rule)"), validators=[Optional()])
    assigned_to_id = SelectField(_l("Visitor"), coerce=int, validate_choice=False)


def _choices(labels, keys, all_label):
    return [("", all_label)] + [(k, labels[k]) for k in keys]


class VisitFilter(FilterForm):
    q = StringField(_l("Number, phone, name or unit"))
    scope = SelectField(_l("Whose"), choices=options([("all", _l("All visits")), ("mine", _l("My visits"))]),
                        validate_choice=False)
    state = SelectField(_l("State"), choices=options(_choices(STATE_LABELS, STATES, _l("All states"))),
                        validate_choice=False)
    kind = SelectField(_l("Kind"), choices=options(_choices(KIND_LABELS, KINDS, _l("All kinds"))), validate_choice=False)
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("Any")), ("1", _l("Overdue only"))]),
                          validate_choice=False)
    due_from = DateField(_l("Due from"), validators=[Optional()])
    due_to = DateField(_l("Due to"), validators=[Optional()])
    visitor = SelectField(_l("Visitor"), validate_choice=False)


class StatsFilter(FilterForm):
    estate = SelectField(_l("Estate"), validate_choice=False)
    until = StringField(_l("Last month (YYYY-MM)"))
    months = SelectField(_l("Months"), choices=options([("6", "6"), ("12", "12")]), validate_choice=False)
