"""Patrols (巡视): routes and checkpoints with printed QR labels, patrol plans making due
patrols, checkpoint visits on a phone (OK or a problem, notes, photos), problems sent to the
repairs plugin as repair orders (channel "patrol"), to a vendor as rectification notices (vendors
plugin) or followed up here, missed checkpoints and
late patrols, today's patrol board and the printable building log (大厦管理日志). See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget

#: Every standard role patrols ("patroller: any staff").
STAFF = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")


@hookimpl
def permissions():
    return [
        Permission("patrol.view", _l("See patrols, checkpoints, problems and the building log"), STAFF),
        Permission("patrol.patrol", _l("Patrol: record checkpoint visits and write the building log"), STAFF),
        Permission("patrol.manage", _l("Set up patrol routes, checkpoints and plans; follow up problems"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.patrol.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    return [
        NavItem(_l("Patrols"), "patrol.index", "operations", "patrol.view", 10, icon="signpost-split"),
        NavItem(_l("Building log"), "patrol.log", "operations", "patrol.view", 11, icon="journal-text"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from core.i18n import estate_timezone
    from plugins.patrol.services import today_figures

    return [Widget("patrol-today", _l("Patrols today"), "patrol/widget.html",
                   {"f": today_figures(estates, tz=estate_timezone())}, "patrol.view", sequence=70, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.listing import like_pattern
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.patrol.models import PatrolCheckpoint

    if not estates or not has_permission("patrol.view", user):
        return []
    pat = like_pattern(query)
    rows = search_records(select(PatrolCheckpoint).where(
        PatrolCheckpoint.estate_id.in_(estates),
        or_(PatrolCheckpoint.code == query, PatrolCheckpoint.code.startswith(query, autoescape=True),
            PatrolCheckpoint.name.like(pat, escape="\\")))
        .order_by(PatrolCheckpoint.code).limit(limit))
    return [SearchHit(_l("Checkpoint"), f"{c.code} {c.name}", url_for("patrol.checkpoint", checkpoint_id=c.id),
                      c.route.name, c.estate_id) for c in rows]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.patrol.jobs import make_due

    return [Job("patrol.make_due", _l("Make the patrols the patrol plans call for today and tomorrow"),
                timedelta(hours=1), make_due)]


@hookimpl(optionalhook=True)
def repairs_completed(repair):
    from plugins.patrol.services import on_repair_done

    on_repair_done(repair)


@hookimpl(optionalhook=True)
def repairs_reopened(repair, reason):
    from plugins.patrol.services import on_repair_reopened

    on_repair_reopened(repair)


@hookimpl(optionalhook=True)
def vendors_rectification_closed(rectification):
    from plugins.patrol.services import on_rectification_closed

    on_rectification_closed(rectification)


@hookimpl
def demo_data(estate, users):
    from plugins.patrol.demo import load

    load(estate, users)
