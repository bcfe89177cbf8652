"""Scheduled job: inspections whose shortcomings are not verified as put right by their deadline,
each reported once per deadline to the estate's cleaning inspectors and the inspector."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.extensions import db
from core.notify import notify_each
from core.security import users_with_permission
from plugins.cleaning.models import CleanArea, CleanCheck, CleanTask
from plugins.cleaning.services import checks_per_day, estate_today


def notify_overdue(now=None) -> str:
    rows = db.session.scalars(select(CleanCheck).where(CleanCheck.state == "open").order_by(CleanCheck.id)).all()
    done = 0
    for c in rows:
        today = estate_today(c.estate)
        if c.deadline is None or c.deadline >= today or c.overdue_notified_on == c.deadline:
            continue
        recipients = {u.id: u for u in users_with_permission(c.estate_id, "cleaning.inspect")}
        if c.inspector is not None and c.inspector.active:
            recipients[c.inspector.id] = c.inspector

        def message(c=c):
            return (_("Cleaning shortcomings of %(number)s are overdue", number=c.number),
                    _("%(area)s was to be put right by %(day)s.", area=c.area.name, day=c.deadline.isoformat()))

        notify_each(recipients.values(), message, f"/cleaning/checks/{c.id}", c.estate_id)
        c.overdue_notified_on = c.deadline
        done += 1
    return f"{done} overdue cleaning inspections notified"


def notify_missed(now=None) -> str:
    """Each active area with a plan that got fewer inspections yesterday (the estate's local day)
    than the estate's ``checks_per_day`` is reported once to the estate's cleaning inspectors;
    ``missed_notified_on`` remembers the day told, so running again (every hour) tells nothing new.
    An area added after that day was not due."""
    from core.daystats import local_midnight

    areas = db.session.scalars(select(CleanArea).where(CleanArea.active.is_(True)).order_by(CleanArea.estate_id, CleanArea.id)).all()
    inspectors: dict[int, list] = {}
    told = 0
    for a in areas:
        day = estate_today(a.estate) - timedelta(days=1)
        if a.missed_notified_on is not None and a.missed_notified_on >= day:
            continue
        a.missed_notified_on = day
        if a.created_at >= local_midnight(day + timedelta(days=1), a.estate.timezone or "Asia/Shanghai"):
            continue
        if not db.session.scalar(select(CleanTask.id).where(CleanTask.area_id == a.id, CleanTask.active.is_(True)).limit(1)):
            continue
        due = checks_per_day(a.estate_id)
        done = db.session.scalar(select(func.count()).select_from(CleanCheck).where(CleanCheck.area_id == a.id,
                                                                           CleanCheck.inspected_on == day))
        if done >= due:
            continue
        if a.estate_id not in inspectors:
            inspectors[a.estate_id] = users_with_permission(a.estate_id, "cleaning.inspect")

        def message(a=a, day=day, done=done, due=due):
            return (_("Cleaning inspection of %(area)s missed on %(day)s", area=a.name, day=day.isoformat()),
                    _("%(done)d of %(due)d inspections were recorded that day.", done=done, due=due))

        notify_each(inspectors[a.estate_id], message, f"/cleaning/areas/{a.id}", a.estate_id)
        told += 1
    return f"{told} missed cleaning inspections notified"
