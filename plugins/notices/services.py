"""Notice services: every state change is one function (draft → published → withdrawn)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db
from core.models import Building, utcnow
from core.numbering import next_number
from core.plugins import hook
from core.security import user_estate_ids
from plugins.notices.models import CATEGORIES, Notice


def _check(user, *, estate_id: int, title: str, body: str, category: str, buildings: str,
           posted_from: date, posted_until: date | None) -> str:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    if not title:
        raise DomainError(_("Enter a title."), "title")
    if not body:
        raise DomainError(_("Write the text of the notice."), "body")
    if category not in CATEGORIES:
        raise DomainError(_("Choose a category."), "category")
    if posted_until and posted_until < posted_from:
        raise DomainError(_("The notice cannot come down before it goes up."), "posted_until")
    codes = [b.strip() for b in (buildings or "").replace("，", ",").split(",") if b.strip()]
    if codes:
        known = set(db.session.scalars(select(Building.code).where(Building.estate_id == estate_id)))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise DomainError(_("No such building in this estate: %(b)s", b=", ".join(unknown)), "buildings")
    return ",".join(codes)


def save_draft(user, notice: Notice | None = None, **fields) -> Notice:
    if notice is not None and notice.state != "draft":
        raise DomainError(_("Only a draft can be edited; withdraw and write a new notice."))
    fields["buildings"] = _check(user, **fields)
    if notice is None:
        notice = Notice(state="draft")
        db.session.add(notice)
    for key, value in fields.items():
        setattr(notice, key, value)
    return notice


def publish(user, notice: Notice) -> Notice:
    """Give the notice its number and post it; fires ``notices_published``."""
    if notice.state != "draft":
        raise DomainError(_("Only a draft can be published."))
    notice.number = next_number("TZ", notice.estate_id, gapless=True)
    notice.state = "published"
    notice.published_at = utcnow()
    db.session.flush()
    hook("notices_published")(notice=notice)
    return notice


def withdraw(user, notice: Notice, reason: str) -> Notice:
    if notice.state != "published":
        raise DomainError(_("Only a published notice can be withdrawn."))
    if not reason or len(reason.strip()) < 2:
        raise DomainError(_("Say why the notice is withdrawn."), "reason")
    notice.state = "withdrawn"
    notice.withdraw_reason = reason.strip()[:500]
    return notice


def in_effect_for(estate_ids: list[int], day: date, building_code: str | None = None):
    stmt = select(Notice).where(
        Notice.estate_id.in_(estate_ids), Notice.state == "published", Notice.posted_from <= day,
        (Notice.posted_until.is_(None)) | (Notice.posted_until >= day),
    ).order_by(Notice.posted_from.desc())
    notices = db.session.scalars(stmt).all()
    if building_code is None:
        return notices
    return [n for n in notices if not n.building_codes() or building_code in n.building_codes()]
