"""Complaints plugin (投诉管理, 000 §E 4.6 and §J 四(7)(8)(9)).

Owner complaints are recorded on the Owner Complaint Record, forwarded to the
responsible department within the service-level standard's time, handled,
escalated to the manager when needed, answered in writing, closed and
confirmed on the return visit. Suggestions (合理化建议) go to the manager.
"""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit


@hookimpl
def permissions():
    return [
        Permission("complaints.view", _l("See complaints and suggestions"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("complaints.record", _l("Record complaints and suggestions"),
                   ("clerk", "frontdesk", "supervisor", "manager")),
        Permission("complaints.handle", _l("Handle complaints: forward, investigate, reply, close"),
                   ("supervisor", "manager")),
        Permission("complaints.decide", _l("Decide escalated complaints and suggestions"), ("manager",)),
    ]


@hookimpl
def blueprints():
    from plugins.complaints.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from plugins.complaints.sla import spec

    return [spec()]


@hookimpl
def deadline_for(case_type, estate, priority, start, category):
    if case_type not in ("complaint.forward", "complaint.reply") or start is None:
        return None
    from plugins.complaints import sla

    estate_id = getattr(estate, "id", estate)
    severity, in_priority = sla.parse_priority(priority)
    return sla.deadline(case_type.split(".", 1)[1], estate_id, severity, start, category or in_priority)


def _overdue_badge(estates):
    """The menu badge: a query the menu counts with the other badges (or None)."""
    from sqlalchemy import func, select

    from core.models import utcnow
    from plugins.complaints.models import Complaint

    if not estates:
        return None
    return select(func.count()).select_from(Complaint).where(
        Complaint.estate_id.in_(estates), Complaint.overdue_clause(utcnow()))


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission

    badge = _overdue_badge(estates) if has_permission("complaints.view", user) else None
    return [
        NavItem(_l("Complaints"), "complaints.index", "service", "complaints.view", 30,
                badge=badge, icon="chat-square-text"),
        NavItem(_l("Suggestions"), "complaints.suggestions", "service", "complaints.view", 32, icon="lightbulb"),
        NavItem(_l("Complaint statistics"), "complaints.statistics", "service", "complaints.view", 34,
                icon="graph-up"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from plugins.complaints.widgets import open_widget, rate_widget

    if not estates:
        return []
    return [rate_widget(estates), open_widget(estates)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.complaints import labels
    from plugins.complaints.models import Complaint

    rows = db.session.scalars(select(Complaint).where(
        Complaint.estate_id == unit.estate_id, Complaint.unit_id == unit.id)
        .order_by(Complaint.received_at.desc()).limit(10)).all()
    return [Panel("complaints-unit", _l("Complaints of this unit"), "complaints/panel.html",
                  {"complaints": rows, "unit": unit, "labels": labels}, "complaints.view", sequence=40)]


@hookimpl
def search(query, user, estates, limit):
    from sqlalchemy import select

    from core.i18n import mask_phone
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.complaints import labels
    from plugins.complaints.models import Complaint, Suggestion
    from plugins.complaints.views import _search_filter, like

    if not estates or not has_permission("complaints.view", user):
        return []
    rows = search_records(select(Complaint).where(Complaint.estate_id.in_(estates), _search_filter(query))
                              .order_by(Complaint.received_at.desc()).limit(limit))
    hits = [SearchHit(_l("Complaint"), f"{c.number} {c.contact_name}",
                      url_for("complaints.detail", complaint_id=c.id),
                      " · ".join(filter(None, [c.unit.number if c.unit else "", mask_phone(c.contact_phone),
                                               str(labels.STATE_LABELS.get(c.state, c.state))])), c.estate_id)
            for c in rows]
    if len(hits) < limit:
        found = search_records(select(Suggestion).where(
            Suggestion.estate_id.in_(estates), Suggestion.number.like(like(query), escape="\\"))
            .limit(limit - len(hits)))
        hits += [SearchHit(_l("Suggestion"), f"{s.number} {s.suggester_name}",
                           url_for("complaints.suggestion", suggestion_id=s.id), "", s.estate_id) for s in found]
    return hits


@hookimpl
def scheduled_jobs():
    from core.jobs import Job
    from plugins.complaints.breakdown import job as month_figures
    from plugins.complaints.daystats import job as day_stats
    from plugins.complaints.jobs import notify_overdue

    return [Job("complaints.overdue", _l("Tell the supervisors about complaints past their deadline"),
                timedelta(minutes=15), notify_overdue),
            Job("complaints.day_stats", _l("Compute the complaint figures of days that are over"),
                timedelta(minutes=5), day_stats),
            Job("complaints.month_figures",
                _l("Compute the complaint figures per category and department of months that are over"),
                timedelta(minutes=30), month_figures)]


@hookimpl
def cli_commands():
    from plugins.complaints.daystats import STORE

    return [STORE.rebuild_command("Recompute the stored day figures of the handling-rate statistics.")]


@hookimpl(optionalhook=True)
def visits_recorded(visit):
    """A return visit of a complaint: satisfied → confirmed; not satisfied → reopened."""
    if getattr(visit, "source_type", None) != "complaint":
        return
    from plugins.complaints.jobs import apply_visit

    apply_visit(visit)


@hookimpl
def demo_data(estate, users):
    from plugins.complaints.demo import load

    load(estate, users)


@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    """The estate's open complaints, offered to a shift handover (meetings plugin)."""
    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.complaints.models import OPEN_STATES, Complaint

    if not has_permission("complaints.view", user):
        return []
    rows = db.session.scalars(select(Complaint).where(Complaint.estate_id == estate_id,
                                                      Complaint.state.in_(OPEN_STATES))
                              .order_by(Complaint.received_at.desc()).limit(200)).all()
    return [{"reference": c.number, "kind": _("Complaint"), "url": url_for("complaints.detail", complaint_id=c.id),
             "label": " ".join(x for x in (c.number, c.unit.number if c.unit else "", c.content[:60]) if x)}
            for c in rows]
