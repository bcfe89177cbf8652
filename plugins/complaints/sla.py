"""The service-level standard (《等级服务标准》) per estate: deadlines and the target rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from core.forms import Form
from core.settings import SettingsSpec, get_settings
from plugins.complaints.labels import CATEGORY_LABELS
from plugins.complaints.models import CATEGORIES, SEVERITIES

NAMESPACE = "complaints"
DEFAULTS = {
    "forward_hours_minor": 4, "forward_hours_normal": 2, "forward_hours_serious": 1,
    "reply_hours_minor": 48, "reply_hours_normal": 24, "reply_hours_serious": 12,
    "target_rate": 95,
    **{f"reply_hours_{c}": None for c in CATEGORIES},
}
HOURS = [NumberRange(1, 720, message=_l("Give a number of hours between 1 and 720."))]


class ServiceLevelForm(Form):
    """One estate's complaint deadlines; a category limit, when set, tightens the severity limit."""

    forward_hours_minor = IntegerField(_l("Forward a minor complaint within (hours)"), validators=HOURS)
    forward_hours_normal = IntegerField(_l("Forward a normal complaint within (hours)"), validators=HOURS)
    forward_hours_serious = IntegerField(_l("Forward a serious complaint within (hours)"), validators=HOURS)
    reply_hours_minor = IntegerField(_l("Reply to a minor complaint within (hours)"), validators=HOURS)
    reply_hours_normal = IntegerField(_l("Reply to a normal complaint within (hours)"), validators=HOURS)
    reply_hours_serious = IntegerField(_l("Reply to a serious complaint within (hours)"), validators=HOURS)
    target_rate = IntegerField(_l("Target effective handling rate, per cent"), validators=[
        NumberRange(1, 100, message=_l("Give a percentage between 1 and 100."))])


for _code in CATEGORIES:
    setattr(ServiceLevelForm, f"reply_hours_{_code}", IntegerField(
        _l("Reply to %(category)s complaints within (hours; empty = by severity only)",
           category=CATEGORY_LABELS[_code]),
        validators=[Optional()] + HOURS))


def spec() -> SettingsSpec:
    return SettingsSpec(NAMESPACE, _l("Complaints: service-level standard"), ServiceLevelForm, dict(DEFAULTS),
                        scope="estate", permission="complaints.decide")


def settings_for(estate_id: int | None) -> dict:
    values = dict(DEFAULTS)
    values.update(get_settings(NAMESPACE, estate_id))
    return values


def _int(value, fallback: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback


def hours(stage: str, estate_id: int | None, severity: str, category: str | None = None) -> int:
    """Hours allowed to ``forward`` or ``reply`` for a complaint of this severity and category."""
    values = settings_for(estate_id)
    severity = severity if severity in SEVERITIES else "normal"
    allowed = _int(values.get(f"{stage}_hours_{severity}"), DEFAULTS[f"{stage}_hours_{severity}"])
    if stage == "reply" and category in CATEGORIES and values.get(f"reply_hours_{category}"):
        allowed = min(allowed, _int(values[f"reply_hours_{category}"], allowed))
    return allowed


def deadline(stage: str, estate_id: int | None, severity: str, start: datetime,
             category: str | None = None) -> datetime:
    return start + timedelta(hours=hours(stage, estate_id, severity, category))


def target_rate(estate_ids) -> int:
    ids = list(estate_ids or [])
    values = settings_for(ids[0] if len(ids) == 1 else None)
    return _int(values.get("target_rate"), DEFAULTS["target_rate"])


def parse_priority(priority) -> tuple[str, str | None]:
    """The severity, and a category written into it the old way (``"serious:security"``: callers
    from before ``deadline_for`` had its ``category`` argument)."""
    text = str(priority or "normal")
    severity, _sep, category = text.partition(":")
    return severity, (category or None)

