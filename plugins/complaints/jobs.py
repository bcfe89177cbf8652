"""Background work: the overdue reminder job and the return-visit hook's effect."""

from __future__ import annotations

import logging
from datetime import UTC

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.models import User, utcnow
from core.security import users_with_permission
from plugins.complaints.models import HANDLING, Complaint

log = logging.getLogger(__name__)


def supervisors_of(estate_id: int) -> list[User]:
    """Active staff of the estate who handle complaints (supervisors and the manager)."""
    return users_with_permission(estate_id, "complaints.handle")


def _link(complaint: Complaint) -> str:
    try:
        return url_for("complaints.detail", complaint_id=complaint.id)
    except RuntimeError:  # no request and no SERVER_NAME: a relative link still works in the app
        return f"/complaints/{complaint.id}"


def notify_overdue() -> str:
    """Tell the estate's supervisors once when a complaint passes its forward or reply deadline."""
    from core.notify import notify_each

    now = utcnow()
    late_forward = db.session.scalars(select(Complaint).where(
        Complaint.state == "recorded", Complaint.forward_due_at < now,
        Complaint.forward_overdue_notified_at.is_(None))).all()
    late_reply = db.session.scalars(select(Complaint).where(
        Complaint.state.in_(HANDLING), Complaint.reply_due_at < now,
        Complaint.reply_overdue_notified_at.is_(None))).all()
    sent = 0
    cache: dict[int, list[User]] = {}
    for complaint, stage in [(c, "forward") for c in late_forward] + [(c, "reply") for c in late_reply]:
        people = cache.setdefault(complaint.estate_id, supervisors_of(complaint.estate_id))
        if stage == "forward":
            complaint.forward_overdue_notified_at = now
        else:
            complaint.reply_overdue_notified_at = now

        def message(complaint=complaint, stage=stage):
            if stage == "forward":
                title = _("Complaint %(n)s was not forwarded in time", n=complaint.number)
            else:
                title = _("Complaint %(n)s is past its reply deadline", n=complaint.number)
            return title, f"{complaint.contact_name}: {complaint.content[:120]}"

        sent += notify_each(people, message, _link(complaint), complaint.estate_id)
    return f"{len(late_forward) + len(late_reply)} overdue complaints, {sent} notifications"


def apply_visit(visit) -> None:
    """Apply a ``visits_recorded`` result to the complaint it was about."""
    from plugins.complaints import services

    complaint = db.session.get(Complaint, getattr(visit, "source_id", None) or 0)
    if complaint is None or complaint.estate_id != getattr(visit, "estate_id", complaint.estate_id):
        log.warning("return visit %s names no complaint of its estate", getattr(visit, "id", None))
        return
    satisfied = getattr(visit, "satisfied", None)
    if satisfied is None or complaint.state != "closed":
        return  # not decided yet, or already confirmed / reopened by another visit
    at = getattr(visit, "visited_at", None) or utcnow()
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    at = min(max(at, complaint.closed_at), utcnow())
    user = db.session.get(User, visit.visited_by_id) if getattr(visit, "visited_by_id", None) else None
    remarks = getattr(visit, "remarks", "") or ""
    number = getattr(visit, "number", None) or getattr(visit, "id", "")
    if satisfied:
        services.confirm_visit(user, complaint, True, remarks, at)
    else:
        services.reopen(user, complaint, f"{number}: {remarks or '—'}", at)
