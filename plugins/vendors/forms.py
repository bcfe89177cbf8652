"""Forms and the translated labels of the vendors plugin."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import Form, MoneyField, OnceKeyField, options
from core.listing import FilterForm
from plugins.vendors.models import SERVICE_KINDS

KIND_LABELS = {
    "cleaning": _l("Cleaning"),
    "greening": _l("Greening"),
    "pest_control": _l("Pest control"),
    "lift": _l("Lift maintenance"),
    "security": _l("Security guarding"),
    "other": _l("Other service"),
}
CONTRACT_STATE_LABELS = {"future": _l("Not started"), "in_force": _l("In force"), "expiring": _l("Expiring soon"),
                         "ended": _l("Ended")}
RECT_STATE_LABELS = {"open": _l("Waiting for the vendor"), "responded": _l("Waiting for the re-check"),
                     "closed": _l("Closed")}
STEP_LABELS = {"issued": _l("Notice issued"), "response": _l("Vendor's response"), "passed": _l("Re-check passed"),
               "failed": _l("Re-check: still failing")}
EVAL_STATE_LABELS = {"draft": _l("Draft"), "confirmed": _l("Confirmed")}
SHEET_ROWS = 12


def kind_choices(first=None):
    return options(([first] if first else []) + [(k, KIND_LABELS[k]) for k in SERVICE_KINDS])


class VendorForm(Form):
    name = StringField(_l("Company"), validators=[InputRequired(message=_l("Enter the company's name.")),
                                                  Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    contacts = TextAreaField(_l("Other contacts, one a line"), validators=[Optional(), Length(max=1000)],
                             render_kw={"rows": 3})
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ContractForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    vendor_id = SelectField(_l("Vendor"), coerce=int, validate_choice=False)
    number = StringField(_l("Contract number"), validators=[
        InputRequired(message=_l("Enter the contract number.")), Length(max=40)])
    service_kind = SelectField(_l("Kind of service"), choices=kind_choices(), validate_choice=False)
    scope = TextAreaField(_l("Scope of the service"), validators=[
        InputRequired(message=_l("Describe the scope of the service.")), Length(max=1000)], render_kw={"rows": 3})
    start_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day of the contract."))])
    end_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day of the contract."))])
    amount = MoneyField(_l("Contract amount"), validators=[InputRequired(message=_l("Enter the contract amount."))])
    standards = TextAreaField(_l("Service standards"), validators=[Optional(), Length(max=4000)],
                              render_kw={"rows": 5})
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class AttachmentForm(Form):
    pass


class ScoreField(DecimalField):
    """Points given to an item: a plain number (no exponent, no "NaN"), as a Decimal."""

    def process_formdata(self, valuelist):
        from core.i18n import plain_amount

        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = plain_amount(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Enter a number such as 8.5."))


def inspection_form(items, data=None):
    """The inspection form of a sheet: points and a remark per item, then the day, a note and
    the deadline for the failing items."""

    class InspectionForm(Form):
        once_key = OnceKeyField()

    for item in items:
        setattr(InspectionForm, f"p_{item.id}", ScoreField(
            item.title, places=2, validators=[InputRequired(message=_l("Score this item.")),
                                              NumberRange(min=0, max=float(item.weight))],
            render_kw={"inputmode": "decimal", "step": "0.5"}))
        setattr(InspectionForm, f"r_{item.id}", StringField(_l("Remark"), validators=[Optional(), Length(max=500)]))
    InspectionForm.inspected_on = DateField(_l("Day of the inspection"), validators=[
        InputRequired(message=_l("Enter the day of the inspection."))])
    InspectionForm.note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    InspectionForm.deadline = DateField(_l("Rectification deadline (when items fail)"), validators=[Optional()])
    return InspectionForm(data=data) if data is not None else InspectionForm()


class NoticeForm(Form):
    once_key = OnceKeyField()
    title = StringField(_l("To rectify"), validators=[InputRequired(message=_l("Enter what is to be rectified.")),
                                                      Length(max=200)])
    detail = TextAreaField(_l("Shortcomings"), validators=[
        InputRequired(message=_l("Describe the shortcomings to rectify.")), Length(max=4000)], render_kw={"rows": 4})
    deadline = DateField(_l("Deadline"), validators=[InputRequired(message=_l("Enter the deadline for the rectification."))])


class ResponseForm(Form):
    responded_on = DateField(_l("Day of the response"), validators=[
        InputRequired(message=_l("Enter the day of the response."))])
    responder = StringField(_l("Answered by (vendor)"), validators=[
        InputRequired(message=_l("Enter who answered for the vendor.")), Length(max=100)])
    note = TextAreaField(_l("What the vendor did"), validators=[
        InputRequired(message=_l("Say what the vendor did.")), Length(max=1000)], render_kw={"rows": 2})


class RecheckForm(Form):
    checked_on = DateField(_l("Day of the re-check"), validators=[
        InputRequired(message=_l("Enter the day of the re-check."))])
    result = SelectField(_l("Result"), choices=options([("passed", _l("Passed")), ("failed", _l("Still failing"))]),
                         validate_choice=False)
    note = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    new_deadline = DateField(_l("New deadline (still failing)"), validators=[Optional()])


class EvaluateForm(Form):
    month = StringField(_l("Month (YYYY-MM)"), validators=[InputRequired(message=_l("Choose the month to evaluate.")),
                                                           Length(max=7)], render_kw={"type": "month"})
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class ConfirmForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class SheetForm(Form):
    pass


for _n in range(SHEET_ROWS):
    setattr(SheetForm, f"title_{_n}", StringField(_l("Scoring item"), validators=[Optional(), Length(max=200)]))
    setattr(SheetForm, f"standard_{_n}", StringField(_l("Standard"), validators=[Optional(), Length(max=500)]))
    setattr(SheetForm, f"weight_{_n}", StringField(_l("Weight"), validators=[Optional(), Length(max=10)]))


class SettingsForm(Form):
    expiry_days = IntegerField(_l("Warn this many days before a contract ends"), validators=[
        InputRequired(), NumberRange(min=0, max=365)])


class VendorFilter(FilterForm):
    q = StringField(_l("Company or contact"))
    kind = SelectField(_l("Kind of service"), choices=kind_choices(("", _l("All kinds"))), validate_choice=False)


class ContractFilter(FilterForm):
    q = StringField(_l("Contract number or vendor"))
    kind = SelectField(_l("Kind of service"), choices=kind_choices(("", _l("All kinds"))), validate_choice=False)
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("Any"))] + list(CONTRACT_STATE_LABELS.items())))


class InspectionFilter(FilterForm):
    q = StringField(_l("Contract number or vendor"))
    kind = SelectField(_l("Kind of service"), choices=kind_choices(("", _l("All kinds"))), validate_choice=False)
    failing = SelectField(_l("Result"), validate_choice=False, choices=options(
        [("", _l("Any")), ("1", _l("With failing items"))]))


class RectificationFilter(FilterForm):
    q = StringField(_l("Number, title or vendor"))
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("Any")), ("pending", _l("Not closed"))] + list(RECT_STATE_LABELS.items())
        + [("overdue", _l("Overdue"))]))


class EvaluationFilter(FilterForm):
    q = StringField(_l("Contract number or vendor"))
    state = SelectField(_l("State"), validate_choice=False, choices=options(
        [("", _l("Any"))] + list(EVAL_STATE_LABELS.items())))

