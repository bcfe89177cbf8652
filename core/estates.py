"""Services for estates, buildings, units, residents and occupancies.

Each function checks the rules, changes the records and raises a translated
:class:`DomainError` naming the field at fault; the caller commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db
from core.forms import UNIT_NUMBER_RE, normalise_phone
from core.models import Building, Estate, Occupancy, Resident, Unit
from core.models.estates import OCCUPANCY_ROLES, RESIDENT_KINDS, UNIT_USES
from core.security import user_estate_ids


def _check_estate(estate_id: int, user) -> Estate:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def save_building(user, *, estate_id: int, code: str, name: str, floors: int | None,
                  building: Building | None = None) -> Building:
    _check_estate(estate_id, user)
    dup = db.session.scalar(
        select(Building.id).where(Building.estate_id == estate_id, Building.code == code)
    )
    if dup and (building is None or dup != building.id):
        raise DomainError(_("This estate already has a building %(code)s.", code=code), "code")
    if building is None:
        building = Building(estate_id=estate_id)
        db.session.add(building)
    elif building.estate_id != estate_id:
        raise DomainError(_("A building cannot move to another estate."), "estate_id")
    building.code, building.name, building.floors = code, name, floors
    return building


def save_unit(user, *, building_id: int, number: str, floor: int | None, area: Decimal | None,
              use: str, note: str = "", unit: Unit | None = None) -> Unit:
    building = db.session.get(Building, building_id)
    if building is None or building.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose a building of your estates."), "building_id")
    if not UNIT_NUMBER_RE.match(number or ""):
        raise DomainError(_("A unit number looks like 3-2-1201: letters or digits separated by dashes."),
                          "number")
    if use not in UNIT_USES:
        raise DomainError(_("Choose what the unit is used for."), "use")
    if area is not None and (area <= 0 or area >= Decimal("100000")):
        raise DomainError(_("The area must be more than 0 and less than 100,000 m²."), "area")
    if floor is not None and not -10 <= floor <= 200:
        raise DomainError(_("The floor must be between -10 and 200."), "floor")
    dup = db.session.scalar(select(Unit.id).where(Unit.building_id == building_id, Unit.number == number))
    if dup and (unit is None or dup != unit.id):
        raise DomainError(_("Building %(b)s already has a unit %(n)s.", b=building.code, n=number), "number")
    if unit is None:
        unit = Unit(estate_id=building.estate_id)
        db.session.add(unit)
    elif unit.estate_id != building.estate_id:
        raise DomainError(_("A unit cannot move to another estate."), "building_id")
    unit.building_id, unit.number, unit.floor, unit.area, unit.use, unit.note = (
        building_id, number, floor, area, use, note or "")
    return unit


def save_resident(user, *, estate_id: int, name: str, kind: str, phone: str, id_number: str,
                  note: str = "", resident: Resident | None = None) -> Resident:
    _check_estate(estate_id, user)
    if not name:
        raise DomainError(_("Enter the name."), "name")
    if kind not in RESIDENT_KINDS:
        raise DomainError(_("Choose a person or a business."), "kind")
    if resident is None:
        resident = Resident(estate_id=estate_id)
        db.session.add(resident)
    elif resident.estate_id != estate_id:
        raise DomainError(_("A resident cannot move to another estate."), "estate_id")
    resident.name, resident.kind = name, kind
    resident.phone = normalise_phone(phone)
    resident.id_number = (id_number or "").upper()
    resident.note = note or ""
    return resident


def add_occupancy(user, *, unit: Unit, resident: Resident, role: str, start: date | None,
                  end: date | None) -> Occupancy:
    if unit.estate_id not in user_estate_ids(user) or resident.estate_id != unit.estate_id:
        raise DomainError(_("The unit and the resident must belong to the same estate."), "unit_id")
    if role not in OCCUPANCY_ROLES:
        raise DomainError(_("Choose owner, occupant or tenant."), "role")
    if start and end and end < start:
        raise DomainError(_("The end date is before the start date."), "end_date")
    overlap = db.session.scalar(
        select(func.count()).select_from(Occupancy).where(
            Occupancy.unit_id == unit.id, Occupancy.resident_id == resident.id,
            Occupancy.role == role, Occupancy.end_date.is_(None),
        )
    )
    if overlap and end is None:
        raise DomainError(_("%(name)s is already recorded in this unit in that role.", name=resident.name),
                          "resident_id")
    occ = Occupancy(estate_id=unit.estate_id, unit_id=unit.id, resident_id=resident.id, role=role,
                    start_date=start, end_date=end)
    db.session.add(occ)
    return occ


def end_occupancy(user, occ: Occupancy, end: date) -> None:
    if occ.estate_id not in user_estate_ids(user):
        raise DomainError(_("Not found."))
    if occ.start_date and end < occ.start_date:
        raise DomainError(_("The end date is before the start date."), "end_date")
    occ.end_date = end


def current_residents(unit: Unit, day: date) -> list[Occupancy]:
    return [o for o in unit.occupancies if o.current_on(day)]


def building_choices(estate_ids) -> list[tuple[int, str]]:
    """``(id, name)`` of the buildings of ``estate_ids`` for a select, by estate and code; the
    name carries the estate's code when more than one estate is listed."""
    rows = db.session.scalars(select(Building).where(Building.estate_id.in_(estate_ids or [0]))
                              .order_by(Building.estate_id, Building.code)).all()
    many = len(set(estate_ids or [])) > 1
    return [(b.id, f"{b.estate.code} {b.name}" if many else b.name) for b in rows]
