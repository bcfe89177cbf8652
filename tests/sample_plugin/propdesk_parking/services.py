"""Parking services: each change of state is one function; views and tests call them."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core.errors import DomainError
from core.extensions import db
from core.models import Unit, utcnow
from core.plugins import hook
from core.security import user_estate_ids
from core.settings import get_settings
from propdesk_parking.models import TENURES, AttendantAlert, ParkingSpace, SpaceAssignment

ALERT_MAX_AGE = timedelta(days=14)


def add_space(user, *, estate_id: int, code: str, tenure: str, note: str = "") -> ParkingSpace:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(_("Enter the number painted on the space."), "code")
    if tenure not in TENURES:
        raise DomainError(_("Choose monthly rental or owned."), "tenure")
    taken = db.session.scalar(select(ParkingSpace.id).where(
        ParkingSpace.estate_id == estate_id, ParkingSpace.code == code))
    if taken:
        raise DomainError(_("Space %(code)s exists already in this estate.", code=code), "code")
    space = ParkingSpace(estate_id=estate_id, code=code, tenure=tenure, note=note or "")
    db.session.add(space)
    return space


def assign(user, space: ParkingSpace, *, unit_number: str, plate: str, starts_on: date,
           ends_on: date | None) -> SpaceAssignment:
    """One space, one unit at a time: refuse dates that overlap another assignment."""
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == space.estate_id,
                                                Unit.number == (unit_number or "").strip()))
    if unit is None:
        raise DomainError(_("No unit %(n)s in this estate.", n=unit_number), "unit_number")
    if ends_on and ends_on < starts_on:
        raise DomainError(_("The assignment cannot end before it starts."), "ends_on")
    far = date.max
    for other in space.assignments:
        if other.starts_on <= (ends_on or far) and starts_on <= (other.ends_on or far):
            raise DomainError(_("Space %(code)s is assigned to %(unit)s from %(day)s.", code=space.code,
                                unit=other.unit.number, day=other.starts_on.isoformat()), "starts_on")
    assignment = SpaceAssignment(estate_id=space.estate_id, space=space, unit_id=unit.id,
                                 plate=(plate or "").strip().upper(), starts_on=starts_on, ends_on=ends_on)
    db.session.add(assignment)
    db.session.flush()
    hook("parking_space_assigned")(assignment=assignment)
    return assignment


def end_assignment(user, assignment: SpaceAssignment, ends_on: date) -> SpaceAssignment:
    if assignment.ends_on is not None and assignment.ends_on <= ends_on:
        raise DomainError(_("This assignment ends on %(day)s already.", day=assignment.ends_on.isoformat()))
    if ends_on < assignment.starts_on:
        raise DomainError(_("The assignment cannot end before it starts."), "ends_on")
    assignment.ends_on = ends_on
    return assignment


def spaces_of_unit(unit_id: int, day: date) -> list[SpaceAssignment]:
    return list(db.session.scalars(
        select(SpaceAssignment).where(
            SpaceAssignment.unit_id == unit_id, SpaceAssignment.starts_on <= day,
            SpaceAssignment.ends_on.is_(None) | (SpaceAssignment.ends_on >= day))
        .order_by(SpaceAssignment.starts_on)))


def occupancy(estate_ids: list[int], day: date) -> dict:
    """Spaces, how many are assigned today, and the open alerts, for the dashboard."""
    if not estate_ids:
        return {"spaces": 0, "assigned": 0, "alerts": []}
    spaces = db.session.scalar(select(func.count()).select_from(ParkingSpace)
                               .where(ParkingSpace.estate_id.in_(estate_ids)))
    assigned = db.session.scalar(
        select(func.count(func.distinct(SpaceAssignment.space_id))).where(
            SpaceAssignment.estate_id.in_(estate_ids), SpaceAssignment.starts_on <= day,
            SpaceAssignment.ends_on.is_(None) | (SpaceAssignment.ends_on >= day)))
    return {"spaces": spaces, "assigned": assigned, "alerts": open_alerts(estate_ids)}


# -- the attendant's alerts (from the notices plugin's event hook) --------------------
def alert_from_notice(notice) -> AttendantAlert | None:
    """Flag a published outage or maintenance notice for the car-park attendant.

    Runs inside the notice's transaction: keep it small and never fail for a
    reason that should not stop a notice from being posted.
    """
    wanted = get_settings("parking", notice.estate_id).get("alert_categories", [])
    if notice.category not in wanted:
        return None
    alert = AttendantAlert(estate_id=notice.estate_id, notice_id=notice.id,
                           notice_number=notice.number or "", title=notice.title[:200],
                           category=notice.category)
    db.session.add(alert)
    return alert


def open_alerts(estate_ids: list[int]) -> list[AttendantAlert]:
    if not estate_ids:
        return []
    return list(db.session.scalars(
        select(AttendantAlert).where(AttendantAlert.estate_id.in_(estate_ids),
                                     AttendantAlert.acknowledged_at.is_(None))
        .order_by(AttendantAlert.id.desc())))


def open_alerts_query(estate_ids: list[int]):
    """``count(*)`` of the open alerts: the menu badge (every page) counts it with the other badges."""
    return select(func.count()).select_from(AttendantAlert).where(
        AttendantAlert.estate_id.in_(estate_ids), AttendantAlert.acknowledged_at.is_(None))



def acknowledge(user, alert: AttendantAlert) -> AttendantAlert:
    if alert.acknowledged_at is not None:
        raise DomainError(_("This alert was acknowledged already."))
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = user.id
    return alert


def close_stale_alerts(now=None) -> str:
    """The scheduled job: alerts nobody acknowledged within 14 days are closed."""
    now = now or utcnow()
    res = db.session.execute(
        update(AttendantAlert)
        .where(AttendantAlert.acknowledged_at.is_(None), AttendantAlert.created_at < now - ALERT_MAX_AGE)
        .values(acknowledged_at=now))
    return f"{res.rowcount} stale alerts closed"
