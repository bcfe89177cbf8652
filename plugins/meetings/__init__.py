"""Meetings and handovers (会议/交接班): shift handover records (the outgoing shift's open
matters, what was handed over, the incoming staff's acknowledgement, the manager's signature),
morning, weekly and ad hoc meetings with their minutes signed by every participant, and action
items followed up until done. See README.md.

Other plugins offer their open cases to a handover through the ``meetings_open_matters`` hook
(``hookspecs.py``); the minutes are filed with the archives plugin when it is on.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget

#: Every standard role hands shifts over and sits in meetings.
STAFF = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")


@hookimpl
def permissions():
    return [
        Permission("meetings.view", _l("See handover records, meetings, minutes and action items"), STAFF),
        Permission("meetings.hand_over", _l("Write and acknowledge shift handover records"), STAFF),
        Permission("meetings.sign", _l("Read and sign shift handover records (manager)"), ("manager",)),
        Permission("meetings.manage", _l("Call meetings, keep minutes and follow up action items"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.meetings.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from plugins.meetings.forms import settings_spec as spec

    return [spec()]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.meetings.services import unsigned_query

    badge = unsigned_query(estates) if has_permission("meetings.sign", user) else None
    return [
        NavItem(_l("Shift handovers"), "meetings.handovers", "operations", "meetings.view", 40, badge=badge,
                icon="arrow-left-right"),
        NavItem(_l("Meetings"), "meetings.index", "operations", "meetings.view", 41, icon="people"),
        NavItem(_l("Action items"), "meetings.items", "operations", "meetings.view", 42, icon="list-check"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from core.i18n import today_local
    from plugins.meetings.services import widget_figures

    f = widget_figures(user, estates, today_local())
    return [
        Widget("meetings-unsigned", _l("Unsigned handovers"), "meetings/widget_handovers.html", {"f": f},
               "meetings.view", sequence=80, width=4),
        Widget("meetings-actions", _l("Open action items"), "meetings/widget_items.html", {"f": f},
               "meetings.view", sequence=81, width=4),
    ]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.listing import like_pattern
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.meetings.models import Meeting, ShiftHandover

    if not estates or not has_permission("meetings.view", user):
        return []
    hits = []
    rows = search_records(select(ShiftHandover).where(
        ShiftHandover.estate_id.in_(estates), or_(ShiftHandover.number == query,
                                                  ShiftHandover.number.startswith(query, autoescape=True)))
        .order_by(ShiftHandover.id.desc()).limit(limit))
    hits += [SearchHit(_l("Shift handover"), h.number, url_for("meetings.handover", shift_handover_id=h.id),
                       h.outgoing.full_name + " → " + h.incoming.full_name, h.estate_id) for h in rows]
    pat = like_pattern(query)
    rows = search_records(select(Meeting).where(
        Meeting.estate_id.in_(estates), or_(Meeting.number == query, Meeting.number.startswith(query, autoescape=True),
                                            Meeting.title.like(pat, escape="\\")))
        .order_by(Meeting.starts_at.desc()).limit(limit))
    hits += [SearchHit(_l("Meeting"), f"{m.number} {m.title}", url_for("meetings.meeting", meeting_id=m.id),
                       m.estate.name, m.estate_id) for m in rows]
    return hits[:limit]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.meetings.jobs import notify_overdue, plan_weekly

    return [Job("meetings.notify_overdue", _l("Tell owners about overdue action items of meetings"),
                timedelta(hours=1), notify_overdue),
            Job("meetings.plan_weekly", _l("Call next week's weekly meeting of each estate"),
                timedelta(days=1), plan_weekly)]


@hookimpl
def demo_data(estate, users):
    from plugins.meetings.demo import load

    load(estate, users)
