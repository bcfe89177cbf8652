"""Forms: core.forms.Form (CSRF, stripped text); errors show beside their fields."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.forms import Form, UnitNumber, options
from propdesk_parking.models import ALERT_CATEGORIES, TENURES

TENURE_LABELS = {"rental": _l("Monthly rental"), "owned": _l("Owned")}
CATEGORY_LABELS = {"outage": _l("Water or power outage"), "maintenance": _l("Maintenance works"),
                   "safety": _l("Safety")}
PLATE = Regexp(r"^[\w·\- ]{0,20}$", message=_l("A plate has letters, digits and at most 20 characters."))


class SpaceForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    code = StringField(_l("Space number"), validators=[DataRequired(), Length(max=20)])
    tenure = SelectField(_l("Tenure"), choices=options([(t, TENURE_LABELS[t]) for t in TENURES]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class AssignForm(Form):
    unit_number = StringField(_l("Unit"), validators=[DataRequired(), UnitNumber()])
    plate = StringField(_l("Plate"), validators=[Optional(), PLATE])
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until (empty = open-ended)"), validators=[Optional()])


class EndForm(Form):
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])


class ParkingSettingsForm(Form):
    """Settings per estate: which notice categories alert the attendant."""

    alert_categories = SelectMultipleField(
        _l("Notices that alert the car-park attendant"),
        choices=options([(c, CATEGORY_LABELS[c]) for c in ALERT_CATEGORIES]))
