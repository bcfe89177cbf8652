"""Dashboard widgets: the handling rate against its target, and open / overdue complaints."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.i18n import estate_timezone, today_local
from core.models import utcnow
from core.ui import Widget
from plugins.complaints import labels, sla, stats
from plugins.complaints.models import OPEN_STATES, Complaint

RATE_COLOUR = "#0d6efd"
TARGET_COLOUR = "#dc3545"


def rate_datasets(rows, target) -> list[dict]:
    """Chart.js datasets: the monthly rate and the dashed target line."""
    return [
        {"label": _("Effective handling rate") + " (%)", "borderColor": RATE_COLOUR, "backgroundColor": RATE_COLOUR,
         "spanGaps": True, "data": [float(r.rate) if r.rate is not None else None for r in rows]},
        {"label": _("Target") + " (%)", "borderColor": TARGET_COLOUR, "backgroundColor": TARGET_COLOUR,
         "borderDash": [6, 4], "pointRadius": 0, "data": [target] * len(rows)},
    ]


def rate_widget(estates) -> Widget:
    months = stats.last_months(today_local(), 6)
    rows = stats.monthly(estates, months, estate_timezone())
    target = sla.target_rate(estates)
    total = stats.total(rows)
    datasets = rate_datasets(rows, target)
    return Widget("complaints-rate", _l("Complaint handling rate"), "complaints/widget_rate.html",
                  {"labels": [r.label for r in rows], "datasets": datasets, "total": total, "target": target},
                  "complaints.view", sequence=30, width=8)


def open_widget(estates) -> Widget:
    now = utcnow()
    by_state = dict(db.session.execute(
        select(Complaint.state, func.count()).where(
            Complaint.estate_id.in_(estates), Complaint.state.in_(OPEN_STATES + ("replied",)))
        .group_by(Complaint.state)).all())
    overdue_q = select(Complaint).where(Complaint.estate_id.in_(estates), Complaint.overdue_clause(now))
    overdue_count = db.session.scalar(select(func.count()).select_from(overdue_q.subquery()))
    # The five ids first (an index-only read on PostgreSQL), then those rows with their relations.
    ids = list(db.session.scalars(
        select(Complaint.id).where(Complaint.estate_id.in_(estates), Complaint.overdue_clause(now))
        .order_by(Complaint.reply_due_at, Complaint.id).limit(5)))
    found = {c.id: c for c in db.session.scalars(select(Complaint).where(Complaint.id.in_(ids)))} if ids else {}
    oldest = [found[i] for i in ids if i in found]
    return Widget("complaints-open", _l("Open complaints"), "complaints/widget_open.html",
                  {"by_state": by_state, "overdue": overdue_count, "oldest": oldest, "labels": labels},
                  "complaints.view", sequence=31, width=4)
