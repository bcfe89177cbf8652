"""Form base classes and validators shared by every form (Flask-WTF, CSRF on)."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField
from wtforms.validators import StopValidation, ValidationError

from core.i18n import plain_amount

try:  # WTForms 3.3+: choices are SelectChoice objects (tuples are deprecated, gone in 3.4)
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms takes the tuples
    SelectChoice = None

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
UNIT_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,10}){0,3}$")
ID_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{6,30}$")
#: What a one-time form key looks like (``secrets.token_urlsafe(24)`` gives 32 of these).
ONCE_KEY_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def options(pairs) -> list:
    """The ``choices`` of a ``SelectField`` or ``RadioField`` from ``(value, label)`` pairs or
    a ``{value: label}`` mapping: ``SelectField(_l("Kind"), choices=options(KIND_LABELS))``.

    WTForms 3.3 deprecates choices given as tuples (3.4 drops them) and a dict with lazy
    labels; this builds the ``SelectChoice`` objects it wants, in the order given. Lists
    filled in a view (``form.estate_id.choices = estate_choices()``) may stay pairs.
    """
    items = pairs.items() if isinstance(pairs, dict) else pairs
    if SelectChoice is None:  # pragma: no cover
        return [tuple(item) for item in items]
    return [item if isinstance(item, SelectChoice) else SelectChoice(*item) for item in items]


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

    def validate(self, extra_validators=None) -> bool:
        """WTForms' validation, except that what was typed but cannot be read (2026-02-30 as a
        date, letters as a number) is said as such: ``DataRequired`` would replace that error by
        "This field is required", which tells the user nothing about what is wrong.

        A refusal is noted on the request: a POST answered with the page again (200) then
        goes out as 422 (:func:`answer_refused_forms`)."""
        ok = super().validate(extra_validators)
        for field in self:
            typed = any(isinstance(v, str) and v.strip() for v in (field.raw_data or ()))
            if typed and field.process_errors and any(e not in field.errors for e in field.process_errors):
                field.errors = list(field.process_errors)
                ok = False
        if not ok:
            note_refused()
        return ok

    def add_error(self, field: str | None, message) -> None:
        """Attach a (domain) error to a field, or to the form when ``field`` is None (the
        request then counts as refused, as for a failed validation)."""
        note_refused()
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


def note_refused() -> None:
    """Note that a form of this request was refused (failed validation, or a service's
    :class:`~core.errors.DomainError` placed on it)."""
    if has_request_context():
        g.propdesk_form_refused = True


def form_refused() -> bool:
    """Whether a form of this request was refused (see :func:`note_refused`)."""
    return has_request_context() and bool(g.get("propdesk_form_refused"))


def answer_refused_forms(app) -> None:
    """One rule for every form, core's and plugins' alike: a POST whose form was refused and
    that answers with a page (the form again, errors beside its fields) answers **422**, not
    200 — whether the view said 422 itself or not. Redirects and other statuses (401, 429…)
    are left as the view gave them, and so are htmx requests (``HX-Request``): htmx does not
    swap a 4xx answer by default, so a fragment posted by htmx keeps the status its view chose."""

    @app.after_request
    def _refused_form_is_422(resp):
        if (request.method == "POST" and resp.status_code == 200 and form_refused()
                and not request.headers.get("HX-Request") and resp.mimetype == "text/html"):
            resp.status_code = 422
        return resp


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


class TextLength:
    """A text's length, said plainly: "x" for a text that needs a few words is refused with
    "Too short: write at least 4 characters." (not "please fill it in", which it was), and a
    text beyond the column with how long it may be. Use it after ``DataRequired``::

        content = TextAreaField(_l("Content"), validators=[DataRequired(), TextLength(4, 5000)])
    """

    def __init__(self, min: int = 0, max: int | None = None):
        self.min, self.max = min, max
        self.field_flags = {"minlength": min} if min else {}
        if max is not None:
            self.field_flags["maxlength"] = max

    def __call__(self, form, field):
        text = (field.data or "").strip() if isinstance(field.data, str) else ""
        if not text:
            return  # empty: DataRequired (or Optional) says so
        if len(text) < self.min:
            raise ValidationError(_l("Too short: write at least %(n)s characters.", n=self.min))
        if self.max is not None and len(text) > self.max:
            raise ValidationError(_l("Too long: keep it under %(n)s characters.", n=self.max))


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
        value = plain_amount(valuelist[0])  # digits and a point: no exponent ("1e3"), no "NaN"
        if value is None:
            self.data = None
            raise ValueError(_l("Enter an amount such as 1280.50."))
        if -value.as_tuple().exponent > self.max_places:
            self.data = None
            raise ValueError(_l("Use at most %(n)s decimal places.", n=self.max_places))
        self.data = value


#: How long a form's one-time key stays usable: a form kept open longer is refused (the user
#: reloads it), and the job ``core.purge_once_keys`` forgets the keys used before that.
ONCE_KEY_DAYS = 30


def new_once_key() -> str:
    """A fresh one-time form key: ``t``, the time it was issued (8 hex digits of Unix seconds)
    and 18 random bytes, URL-safe (33 characters)."""
    return f"t{int(time.time()):08x}{secrets.token_urlsafe(18)}"


_ISSUED_RE = re.compile(r"t([0-9a-f]{8})[A-Za-z0-9_-]{24}")


def once_key_issued(value) -> datetime | None:
    """When the key was issued, or None for a key that does not say (made before keys did)."""
    m = _ISSUED_RE.fullmatch(value) if isinstance(value, str) else None
    return datetime.fromtimestamp(int(m.group(1), 16), UTC) if m else None


def once_key_expired(value) -> bool:
    issued = once_key_issued(value)
    return issued is not None and issued < datetime.now(UTC) - timedelta(days=ONCE_KEY_DAYS)


def is_once_key(value) -> bool:
    return isinstance(value, str) and ONCE_KEY_RE.fullmatch(value) is not None


ONCE_KEY_INVALID = _l("This form has lost its one-time key, so nothing was done. "
                      "Reload the page and enter it again.")
ONCE_KEY_EXPIRED = _l("This form was opened more than %(days)s days ago, so nothing was done. "
                      "Reload the page and enter it again.", days=ONCE_KEY_DAYS)


class OnceKeyField(HiddenField):
    """A one-time key for a form that takes money or does something that must not happen twice.

    A new key is generated each time the form is rendered without submitted data
    (``Form(formdata=None)``); a form shown again after a refusal keeps the key it was
    submitted with (nothing was done with it). A submission without a key, or with one that
    does not look like a key, does not validate. Used together with
    :func:`core.actions.record_action` (``once=Once(...)``), which records the key in
    ``core_once_key`` in the transaction of the change: a second submission of the same
    form, at the same moment or later, is sent to the page of what the first one did.
    """

    def __init__(self, label=None, validators=None, **kw):
        kw.setdefault("default", new_once_key)
        super().__init__(label, validators, **kw)

    def process_formdata(self, valuelist):
        # Submitted without the field: no key (never a fresh default that would pass).
        self.data = valuelist[0] if valuelist else ""

    def pre_validate(self, form):
        if not is_once_key(self.data):
            raise StopValidation(ONCE_KEY_INVALID)

    def renew(self) -> None:
        """Give the form a new key (after a bad one was refused, so the next try can work)."""
        self.data = new_once_key()
