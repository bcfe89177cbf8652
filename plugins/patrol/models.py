"""Patrols (巡视): routes and checkpoints per estate, patrol plans, patrols, checkpoint visits,
problems found and the building log's own entries.

Nothing here is deleted. A route's checkpoints carry a printed QR label whose content is the
URL of the checkpoint's check form. A patrol is a sequence of visits; the database keeps a
checkpoint visited at most once per patrol (``uq_patrol_visit_patrol_checkpoint``) and a plan
due at most once at an instant (``uq_patrol_patrol_plan_due``), so a form sent twice or a job
run twice adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

#: What a checkpoint asks the patroller to look at (seeds 001 ch.2 1.3).
CHECKS = ("facilities", "signs", "cleaning", "greening", "fire", "parking", "renovation", "people")
#: Who patrols: staff daily, the supervisor, the manager.
PLAN_KINDS = ("staff", "supervisor", "manager")
FREQUENCIES = ("daily", "weekly", "monthly")
PATROL_STATES = ("due", "in_progress", "done")
RESULTS = ("ok", "problem")
#: A problem's own follow-up when no repair order carries it (open → in hand → resolved), its
#: repair order's (sent to repairs → repaired, when the repair is completed), or the vendor's
#: rectification notice's (sent to the vendor → rectified, when the notice is closed).
PROBLEM_STATES = ("open", "in_hand", "resolved", "repair", "repaired", "vendor", "rectified")
#: Where a problem goes: a repair order (repairs plugin), a rectification notice to the vendor
#: holding the contract of a service kind (vendors plugin), or followed up here ("").
SEND_TO = ("repair", "vendor", "here")
FOLLOW_UP_STATES = ("in_hand", "resolved")


class PatrolRoute(EstateScopedMixin, BusinessRecord, db.Model):
    """A patrol route of an estate: an ordered list of checkpoints."""

    __tablename__ = "patrol_route"
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    checkpoints = relationship("PatrolCheckpoint", lazy="select", viewonly=True,
                               order_by="(PatrolCheckpoint.sequence, PatrolCheckpoint.id)")


class PatrolCheckpoint(EstateScopedMixin, BusinessRecord, db.Model):
    """A place on a route (lobby, roof, pump room…) with what to check there; its code is
    unique within the estate and printed on its QR label."""

    __tablename__ = "patrol_checkpoint"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),
                      sa.Index("ix_patrol_checkpoint_route_seq", "route_id", "sequence"))
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_route.id"))
    code: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(100))
    sequence: Mapped[int] = mapped_column(default=10)
    #: Comma-separated codes of :data:`CHECKS`.
    checks: Mapped[str] = mapped_column(sa.String(200), default="")
    instructions: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)

    route = relationship(PatrolRoute, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def check_list(self) -> list[str]:
        return [c for c in self.checks.split(",") if c in CHECKS]


class PatrolPlan(EstateScopedMixin, BusinessRecord, db.Model):
    """Who patrols which route how often: from ``starts_on`` (to ``ends_on``), at ``start_time``
    local time, daily, weekly (the weekday of ``starts_on``) or monthly (its day of the month),
    to be finished within ``window_minutes``."""

    __tablename__ = "patrol_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_route.id"), index=True)
    patroller_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="staff")
    frequency: Mapped[str] = mapped_column(sa.String(20), default="daily")
    start_time: Mapped[str] = mapped_column(sa.String(5), default="09:00")
    window_minutes: Mapped[int] = mapped_column(default=120)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)

    route = relationship(PatrolRoute, lazy="joined", viewonly=True)
    patroller = relationship("User", foreign_keys=[patroller_id], lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)


class Patrol(EstateScopedMixin, BusinessRecord, db.Model):
    """One patrol of a route (numbered XS-<estate>-<year>-n): due from ``due_at`` until
    ``due_by`` (planned), or started on the spot (``plan_id`` empty)."""

    __tablename__ = "patrol_patrol"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "due_at", name="uq_patrol_patrol_plan_due"),
        # Today's board: one estate's patrols due in a day.
        sa.Index("ix_patrol_patrol_estate_due", "estate_id", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_route.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patrol_plan.id"), nullable=True)
    patroller_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="staff")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(20), default="due")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    route = relationship(PatrolRoute, lazy="joined", viewonly=True)
    patroller = relationship("User", foreign_keys=[patroller_id], lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)

    def is_late(self, now: datetime | None = None) -> bool:
        """Finished after its deadline, or not finished and the deadline passed."""
        if self.finished_at is not None:
            return self.finished_at > self.due_by
        return (now or utcnow()) > self.due_by


class PatrolVisit(EstateScopedMixin, BusinessRecord, db.Model):
    """A checkpoint visited on a patrol: when, by whom, OK or a problem, notes (photos are
    attachments of the visit)."""

    __tablename__ = "patrol_visit"
    __table_args__ = (
        sa.UniqueConstraint("patrol_id", "checkpoint_id", name="uq_patrol_visit_patrol_checkpoint"),
        sa.Index("ix_patrol_visit_checkpoint_at", "checkpoint_id", "visited_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_patrol.id"))
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_checkpoint.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    result: Mapped[str] = mapped_column(sa.String(10), default="ok")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    checkpoint = relationship(PatrolCheckpoint, lazy="joined", viewonly=True)
    visited_by = relationship("User", foreign_keys=[visited_by_id], lazy="joined", viewonly=True)


class PatrolProblem(EstateScopedMixin, BusinessRecord, db.Model):
    """A problem found at a visit. With the repairs plugin it becomes a repair order (its id and
    number kept as plain data, its progress read from repairs), or — the patroller's choice, with
    the vendors plugin — a rectification notice to the vendor of a service kind (its id, number and
    kind kept as plain data, its state read from vendors); else it is followed up here:
    open → in hand → resolved."""

    __tablename__ = "patrol_problem"
    __table_args__ = (sa.Index("ix_patrol_problem_estate_state", "estate_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_visit.id"), unique=True)
    patrol_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_patrol.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_checkpoint.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20), default="facilities")
    description: Mapped[str] = mapped_column(sa.String(500))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    repair_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    repair_number: Mapped[str] = mapped_column(sa.String(30), default="")
    # The vendors plugin's rectification notice it became (plain data: vendors may be disabled later).
    rectification_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    rectification_number: Mapped[str] = mapped_column(sa.String(30), default="")
    service_kind: Mapped[str] = mapped_column(sa.String(20), default="")
    follow_up: Mapped[str] = mapped_column(sa.String(500), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    checkpoint = relationship(PatrolCheckpoint, lazy="joined", viewonly=True)
    patrol = relationship(Patrol, lazy="joined", viewonly=True)
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], lazy="joined", viewonly=True)


class PatrolLogEntry(EstateScopedMixin, BusinessRecord, db.Model):
    """A line written into the building log (大厦管理日志) of a day: an action taken, a handover
    note, something seen. The log of a day also lists that day's patrols and problems."""

    __tablename__ = "patrol_log_entry"
    __table_args__ = (sa.Index("ix_patrol_log_entry_estate_at", "estate_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(sa.String(1000))
    written_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    written_by = relationship("User", foreign_keys=[written_by_id], lazy="joined", viewonly=True)
