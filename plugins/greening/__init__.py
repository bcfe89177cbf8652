"""Greening (绿化): green areas of the estate with their work plan by season (watering, pruning,
fertilising, pest control), daily inspections at the frequency the estate sets (OK / shortcoming
per task, photos), shortcomings sent to rework or — through the vendors plugin's
``raise_rectification`` when it is enabled — to the vendor, then verified; indoor plant services
for businesses (requests, visits); the inspection pass rate per area and vendor per month.
See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("greening.view", _l("See green areas, plans, inspections and indoor plant services (own estates)"),
                   ("manager", "supervisor", "clerk", "cleaning")),
        Permission("greening.inspect", _l("Inspect greening, verify rework, record indoor plant visits"),
                   ("manager", "supervisor", "cleaning")),
        Permission("greening.manage", _l("Manage green areas, seasonal work plans and indoor plant services"),
                   ("manager", "supervisor", "cleaning")),
    ]


@hookimpl
def blueprints():
    from plugins.greening.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.greening.forms import SettingsForm
    from plugins.greening.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Greening"), SettingsForm, dict(DEFAULTS), scope="estate",
                         permission="greening.manage")]


def _today():
    from core.i18n import today_local

    return today_local()


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.greening.services import overdue_count_query

    badge = overdue_count_query(estates, _today()) if has_permission("greening.view", user) else None
    return [NavItem(_l("Greening"), "greening.index", "operations", "greening.view", 81, badge=badge,
                    icon="tree")]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.greening.models import GreenCheck
    from plugins.greening.services import open_filter, overdue_filter, today_board

    today = _today()
    ids = estates or [0]
    board = today_board(ids, today)
    opened, overdue = db.session.execute(select(
        func.count().filter(open_filter()), func.count().filter(overdue_filter(today)))
        .select_from(GreenCheck).where(GreenCheck.estate_id.in_(ids))).one()
    return [Widget("greening-today", _l("Greening inspections today"), "greening/widget.html",
                   {"done": sum(1 for r in board if r["done"] >= r["due"]), "areas": len(board),
                    "due": [r for r in board if r["done"] < r["due"]][:5], "opened": opened, "overdue": overdue},
                   "greening.view", sequence=81, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.greening.models import GreenArea

    if not estates or not has_permission("greening.view", user):
        return []
    rows = db.session.execute(
        select(GreenArea.id, GreenArea.name, GreenArea.location, GreenArea.estate_id)
        .where(GreenArea.estate_id.in_(estates),
               or_(GreenArea.name.contains(query, autoescape=True), GreenArea.location.contains(query, autoescape=True)))
        .order_by(GreenArea.name).limit(limit)).all()
    return [SearchHit(_l("Green area"), r.name, url_for("greening.area", green_area_id=r.id), r.location,
                      r.estate_id) for r in rows]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.greening.jobs import notify_missed, notify_overdue

    return [Job("greening.notify_overdue", _l("Warn about greening shortcomings not put right by their deadline"),
                timedelta(hours=1), notify_overdue),
            Job("greening.notify_missed", _l("Warn once about the greening inspections due and not done, up to a week back"),
                timedelta(hours=1), notify_missed)]



@hookimpl(optionalhook=True)
def vendors_rectification_closed(rectification, user, checked_on):
    from plugins.greening.services import on_rectification_closed

    on_rectification_closed(rectification, user, checked_on)


@hookimpl
def demo_data(estate, users):
    from plugins.greening.demo import load

    load(estate, users)
