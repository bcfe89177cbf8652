"""Shifts and attendance (排班考勤): shift patterns and posts per estate, next month's schedule built
on a calendar grid and published in versions, swaps and changes approved by the supervisor first,
holiday schedules published a week ahead, leave and leaving the post approved, attendance by
clocking in and out or daily marks, and the monthly attendance report prepared by a job, confirmed
by the supervisor and frozen. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget

_EVERYONE = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")


@hookimpl
def permissions():
    return [
        Permission("shifts.own", _l("Have shifts: see one's own schedule and attendance, clock in and out, "
                                    "ask for swaps and leave"), _EVERYONE),
        Permission("shifts.view", _l("See the estate's schedules, who is on duty and the attendance"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("shifts.plan", _l("Set shift patterns and posts, build and publish schedules, mark attendance"),
                   ("manager", "supervisor")),
        Permission("shifts.approve", _l("Approve swaps, changes and leave; confirm the monthly attendance report"),
                   ("manager", "supervisor")),
        Permission("shifts.reports", _l("Receive the confirmed monthly attendance reports (administration, HR)"),
                   ("manager",)),
    ]


@hookimpl
def blueprints():
    from plugins.shifts.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.shifts.forms import SettingsForm
    from plugins.shifts.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Shifts and attendance"), SettingsForm, dict(DEFAULTS), scope="estate",
                         permission="shifts.plan")]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.shifts.services import pending_count_query

    badge = pending_count_query(estates) if has_permission("shifts.approve", user) else None
    return [
        NavItem(_l("Schedules"), "shifts.index", "operations", "shifts.view", 80, badge=badge, icon="calendar3"),
        NavItem(_l("My schedule"), "shifts.mine", "operations", "shifts.own", 81, icon="person-workspace"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from core.extensions import db
    from core.models import Estate, utcnow
    from core.permissions import has_permission
    from plugins.shifts.services import estate_today, on_duty, report_reminder

    now = utcnow()
    rows, today = [], None
    for estate_id in (estates or [])[:5]:
        estate = db.session.get(Estate, estate_id)
        today = estate_today(estate, now)
        rows.extend((estate, e, e.starts_at <= now < e.ends_at) for e in on_duty(estate_id, today))
    reminders = report_reminder(estates, today) if today and has_permission("shifts.approve", user) else []
    return [Widget("shifts-today", _l("Today's shifts and who is on duty"), "shifts/widget.html",
                   {"rows": rows, "reminders": reminders}, "shifts.view", sequence=20, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import select

    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.shifts.models import ShiftPattern

    if not estates or not has_permission("shifts.view", user):
        return []
    rows = search_records(select(ShiftPattern).where(
        ShiftPattern.estate_id.in_(estates),
        (ShiftPattern.code == query) | ShiftPattern.name.contains(query, autoescape=True))
        .order_by(ShiftPattern.estate_id, ShiftPattern.starts).limit(limit))
    hits = [SearchHit(_l("Shift"), f"{p.code} {p.name}", url_for("shifts.today", estate_id=p.estate_id),
                      f"{p.starts:%H:%M}–{p.ends:%H:%M}", p.estate_id) for p in rows]
    # A member of staff by name: their shift today (who is on duty).
    from core.i18n import today_local
    from core.models import User
    from plugins.shifts.models import Roster, RosterEntry

    published = select(Roster.id).where(Roster.estate_id.in_(estates), Roster.state == "published")
    people = select(User.id).where(User.full_name.contains(query, autoescape=True))
    cells = search_records(select(RosterEntry).where(
        RosterEntry.estate_id.in_(estates), RosterEntry.day == today_local(), RosterEntry.roster_id.in_(published),
        RosterEntry.user_id.in_(people)).order_by(RosterEntry.starts_at).limit(limit))
    hits += [SearchHit(_l("On duty today"), f"{e.user.full_name} · {e.pattern.code} {e.pattern.name}",
                       url_for("shifts.today", estate_id=e.estate_id),
                       f"{e.pattern.starts:%H:%M}–{e.pattern.ends:%H:%M}", e.estate_id) for e in cells]
    return hits[:limit]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.shifts.jobs import prepare_reports

    return [Job("shifts.prepare_reports", _l("Prepare the monthly attendance reports before their day"),
                timedelta(hours=6), prepare_reports)]


@hookimpl
def demo_data(estate, users):
    from plugins.shifts.demo import load

    load(estate, users)
