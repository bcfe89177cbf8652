"""Routine owner visits (定期回访业主) planned in batches: one planned visit per occupied unit."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db
from core.models import Building, Occupancy, Unit
from plugins.visits.models import ReturnVisit, VisitBatch
from plugins.visits.services import (
    _check_estate,
    _new_visit,
    active_visitors,
    end_of_day,
    find_unit,
)

ROLE_ORDER = {"owner": 0, "occupant": 1, "tenant": 2}


def _building_ids(estate_id: int, buildings: str) -> tuple[str, list[int]]:
    codes = [b.strip() for b in (buildings or "").replace("，", ",").split(",") if b.strip()]
    if not codes:
        return "", []
    rows = dict(db.session.execute(
        select(Building.code, Building.id).where(Building.estate_id == estate_id, Building.code.in_(codes))).all())
    unknown = [c for c in codes if c not in rows]
    if unknown:
        raise DomainError(_("No such building in this estate: %(b)s", b=", ".join(unknown)), "buildings")
    return ",".join(codes), [rows[c] for c in codes]


def _contact(unit: Unit, day: date):
    """The owner of the unit on ``day`` (or, for a rented plant or shop, the current occupant)."""
    current = [o for o in unit.occupancies if o.current_on(day)]
    if not current:
        return None
    current.sort(key=lambda o: (ROLE_ORDER.get(o.role, 9), o.id))
    return current[0].resident


def select_units(estate_id: int, building_ids: list[int], unit_from: Unit | None, unit_to: Unit | None):
    stmt = select(Unit).where(Unit.estate_id == estate_id)
    if building_ids:
        stmt = stmt.where(Unit.building_id.in_(building_ids))
    if unit_from is not None:
        stmt = stmt.where(Unit.sort_key >= unit_from.sort_key)
    if unit_to is not None:
        stmt = stmt.where(Unit.sort_key <= unit_to.sort_key)
    stmt = stmt.where(Unit.id.in_(select(Occupancy.unit_id).where(Occupancy.estate_id == estate_id)))
    return list(db.session.scalars(stmt.order_by(Unit.sort_key)).unique())


def plan_batch(user, *, estate_id: int, title: str, due_date: date | None, buildings: str = "",
               unit_from: str = "", unit_to: str = "", today: date) -> VisitBatch:
    """One planned routine visit per occupied unit of the selection, assigned round-robin to the
    estate's designated visitors. Units that already have an open routine visit are skipped."""
    estate = _check_estate(user, estate_id)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the batch a title."), "title")
    if due_date is None:
        raise DomainError(_("Enter the date by which the visits are due."), "due_date")
    if due_date < today:
        raise DomainError(_("The due date cannot be in the past."), "due_date")
    codes, building_ids = _building_ids(estate_id, buildings)
    first = find_unit(estate_id, unit_from, "unit_from")
    last = find_unit(estate_id, unit_to, "unit_to")
    if first is not None and last is not None and first.sort_key > last.sort_key:
        raise DomainError(_("The last unit of the range comes before the first."), "unit_to")
    visitors = [v.user_id for v in active_visitors(estate_id)]
    if not visitors:
        raise DomainError(_("Designate at least one visitor for this estate first."), "estate_id")
    units = select_units(estate_id, building_ids, first, last)
    busy = set(db.session.scalars(select(ReturnVisit.unit_id).where(
        ReturnVisit.estate_id == estate_id, ReturnVisit.source_type == "routine",
        ReturnVisit.state == "planned", ReturnVisit.unit_id.is_not(None))))
    batch = VisitBatch(estate_id=estate_id, title=title[:200], due_date=due_date, buildings=codes,
                       unit_from=first.number if first else "", unit_to=last.number if last else "")
    db.session.add(batch)
    db.session.flush()
    due_at = end_of_day(due_date, estate)
    planned = skipped = 0
    for unit in units:
        resident = _contact(unit, today)
        if resident is None:
            continue
        if unit.id in busy:
            skipped += 1
            continue
        _new_visit(estate_id, unit_id=unit.id, source_type="routine", source_id=None,
                   source_number="", batch_id=batch.id, contact_name=resident.name[:100],
                   contact_phone=(resident.phone or "")[:30], event_at=None, due_at=due_at,
                   assigned_to_id=visitors[planned % len(visitors)])
        planned += 1
    if planned == 0:
        raise DomainError(_("No occupied unit without an open routine visit matches this selection."),
                          "buildings")
    batch.planned_count = planned
    batch.skipped_count = skipped
    db.session.flush()
    return batch
