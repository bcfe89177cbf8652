"""The scheduled job: an overdue action item (still open after its due day, in its estate's local
time) is reported once to its owner and to the estate's meeting managers."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.models import Estate, User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.meetings.models import ActionItem
from plugins.meetings.services import local_day


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
