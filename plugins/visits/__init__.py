"""Return visits (回访管理): after repairs and complaints, and routine visits to owners.

Other plugins reach this one only through hooks: ``repairs_completed`` and ``complaints_closed``
plan a visit; recording its result fires ``visits_recorded`` so the source closes or reopens.
"""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("visits.view", _l("See return visits and their figures"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("visits.record", _l("Record return visits (designated visitors)"),
                   ("clerk", "frontdesk", "supervisor")),
        Permission("visits.manage", _l("Designate visitors, plan and reassign return visits"),
                   ("supervisor", "manager")),
    ]


@hookimpl
def blueprints():
    from plugins.visits import views_manage  # noqa: F401 - registers the supervisor pages on bp
    from plugins.visits.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from plugins.visits.rules import settings_spec as spec

    return [spec()]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.visits.services import overdue_query

    badge = overdue_query(estates) if has_permission("visits.view", user) else None
    return [
        NavItem(_l("Return visits"), "visits.index", "service", "visits.view", 40, badge=badge,
                icon="telephone-outbound"),
        NavItem(_l("Return visit statistics"), "visits.statistics", "service", "visits.view", 41,
                icon="bar-chart"),
        NavItem(_l("Routine owner visits"), "visits.batch_list", "service", "visits.manage", 42,
                icon="calendar-check"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from plugins.visits.widgets import rates_widget_context

    return [Widget("visits-rates", _l("Return visits vs target (last 6 months)"), "visits/widget.html",
                   rates_widget_context(user, estates), "visits.view", sequence=45, width=6)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.visits.forms import SATISFIED_LABELS, STATE_LABELS
    from plugins.visits.models import ReturnVisit
    from plugins.visits.rules import KIND_LABELS

    rows = db.session.scalars(select(ReturnVisit).where(
        ReturnVisit.unit_id == unit.id, ReturnVisit.estate_id == unit.estate_id)
        .order_by(ReturnVisit.due_at.desc()).limit(10)).all()
    return [Panel("visits-unit", _l("Return visits"), "visits/panel.html",
                  {"visits": rows, "kinds": KIND_LABELS, "states": STATE_LABELS,
                   "satisfied_labels": SATISFIED_LABELS}, "visits.view", sequence=45)]


@hookimpl
def search(query, user, estates, limit):
    from sqlalchemy import or_, select

    from core.hooks import _like
    from core.models import Unit
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.visits.models import ReturnVisit
    from plugins.visits.rules import KIND_LABELS

    if not estates or not has_permission("visits.view", user):
        return []
    pat = _like(query)
    conds = [ReturnVisit.number.like(pat, escape="\\"), ReturnVisit.source_number.like(pat, escape="\\"),
             ReturnVisit.contact_name.like(pat, escape="\\"),
             ReturnVisit.unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(estates),
                                                           Unit.number == query))]
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3 and len(digits) == len(query.replace("-", "").replace(" ", "")):
        conds.append(ReturnVisit.contact_phone.like(_like(digits), escape="\\"))
    rows = search_records(select(ReturnVisit).where(ReturnVisit.estate_id.in_(estates), or_(*conds))
                              .order_by(ReturnVisit.id.desc()).limit(limit))
    return [SearchHit(_l("Return visit"),
                      f"{v.number} {KIND_LABELS.get(v.source_type, v.source_type)} {v.contact_name}",
                      url_for("visits.detail", visit_id=v.id),
                      " · ".join(x for x in (v.unit.number if v.unit else "", v.source_number) if x),
                      v.estate_id) for v in rows]


@hookimpl
def scheduled_jobs():
    from core.jobs import Job
    from plugins.visits.jobs import notify_overdue

    return [Job("visits.notify_overdue", _l("Tell visitors and supervisors about overdue return visits"),
                timedelta(hours=1), notify_overdue)]


@hookimpl
def deadline_for(case_type, estate, priority, start):
    """``"visit.<kind>"``: the moment a return visit after an event at ``start`` is due."""
    from plugins.visits.models import KINDS
    from plugins.visits.rules import due_after

    if not isinstance(case_type, str) or not case_type.startswith("visit."):
        return None
    kind = case_type.split(".", 1)[1]
    if kind not in KINDS or start is None:
        return None
    return due_after(kind, getattr(estate, "id", estate), start)


# -- events of the other service-desk plugins (optional: they may be absent) -----------
@hookimpl(optionalhook=True)
def repairs_completed(repair):
    from plugins.visits.services import plan_for_source

    plan_for_source("repair", repair, getattr(repair, "completed_at", None))


@hookimpl(optionalhook=True)
def repairs_reopened(repair, reason):
    from plugins.visits.services import cancel_for_source

    cancel_for_source("repair", repair.id, str(reason or ""))


@hookimpl(optionalhook=True)
def complaints_closed(complaint):
    from plugins.visits.services import plan_for_source

    plan_for_source("complaint", complaint, getattr(complaint, "closed_at", None))


@hookimpl(optionalhook=True)
def decoration_accepted(application):
    """A renovation accepted (验收): the owner's decoration return visit, due the estate's
    "decoration" days after acceptance, read from the attributes decoration documents."""
    from types import SimpleNamespace

    from plugins.visits.services import plan_for_source

    def attr(name):
        return getattr(application, name, None) or ""

    source = SimpleNamespace(
        id=application.id, number=application.number, estate_id=application.estate_id,
        unit_id=application.unit_id, contact_name=attr("owner_name") or attr("applicant_name"),
        contact_phone=attr("applicant_phone"), category="",
        description=attr("description") or attr("contractor"))
    plan_for_source("decoration", source, application.accepted_at)


@hookimpl
def demo_data(estate, users):
    from plugins.visits.demo import load

    load(estate, users)
