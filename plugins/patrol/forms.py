"""Forms and the translated labels of the patrol plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm
from plugins.patrol.models import (
    CHECKS,
    FREQUENCIES,
    PATROL_STATES,
    PLAN_KINDS,
    PROBLEM_STATES,
    RESULTS,
)

CHECK_LABELS = {
    "facilities": _l("Facilities and equipment"),
    "signs": _l("Signs and notices"),
    "cleaning": _l("Cleaning"),
    "greening": _l("Greening"),
    "fire": _l("Fire-control facilities"),
    "parking": lazy_pgettext("patrol check", "Parking"),
    "renovation": _l("Renovations in progress"),
    "people": _l("People entering"),
}
PLAN_KIND_LABELS = {"staff": _l("Staff daily patrol"), "supervisor": _l("Supervisor's patrol"),
                    "manager": _l("Manager's patrol")}
FREQUENCY_LABELS = {"daily": _l("Every day"), "weekly": _l("Every week"), "monthly": _l("Every month")}
PATROL_STATE_LABELS = {"due": lazy_pgettext("patrol state", "Due"), "in_progress": lazy_pgettext("patrol state", "Under way"), "done": _l("Finished")}
RESULT_LABELS = {"ok": _l("OK"), "problem": _l("Problem")}
PROBLEM_STATE_LABELS = {"open": _l("Open"), "in_hand": _l("In hand"), "resolved": _l("Resolved"),
                        "repair": _l("Sent to repairs"), "repaired": _l("Repaired"),
                        "vendor": _l("Sent to the vendor"), "rectified": _l("Rectified by the vendor")}
SEND_TO_LABELS = {"repair": _l("Repair order"), "vendor": _l("Rectification by the vendor"),
                  "here": _l("Follow up here")}

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RouteForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    name = StringField(_l("Route name"), validators=[InputRequired(message=_l("Name the route.")),
                                                     Length(max=100)])
    description = StringField(_l("Route description"), validators=[Optional(), Length(max=500)])


class CheckpointForm(Form):
    code = StringField(_l("Checkpoint code"), validators=[
        InputRequired(message=_l("Enter the checkpoint's code.")), Length(max=30)])
    name = StringField(_l("Checkpoint"), validators=[InputRequired(message=_l("Name the checkpoint.")),
                                                     Length(max=100)])
    checks = MultiCheckboxField(_l("What to check"), choices=_choices(CHECK_LABELS, CHECKS),
                                validate_choice=False)
    instructions = StringField(_l("Check instructions"), validators=[Optional(), Length(max=500)])
    sequence = IntegerField(_l("Order on the route"), validators=[Optional(), NumberRange(min=0, max=10000)])


class PlanForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    route_id = SelectField(_l("Route"), coerce=int, validate_choice=False)
    patroller_id = SelectField(_l("Patroller"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Who patrols"), choices=_choices(PLAN_KIND_LABELS, PLAN_KINDS), validate_choice=False)
    frequency = SelectField(_l("How often"), choices=_choices(FREQUENCY_LABELS, FREQUENCIES), validate_choice=False)
    start_time = StringField(_l("Start time (HH:MM)"), default="09:00", validators=[
        InputRequired(message=_l("Enter the start time as HH:MM.")), Length(max=5)])
    window_minutes = IntegerField(_l("Minutes to finish it in"), default=120, validators=[
        InputRequired(message=_l("A patrol takes between 10 minutes and 24 hours.")),
        NumberRange(min=10, max=1440, message=_l("A patrol takes between 10 minutes and 24 hours."))])
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day."))])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])


class CheckForm(Form):
    """The check form a scanned QR label opens (a phone, walking)."""

    once_key = OnceKeyField()
    patrol_id = HiddenField()
    result = RadioField(_l("Result"), choices=_choices(RESULT_LABELS, RESULTS), default="ok", validate_choice=False)
    category = SelectField(_l("The problem is about"), validate_choice=False)
    note = TextAreaField(_l("Notes (what is wrong, for a problem)"), validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 3})
    contact_phone = StringField(_l("Phone for the repair to call back"), validators=[Optional(), Length(max=30)])
    # Offered when the vendors plugin is enabled (else removed by the view).
    send_to = RadioField(_l("Send the problem to"), validate_choice=False)
    service_kind = SelectField(_l("Vendor's service"), validate_choice=False)
    deadline = DateField(_l("The vendor puts it right by"), validators=[Optional()])
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"})


class FinishForm(Form):
    once_key = OnceKeyField()
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class FollowUpForm(Form):
    state = SelectField(_l("State"), choices=options([("in_hand", PROBLEM_STATE_LABELS["in_hand"]),
                                                      ("resolved", PROBLEM_STATE_LABELS["resolved"])]),
                        validate_choice=False)
    note = StringField(_l("What was done"), validators=[InputRequired(message=_l("Say what was done.")),
                                                        Length(max=500)])


class LogEntryForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    at = DateTimeLocalField(_l("Time"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter the time."))])
    text = TextAreaField(_l("What happened or was done"), validators=[
        InputRequired(message=_l("Write what happened.")), Length(max=1000)], render_kw={"rows": 2})


class PatrolFilter(FilterForm):
    q = StringField(_l("Number, route or patroller"))
    state = SelectField(_l("State"), choices=_choices(PATROL_STATE_LABELS, PATROL_STATES, ("", _l("All states"))),
                        validate_choice=False)
    late = SelectField(_l("Late"), choices=options([("", _l("Any")), ("1", _l("Late only"))]), validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class ProblemFilter(FilterForm):
    q = StringField(_l("Checkpoint, problem or repair order"))
    state = SelectField(_l("State"), choices=_choices(PROBLEM_STATE_LABELS, PROBLEM_STATES,
                                                      ("", _l("All states"))), validate_choice=False)
    open = SelectField(_l("Problems"), choices=options([("1", _l("Open only")), ("0", _l("All problems"))]),
                       validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class CheckpointFilter(FilterForm):
    q = StringField(_l("Code or name"))
    route = SelectField(_l("Route"), validate_choice=False)
