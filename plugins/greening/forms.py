"""Forms and the translated labels of the greening plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm
from plugins.greening.models import SEASONS, TASK_KINDS

KIND_LABELS = {"watering": _l("Watering"), "pruning": _l("Pruning"), "fertilising": _l("Fertilising"),
               "pest_control": _l("Pest and disease control"), "other": _l("Other")}
SEASON_LABELS = {"all": _l("All year"), "spring": _l("Spring"), "summer": _l("Summer"), "autumn": _l("Autumn"),
                 "winter": _l("Winter")}
REMEDY_LABELS = {"rework": _l("Rework by the gardeners"), "vendor": _l("Rectification by the vendor")}
REQUEST_STATE_LABELS = {"active": _l("Being served"), "ended": _l("Ended")}
STATE_LABELS = {"passed": _l("Passed"), "open": _l("Waiting for verification"), "verified": _l("Put right, verified")}
STEP_LABELS = {"rework": _l("Sent to rework"), "vendor": _l("Rectification notice to the vendor"),
               "passed": _l("Verified: put right"), "failed": _l("Verified: still failing"),
               "rectified": _l("Re-checked at the vendor: put right")}
IN_HOUSE = _l("Own gardeners")


class AreaForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    name = StringField(_l("Area"), validators=[InputRequired(message=_l("Enter the area's name.")), Length(max=100)])
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    vendor = StringField(_l("Looked after by (vendor; empty for own gardeners)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class AreaEditForm(Form):
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    vendor = StringField(_l("Looked after by (vendor; empty for own gardeners)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    active = BooleanField(_l("Inspected (uncheck to retire the area)"))


class TaskForm(Form):
    kind = SelectField(_l("Kind of work"), choices=options([(k, KIND_LABELS[k]) for k in TASK_KINDS]),
                       validate_choice=False)
    season = SelectField(_l("Season"), choices=options([(k, SEASON_LABELS[k]) for k in SEASONS]),
                         validate_choice=False)
    frequency = StringField(_l("How often"), validators=[Optional(), Length(max=100)])
    title = StringField(_l("Task"), validators=[InputRequired(message=_l("Enter the task.")), Length(max=200)])
    standard = StringField(_l("Standard"), validators=[Optional(), Length(max=500)])


class RetireForm(Form):
    pass


def inspection_form(tasks, data=None):
    """The inspection form of an area's plan: OK or shortcoming and a remark per task, then the
    day, a note, photos, and for shortcomings the remedy and its deadline."""

    class InspectionForm(Form):
        once_key = OnceKeyField()

    for task in tasks:
        setattr(InspectionForm, f"r_{task.id}", RadioField(
            task.title, choices=options([("ok", _l("OK")), ("short", _l("Shortcoming"))]), default="ok",
            validate_choice=False))
        setattr(InspectionForm, f"m_{task.id}", StringField(_l("What is not up to standard"), validators=[Optional(), Length(max=500)]))
    InspectionForm.inspected_on = DateField(_l("Day of the inspection"), validators=[
        InputRequired(message=_l("Enter the day of the inspection."))])
    InspectionForm.note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    InspectionForm.photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"})
    InspectionForm.remedy = SelectField(_l("Shortcomings go to"), validate_choice=False)
    InspectionForm.deadline = DateField(_l("Put right by"), validators=[Optional()])
    return InspectionForm(data=data) if data is not None else InspectionForm()


class VerifyForm(Form):
    once_key = OnceKeyField()
    verified_on = DateField(_l("Day of the verification"), validators=[
        InputRequired(message=_l("Enter the day of the verification."))])
    result = SelectField(_l("Result"), choices=options([("passed", _l("Put right")), ("failed", _l("Still failing"))]),
                         validate_choice=False)
    note = StringField(_l("What still fails (or a note)"), validators=[Optional(), Length(max=1000)])
    new_deadline = DateField(_l("New deadline (still failing)"), validators=[Optional()])


class RequestForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    business = StringField(_l("Business"), validators=[InputRequired(message=_l("Enter the business.")),
                                                       Length(max=200)])
    place = StringField(_l("Where (unit, floor)"), validators=[InputRequired(message=_l("Enter where the plants are.")),
                                                               Length(max=200)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    plants = TextAreaField(_l("Plants"), validators=[InputRequired(message=_l("Describe the plants.")),
                                                     Length(max=1000)], render_kw={"rows": 3})
    visits_per_month = IntegerField(_l("Visits a month"), default=2, validators=[
        InputRequired(message=_l("Enter the visits a month (1 to 31).")), NumberRange(min=1, max=31)])
    start_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day of the service."))])
    end_on = DateField(_l("Last day"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class EndRequestForm(Form):
    end_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day of the service."))])


class VisitForm(Form):
    once_key = OnceKeyField()
    visited_on = DateField(_l("Day of the visit"), validators=[InputRequired(message=_l("Enter the day of the visit."))])
    gardener = StringField(_l("Gardener"), validators=[InputRequired(message=_l("Enter who visited.")),
                                                       Length(max=100)])
    work = StringField(_l("What was done"), validators=[InputRequired(message=_l("Say what was done.")),
                                                        Length(max=500)])
    replaced = IntegerField(_l("Plants replaced"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class SettingsForm(Form):
    checks_per_day = IntegerField(_l("Inspections of each area a day"), validators=[
        InputRequired(), NumberRange(min=1, max=6)])


class CheckFilter(FilterForm):
    q = StringField(_l("Number, area or vendor"))
    area = SelectField(_l("Area"), validate_choice=False)
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("Any"))] + list(STATE_LABELS.items()) + [("overdue", _l("Overdue"))]))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class AreaFilter(FilterForm):
    q = StringField(_l("Area or vendor"))


class RequestFilter(FilterForm):
    q = StringField(_l("Business, place or contact"))
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("Any"))] + list(REQUEST_STATE_LABELS.items())))


class FiguresFilter(FilterForm):
    by = SelectField(_l("Per"), validate_choice=False, choices=options([("area", _l("Area")), ("vendor", _l("Vendor"))]))
