"""Repair services: every state change is one function that refuses what the rules forbid.

recorded → dispatched → in_progress → completed → closed; cancelled (from recorded or
dispatched, with a reason); reopened (from completed or closed, with a reason) back to
recorded. Each function raises :class:`core.errors.DomainError` with a translated
message (and the form field it belongs to) and changes nothing when it refuses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import exists, inspect, select

from core.errors import DomainError
from core.extensions import db
from core.forms import PHONE_RE, normalise_phone
from core.models import Estate, Occupancy, Resident, Unit, User, utcnow
from core.numbering import next_number
from core.plugins import hook
from core.security import user_estate_ids
from plugins.repairs import sla
from plugins.repairs.labels import STATE_LABELS
from plugins.repairs.models import (
    AREAS,
    CATEGORIES,
    CHANNELS,
    MIN_DESCRIPTION,
    PRIORITIES,
    Repair,
    WorkOrder,
)

PHOTO_MAX_BYTES = 5 * 1024 * 1024
MAX_MINUTES = 7 * 24 * 60


def _state(repair: Repair) -> str:
    return str(STATE_LABELS.get(repair.state, repair.state))


def _require_state(repair: Repair, allowed: tuple[str, ...], message: str) -> None:
    """Lock the row (PostgreSQL: ``FOR UPDATE``; SQLite writes are serialised already) and read
    its state afresh, so two people acting at once cannot both move it."""
    if inspect(repair).persistent:
        db.session.flush()
        state = db.session.execute(
            select(Repair.state).where(Repair.id == repair.id).with_for_update()).scalar_one()
        if state != repair.state:  # someone else moved it meanwhile
            db.session.refresh(repair)
    if repair.state not in allowed:
        raise DomainError(message + " " + _("Current state: %(state)s.", state=_state(repair)))


def _local_text(repair: Repair, at: datetime | None) -> str:
    """``at`` in the estate's local time, as a form shows it (for a refusal's message)."""
    if at is None:
        return ""
    from core.i18n import estate_timezone, fmt_datetime

    estate = db.session.get(Estate, repair.estate_id)
    return fmt_datetime(at, tz=estate.timezone if estate else estate_timezone())


def _reason(text: str | None, field: str, message: str) -> str:
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(message, field)
    return text[:500]


# -- recording ------------------------------------------------------------------
def find_unit(estate_id: int, number: str) -> Unit:
    """The unit numbered ``number`` in the estate, or a DomainError beside ``unit_number``."""
    number = (number or "").strip()
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number))
    if unit is None:
        estate = db.session.get(Estate, estate_id)
        raise DomainError(_("There is no unit %(unit)s in %(estate)s.", unit=number,
                            estate=estate.name if estate else "?"), "unit_number")
    return unit


def check_photos(files) -> list:
    """Check every uploaded photo before anything is saved (images only, size limit)."""
    from core.attachments import check_upload

    fit = []
    for storage in files or []:
        if storage is None or not getattr(storage, "filename", ""):
            continue
        check_upload(storage, max_bytes=PHOTO_MAX_BYTES)
        storage.stream.seek(0)
        fit.append(storage)
    return fit


def attach_photos(repair: Repair, files) -> list:
    from core.attachments import save_upload

    saved = []
    for storage in files:
        storage.stream.seek(0)
        saved.append(save_upload(storage, repair))
    return saved


def record(user, *, estate_id: int, unit_id: int | None, address: str = "", resident_id: int | None = None,
           contact_name: str = "", contact_phone: str = "", category: str, description: str, channel: str,
           appointment_at: datetime | None = None, area: str = "private", paid: bool = False,
           priority: str = "normal", photos=None, now: datetime | None = None) -> Repair:
    """Fill in the Resident Repair Record; takes its BX number and computes the deadlines."""
    now = now or utcnow()
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    unit = None
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise DomainError(_("This unit does not belong to the chosen estate."), "unit_number")
    address = (address or "").strip()[:200]
    if unit is None and not address:
        raise DomainError(_("Give the unit, or describe where the problem is."), "unit_number")
    resident = None
    if resident_id is not None:
        resident = db.session.get(Resident, resident_id)
        lives_there = unit is not None and resident is not None and db.session.scalar(
            select(exists().where(Occupancy.unit_id == unit.id, Occupancy.resident_id == resident.id)))
        if not lives_there:
            raise DomainError(_("This resident is not on file for the unit."), "resident_id")
    contact_name = (contact_name or "").strip() or (resident.name if resident else "")
    contact_phone = normalise_phone(contact_phone) or (resident.phone if resident else "")
    if not contact_name:
        raise DomainError(_("Enter the name of the person who reported the problem."), "contact_name")
    if not contact_phone:
        raise DomainError(_("Enter a phone number to call back."), "contact_phone")
    if not PHONE_RE.match(contact_phone):
        raise DomainError(_("Enter a phone number of 5 to 20 digits."), "contact_phone")
    if category not in CATEGORIES:
        raise DomainError(_("Choose what is wrong."), "category")
    if channel not in CHANNELS:
        raise DomainError(_("Choose how the repair was reported."), "channel")
    if area not in AREAS:
        raise DomainError(_("Choose the private home or the common area."), "area")
    if priority not in PRIORITIES:
        raise DomainError(_("Choose the priority."), "priority")
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe what is wrong."), "description")
    if len(description) < MIN_DESCRIPTION:
        raise DomainError(_("Too short: write at least %(n)s characters.", n=MIN_DESCRIPTION), "description")
    if appointment_at is not None:
        if appointment_at.tzinfo is None:
            raise DomainError(_("The appointment time has no time zone."), "appointment_at")
        if appointment_at < now:
            raise DomainError(_("The appointment time is in the past."), "appointment_at")
    fit_photos = check_photos(photos)
    estate = db.session.get(Estate, estate_id)
    repair = Repair(
        estate_id=estate_id, unit_id=unit.id if unit else None, address=address,
        resident_id=resident.id if resident else None, contact_name=contact_name[:100],
        contact_phone=contact_phone[:30], category=category, description=description, channel=channel,
        appointment_at=appointment_at, area=area, paid=bool(paid), priority=priority, state="recorded",
        reported_at=now, reopen_count=0,
        dispatch_due_at=sla.due("repair.dispatch", estate, priority, now, category),
        due_at=sla.due("repair", estate, priority, now, category),
    )
    repair.number = next_number("BX", estate, now)
    db.session.add(repair)
    db.session.flush()
    attach_photos(repair, fit_photos)
    return repair


# -- dispatching and the work order -------------------------------------------------
def technicians_query(estate_id):
    """Staff who may be sent out: members of the estate (or of any of a list of estates)
    with a role that grants ``repairs.work`` — other than the administrator role, which
    holds every permission by construction: an administrator is not a technician (unless
    also given a role that does the work)."""
    ids = list(estate_id) if isinstance(estate_id, list | tuple | set) else [estate_id]
    from core.models import Role, RolePermission
    from core.models.auth import user_estate, user_role
    from core.role_grants import ADMIN_ROLE

    return (
        select(User)
        .where(User.active.is_(True),
               User.id.in_(select(user_estate.c.user_id).where(user_estate.c.estate_id.in_(ids))),
               User.id.in_(select(user_role.c.user_id).join(Role, Role.id == user_role.c.role_id)
                           .join(RolePermission, RolePermission.role_id == Role.id)
                           .where(RolePermission.code == "repairs.work", Role.code != ADMIN_ROLE)))
        .order_by(User.full_name)
    )


def dispatch(user, repair: Repair, technician_id: int | None, notes: str = "",
             now: datetime | None = None) -> WorkOrder:
    """The supervisor issues a Repair Work Order (WX number) to a technician."""
    now = now or utcnow()
    _require_state(repair, ("recorded",), _("Only a recorded repair can be dispatched."))
    tech = db.session.get(User, technician_id) if technician_id else None
    if tech is None or tech.id not in {
            t.id for t in db.session.scalars(technicians_query(repair.estate_id))}:
        raise DomainError(_("Choose a technician of the maintenance department of this estate."),
                          "technician_id")
    order = WorkOrder(estate_id=repair.estate_id, repair=repair, technician_id=tech.id, state="issued",
                      issued_at=now, due_at=repair.due_at, notes=(notes or "").strip())
    order.number = next_number("WX", repair.estate_id, now)
    db.session.add(order)
    repair.state = "dispatched"
    repair.dispatched_at = now
    db.session.flush()
    return order


def _own_order(user, repair: Repair) -> WorkOrder:
    order = repair.current_order
    if order is None or order.technician_id != getattr(user, "id", None):
        raise DomainError(_("This work order was issued to another technician."))
    return order


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _work_time(at: datetime | None, now: datetime, not_before: datetime | None, field: str,
               too_early: str) -> datetime:
    """A time the technician gives (the real start or finish of the work), or now: not in
    the future, not before ``not_before``. Typed times have minutes only, so they are
    compared to the minute (started in the minute of the dispatch is fine)."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a repair service")
    if _minute(at) > now:
        raise DomainError(_("The time cannot be in the future."), field)
    if not_before is not None and _minute(at) < _minute(not_before):
        raise DomainError(too_early, field)
    return at


def accept(user, repair: Repair, now: datetime | None = None, started_at: datetime | None = None) -> WorkOrder:
    """The technician takes the work order: the repair is in progress. ``started_at``: when
    the work really started (the technician went straight there and records it later), not
    before the dispatch nor in the future; empty: now."""
    now = now or utcnow()
    _require_state(repair, ("dispatched",), _("Only a dispatched repair can be accepted."))
    order = _own_order(user, repair)
    started = _work_time(started_at, now, order.issued_at or repair.dispatched_at, "started_at",
                         _("The work cannot start before the repair was dispatched (%(t)s).",
                           t=_local_text(repair, order.issued_at or repair.dispatched_at)))
    order.state = "accepted"
    order.accepted_at = now
    repair.state = "in_progress"
    repair.started_at = started
    return order


def complete(user, repair: Repair, *, work_done: str, materials: str = "", minutes_spent: int | None,
             fee: Decimal | None = None, now: datetime | None = None,
             finished_at: datetime | None = None) -> Repair:
    """The technician reports the work done; the record reads "completed at …" —
    ``finished_at``, when the work really finished (not in the future, not before it
    started), or now.

    Fires ``repairs_completed(repair)`` inside the transaction.
    """
    now = now or utcnow()
    _require_state(repair, ("in_progress",), _("Only a repair in progress can be completed."))
    order = _own_order(user, repair)
    start = repair.started_at or order.accepted_at
    finished = _work_time(finished_at, now, start, "finished_at",
                          _("The work cannot finish before it started (%(t)s).", t=_local_text(repair, start)))
    work_done = (work_done or "").strip()
    if not work_done:
        raise DomainError(_("Describe the work done."), "work_done")
    if minutes_spent is None or not 1 <= minutes_spent <= MAX_MINUTES:
        raise DomainError(_("Enter the time spent in minutes (1 to %(max)s).", max=MAX_MINUTES), "minutes_spent")
    if repair.paid:
        if fee is None or not isinstance(fee, Decimal) or not fee.is_finite() or fee <= 0:
            raise DomainError(_("A paid repair needs the repair fee."), "fee")
        if fee.as_tuple().exponent < -2:
            raise DomainError(_("Use at most %(n)s decimal places.", n=2), "fee")
    elif fee:
        raise DomainError(_("This repair is free of charge: leave the fee empty."), "fee")
    order.state = "completed"
    order.work_done = work_done
    order.materials = _materials_at_completion(order.materials, materials)
    order.minutes_spent = minutes_spent
    order.fee = fee if repair.paid else None
    order.completed_at = finished
    repair.state = "completed"
    repair.completed_at = finished
    repair.fee = order.fee
    db.session.flush()
    hook("repairs_completed")(repair=repair)
    return repair


# -- closing, cancelling, reopening ---------------------------------------------------
def close(user, repair: Repair, note: str = "", via: str = "supervisor", now: datetime | None = None) -> Repair:
    """Confirm a completed repair closed: after a satisfied return visit, or by the supervisor."""
    _require_state(repair, ("completed",), _("Only a completed repair can be closed."))
    repair.state = "closed"
    repair.closed_at = now or utcnow()
    repair.closed_via = via
    repair.close_note = (note or "").strip()[:500] or None
    return repair


def cancel(user, repair: Repair, reason: str, now: datetime | None = None) -> Repair:
    _require_state(repair, ("recorded", "dispatched"),
                   _("Only a repair not yet started can be cancelled."))
    reason = _reason(reason, "reason", _("Say why the repair is cancelled."))
    now = now or utcnow()
    for order in repair.work_orders:
        if order.state == "issued":
            order.state = "cancelled"
            order.cancelled_at = now
    repair.state = "cancelled"
    repair.cancelled_at = now
    repair.cancel_reason = reason
    return repair


def reopen(user, repair: Repair, reason: str, now: datetime | None = None) -> Repair:
    """Back to "recorded" for a new dispatch, with new deadlines; fires ``repairs_reopened``."""
    _require_state(repair, ("completed", "closed"), _("Only a completed or closed repair can be reopened."))
    reason = _reason(reason, "reason", _("Say why the repair is reopened."))
    now = now or utcnow()
    estate = db.session.get(Estate, repair.estate_id)
    repair.state = "recorded"
    repair.reopen_count = (repair.reopen_count or 0) + 1
    repair.reopen_reason = reason
    repair.dispatched_at = repair.started_at = repair.completed_at = repair.closed_at = None
    repair.closed_via = repair.close_note = None
    repair.overdue_notified_at = None
    repair.dispatch_due_at = sla.due("repair.dispatch", estate, repair.priority, now, repair.category)
    repair.due_at = sla.due("repair", estate, repair.priority, now, repair.category)
    db.session.flush()
    hook("repairs_reopened")(repair=repair, reason=reason)
    return repair


def on_visit(visit) -> Repair | None:
    """A return visit was recorded: satisfied → closed ("visited"); not satisfied → reopened."""
    if getattr(visit, "source_type", None) != "repair":
        return None
    repair = db.session.get(Repair, getattr(visit, "source_id", None) or 0)
    if repair is None:
        return None
    visitor = db.session.get(User, visit.visited_by_id) if getattr(visit, "visited_by_id", None) else None
    if getattr(visit, "satisfied", None) is True:
        if repair.state == "completed":
            close(visitor, repair, note=getattr(visit, "remarks", "") or "", via="visit")
        return repair
    if getattr(visit, "satisfied", None) is False and repair.state in ("completed", "closed"):
        reason = (getattr(visit, "remarks", "") or "").strip() or _("Not satisfied on the return visit.")
        reopen(visitor, repair, reason if len(reason) >= 2 else _("Not satisfied on the return visit."))
    return repair


# -- for other plugins (documented in README.md, "Services for other plugins") ------------
def find_order_by_number(user, estate_id: int, number: str) -> WorkOrder | None:
    """The work order numbered ``number`` in estate ``estate_id``, if that estate is one of
    ``user``'s; otherwise (unknown number, another estate's order, not the user's estate)
    ``None``. Read-only. ``WorkOrder.repair_id`` leads to the repair page
    (``url_for("repairs.detail", repair_id=…)``)."""
    number = (number or "").strip()
    if not number or estate_id not in user_estate_ids(user):
        return None
    return db.session.scalar(select(WorkOrder).where(WorkOrder.estate_id == estate_id, WorkOrder.number == number))


def repair_ids_for_orders(user, numbers) -> dict[str, int]:
    """``{work order number: repair id}`` for those of ``numbers`` that are orders of the
    user's estates (one query; for a list showing many numbers at once)."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return {}
    rows = db.session.execute(select(WorkOrder.number, WorkOrder.repair_id).where(
        WorkOrder.number.in_(wanted), WorkOrder.estate_id.in_(user_estate_ids(user) or [0])))
    return {number: repair_id for number, repair_id in rows}


def repair_states(user, estate_id: int, numbers) -> dict[str, dict]:
    """``{repair number: {"id", "state", "label", "open"}}`` for those of ``numbers`` that are
    repairs of estate ``estate_id``, when it is one of ``user``'s (else ``{}``). ``open`` is
    true while the repair is recorded, dispatched or in progress (not yet completed, closed or
    cancelled); ``label`` is the translated state. Read-only, one query (decoration checks the
    repair orders of its acceptance defects are done before accepting the works)."""
    from plugins.repairs.models import OPEN_STATES

    wanted = {n.strip() for n in numbers or () if n and n.strip()}
    if not wanted or estate_id not in user_estate_ids(user):
        return {}
    rows = db.session.execute(select(Repair.number, Repair.id, Repair.state).where(
        Repair.estate_id == estate_id, Repair.number.in_(wanted)))
    return {number: {"id": rid, "state": state, "label": str(STATE_LABELS.get(state, state)),
                     "open": state in OPEN_STATES} for number, rid, state in rows}


def repair_states_by_id(user, repair_ids) -> dict[int, tuple[str, str]]:
    """``{repair id: (number, state code)}`` for those of ``repair_ids`` that are repairs of the
    user's estates (one query; a plugin that sent problems to repairs shows their progress)."""
    wanted = {i for i in repair_ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(select(Repair.id, Repair.number, Repair.state).where(
        Repair.id.in_(wanted), Repair.estate_id.in_(user_estate_ids(user) or [0])))
    return {rid: (number, state) for rid, number, state in rows}


def record_materials_issued(user, *, estate_id: int, number: str, line: str) -> WorkOrder:
    """A store room issued (or took back) materials for work order ``number``: ``line`` (the
    movement's number, the item and the quantity, e.g. ``KF-E01-2026-000012 WJ-001 水龙头 × 2 个``)
    is added to the order's "materials used", on a line of its own. The order must be one of
    ``estate_id`` (an estate of ``user``'s) and not cancelled; otherwise a translated
    ``DomainError`` on ``work_order_number`` (nothing saved). The technician's own text typed at
    completion is added after these lines (:func:`_materials_at_completion`). The caller commits.
    Called by the inventory plugin."""
    order = find_order_by_number(user, estate_id, number)
    if order is None:
        raise DomainError(_("There is no repair work order %(number)s in this estate.", number=(number or "").strip()),
                          "work_order_number")
    if order.state == "cancelled":
        raise DomainError(_("Work order %(number)s was cancelled: nothing can be issued to it.", number=order.number),
                          "work_order_number")
    line = (line or "").strip()
    order.materials = f"{order.materials}\n{line}".strip() if order.materials else line
    return order


def _materials_at_completion(recorded: str, typed: str) -> str:
    """The materials used of a completed order: the lines the store room recorded, then what the
    technician typed (unless they kept the recorded lines in it)."""
    recorded, typed = (recorded or "").strip(), (typed or "").strip()
    if not recorded or recorded in typed:
        return typed or recorded
    return f"{recorded}\n{typed}".strip()
