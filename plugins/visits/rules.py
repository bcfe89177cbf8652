"""Return visit rules per kind (《回访管理标准作业规程》): time limit after the event and target rate.

Kept as estate settings (``settings_spec``, scope ``"estate"``): a supervisor edits them under
Administration → Settings → Return visit rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core.forms import Form
from core.settings import SettingsSpec, get_settings
from plugins.visits.models import KINDS

NAMESPACE = "visits"

KIND_LABELS = {
    "repair": _l("Repair"), "complaint": _l("Complaint"),
    "decoration": _l("Decoration"), "routine": _l("Routine owner visit"),
}

DEFAULTS = {
    "repair_days": 3, "repair_target": 100,
    "complaint_days": 2, "complaint_target": 100,
    "decoration_days": 7, "decoration_target": 100,
    "routine_days": 30, "routine_target": 90,
}


def _days(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=90)])


def _target(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=100)])


class RulesForm(Form):
    repair_days = _days(_l("Repairs: visit within (days after completion)"))
    repair_target = _target(_l("Repairs: target return-visit rate (%)"))
    complaint_days = _days(_l("Complaints: visit within (days after closing)"))
    complaint_target = _target(_l("Complaints: target return-visit rate (%)"))
    decoration_days = _days(_l("Decoration: visit within (days after acceptance)"))
    decoration_target = _target(_l("Decoration: target return-visit rate (%)"))
    routine_days = _days(_l("Routine owner visits: default time to visit (days after planning)"))
    routine_target = _target(_l("Routine owner visits: target return-visit rate (%)"))


def settings_spec() -> SettingsSpec:
    return SettingsSpec(NAMESPACE, _l("Return visit rules"), RulesForm, dict(DEFAULTS), scope="estate",
                        permission="visits.manage")


@dataclass(frozen=True)
class Rule:
    kind: str
    days: int
    target: int  # percent


def rule_for(kind: str, estate_id: int) -> Rule:
    values = get_settings(NAMESPACE, estate_id)
    days = int(values.get(f"{kind}_days") or DEFAULTS[f"{kind}_days"])
    target = int(values.get(f"{kind}_target") or DEFAULTS[f"{kind}_target"])
    return Rule(kind, days, target)


def rules_for(estate_id: int) -> dict[str, Rule]:
    return {k: rule_for(k, estate_id) for k in KINDS}


def due_after(kind: str, estate_id: int, start: datetime) -> datetime:
    """The moment a visit of ``kind`` following an event at ``start`` is due."""
    return start + timedelta(days=rule_for(kind, estate_id).days)
