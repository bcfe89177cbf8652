"""The dashboard widget: return-visit and on-time rates per kind against the rule's target."""

from __future__ import annotations

from flask_babel import gettext as _

from core.i18n import today_local
from plugins.visits import stats
from plugins.visits.models import KINDS
from plugins.visits.rules import KIND_LABELS


def _num(value):
    return None if value is None else float(value)


def rates_widget_context(user, estates) -> dict:
    from sqlalchemy import func, select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.visits.models import ReturnVisit
    from plugins.visits.services import overdue_count

    if not estates or not has_permission("visits.view", user):
        return {"labels": [], "datasets": [], "rows": [], "overdue": 0, "mine": 0}
    fig = stats.compute(list(estates), stats.month_list(today_local(), 6))
    rows = [(KIND_LABELS[k], fig.total(k), fig.targets[k]) for k in KINDS]
    mine = db.session.scalar(select(func.count()).select_from(ReturnVisit).where(
        ReturnVisit.estate_id.in_(estates), ReturnVisit.state == "planned",
        ReturnVisit.assigned_to_id == user.id))
    return {
        "labels": [str(KIND_LABELS[k]) for k in KINDS],
        "datasets": [
            {"label": _("Return-visit rate (%)"), "data": [_num(fig.total(k).rate) for k in KINDS]},
            {"label": _("On-time rate (%)"), "data": [_num(fig.total(k).on_time_rate) for k in KINDS]},
            {"label": _("Target (%)"), "data": [fig.targets[k] for k in KINDS], "type": "line"},
        ],
        "rows": rows,
        "overdue": overdue_count(list(estates)),
        "mine": mine,
    }
