"""Scheduled job: inspections whose shortcomings are not verified as put right by their deadline,
each reported once per deadline to the estate's greening inspectors and the inspector."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.notify import notify_each
from core.security import users_with_permission
from plugins.greening.models import GreenCheck
from plugins.greening.services import estate_today


def notify_overdue(now=None) -> str:
    rows = db.session.scalars(select(GreenCheck).where(GreenCheck.state == "open").order_by(GreenCheck.id)).all()
    done = 0
    for c in rows:
        today = estate_today(c.estate)
        if c.deadline is None or c.deadline >= today or c.overdue_notified_on == c.deadline:
            continue
        recipients = {u.id: u for u in users_with_permission(c.estate_id, "greening.inspect")}
        if c.inspector is not None and c.inspector.active:
            recipients[c.inspector.id] = c.inspector

        def message(c=c):
            return (_("Greening shortcomings of %(number)s are overdue", number=c.number),
                    _("%(area)s was to be put right by %(day)s.", area=c.area.name, day=c.deadline.isoformat()))

        notify_each(recipients.values(), message, f"/greening/checks/{c.id}", c.estate_id)
        c.overdue_notified_on = c.deadline
        done += 1
    return f"{done} overdue greening inspections notified"
