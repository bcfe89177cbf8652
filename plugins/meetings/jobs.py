"""The scheduled jobs: an overdue action item (still open after its due day, in its estate's local
time) is reported once to its owner and to the estate's meeting managers; next week's weekly
meeting is called at the estate's slot, once per week and estate (``plan_weekly``)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import acting_as
from core.extensions import db
from core.i18n import fmt_datetime
from core.models import Estate, User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.meetings.models import ActionItem
from plugins.meetings.services import local_day, plan_next_weekly


def notify_overdue(now=None) -> str:
    now = now or utcnow()
    items = db.session.scalars(select(ActionItem).where(
        ActionItem.state == "open", ActionItem.overdue_notified_at.is_(None)).order_by(ActionItem.id)).all()
    managers: dict[int, list[User]] = {}
    count = 0
    for item in items:
        estate = db.session.get(Estate, item.estate_id)
        if item.due_on >= local_day(now, estate):
            continue
        if item.estate_id not in managers:
            managers[item.estate_id] = users_with_permission(item.estate_id, "meetings.manage")
        recipients = {u.id: u for u in managers[item.estate_id]}
        if item.owner is not None and item.owner.active:
            recipients[item.owner.id] = item.owner

        def message(item=item):
            return (_("Action item overdue: %(text)s", text=item.text[:80]),
                    _("%(name)s was to finish it by %(due)s (meeting %(number)s).", name=item.owner.full_name,
                      due=item.due_on.isoformat(), number=item.meeting.number))

        notify_each(recipients.values(), message, f"/meetings/items/{item.id}", item.estate_id)
        item.overdue_notified_at = now
        count += 1
    return f"{count} overdue action items notified"


def plan_weekly(now=None) -> str:
    """Every active estate gets its weekly meeting of next week (Monday to Sunday, local time) at
    its slot (settings ``weekly_weekday``/``weekly_time``), unless a weekly meeting of that week
    exists already (called by hand, by an earlier run, or cancelled): so once per week and estate,
    however often the job runs. The attendees are told."""
    now = now or utcnow()
    made = 0
    for estate in db.session.scalars(select(Estate).where(Estate.active.is_(True)).order_by(Estate.id)).all():
        with acting_as(None):
            meeting = plan_next_weekly(estate, now)
        if meeting is None:
            continue
        db.session.flush()
        made += 1

        def message(meeting=meeting, estate=estate):
            return (_("Weekly meeting called: %(when)s", when=fmt_datetime(meeting.starts_at, tz=estate.timezone)),
                    _("%(title)s (%(number)s) of %(estate)s. Minute-taker: %(name)s.", title=meeting.title,
                      number=meeting.number, estate=estate.name, name=meeting.minute_taker.full_name))

        notify_each([a.user for a in meeting.attendees], message, f"/meetings/m/{meeting.id}", estate.id)
    return f"{made} weekly meetings called"
