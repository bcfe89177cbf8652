"""Scheduled job: tell each estate's supervisors, once, about every repair that went overdue."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.i18n import fmt_datetime
from core.models import User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.repairs.labels import CATEGORY_LABELS
from plugins.repairs.models import Repair
from plugins.repairs.queries import overdue_clause

BATCH = 500


def supervisors_of(estate_id: int) -> list[User]:
    """Active members of the estate whose role may dispatch repairs (the customer service supervisors)."""
    return users_with_permission(estate_id, "repairs.dispatch")


def _message(repair: Repair) -> tuple[str, str]:
    title = _("Repair %(n)s is overdue", n=repair.number)
    body = _("%(place)s · %(what)s · reported by %(who)s. It was due %(due)s.",
             place=repair.place, what=str(CATEGORY_LABELS.get(repair.category, repair.category)),
             who=repair.contact_name, due=fmt_datetime(repair.due_at, tz=repair.estate.timezone))
    return title, body


def notify_overdue() -> str:
    """Each overdue repair is reported once (``overdue_notified_at``); reopening arms it again."""
    now = utcnow()
    repairs = db.session.scalars(
        select(Repair).where(overdue_clause(now), Repair.overdue_notified_at.is_(None))
        .order_by(Repair.estate_id, Repair.due_at).limit(BATCH)).all()
    supervisors: dict[int, list[User]] = {}
    sent = 0
    for repair in repairs:
        if repair.estate_id not in supervisors:
            supervisors[repair.estate_id] = supervisors_of(repair.estate_id)
        sent += notify_each(supervisors[repair.estate_id], lambda repair=repair: _message(repair),
                            link=f"/repairs/{repair.id}", estate_id=repair.estate_id)
        repair.overdue_notified_at = now
    return f"{len(repairs)} overdue repairs, {sent} notifications"
