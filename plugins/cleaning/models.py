"""Cleaning (保洁): the estate's areas and their work plan, daily inspections (OK / shortcoming
per item, photos), what follows a shortcoming (rework by the cleaners, or a rectification notice
to the vendor through the vendors plugin) until it is verified, the pest control ("four pests",
四害) and disinfection plans with their records, and the cleaning staff's training.

Every record belongs to one estate (``EstateScopedMixin``); nothing is deleted: an area or a task
is retired (``active = False``), an inspection's lines keep the task's wording as it was.
Table names carry a second ``clean_`` so that a URL's ``clean_area_id`` names this table only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

FREQUENCIES = ("daily", "weekly", "monthly")
REMEDIES = ("rework", "vendor")
CHECK_STATES = ("passed", "open", "verified")
STEP_KINDS = ("rework", "vendor", "passed", "failed", "rectified")
PEST_KINDS = ("pest_control", "disinfection")
PESTS = ("rats", "cockroaches", "mosquitoes", "flies")


class CleanArea(EstateScopedMixin, BusinessRecord, db.Model):
    """An area of the estate cleaned to a plan (a lobby, a building's stairs, the roads…) and who
    cleans it (a vendor's name, or empty for the estate's own cleaners)."""

    __tablename__ = "cleaning_clean_area"
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


class CleanTask(EstateScopedMixin, BusinessRecord, db.Model):
    """One task of an area's work plan: daily, weekly or monthly, and its standard."""

    __tablename__ = "cleaning_clean_task"
    __table_args__ = (sa.Index("ix_cleaning_clean_task_area", "area_id", "active", "frequency"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("cleaning_clean_area.id"))
    frequency: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    standard: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)


class CleanCheck(EstateScopedMixin, BusinessRecord, db.Model):
    """A daily inspection of an area, numbered BJ-<estate>-<year>-nnnnnn: each task OK or a
    shortcoming; shortcomings go to rework or to the vendor and stay ``open`` until verified."""

    __tablename__ = "cleaning_clean_check"
    __table_args__ = (sa.Index("ix_cleaning_clean_check_estate_day", "estate_id", "inspected_on"),
                      sa.Index("ix_cleaning_clean_check_area_day", "area_id", "inspected_on"),
                      sa.CheckConstraint("deadline IS NULL OR deadline > inspected_on", name="deadline"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("cleaning_clean_area.id"))
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

    area = relationship(CleanArea, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined", viewonly=True)
    lines = relationship("CleanLine", lazy="selectin", viewonly=True, order_by="CleanLine.id")
    steps = relationship("CleanStep", lazy="selectin", viewonly=True, order_by="CleanStep.id")

    def is_overdue(self, today: date) -> bool:
        return self.state == "open" and self.deadline is not None and self.deadline < today


class CleanLine(db.Model):
    """One item of an inspection: the task's wording then, OK or a shortcoming, a remark."""

    __tablename__ = "cleaning_clean_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("cleaning_clean_check.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cleaning_clean_task.id"), nullable=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    ok: Mapped[bool] = mapped_column(default=True)
    remark: Mapped[str] = mapped_column(sa.String(500), default="")


class CleanStep(EstateScopedMixin, BusinessRecord, db.Model):
    """The history of a shortcoming: sent to rework or to the vendor, verified passed or failed."""

    __tablename__ = "cleaning_clean_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("cleaning_clean_check.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    happened_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    new_deadline: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    by = relationship("User", foreign_keys=[by_id], lazy="joined", viewonly=True)


class PestPlan(EstateScopedMixin, BusinessRecord, db.Model):
    """A pest control ("four pests": rats, cockroaches, mosquitoes, flies) or disinfection plan:
    where, how, every how many days, over which period."""

    __tablename__ = "cleaning_pest_plan"
    __table_args__ = (sa.CheckConstraint("end_on >= start_on", name="period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    pests: Mapped[str] = mapped_column(sa.String(100), default="")  # comma-separated PESTS
    scope: Mapped[str] = mapped_column(sa.String(500))
    method: Mapped[str] = mapped_column(sa.String(500), default="")
    every_days: Mapped[int] = mapped_column(default=7)
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(default=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def pest_list(self) -> list[str]:
        return [p for p in self.pests.split(",") if p]


class PestRecord(EstateScopedMixin, BusinessRecord, db.Model):
    """One treatment done under a plan: the day, who did it, with what, where."""

    __tablename__ = "cleaning_pest_record"
    __table_args__ = (sa.Index("ix_cleaning_pest_record_plan_day", "plan_id", "done_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("cleaning_pest_plan.id"))
    done_on: Mapped[date] = mapped_column(sa.Date)
    done_by: Mapped[str] = mapped_column(sa.String(100))
    chemicals: Mapped[str] = mapped_column(sa.String(300), default="")
    areas: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    plan = relationship(PestPlan, lazy="joined", viewonly=True)


class CleanTraining(EstateScopedMixin, BusinessRecord, db.Model):
    """A training session of the cleaning staff: day, topic, trainer, who attended, hours."""

    __tablename__ = "cleaning_clean_training"
    __table_args__ = (sa.Index("ix_cleaning_clean_training_estate_day", "estate_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(sa.Date)
    topic: Mapped[str] = mapped_column(sa.String(200))
    trainer: Mapped[str] = mapped_column(sa.String(100))
    attendees: Mapped[str] = mapped_column(sa.String(2000))
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def attendee_list(self) -> list[str]:
        return [a.strip() for a in self.attendees.splitlines() if a.strip()]
