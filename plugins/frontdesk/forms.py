"""Forms and the translated labels of the front desk plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.callers import caller_field
from core.forms import Form, OnceKeyField, Phone, UnitNumber, options
from core.listing import FilterForm
from plugins.frontdesk.models import (
    APPLICANT_KINDS,
    CERTIFICATE_KINDS,
    ENQUIRY_CHANNELS,
    ENQUIRY_OUTCOMES,
    ENQUIRY_TOPICS,
    LOG_SHIFTS,
    PARCEL_KINDS,
    PASS_STATES,
)

APPLICANT_LABELS = {"owner": _l("Owner"), "tenant": _l("Tenant"), "business": _l("Tenant business")}
PASS_STATE_LABELS = {"applied": _l("Waiting for approval"), "approved": _l("Approved"), "refused": _l("Refused"),
                     "used": _l("Used")}
CHANNEL_LABELS = {"phone": _l("Phone"), "walk_in": lazy_pgettext("enquiry channel", "Walk-in"), "hotline": _l("Hotline message")}
TOPIC_LABELS = {"fees": _l("Fees"), "repairs": _l("Repairs"), "decoration": _l("Decoration"),
                "parking": lazy_pgettext("enquiry topic", "Parking"), "move": _l("Moving in or out"), "certificates": _l("Certificates"),
                "notices": _l("Notices"), "other": _l("Other")}
OUTCOME_LABELS = {"answered": _l("Answered"), "repair": _l("Forwarded as a repair"),
                  "complaint": _l("Forwarded as a complaint"), "message": _l("Message taken")}
PARCEL_LABELS = {"parcel": _l("Parcel"), "letter": _l("Letter"), "registered": _l("Registered mail"),
                 "newspaper": _l("Newspaper")}
CERTIFICATE_LABELS = {"residence": _l("Residence certificate"), "fee_status": _l("Fee status certificate")}
SHIFT_LABELS = {"day": _l("Day shift"), "evening": _l("Evening shift"), "night": _l("Night shift")}

TIME_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _choices(labels, keys, first=None):
    return options(([first] if first else []) + [(k, labels[k]) for k in keys])


class CallerForm(Form):
    """The fields the caller block of ``macros/caller.html`` (core.callers) lays out."""

    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    unit_number = StringField(_l("Unit number"), validators=[Optional(), Length(max=30), UnitNumber()])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    contact_name = StringField(_l("Caller"), validators=[Optional(), Length(max=100)])
    resident_id = caller_field()


class PassForm(CallerForm):
    once_key = OnceKeyField()
    contact_name = StringField(_l("Applicant"), validators=[Optional(), Length(max=100)])
    applicant_kind = SelectField(_l("Applicant is"), choices=_choices(APPLICANT_LABELS, APPLICANT_KINDS),
                                 validate_choice=False)
    goods = TextAreaField(_l("Goods to be taken out"), validators=[
        InputRequired(message=_l("List the goods to be taken out.")), Length(max=1000)], render_kw={"rows": 3})
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=20)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(message=_l("Enter the first day the pass is valid."))])
    valid_until = DateField(_l("Valid until"), validators=[
        InputRequired(message=_l("Enter the last day the pass is valid."))])
    owner_consent_name = StringField(_l("Owner who consented (tenants)"), validators=[Optional(), Length(max=100)])
    owner_consent_note = StringField(_l("How the owner consented"), validators=[Optional(), Length(max=200)])


class DecisionForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class GateForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    number = StringField(_l("Pass number"), validators=[InputRequired(message=_l("Enter the pass number.")),
                                                         Length(max=30)])
    gate = StringField(_l("Gate"), validators=[Optional(), Length(max=50)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class EnquiryForm(CallerForm):
    once_key = OnceKeyField()
    contact_name = StringField(_l("Caller"), validators=[Optional(), Length(max=100)])
    received_at = DateTimeLocalField(_l("Date and time"), format=TIME_FORMAT, validators=[
        InputRequired(message=_l("Enter the date and time."))])
    channel = SelectField(_l("Channel"), choices=_choices(CHANNEL_LABELS, ENQUIRY_CHANNELS), validate_choice=False)
    topic = SelectField(_l("Topic"), choices=_choices(TOPIC_LABELS, ENQUIRY_TOPICS), validate_choice=False)
    question = TextAreaField(_l("What was asked"), validators=[
        InputRequired(message=_l("Write down what was asked.")), Length(max=2000)], render_kw={"rows": 3})
    answer = TextAreaField(_l("Answer given"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    outcome = SelectField(_l("Outcome"), choices=_choices(OUTCOME_LABELS, ENQUIRY_OUTCOMES), validate_choice=False)


class ParcelForm(CallerForm):
    once_key = OnceKeyField()
    contact_name = StringField(_l("Recipient"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=_choices(PARCEL_LABELS, PARCEL_KINDS), validate_choice=False)
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=50)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=60)])
    shelf = StringField(_l("Shelf"), validators=[Optional(), Length(max=20)])


class CollectForm(Form):
    collector_name = StringField(_l("Collected by (signature)"), validators=[
        InputRequired(message=_l("Enter the name of the person who collects it (their signature).")),
        Length(max=100)])


class VisitorForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    visitor_name = StringField(lazy_pgettext("visitor register", "Visitor"), validators=[InputRequired(message=_l("Enter the visitor's name.")),
                                                          Length(max=100)])
    visitor_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    unit_number = StringField(_l("Visiting unit"), validators=[Optional(), Length(max=30), UnitNumber()])
    host_name = StringField(_l("Visiting whom"), validators=[Optional(), Length(max=100)])
    purpose = StringField(_l("Purpose"), validators=[InputRequired(message=_l("Say why they came.")),
                                                     Length(max=200)])
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=20)])


class LicenceForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    unit_number = StringField(_l("Unit number"), validators=[InputRequired(message=_l("Enter the unit number.")),
                                                             Length(max=30), UnitNumber()])
    licence_number = StringField(_l("Licence number"), validators=[
        InputRequired(message=_l("Enter the licence number.")), Length(max=40)])
    owner_name = StringField(_l("Dog owner"), validators=[InputRequired(message=_l("Enter the dog owner's name.")),
                                                          Length(max=100)])
    owner_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    dog_name = StringField(_l("Dog's name"), validators=[Optional(), Length(max=50)])
    breed = StringField(_l("Breed"), validators=[InputRequired(message=_l("Enter the breed.")), Length(max=50)])
    colour = StringField(_l("Colour"), validators=[Optional(), Length(max=30)])
    vaccinated_on = DateField(_l("Rabies vaccination on"), validators=[
        InputRequired(message=_l("Enter the date of the rabies vaccination."))])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(message=_l("Enter the first day of the licence."))])
    valid_until = DateField(_l("Expires on"), validators=[
        InputRequired(message=_l("Enter the day the licence expires."))])


class VehicleForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    unit_number = StringField(_l("Unit number"), validators=[InputRequired(message=_l("Enter the unit number.")),
                                                             Length(max=30), UnitNumber()])
    holder_name = StringField(_l("Holder"), validators=[InputRequired(message=_l("Enter the holder's name.")),
                                                        Length(max=100)])
    holder_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    plate = StringField(_l("Plate number"), validators=[InputRequired(message=_l("Enter the plate number.")),
                                                        Length(max=20)])
    card_number = StringField(_l("Access card number"), validators=[Optional(), Length(max=40)])
    valid_until = DateField(_l("Valid until"), validators=[
        InputRequired(message=_l("Enter the last day the pass is valid."))])


class ReturnForm(Form):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class CertificateForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Certificate"), choices=_choices(CERTIFICATE_LABELS, CERTIFICATE_KINDS),
                       validate_choice=False)
    unit_number = StringField(_l("Unit number"), validators=[InputRequired(message=_l("Enter the unit number.")),
                                                             Length(max=30), UnitNumber()])
    applicant_name = StringField(_l("Applicant"), validators=[
        InputRequired(message=_l("Enter the applicant's name.")), Length(max=100)])
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)])


class LogForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Enter the day."))])
    shift = SelectField(_l("Shift"), choices=_choices(SHIFT_LABELS, LOG_SHIFTS), validate_choice=False)
    text = TextAreaField(_l("What happened"), validators=[InputRequired(message=_l("Write what happened.")),
                                                          Length(max=2000)], render_kw={"rows": 3})


class SettingsForm(Form):
    parcel_days = IntegerField(_l("Flag parcels not collected after this many days"), validators=[
        InputRequired(), NumberRange(min=1, max=60)])
    licence_days = IntegerField(_l("Remind of dog licences this many days before they expire"), validators=[
        InputRequired(), NumberRange(min=1, max=365)])


class PassFilter(FilterForm):
    q = StringField(_l("Pass number, unit, applicant or plate"))
    state = SelectField(_l("State"), choices=_choices(PASS_STATE_LABELS, PASS_STATES, ("", _l("All states"))),
                        validate_choice=False)


class EnquiryFilter(FilterForm):
    q = StringField(_l("Caller, phone, unit or case number"))
    topic = SelectField(_l("Topic"), choices=_choices(TOPIC_LABELS, ENQUIRY_TOPICS, ("", _l("All topics"))),
                        validate_choice=False)
    outcome = SelectField(_l("Outcome"), choices=_choices(OUTCOME_LABELS, ENQUIRY_OUTCOMES, ("", _l("Any"))),
                          validate_choice=False)


class ParcelFilter(FilterForm):
    q = StringField(_l("Parcel number, unit, recipient or tracking number"))
    scope = SelectField(_l("Parcels"), choices=options([("waiting", _l("Waiting")), ("overdue", _l("Not collected in time")),
                                                        ("all", _l("All parcels"))]), validate_choice=False)


class SimpleFilter(FilterForm):
    q = StringField(_l("Search"))


class VehicleFilter(FilterForm):
    q = StringField(_l("Pass number, plate, card or unit"))
    scope = SelectField(_l("Passes"), choices=options([("held", lazy_pgettext("vehicle pass", "Held")), ("returned", _l("Returned")),
                                                       ("all", _l("All passes"))]), validate_choice=False)
