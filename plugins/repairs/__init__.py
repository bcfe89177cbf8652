"""Repairs plugin (接报修管理): the Resident Repair Record, Repair Work Orders, overdue tracking.

recorded → dispatched → in_progress → completed → closed; cancelled; reopened. Offers the
event hooks ``repairs_completed`` and ``repairs_reopened`` (see hookspecs.py) and listens
to ``visits_recorded`` when the visits plugin is there.
"""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget

_OFFICE = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")


@hookimpl
def permissions():
    return [
        Permission("repairs.view", _l("See repairs and work orders"), _OFFICE),
        Permission("repairs.record", _l("Record repair requests"), ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("repairs.dispatch", _l("Dispatch repairs to technicians"), ("manager", "supervisor")),
        Permission("repairs.work", _l("Accept and complete own work orders"), ("technician",)),
        Permission("repairs.close", _l("Close completed repairs"), ("manager", "supervisor")),
        Permission("repairs.cancel", _l("Cancel repairs"), ("manager", "supervisor")),
        Permission("repairs.reopen", _l("Reopen repairs"), ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.repairs.views import bp

    return [bp]


@hookimpl
def record_rules(user):
    """A technician (``repairs.work`` without ``repairs.dispatch``) sees only their own
    work orders and the repairs those orders belong to."""
    from sqlalchemy import select

    from core.permissions import has_permission
    from plugins.repairs.models import Repair, WorkOrder

    if not has_permission("repairs.work", user) or has_permission("repairs.dispatch", user):
        return {}
    own = select(WorkOrder.repair_id).where(WorkOrder.technician_id == user.id)
    return {WorkOrder: [WorkOrder.technician_id == user.id], Repair: [Repair.id.in_(own)]}


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.repairs.sla import DEFAULTS, NAMESPACE, ServiceLevelForm

    return [SettingsSpec(NAMESPACE, _l("Repair service levels"), ServiceLevelForm, dict(DEFAULTS),
                         scope="estate", permission="repairs.dispatch")]


@hookimpl
def deadline_for(case_type, estate, priority, start):
    from plugins.repairs.sla import deadline

    return deadline(case_type, estate, priority, start)


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.repairs.queries import overdue_count_query

    if not has_permission("repairs.view", user):
        return []
    return [
        NavItem(_l("Repairs"), "repairs.index", "service", "repairs.view", 10, icon="tools",
                badge=overdue_count_query(user, estates)),
        NavItem(_l("Work orders"), "repairs.orders", "service", "repairs.view", 11, icon="clipboard-check"),
        NavItem(_l("Repair statistics"), "repairs.stats", "service", "repairs.view", 12, icon="bar-chart"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from core.i18n import estate_timezone, today_local
    from core.permissions import has_permission
    from plugins.repairs import queries

    if not estates or not has_permission("repairs.view", user):
        return []
    from plugins.repairs.labels import STATE_LABELS

    figures = queries.open_figures(user, estates)
    figures["state_labels"] = [str(STATE_LABELS[s]) for s in figures["states"]]
    return [
        Widget("repairs-open", _l("Open and overdue repairs"), "repairs/widget_open.html", figures,
               "repairs.view", sequence=20, width=6),
        Widget("repairs-trend", _l("Repair completion time"), "repairs/widget_trend.html",
               queries.trend(user, estates, today_local(), estate_timezone()), "repairs.view", sequence=21, width=6),
    ]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy.orm import selectinload

    from core.extensions import db
    from core.security import scoped
    from plugins.repairs.models import Repair

    repairs = db.session.scalars(
        scoped(Repair, user).where(Repair.unit_id == unit.id).options(selectinload(Repair.work_orders))
        .order_by(Repair.reported_at.desc()).limit(20)).all()
    from plugins.repairs.labels import CATEGORY_LABELS, STATE_LABELS

    return [Panel("repairs-unit", _l("Repairs"), "repairs/panel.html",
                  {"repairs": repairs, "unit": unit, "categories": CATEGORY_LABELS, "states": STATE_LABELS},
                  "repairs.view", sequence=30)]


@hookimpl
def search(query, user, estates, limit):
    from sqlalchemy import or_, select

    from core.hooks import _like
    from core.i18n import mask_phone
    from core.models import Unit
    from core.permissions import has_permission
    from core.security import scoped
    from core.ui import search_records
    from plugins.repairs.labels import STATE_LABELS
    from plugins.repairs.models import Repair

    if not estates or not has_permission("repairs.view", user):
        return []
    pat = _like(query)
    conds = [Repair.number.like(pat, escape="\\"),
             Repair.unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(estates),
                                                      Unit.number.like(pat, escape="\\")))]
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 4 and digits == query.replace(" ", "").replace("-", ""):
        conds.append(Repair.contact_phone.like(_like(digits), escape="\\"))
    rows = search_records(
        scoped(Repair, user, estate_ids=estates).where(or_(*conds)).order_by(Repair.id.desc()).limit(limit))
    private = has_permission("core.residents.private", user)
    return [SearchHit(_l("Repair"), f"{r.number} {r.place} · {STATE_LABELS.get(r.state, r.state)}",
                      url_for("repairs.detail", repair_id=r.id),
                      f"{r.contact_name} {r.contact_phone if private else mask_phone(r.contact_phone)}",
                      r.estate_id) for r in rows]


@hookimpl
def scheduled_jobs():
    from core.jobs import Job
    from plugins.repairs.daystats import job as day_stats
    from plugins.repairs.jobs import notify_overdue

    return [Job("repairs.notify_overdue", _l("Tell supervisors about overdue repairs"),
                timedelta(minutes=5), notify_overdue),
            Job("repairs.day_stats", _l("Compute the repair figures of days that are over"),
                timedelta(minutes=5), day_stats)]


@hookimpl
def cli_commands():
    from plugins.repairs.daystats import STORE

    return [STORE.rebuild_command("Recompute the stored day figures of the completion-time statistics.")]


@hookimpl
def demo_data(estate, users):
    from plugins.repairs.demo import create_demo

    create_demo(estate, users)


@hookimpl(optionalhook=True)
def visits_recorded(visit):
    """A return visit's result: satisfied closes the repair, not satisfied reopens it."""
    from plugins.repairs.services import on_visit

    on_visit(visit)


@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    """The estate's open repairs, offered to a shift handover (meetings plugin)."""
    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.repairs.models import OPEN_STATES, Repair

    if not has_permission("repairs.view", user):
        return []
    rows = db.session.scalars(select(Repair).where(Repair.estate_id == estate_id, Repair.state.in_(OPEN_STATES))
                              .order_by(Repair.reported_at.desc()).limit(200)).all()
    return [{"reference": r.number, "kind": _("Repair"), "url": url_for("repairs.detail", repair_id=r.id),
             "label": " ".join(x for x in (r.number, r.unit.number if r.unit else r.address, r.description[:60])
                               if x)}
            for r in rows]
