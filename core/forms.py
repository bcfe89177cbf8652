"""Form base classes and validators shared by every form (Flask-WTF, CSRF on)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import ValidationError

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
UNIT_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,10}){0,3}$")
ID_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{6,30}$")


class Form(FlaskForm):
    """Base form: strips surrounding blanks from every text input; an ``IntegerField``
    refuses a number beyond a 32-bit column's range (``core.inputs``)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            from core.inputs import bind_bounded

            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in {"StringField", "TextAreaField", "EmailField"}:
                filters.append(_strip)
            return bind_bounded(form, unbound_field, dict(options, filters=filters))

    def add_error(self, field: str | None, message) -> None:
        """Attach a (domain) error to a field, or to the form when ``field`` is None."""
        if field and field in self._fields:
            self._fields[field].errors = list(self._fields[field].errors) + [message]
        else:
            self.form_errors.append(message)

    @property
    def form_errors(self):
        if not hasattr(self, "_form_errors"):
            self._form_errors = []
        return self._form_errors

    @form_errors.setter
    def form_errors(self, value):
        self._form_errors = value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "")


class Phone:
    """A phone number: digits, optional leading +, dashes and spaces allowed."""

    def __init__(self, message=None):
        self.message = message or _l("Enter a phone number of 5 to 20 digits.")

    def __call__(self, form, field):
        if field.data and not PHONE_RE.match(field.data):
            raise ValidationError(self.message)


class UnitNumber:
    def __init__(self, message=None):
        self.message = message or _l("A unit number looks like 3-2-1201: letters or digits separated by dashes.")

    def __call__(self, form, field):
        if field.data and not UNIT_NUMBER_RE.match(field.data):
            raise ValidationError(self.message)


class IdNumber:
    def __call__(self, form, field):
        if field.data and not ID_NUMBER_RE.match(field.data):
            raise ValidationError(_l("An ID number has 6 to 30 letters or digits."))


class MoneyField(DecimalField):
    """A money amount: exact Decimal, at most two decimal places, never float."""

    def __init__(self, label=None, validators=None, places: int = 2, **kw):
        super().__init__(label, validators, places=places, **kw)
        self.max_places = places

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace(",", "")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(_l("Enter an amount such as 1280.50."))
        if not value.is_finite():
            self.data = None
            raise ValueError(_l("Enter an amount such as 1280.50."))
        if -value.as_tuple().exponent > self.max_places:
            self.data = None
            raise ValueError(_l("Use at most %(n)s decimal places.", n=self.max_places))
        self.data = value
