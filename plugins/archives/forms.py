"""Forms and the translated labels of the archives plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, options
from core.listing import FilterForm
from plugins.archives.models import KINDS, LEVELS, LOAN_STATES

KIND_LABELS = {
    "owner": _l("Owner file"),
    "building": _l("Building and facility file"),
    "decoration": _l("Decoration file"),
    "contract": _l("Contract"),
    "notice": _l("Notice"),
    "other": _l("Other"),
}
LEVEL_LABELS = {"normal": _l("Normal"), "internal": _l("Internal"), "confidential": _l("Confidential")}
LOAN_KIND_LABELS = {"view": _l("View in the archive room"), "borrow": _l("Borrow"),
                    "inspection": _l("Superior's inspection")}
LOAN_STATE_LABELS = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "refused": _l("Refused"),
                     "out": _l("Out"), "returned": _l("Returned"), "cancelled": _l("Withdrawn")}
RESULT_LABELS = {"present": _l("Present"), "complete": _l("Complete"), "damaged": _l("Damaged"),
                 "missing": _l("Missing")}
ACTION_LABELS = {"added": _l("Document added"), "withdrawn": _l("Document withdrawn")}

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class FileForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    number = StringField(_l("File number (blank: the next number)"), validators=[Optional(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS), validate_choice=False)
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Enter the title of the file.")),
                                                 Length(max=200)])
    unit_number = StringField(_l("Unit (owner files)"), validators=[Optional(), Length(max=30)])
    building_id = SelectField(_l("Building"), coerce=int, validate_choice=False)
    cabinet = StringField(_l("Cabinet"), validators=[Optional(), Length(max=30)])
    shelf = StringField(_l("Shelf"), validators=[Optional(), Length(max=30)])
    box = StringField(_l("Box"), validators=[Optional(), Length(max=30)])
    level = SelectField(_l("Confidentiality"), choices=_choices(LEVEL_LABELS, LEVELS), validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class DocumentForm(Form):
    title = StringField(_l("Document"), validators=[InputRequired(message=_l("Name the document.")),
                                                    Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class WithdrawForm(Form):
    note = StringField(_l("Why it is withdrawn"), validators=[
        InputRequired(message=_l("Say why the document is withdrawn.")), Length(max=500)])


class RequestForm(Form):
    kind = SelectField(_l("Request"), choices=_choices(LOAN_KIND_LABELS, ("view", "borrow")),
                       validate_choice=False)
    borrower_name = StringField(_l("Who takes the file (blank: you)"), validators=[Optional(), Length(max=100)])
    purpose = StringField(_l("What the file is needed for"), validators=[
        InputRequired(message=_l("Say what the file is needed for.")), Length(max=500)])
    due_at = DateTimeLocalField(_l("Return by"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the file is to be returned."))])


class InspectionForm(Form):
    inspector = StringField(_l("Inspector (name and department)"), validators=[
        InputRequired(message=_l("Enter who inspects the file (name and department).")), Length(max=100)])
    purpose = StringField(_l("What the inspection is for"), validators=[
        InputRequired(message=_l("Say what the inspection is for.")), Length(max=500)])
    due_at = DateTimeLocalField(_l("Return by"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter when the file is to be returned."))])


class DecisionForm(Form):
    note = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ReturnForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ExtendForm(Form):
    due_at = DateTimeLocalField(_l("New return date"), format=DATETIME_FORMATS, validators=[
        InputRequired(message=_l("Enter the new return date."))])
    reason = StringField(_l("Why it is kept longer"), validators=[
        InputRequired(message=_l("Say why the file is kept longer.")), Length(max=500)])


class CheckForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    planned_on = DateField(_l("Planned date"), validators=[
        InputRequired(message=_l("Enter the planned date of the check."))])
    title = StringField(_l("Name of the check"), validators=[InputRequired(message=_l("Name the check.")), Length(max=200)])


class RecordCheckForm(Form):
    done_on = DateField(_l("Date of the check"), validators=[InputRequired(message=_l("Enter the date of the check."))])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class FollowUpForm(Form):
    note = StringField(_l("What was done"), validators=[InputRequired(message=_l("Say what was done.")),
                                                        Length(max=500)])


class FileFilter(FilterForm):
    q = StringField(_l("Number, title or unit"))
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS, KINDS, ("", _l("All kinds"))),
                       validate_choice=False)
    level = SelectField(_l("Confidentiality"), choices=_choices(LEVEL_LABELS, LEVELS, ("", _l("All levels"))),
                        validate_choice=False)
    out = SelectField(_l("Where"), validate_choice=False,
                      choices=options([("", _l("Any")), ("1", _l("Out now")), ("0", _l("In the archive room"))]))
    overdue = SelectField(_l("Overdue"), choices=options([("", _l("Any")), ("1", _l("Overdue only"))]),
                          validate_choice=False)


class LoanFilter(FilterForm):
    q = StringField(_l("File number, title or borrower"))
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("All")), ("overdue", _l("Overdue"))] + [(s, LOAN_STATE_LABELS[s]) for s in LOAN_STATES]))


class ArchivesSettingsForm(Form):
    checks_per_year = IntegerField(_l("Archive checks a year (at least 2)"), validators=[
        InputRequired(), NumberRange(min=2, max=12)])
