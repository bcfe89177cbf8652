"""Forms and the translated labels of the cleaning plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, OnceKeyField, options
from core.listing import FilterForm
from plugins.cleaning.models import FREQUENCIES, PEST_KINDS, PESTS

FREQUENCY_LABELS = {"daily": _l("Daily"), "weekly": _l("Weekly"), "monthly": _l("Monthly")}
REMEDY_LABELS = {"rework": _l("Rework by the cleaners"), "vendor": _l("Rectification by the vendor")}
STATE_LABELS = {"passed": _l("Passed"), "open": _l("Waiting for verification"), "verified": _l("Put right, verified")}
STEP_LABELS = {"rework": _l("Sent to rework"), "vendor": _l("Rectification notice to the vendor"),
               "passed": _l("Verified: put right"), "failed": _l("Verified: still failing"),
               "rectified": _l("Re-checked at the vendor: put right")}
PEST_KIND_LABELS = {"pest_control": _l("Pest control (four pests)"), "disinfection": _l("Disinfection")}
PEST_LABELS = {"rats": _l("Rats"), "cockroaches": _l("Cockroaches"), "mosquitoes": _l("Mosquitoes"),
               "flies": _l("Flies")}
IN_HOUSE = _l("Own cleaners")


class AreaForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    name = StringField(_l("Area"), validators=[InputRequired(message=_l("Enter the area's name.")), Length(max=100)])
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    vendor = StringField(_l("Cleaned by (vendor; empty for own cleaners)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class AreaEditForm(Form):
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    vendor = StringField(_l("Cleaned by (vendor; empty for own cleaners)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    active = BooleanField(_l("Inspected (uncheck to retire the area)"))


class TaskForm(Form):
    frequency = SelectField(_l("How often"), choices=options([(f, FREQUENCY_LABELS[f]) for f in FREQUENCIES]),
                            validate_choice=False)
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


class PestPlanForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Kind"), choices=options([(k, PEST_KIND_LABELS[k]) for k in PEST_KINDS]),
                       validate_choice=False)
    title = StringField(_l("Plan"), validators=[InputRequired(message=_l("Enter the plan's title.")), Length(max=200)])
    pests = SelectMultipleField(_l("Pests"), choices=options([(p, PEST_LABELS[p]) for p in PESTS]),
                                validate_choice=False)
    scope = StringField(_l("Where"), validators=[InputRequired(message=_l("Say where the plan applies.")),
                                                 Length(max=500)])
    method = StringField(_l("Method and chemicals"), validators=[Optional(), Length(max=500)])
    every_days = IntegerField(_l("Every how many days"), default=7, validators=[
        InputRequired(message=_l("Enter how many days apart (1 to 366).")), NumberRange(min=1, max=366)])
    start_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day of the plan."))])
    end_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day of the plan."))])


class PestRecordForm(Form):
    once_key = OnceKeyField()
    done_on = DateField(_l("Day of the treatment"), validators=[
        InputRequired(message=_l("Enter the day of the treatment."))])
    done_by = StringField(_l("Done by"), validators=[InputRequired(message=_l("Enter who did the treatment.")),
                                                     Length(max=100)])
    chemicals = StringField(_l("Chemicals used"), validators=[Optional(), Length(max=300)])
    areas = StringField(_l("Where"), validators=[Optional(), Length(max=500)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class TrainingForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    held_on = DateField(_l("Day of the training"), validators=[
        InputRequired(message=_l("Enter the day of the training."))])
    topic = StringField(lazy_pgettext("training", "Topic"), validators=[InputRequired(message=_l("Enter the topic of the training.")),
                                                 Length(max=200)])
    trainer = StringField(_l("Trainer"), validators=[InputRequired(message=_l("Enter who gave the training.")),
                                                     Length(max=100)])
    attendees = TextAreaField(_l("Attendees, one a line"), validators=[
        InputRequired(message=_l("List who attended, one a line.")), Length(max=2000)], render_kw={"rows": 4})
    hours = DecimalField(_l("Hours"), places=1, validators=[
        InputRequired(message=_l("Enter the hours: more than 0, at most 24.")), NumberRange(min=0.1, max=24)])
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


class PestFilter(FilterForm):
    kind = SelectField(_l("Kind"), validate_choice=False, choices=options(
        [("", _l("Any"))] + list(PEST_KIND_LABELS.items())))


class TrainingFilter(FilterForm):
    q = StringField(_l("Topic, trainer or attendee"))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class FiguresFilter(FilterForm):
    by = SelectField(_l("Per"), validate_choice=False, choices=options([("area", _l("Area")), ("vendor", _l("Vendor"))]))
