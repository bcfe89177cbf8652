"""Greening (绿化): the estate's green areas and their work plan by season (watering, pruning,
fertilising, pest control), daily inspections (OK / shortcoming per task, photos), what follows a
shortcoming (rework by the gardeners, or a rectification notice to the vendor through the vendors
plugin) until it is verified, and the indoor plant services offered to businesses (requests and
visits).

Every record belongs to one estate (``EstateScopedMixin``); nothing is deleted: an area or a task
is retired (``active = False``), an inspection's lines keep the task's wording as it was.
Table names carry a second ``green_`` so that a URL's ``green_area_id`` names this table only.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

TASK_KINDS = ("watering", "pruning", "fertilising", "pest_control", "other")
SEASONS = ("all", "spring", "summer", "autumn", "winter")
REMEDIES = ("rework", "vendor")
CHECK_STATES = ("passed", "open", "verified")
STEP_KINDS = ("rework", "vendor", "passed", "failed", "rectified")
REQUEST_STATES = ("active", "ended")


def season_of(day: date) -> str:
    """Spring March–May, summer June–August, autumn September–November, winter December–February."""
    return {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer",
            7: "summer", 8: "summer"}.get(day.month, "autumn")


class GreenArea(EstateScopedMixin, BusinessRecord, db.Model):
    """An area of the estate kept green to a plan (a lawn, a hedge, the central garden…) and who
    looks after it (a vendor's name, or empty for the estate's own gardeners)."""

    __tablename__ = "greening_green_area"
    # The daily job's bookkeeping, not a change by staff: no audit row per area per day.
    __audit_exclude__ = {"missed_notified_on"}
    #: The job's "told on" day is no edit of the area: no updated stamp, no cache counter.
    __bookkeeping__ = {"missed_notified_on"}
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    vendor: Mapped[str] = mapped_column(sa.String(200), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The last local day whose missed inspections were notified (the daily job: once a day).
    missed_notified_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)


class GreenTask(EstateScopedMixin, BusinessRecord, db.Model):
    """One task of an area's work plan: its kind (watering, pruning…), the season it belongs to
    (or all year), how often, and its standard."""

    __tablename__ = "greening_green_task"
    __table_args__ = (sa.Index("ix_greening_green_task_area", "area_id", "active", "season"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("greening_green_area.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    season: Mapped[str] = mapped_column(sa.String(10), default="all")
    frequency: Mapped[str] = mapped_column(sa.String(100), default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    standard: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)


class GreenCheck(EstateScopedMixin, BusinessRecord, db.Model):
    """A daily inspection of an area, numbered LH-<estate>-<year>-nnnnnn: each task OK or a
    shortcoming; shortcomings go to rework or to the vendor and stay ``open`` until verified."""

    __tablename__ = "greening_green_check"
    __table_args__ = (sa.Index("ix_greening_green_check_estate_day", "estate_id", "inspected_on"),
                      sa.Index("ix_greening_green_check_area_day", "area_id", "inspected_on"),
                      sa.CheckConstraint("deadline IS NULL OR deadline > inspected_on", name="deadline"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("greening_green_area.id"))
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    vendor: Mapped[str] = mapped_column(sa.String(200), default="")  # the area's, when inspected
    passed: Mapped[bool] = mapped_column(default=True)
    shortcomings: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    remedy: Mapped[str] = mapped_column(sa.String(10), default="")
    deadline: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="passed")
    # The vendors plugin's notice (plain data: vendors may be disabled later).
    rectification_id: Mapped[int | None] = mapped_column(nullable=True)
    rectification_number: Mapped[str] = mapped_column(sa.String(30), default="")
    verified_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    overdue_notified_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)  # the deadline told

    area = relationship(GreenArea, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined", viewonly=True)
    lines = relationship("GreenLine", lazy="selectin", viewonly=True, order_by="GreenLine.id")
    steps = relationship("GreenStep", lazy="selectin", viewonly=True, order_by="GreenStep.id")

    def is_overdue(self, today: date) -> bool:
        return self.state == "open" and self.deadline is not None and self.deadline < today


class GreenLine(db.Model):
    """One item of an inspection: the task's wording then, OK or a shortcoming, a remark."""

    __tablename__ = "greening_green_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("greening_green_check.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("greening_green_task.id"), nullable=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    ok: Mapped[bool] = mapped_column(default=True)
    remark: Mapped[str] = mapped_column(sa.String(500), default="")


class GreenStep(EstateScopedMixin, BusinessRecord, db.Model):
    """The history of a shortcoming: sent to rework or to the vendor, verified passed or failed."""

    __tablename__ = "greening_green_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("greening_green_check.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    happened_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    new_deadline: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    by = relationship("User", foreign_keys=[by_id], lazy="joined", viewonly=True)


class PlantRequest(EstateScopedMixin, BusinessRecord, db.Model):
    """A business's request for the indoor plant service (室内绿植租摆): which business, where,
    what plants, how many visits a month, from when to when."""

    __tablename__ = "greening_plant_request"
    __table_args__ = (sa.CheckConstraint("end_on IS NULL OR end_on >= start_on", name="period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business: Mapped[str] = mapped_column(sa.String(200))
    place: Mapped[str] = mapped_column(sa.String(200))
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    plants: Mapped[str] = mapped_column(sa.String(1000))
    visits_per_month: Mapped[int] = mapped_column(default=2)
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="active")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)


class PlantVisit(EstateScopedMixin, BusinessRecord, db.Model):
    """One visit under a request: the day, who went, what was done (watering, plants replaced)."""

    __tablename__ = "greening_plant_visit"
    __table_args__ = (sa.Index("ix_greening_plant_visit_request_day", "request_id", "visited_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("greening_plant_request.id"))
    visited_on: Mapped[date] = mapped_column(sa.Date)
    gardener: Mapped[str] = mapped_column(sa.String(100))
    work: Mapped[str] = mapped_column(sa.String(500))
    replaced: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
