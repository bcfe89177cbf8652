"""Community activities (社区文化): yearly plans per estate, approval, residents' sign-up within
a capacity, attendance, spending against the budget, photos and the summary. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("activities.view", _l("See community activities, their sign-ups, spending and reports"),
                   ("manager", "supervisor", "clerk", "frontdesk", "archivist")),
        Permission("activities.manage", _l("Plan activities, sign residents up, record attendance, spending and "
                                           "the summary"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("activities.approve", _l("Approve or refuse activity plans"), ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.activities.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.activities.services import awaiting_count_query

    badge = awaiting_count_query(estates) if has_permission("activities.approve", user) else None
    return [
        NavItem(_l("Community activities"), "activities.index", "operations", "activities.view", 60, badge=badge,
                icon="balloon"),
        NavItem(_l("Yearly activity plan"), "activities.year_plan", "operations", "activities.view", 61,
                icon="calendar3"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from core.extensions import db
    from plugins.activities.services import awaiting_count_query
    from plugins.activities.views import upcoming

    return [Widget("activities", _l("Community activities"), "activities/widget.html",
                   {"upcoming": upcoming(estates), "awaiting": db.session.scalar(awaiting_count_query(estates))},
                   "activities.view", sequence=90, width=4)]


@hookimpl
def resident_panels(resident, user):
    from core.security import user_estate_ids
    from plugins.activities.forms import STATE_LABELS
    from plugins.activities.services import resident_signups

    rows = resident_signups(resident.id, user_estate_ids(user))
    return [Panel("activities-resident", _l("Community activities"), "activities/panel.html",
                  {"signups": rows, "labels": STATE_LABELS}, "activities.view", sequence=90)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.i18n import fmt_datetime
    from core.listing import like_pattern
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.activities.models import Activity

    if not estates or not has_permission("activities.view", user):
        return []
    pat = like_pattern(query)
    rows = search_records(select(Activity).where(
        Activity.estate_id.in_(estates), or_(Activity.theme.like(pat, escape="\\"), Activity.number == query))
        .order_by(Activity.starts_at.desc()).limit(limit))
    return [SearchHit(_l("Community activity"), f"{a.number} {a.theme}",
                      url_for("activities.detail", activity_id=a.id),
                      " · ".join((fmt_datetime(a.starts_at), a.place)), a.estate_id) for a in rows]


@hookimpl
def demo_data(estate, users):
    from plugins.activities.demo import load

    load(estate, users)
