"""The scheduled job: a rectification notice past its deadline is reported once (per deadline) to
the inspector and to the estate's supervisors (those who approve decoration)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.models import User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.decoration.models import Inspection
from plugins.decoration.services import estate_today


def notify_overdue(now=None) -> str:
    now = now or utcnow()
    rows = db.session.scalars(select(Inspection).where(
        Inspection.violation.is_(True), Inspection.rectified_at.is_(None), Inspection.deadline.is_not(None),
        Inspection.alerted_at.is_(None)).order_by(Inspection.id)).all()
    supervisors: dict[int, list[User]] = {}
    sent = 0
    for insp in rows:
        app = insp.application
        if insp.deadline >= estate_today(app.estate):
            continue
        if insp.estate_id not in supervisors:
            supervisors[insp.estate_id] = users_with_permission(insp.estate_id, "decoration.approve")
        recipients = {u.id: u for u in supervisors[insp.estate_id]}
        if insp.inspector is not None and insp.inspector.active:
            recipients[insp.inspector.id] = insp.inspector

        def message(insp=insp, app=app):
            return (_("Rectification %(number)s is overdue", number=insp.notice_number),
                    _("Unit %(unit)s (%(contractor)s) was to rectify by %(day)s: %(action)s", unit=app.unit.number,
                      contractor=app.contractor, day=insp.deadline.isoformat(), action=insp.required_action))

        notify_each(recipients.values(), message, f"/decoration/{app.id}", insp.estate_id)
        insp.alerted_at = now
        sent += 1
    return f"{sent} overdue rectification notices reported"
