"""Scheduled job: tell each estate's arrears chasers how many units are due for a reminder.

Once a day per estate at most (idempotent: the notification of the day is looked up before
another is sent), one notification per user with the count — never one per unit. A unit is
due when its oldest overdue bill is at least ``reminder_min_months`` old and it has had no
reminder of any kind within ``reminder_interval_days`` (estate settings).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from core.extensions import db
from core.jobs import Job
from core.models import Estate, Notification, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.fees.arrears import due_for_reminder
from plugins.fees.ledger import business_date_of
from plugins.fees.settings import setting


def link_for(estate_id: int, day) -> str:
    """The notification's link: the estate's arrears list; the day makes it the key of the day."""
    return f"/fees/arrears?estate={estate_id}&due=1&as_of={day.isoformat()}"


def notify_arrears(now=None) -> str:
    now = now or utcnow()
    estates = db.session.scalars(select(Estate).where(Estate.active.is_(True)).order_by(Estate.id)).all()
    sent = units_total = 0
    for estate in estates:
        day = business_date_of(estate, now)
        link = link_for(estate.id, day)
        if db.session.scalar(select(Notification.id).where(Notification.estate_id == estate.id,
                                                           Notification.link == link).limit(1)):
            continue
        count = due_for_reminder(estate.id, day, int(setting("reminder_min_months", estate.id)),
                                 int(setting("reminder_interval_days", estate.id)), now)
        if not count:
            continue
        units_total += count

        def message(estate=estate, count=count):
            return (ngettext("%(num)d unit in %(estate)s is due for an arrears reminder",
                             "%(num)d units in %(estate)s are due for an arrears reminder", count,
                             estate=estate.name),
                    _("Their oldest unpaid bill is overdue by at least %(months)s months and they have not "
                      "been reminded for %(days)s days. Print the reminder notices from the arrears list.",
                      months=setting("reminder_min_months", estate.id),
                      days=setting("reminder_interval_days", estate.id)))

        sent += notify_each(users_with_permission(estate.id, "fees.arrears"), message, link=link,
                            estate_id=estate.id)
    return f"{units_total} units due for a reminder, {sent} notifications"


def scheduled_jobs() -> list[Job]:
    return [Job("fees.notify_arrears", _l("Tell the arrears chasers which units are due for a reminder"),
                timedelta(hours=1), notify_arrears)]
