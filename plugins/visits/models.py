"""Return visits (回访): the Return Visit Record, designated visitors and routine batches."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

KINDS = ("repair", "complaint", "decoration", "routine")
STATES = ("planned", "done", "missed", "cancelled")
OPEN_STATES = ("planned",)
METHODS = ("phone", "door")


class Visitor(EstateScopedMixin, BusinessRecord, db.Model):
    """A member of staff the supervisor designated to make return visits in an estate."""

    __tablename__ = "visits_visitor"
    __table_args__ = (sa.UniqueConstraint("estate_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)


class VisitBatch(EstateScopedMixin, BusinessRecord, db.Model):
    """A batch of routine owner visits (定期回访业主) planned in one go."""

    __tablename__ = "visits_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_date: Mapped[date] = mapped_column()
    buildings: Mapped[str] = mapped_column(sa.String(200), default="")
    unit_from: Mapped[str] = mapped_column(sa.String(30), default="")
    unit_to: Mapped[str] = mapped_column(sa.String(30), default="")
    planned_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)

    estate = relationship("Estate", lazy="joined", viewonly=True)


class ReturnVisit(EstateScopedMixin, BusinessRecord, db.Model):
    """One return visit (《回访记录表》), numbered HF-<estate>-<year>-<n>.

    planned → done (result recorded) | missed (with reason) | cancelled (with reason).
    """

    __tablename__ = "visits_visit"
    __table_args__ = (
        sa.Index("ix_visits_visit_estate_state_due", "estate_id", "state", "due_at"),
        sa.Index("ix_visits_visit_source", "source_type", "source_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    source_type: Mapped[str] = mapped_column(sa.String(20))
    source_id: Mapped[int | None] = mapped_column(nullable=True)
    source_number: Mapped[str] = mapped_column(sa.String(40), default="")
    source_category: Mapped[str] = mapped_column(sa.String(40), default="")
    #: What the source case was about (a repair's description, a complaint's content), cut
    #: to 200 characters when the visit is planned: shown even with the source plugin off.
    source_summary: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits_batch.id"), nullable=True, index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", index=True)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True, index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="planned")
    method: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    satisfied: Mapped[bool | None] = mapped_column(nullable=True)
    remarks: Mapped[str] = mapped_column(sa.Text, default="")
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    visited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    closed_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    assigned_to = relationship("User", foreign_keys=[assigned_to_id], lazy="joined", viewonly=True)
    visited_by = relationship("User", foreign_keys=[visited_by_id], lazy="joined", viewonly=True)
    batch = relationship(VisitBatch, lazy="select", viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.state == "planned" and self.due_at < (now or utcnow())

    @property
    def on_time(self) -> bool | None:
        if self.state != "done" or self.visited_at is None:
            return None
        return self.visited_at <= self.due_at
