"""The scheduled job: overdue return visits are reported once to the visitor and the supervisors."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.i18n import fmt_datetime
from core.models import User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.visits.models import ReturnVisit
from plugins.visits.services import overdue_filter


def supervisors_of(estate_id: int) -> list[User]:
    """Staff who belong to the estate (not company-wide accounts) and manage its visits."""
    return users_with_permission(estate_id, "visits.manage")


def notify_overdue(now=None) -> str:
    now = now or utcnow()
    visits = db.session.scalars(select(ReturnVisit).where(
        overdue_filter(now), ReturnVisit.overdue_notified_at.is_(None)).order_by(ReturnVisit.id)).all()
    supervisors: dict[int, list[User]] = {}
    for visit in visits:
        if visit.estate_id not in supervisors:
            supervisors[visit.estate_id] = supervisors_of(visit.estate_id)
        recipients = {u.id: u for u in supervisors[visit.estate_id]}
        if visit.assigned_to is not None and visit.assigned_to.active:
            recipients[visit.assigned_to.id] = visit.assigned_to

        def message(visit=visit):
            return (_("Return visit %(n)s is overdue", n=visit.number),
                    _("%(contact)s %(unit)s was due to be visited by %(due)s.", contact=visit.contact_name,
                      unit=visit.unit.number if visit.unit else "",
                      due=fmt_datetime(visit.due_at, tz=visit.estate.timezone)))

        notify_each(recipients.values(), message, f"/visits/{visit.id}", visit.estate_id)
        visit.overdue_notified_at = now
    return f"{len(visits)} overdue return visits notified"
