"""Service levels per estate (settings scope "estate"): time to dispatch and to complete."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core.forms import Form

NAMESPACE = "repairs"
DEFAULTS = {
    "dispatch_minutes_normal": 30,
    "dispatch_minutes_urgent": 10,
    "complete_hours_normal": 24,
    "complete_hours_urgent": 4,
}


class ServiceLevelForm(Form):
    dispatch_minutes_normal = IntegerField(_l("Dispatch a normal repair within (minutes)"),
                                           validators=[InputRequired(), NumberRange(1, 7 * 24 * 60)])
    dispatch_minutes_urgent = IntegerField(_l("Dispatch an urgent repair within (minutes)"),
                                           validators=[InputRequired(), NumberRange(1, 7 * 24 * 60)])
    complete_hours_normal = IntegerField(_l("Complete a normal repair within (hours)"),
                                         validators=[InputRequired(), NumberRange(1, 90 * 24)])
    complete_hours_urgent = IntegerField(_l("Complete an urgent repair within (hours)"),
                                         validators=[InputRequired(), NumberRange(1, 90 * 24)])


def levels(estate_id: int | None) -> dict:
    from core.settings import get_settings

    values = {**DEFAULTS, **get_settings(NAMESPACE, estate_id)}
    out = {}
    for key, default in DEFAULTS.items():
        try:
            out[key] = max(1, int(values.get(key) or default))
        except (TypeError, ValueError):
            out[key] = default
    return out


def _estate_id(estate) -> int | None:
    return getattr(estate, "id", estate)


def deadline(case_type: str, estate, priority: str, start: datetime) -> datetime | None:
    """Our own answer to ``deadline_for``: ``repair`` (complete) and ``repair.dispatch``."""
    if case_type not in ("repair", "repair.dispatch"):
        return None
    lv = levels(_estate_id(estate))
    pr = "urgent" if priority == "urgent" else "normal"
    if case_type == "repair":
        return start + timedelta(hours=lv[f"complete_hours_{pr}"])
    return start + timedelta(minutes=lv[f"dispatch_minutes_{pr}"])


def due(case_type: str, estate, priority: str, start: datetime, category: str | None = None) -> datetime | None:
    """Ask every enabled plugin (a service-level plugin may override ours), else our own rule."""
    from core.plugins import hook

    try:
        answer = hook("deadline_for")(case_type=case_type, estate=estate, priority=priority, start=start,
                                      category=category)
    except Exception:  # a foreign plugin's failure must not stop the recording
        import logging

        logging.getLogger(__name__).exception("deadline_for failed")
        answer = None
    return answer or deadline(case_type, estate, priority, start)
