"""Return visit services: every state change is one function raising a translated DomainError.

planned → done (``record_result``, fires ``visits_recorded``) | missed (``mark_missed``) |
cancelled (``cancel``). Visits are planned by the source plugins' hooks (``plan_for_source``),
by hand (``plan_single``) or in routine batches (``plan_batch`` in :mod:`plugins.visits.batches`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db
from core.models import Estate, Unit, User, utcnow
from core.numbering import next_number
from core.permissions import has_permission
from core.plugins import hook
from core.security import user_estate_ids
from plugins.visits.models import KINDS, METHODS, ReturnVisit, Visitor
from plugins.visits.rules import due_after

CLOCK_SKEW = timedelta(minutes=5)


# -- designated visitors -------------------------------------------------------
def _check_estate(user, estate_id) -> Estate:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def active_visitors(estate_id: int) -> list[Visitor]:
    return list(db.session.scalars(
        select(Visitor).where(Visitor.estate_id == estate_id, Visitor.active.is_(True)).order_by(Visitor.user_id)))


def is_designated(user, estate_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(Visitor).where(
        Visitor.estate_id == estate_id, Visitor.user_id == user.id, Visitor.active.is_(True))) > 0


def designate(user, *, estate_id: int, user_id: int, note: str = "") -> Visitor:
    """The supervisor designates a member of staff to make return visits in an estate."""
    _check_estate(user, estate_id)
    staff = db.session.get(User, user_id) if user_id else None
    if staff is None or not staff.active or not set(user_estate_ids(staff)) & set(user_estate_ids(user)):
        # Staff who share no estate with the supervisor are as unknown as a wrong id: not named.
        raise DomainError(_("Choose a member of staff."), "user_id")
    if estate_id not in user_estate_ids(staff):
        raise DomainError(_("%(name)s does not work in this estate.", name=staff.full_name), "user_id")
    if not has_permission("visits.record", staff):
        raise DomainError(_("%(name)s may not record return visits (their role lacks it).",
                            name=staff.full_name), "user_id")
    row = db.session.scalar(select(Visitor).where(Visitor.estate_id == estate_id, Visitor.user_id == user_id))
    if row is not None and row.active:
        raise DomainError(_("%(name)s is already a designated visitor here.", name=staff.full_name), "user_id")
    if row is None:
        row = Visitor(estate_id=estate_id, user_id=user_id)
        db.session.add(row)
    row.active = True
    row.note = (note or "").strip()[:200]
    db.session.flush()
    return row


def withdraw_visitor(user, visitor: Visitor) -> Visitor:
    """End a designation (kept for the record; open visits stay assigned until reassigned)."""
    _check_estate(user, visitor.estate_id)
    if not visitor.active:
        raise DomainError(_("This designation has already ended."))
    visitor.active = False
    return visitor


def pick_visitor(estate_id: int) -> int | None:
    """The designated visitor with the fewest open visits in the estate (lowest id on a tie)."""
    visitors = [v.user_id for v in active_visitors(estate_id)]
    if not visitors:
        return None
    load = dict(db.session.execute(
        select(ReturnVisit.assigned_to_id, func.count()).where(
            ReturnVisit.estate_id == estate_id, ReturnVisit.state == "planned",
            ReturnVisit.assigned_to_id.in_(visitors)).group_by(ReturnVisit.assigned_to_id)).all())
    return min(visitors, key=lambda uid: (load.get(uid, 0), uid))


def may_record(user, visit: ReturnVisit) -> bool:
    """Designated visitors of the visit's estate record visits; so may those who manage visits."""
    if not has_permission("visits.record", user):
        return False
    if visit.estate_id not in user_estate_ids(user):
        return False
    return has_permission("visits.manage", user) or is_designated(user, visit.estate_id)


# -- planning ------------------------------------------------------------------
def _aware(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def end_of_day(day, estate: Estate) -> datetime:
    """23:59:59 of ``day`` in the estate's time zone, as aware UTC."""
    local = datetime.combine(day, time(23, 59, 59), ZoneInfo(estate.timezone or "Asia/Shanghai"))
    return local.astimezone(UTC)


def open_visit_for(source_type: str, source_id: int) -> ReturnVisit | None:
    return db.session.scalar(select(ReturnVisit).where(
        ReturnVisit.source_type == source_type, ReturnVisit.source_id == source_id,
        ReturnVisit.state == "planned").order_by(ReturnVisit.id))


def _new_visit(estate_id: int, **fields) -> ReturnVisit:
    visit = ReturnVisit(estate_id=estate_id, number=next_number("HF", estate_id), state="planned", **fields)
    db.session.add(visit)
    return visit


SUMMARY_MAX = 200


def summary_of(source) -> str:
    """What ``source`` was about, on one line and at most :data:`SUMMARY_MAX` characters
    (an ellipsis says it was cut)."""
    text = getattr(source, "description", None) or getattr(source, "content", None) or ""
    text = " ".join(str(text).split())
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1] + "…"


def plan_for_source(source_type: str, source, event_at: datetime | None) -> ReturnVisit:
    """Plan the return visit a completed repair or closed complaint needs (idempotent).

    ``source`` has ``id, number, estate_id, unit_id, contact_name, contact_phone, category``,
    and what it was about as ``description`` (a repair) or ``content`` (a complaint), of which
    the visit keeps the first 200 characters (:func:`summary_of`).
    When a visit for the same source is still open, that one is returned and nothing is added.
    """
    existing = open_visit_for(source_type, source.id)
    if existing is not None:
        return existing
    event_at = _aware(event_at)
    visit = _new_visit(
        source.estate_id, unit_id=getattr(source, "unit_id", None), source_type=source_type,
        source_id=source.id, source_number=str(getattr(source, "number", "") or "")[:40],
        source_category=str(getattr(source, "category", "") or "")[:40],
        source_summary=summary_of(source),
        contact_name=str(getattr(source, "contact_name", "") or "")[:100],
        contact_phone=str(getattr(source, "contact_phone", "") or "")[:30],
        event_at=event_at, due_at=due_after(source_type, source.estate_id, event_at),
        assigned_to_id=pick_visitor(source.estate_id))
    db.session.flush()
    return visit


def cancel_for_source(source_type: str, source_id: int, reason: str) -> ReturnVisit | None:
    """The source case was reopened before its visit: the open visit is cancelled, not missed."""
    visit = open_visit_for(source_type, source_id)
    if visit is not None:
        visit.state = "cancelled"
        visit.closed_reason = (reason or "")[:500]
    return visit


def find_unit(estate_id: int, number: str, field: str = "unit") -> Unit | None:
    number = (number or "").strip()
    if not number:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number))
    if unit is None:
        raise DomainError(_("No unit %(n)s in this estate.", n=number), field)
    return unit


def plan_single(user, *, estate_id: int, kind: str, unit_number: str, contact_name: str,
                contact_phone: str, source_number: str, due_date, assigned_to_id: int | None,
                today) -> ReturnVisit:
    """Plan one visit by hand (a decoration acceptance, an owner to call back…)."""
    estate = _check_estate(user, estate_id)
    if kind not in KINDS:
        raise DomainError(_("Choose a kind of visit."), "kind")
    unit = find_unit(estate_id, unit_number, "unit_number")
    if not (contact_name or "").strip():
        raise DomainError(_("Enter the name of the person to visit."), "contact_name")
    if due_date is not None and due_date < today:
        raise DomainError(_("The due date cannot be in the past."), "due_date")
    if assigned_to_id and assigned_to_id not in [v.user_id for v in active_visitors(estate_id)]:
        raise DomainError(_("Choose one of the designated visitors of this estate."), "assigned_to_id")
    now = utcnow()
    due_at = end_of_day(due_date, estate) if due_date else due_after(kind, estate_id, now)
    visit = _new_visit(
        estate_id, unit_id=unit.id if unit else None, source_type=kind, source_id=None,
        source_number=(source_number or "").strip()[:40], contact_name=contact_name.strip()[:100],
        contact_phone=(contact_phone or "").strip()[:30], event_at=None, due_at=due_at,
        assigned_to_id=assigned_to_id or pick_visitor(estate_id))
    db.session.flush()
    return visit


# -- transitions ---------------------------------------------------------------
def _must_be_open(visit: ReturnVisit) -> None:
    if visit.state != "planned":
        raise DomainError(_("Only a planned visit can be changed; this one is already closed."))


def _must_record(user, visit: ReturnVisit) -> None:
    if not may_record(user, visit):
        raise DomainError(_("Only a designated visitor of this estate or a supervisor may record visits."))


def record_result(user, visit: ReturnVisit, *, method: str, satisfied: bool | None, remarks: str,
                  visited_at: datetime, now: datetime | None = None) -> ReturnVisit:
    """Record the result on the Return Visit Record; fires ``visits_recorded(visit)``."""
    _must_be_open(visit)
    _must_record(user, visit)
    now = now or utcnow()
    if method not in METHODS:
        raise DomainError(_("Choose how the visit was made."), "method")
    if satisfied is None:
        raise DomainError(_("Say whether the resident was satisfied."), "satisfied")
    remarks = (remarks or "").strip()
    if not satisfied and len(remarks) < 2:
        raise DomainError(_("Write down what the resident is not satisfied with."), "remarks")
    if visited_at is None:
        raise DomainError(_("Enter when the visit was made."), "visited_at")
    visited_at = _aware(visited_at)
    if visited_at > now + CLOCK_SKEW:
        raise DomainError(_("The visit cannot be in the future."), "visited_at")
    # Forms give minutes: a call in the same minute as the completion is not "before" it.
    if visit.event_at is not None and visited_at < visit.event_at.replace(second=0, microsecond=0):
        raise DomainError(_("The visit cannot be before the event it follows up."), "visited_at")
    visit.method = method
    visit.satisfied = bool(satisfied)
    visit.remarks = remarks[:4000]
    visit.visited_at = visited_at
    visit.visited_by_id = user.id
    visit.state = "done"
    db.session.flush()
    hook("visits_recorded")(visit=visit)
    return visit


def mark_missed(user, visit: ReturnVisit, reason: str) -> ReturnVisit:
    """Nobody could be reached (or the owner refused): closed as missed, with the reason."""
    _must_be_open(visit)
    _must_record(user, visit)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Say why the visit could not be made."), "reason")
    visit.state = "missed"
    visit.closed_reason = reason[:500]
    visit.visited_by_id = user.id
    return visit


def cancel(user, visit: ReturnVisit, reason: str) -> ReturnVisit:
    """A visit planned in error is cancelled by a supervisor (it leaves the figures)."""
    _must_be_open(visit)
    if not has_permission("visits.manage", user):
        raise DomainError(_("Only a supervisor may cancel a visit."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Say why the visit is cancelled."), "reason")
    visit.state = "cancelled"
    visit.closed_reason = reason[:500]
    return visit


def reassign(user, visit: ReturnVisit, assigned_to_id: int) -> ReturnVisit:
    _must_be_open(visit)
    if not has_permission("visits.manage", user):
        raise DomainError(_("Only a supervisor may reassign a visit."))
    if assigned_to_id not in [v.user_id for v in active_visitors(visit.estate_id)]:
        raise DomainError(_("Choose one of the designated visitors of this estate."), "assigned_to_id")
    visit.assigned_to_id = assigned_to_id
    return visit


# -- overdue -------------------------------------------------------------------
def overdue_filter(now: datetime | None = None):
    return (ReturnVisit.state == "planned") & (ReturnVisit.due_at < (now or utcnow()))


def overdue_query(estate_ids: list[int]):
    """``count(*)`` of the overdue visits in these estates (the menu badge runs it with the others)."""
    return select(func.count()).select_from(ReturnVisit).where(
        ReturnVisit.estate_id.in_(estate_ids), overdue_filter())


def overdue_count(estate_ids: list[int]) -> int:
    if not estate_ids:
        return 0
    return db.session.scalar(overdue_query(estate_ids))
