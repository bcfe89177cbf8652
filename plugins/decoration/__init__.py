"""Decoration (装修管理): the application at the front desk, the maintenance department's safety
approval of structural or service changes and the supervisor's approval, the management fee and
deposit (through the fees plugin when enabled), the numbered permit and the workers' temporary
passes. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit


@hookimpl
def permissions():
    return [
        Permission("decoration.view", _l("See decoration applications, permits and passes"),
                   ("manager", "supervisor", "clerk", "frontdesk", "cashier", "technician", "archivist")),
        Permission("decoration.apply", _l("Record decoration applications at the front desk"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("decoration.safety_approve",
                   _l("Give the maintenance department's safety approval of structural or service changes"),
                   ("technician",)),
        Permission("decoration.approve", _l("Approve or refuse decoration applications (customer service)"),
                   ("manager", "supervisor")),
        Permission("decoration.fees", _l("Tick the decoration fee and deposit paid (without the fees plugin)"),
                   ("cashier", "supervisor", "manager")),
        Permission("decoration.permit", _l("Issue decoration permits and workers' passes"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("decoration.inspect", _l("Inspect works in progress, issue and re-check rectification notices"),
                   ("manager", "supervisor", "clerk", "technician")),
        Permission("decoration.accept", _l("Carry out the acceptance of finished works (technicians)"),
                   ("technician",)),
        Permission("decoration.manage", _l("Edit the decoration rules and amounts of an estate"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.decoration.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.decoration.forms import SettingsForm
    from plugins.decoration.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Decoration rules and amounts"), SettingsForm, dict(DEFAULTS),
                         scope="estate", permission="decoration.manage")]


@hookimpl
def nav_items(user, estates):
    from sqlalchemy import func, select

    from core.permissions import has_permission
    from plugins.decoration.models import Application

    badge = None
    if has_permission("decoration.view", user):
        badge = select(func.count()).select_from(Application).where(
            Application.estate_id.in_(estates or [0]), Application.state == "submitted")
    return [
        NavItem(_l("Decoration"), "decoration.index", "service", "decoration.view", 40, badge=badge, icon="hammer"),
        NavItem(_l("Workers' passes"), "decoration.passes", "service", "decoration.view", 41, icon="person-badge"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from core.i18n import today_local
    from core.ui import Widget
    from plugins.decoration.models import Application, Inspection
    from plugins.decoration.services import inspections_due, overdue_filter

    ids = estates or [0]
    counts = dict(db.session.execute(select(Application.state, func.count()).where(
        Application.estate_id.in_(ids), Application.state.in_(("submitted", "permitted")))
        .group_by(Application.state)).all())
    due = inspections_due(estates or [])
    late = db.session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.estate_id.in_(ids), overdue_filter(today_local())))
    overdue = db.session.scalars(select(Inspection).where(Inspection.estate_id.in_(ids), overdue_filter(today_local()))
                                 .order_by(Inspection.deadline).limit(5)).all()
    return [Widget("decoration", _l("Renovations"), "decoration/widget.html",
                   {"in_progress": counts.get("permitted", 0), "review": counts.get("submitted", 0), "due": due,
                    "overdue": overdue, "late": late}, "decoration.view", sequence=65, width=4)]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.decoration.jobs import notify_overdue

    return [Job("decoration.notify_overdue", _l("Tell inspectors and supervisors about overdue rectifications"),
                timedelta(minutes=15), notify_overdue)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.decoration.labels import STATE_LABELS
    from plugins.decoration.models import Application

    apps = db.session.scalars(select(Application).where(Application.unit_id == unit.id,
                                                        Application.estate_id == unit.estate_id)
                              .order_by(Application.id.desc()).limit(10)).all()
    return [Panel("decoration-unit", _l("Decoration"), "decoration/panel.html",
                  {"apps": apps, "states": STATE_LABELS, "unit": unit}, "decoration.view", sequence=65)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import select

    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.decoration.labels import STATE_LABELS
    from plugins.decoration.models import Application
    from plugins.decoration.views import search_filter

    if not estates or len(query) < 2 or not has_permission("decoration.view", user):
        return []
    rows = search_records(select(Application).where(Application.estate_id.in_(estates),
                                                        search_filter(query, estates))
                              .order_by(Application.id.desc()).limit(limit))
    return [SearchHit(_l("Decoration"), f"{a.number} {a.unit.number}", url_for("decoration.detail", app_id=a.id),
                      " · ".join(x for x in (a.permit_number, a.contractor, str(STATE_LABELS.get(a.state, a.state)))
                                 if x), a.estate_id) for a in rows]


@hookimpl
def demo_data(estate, users):
    from plugins.decoration.demo import load

    load(estate, users)
