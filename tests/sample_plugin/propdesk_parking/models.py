"""Parking spaces, their assignment to units, and the attendant's alerts.

Every table is prefixed with the plugin code (``parking_``) so that
``flask db -x branch=parking revision --autogenerate`` sees only these.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime

TENURES = ("rental", "owned")  # 月租 (rented by the month) / 产权 (owned, with a title)
ALERT_CATEGORIES = ("outage", "maintenance", "safety")


class ParkingSpace(EstateScopedMixin, BusinessRecord, db.Model):
    """One parking space (车位), numbered like ``B1-023`` within its estate."""

    __tablename__ = "parking_space"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    tenure: Mapped[str] = mapped_column(sa.String(10), default="rental")
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    assignments: Mapped[list[SpaceAssignment]] = relationship(
        back_populates="space", order_by="SpaceAssignment.starts_on.desc()")

    def holder_on(self, day: date) -> SpaceAssignment | None:
        return next((a for a in self.assignments if a.covers(day)), None)


class SpaceAssignment(EstateScopedMixin, BusinessRecord, db.Model):
    """A space assigned to a unit (车位分配) from a date, until a date or open-ended."""

    __tablename__ = "parking_assignment"
    __table_args__ = (sa.Index("ix_parking_assignment_unit", "unit_id", "starts_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("parking_space.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    plate: Mapped[str] = mapped_column(sa.String(20), default="")
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column(nullable=True)

    space: Mapped[ParkingSpace] = relationship(back_populates="assignments")
    unit = relationship("Unit", lazy="joined", viewonly=True)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


class AttendantAlert(EstateScopedMixin, BusinessRecord, db.Model):
    """A published notice the car-park attendant must act on (停车场值班提醒).

    ``notice_id`` is a plain number, not a foreign key: this plugin only *uses*
    notices, so its branch must not depend on the notices branch.
    """

    __tablename__ = "parking_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(index=True)
    notice_number: Mapped[str] = mapped_column(sa.String(30), default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
