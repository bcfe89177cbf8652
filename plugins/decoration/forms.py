"""Forms of the decoration plugin (and its estate settings)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, MoneyField, OnceKeyField, options
from core.listing import FilterForm
from plugins.decoration.labels import APPLICANT_LABELS, SCOPE_LABELS, STATE_LABELS
from plugins.decoration.models import SCOPE_ITEMS, STATES


class ApplicationForm(Form):
    once_key = OnceKeyField()
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    unit_number = StringField(_l("Unit"), validators=[InputRequired(message=_l("Enter the unit number.")),
                                                       Length(max=30)])
    applicant_kind = SelectField(_l("Applicant"), choices=options(APPLICANT_LABELS), validate_choice=False)
    applicant_name = StringField(_l("Applicant's name"), validators=[
        InputRequired(message=_l("Enter the applicant's name.")), Length(max=100)])
    applicant_phone = StringField(_l("Applicant's phone"), validators=[
        InputRequired(message=_l("Enter the applicant's phone.")), Length(max=30)])
    owner_consent = BooleanField(_l("The owner's written consent is shown (a tenant applying)"))
    contractor = StringField(_l("Contractor company"), validators=[
        InputRequired(message=_l("Enter the contractor company.")), Length(max=100)])
    manager_name = StringField(_l("Person in charge"), validators=[
        InputRequired(message=_l("Enter the contractor's person in charge.")), Length(max=100)])
    manager_phone = StringField(_l("Phone of the person in charge"), validators=[
        InputRequired(message=_l("Enter the phone of the person in charge.")), Length(max=30)])
    planned_start = DateField(_l("Planned start"), validators=[InputRequired(message=_l("Enter the planned start."))])
    planned_end = DateField(_l("Planned end"), validators=[InputRequired(message=_l("Enter the planned end."))])
    scope_walls = BooleanField(SCOPE_LABELS["walls"])
    scope_floors = BooleanField(SCOPE_LABELS["floors"])
    scope_plumbing = BooleanField(SCOPE_LABELS["plumbing"])
    scope_electrical = BooleanField(SCOPE_LABELS["electrical"])
    scope_windows = BooleanField(SCOPE_LABELS["windows"])
    scope_air_conditioning = BooleanField(SCOPE_LABELS["air_conditioning"])
    scope_structural = BooleanField(SCOPE_LABELS["structural"])
    scope_services = BooleanField(SCOPE_LABELS["services"])
    structural_details = TextAreaField(_l("Structural or service change: what exactly"),
                                       validators=[Optional(), Length(max=1000)])
    description = TextAreaField(_l("Description of the works"), validators=[Optional(), Length(max=1000)])
    photos = FileField(_l("Drawings (photos or scans, PDF allowed)"), render_kw={"multiple": True})

    def scope(self) -> list[str]:
        return [s for s in SCOPE_ITEMS if self[f"scope_{s}"].data]


class NoteForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(message=_l("Give the reason.")),
                                                     Length(max=500)])


class FeesPaidForm(Form):
    note = StringField(_l("Receipt number or how it was paid"), validators=[
        InputRequired(message=_l("Note the receipt number or how it was paid.")), Length(max=200)])


class PassForm(Form):
    once_key = OnceKeyField()
    name = StringField(_l("Worker's name"), validators=[InputRequired(message=_l("Enter the worker's name.")),
                                                          Length(max=100)])
    id_number = StringField(_l("ID number"), validators=[InputRequired(message=_l("Enter the worker's ID number.")),
                                                         Length(max=40)])
    trade = StringField(_l("Trade"), validators=[Optional(), Length(max=50)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(message=_l("Enter the first day of the pass."))])
    valid_to = DateField(_l("Valid to"), validators=[InputRequired(message=_l("Enter the last day of the pass."))])
    photos = FileField(_l("Photo"))


class InspectionForm(Form):
    once_key = OnceKeyField()
    findings = TextAreaField(_l("Findings"), validators=[InputRequired(message=_l("Write what the inspection found.")),
                                                          Length(max=1000)])
    violation = BooleanField(_l("A violation: issue a rectification notice"))
    required_action = TextAreaField(_l("To be rectified"), validators=[Optional(), Length(max=1000)])
    deadline = DateField(_l("Rectify by"), validators=[Optional()])
    photos = FileField(_l("Photos"), render_kw={"multiple": True})


class RecheckForm(Form):
    rectified = SelectField(_l("Re-check"), choices=options([("1", _l("Rectified")), ("0", _l("Not rectified yet"))]))
    note = StringField(_l("What the re-check found"), validators=[
        InputRequired(message=_l("Write what the re-check found.")), Length(max=500)])
    new_deadline = DateField(_l("New deadline (not rectified)"), validators=[Optional()])


class ExtensionForm(Form):
    new_end = DateField(_l("New end date"), validators=[InputRequired(message=_l("Enter the new end date."))])
    reason = StringField(_l("Reason"), validators=[InputRequired(message=_l("Give the reason.")), Length(max=500)])


REMEDY_LABELS = {"rework": _l("Rework by the contractor"), "repair": _l("Repair order (maintenance)")}


class CheckForm(Form):
    defect_note = TextAreaField(_l("Defects found"), validators=[Optional(), Length(max=1000)])
    remedy = SelectField(_l("Remedy"), choices=options([("", "—")] + list(REMEDY_LABELS.items())),
                         validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class ApplicationFilter(FilterForm):
    q = StringField(_l("Number, permit, contractor, worker or unit"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + [(s, STATE_LABELS[s]) for s in STATES]))


class SettingsForm(Form):
    rules = TextAreaField(_l("Decoration management rules (《装修管理规定》) given to the applicant"),
                          validators=[Optional(), Length(max=20000)], render_kw={"rows": 12})
    notices = TextAreaField(_l("Notices to the applicant (hours, noise, rubbish, lifts)"),
                            validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})
    fee_item = StringField(_l("Fee item code of the decoration management fee (fees plugin)"),
                           validators=[Optional(), Length(max=20)])
    deposit_item = StringField(_l("Fee item code of the decoration deposit (fees plugin)"),
                               validators=[Optional(), Length(max=20)])
    fee_amount = MoneyField(_l("Decoration management fee without the fees plugin (yuan)"),
                            validators=[InputRequired(), NumberRange(min=0, max=9999999)])
    deposit_amount = MoneyField(_l("Deposit without the fees plugin (yuan)"),
                                validators=[InputRequired(), NumberRange(min=0, max=9999999)])
    violations_to_suspend = IntegerField(_l("Violations after which the permit may be suspended"),
                                         validators=[InputRequired(), NumberRange(min=1, max=20)])
    inspect_every_days = IntegerField(_l("Days a renovation in progress may go without an inspection"),
                                      validators=[InputRequired(), NumberRange(min=1, max=90)])
