"""Estate settings of the fees plugin (Administration → Settings → Fees)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core.forms import Form
from core.settings import SettingsSpec, get_settings

NAMESPACE = "fees"

DEFAULTS = {
    "large_amount": 5000,
    "collection_target": 95,
    "reminder_interval_days": 30,
    "reminder_min_months": 1,
    "reading_jump_factor": 3,
}


class FeesSettingsForm(Form):
    large_amount = IntegerField(
        _l("Large amount reported the same day (yuan, a single receipt at or above)"),
        validators=[InputRequired(), NumberRange(min=1, max=10_000_000)])
    collection_target = IntegerField(_l("Target collection rate (%)"),
                                      validators=[InputRequired(), NumberRange(min=1, max=100)])
    reminder_interval_days = IntegerField(
        _l("Remind a unit in arrears again after (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)])
    reminder_min_months = IntegerField(
        _l("Remind units whose oldest unpaid bill is overdue by at least (months)"),
        validators=[InputRequired(), NumberRange(min=0, max=60)])
    reading_jump_factor = IntegerField(
        _l("Flag a meter reading whose usage is more than this many times the previous usage"),
        validators=[InputRequired(), NumberRange(min=2, max=100)])


def settings_spec() -> SettingsSpec:
    return SettingsSpec(NAMESPACE, _l("Fees"), FeesSettingsForm, dict(DEFAULTS), scope="estate",
                        permission="fees.manage")


def setting(name: str, estate_id: int | None):
    return get_settings(NAMESPACE, estate_id).get(name, DEFAULTS[name])


def large_amount(estate_id: int) -> Decimal:
    return Decimal(int(setting("large_amount", estate_id)))
