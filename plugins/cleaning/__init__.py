"""Cleaning (保洁): areas of the estate with their work plan (daily, weekly, monthly tasks),
daily inspections at the frequency the estate sets (OK / shortcoming per task, photos),
shortcomings sent to rework or — through the vendors plugin's ``raise_rectification`` when it is
enabled — to the vendor, then verified; pest control ("four pests") and disinfection plans and
their records; training of the cleaning staff; the inspection pass rate per area and vendor per
month. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("cleaning.view", _l("See cleaning areas, plans, inspections, pest control and training (own estates)"),
                   ("manager", "supervisor", "clerk", "cleaning")),
        Permission("cleaning.inspect", _l("Inspect cleaning, verify rework, record pest control and disinfection"),
                   ("manager", "supervisor", "cleaning")),
        Permission("cleaning.manage", _l("Manage cleaning areas, work plans, pest control plans and training records"),
                   ("manager", "supervisor", "cleaning")),
    ]


@hookimpl
def blueprints():
    from plugins.cleaning.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.cleaning.forms import SettingsForm
    from plugins.cleaning.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Cleaning"), SettingsForm, dict(DEFAULTS), scope="estate",
                         permission="cleaning.manage")]


def _today():
    from core.i18n import today_local

    return today_local()


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.cleaning.services import overdue_count_query

    badge = overdue_count_query(estates, _today()) if has_permission("cleaning.view", user) else None
    return [NavItem(_l("Cleaning"), "cleaning.index", "operations", "cleaning.view", 80, badge=badge,
                    icon="stars")]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.cleaning.models import CleanCheck
    from plugins.cleaning.services import open_filter, overdue_filter, today_board

    today = _today()
    ids = estates or [0]
    board = today_board(ids, today)
    opened, overdue = db.session.execute(select(
        func.count().filter(open_filter()), func.count().filter(overdue_filter(today)))
        .select_from(CleanCheck).where(CleanCheck.estate_id.in_(ids))).one()
    return [Widget("cleaning-today", _l("Cleaning inspections today"), "cleaning/widget.html",
                   {"done": sum(1 for r in board if r["done"] >= r["due"]), "areas": len(board),
                    "due": [r for r in board if r["done"] < r["due"]][:5], "opened": opened, "overdue": overdue},
                   "cleaning.view", sequence=80, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.cleaning.models import CleanArea

    if not estates or not has_permission("cleaning.view", user):
        return []
    rows = db.session.execute(
        select(CleanArea.id, CleanArea.name, CleanArea.location, CleanArea.estate_id)
        .where(CleanArea.estate_id.in_(estates),
               or_(CleanArea.name.contains(query, autoescape=True), CleanArea.location.contains(query, autoescape=True)))
        .order_by(CleanArea.name).limit(limit)).all()
    return [SearchHit(_l("Cleaning area"), r.name, url_for("cleaning.area", clean_area_id=r.id), r.location,
                      r.estate_id) for r in rows]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.cleaning.jobs import notify_missed, notify_overdue

    return [Job("cleaning.notify_overdue", _l("Warn about cleaning shortcomings not put right by their deadline"),
                timedelta(hours=1), notify_overdue),
            Job("cleaning.notify_missed", _l("Warn once about the cleaning inspections due and not done, up to a week back"),
                timedelta(hours=1), notify_missed)]



@hookimpl(optionalhook=True)
def vendors_rectification_closed(rectification, user, checked_on):
    from plugins.cleaning.services import on_rectification_closed

    on_rectification_closed(rectification, user, checked_on)


@hookimpl
def demo_data(estate, users):
    from plugins.cleaning.demo import load

    load(estate, users)
