"""The Resident Repair Record (《住户报修记录表》) and the Repair Work Order (《维修任务单》)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, Money, UTCDateTime, utcnow

CATEGORIES = ("water", "electricity", "gas", "doors_windows", "lift", "public_area", "drainage", "other")
CHANNELS = ("phone", "walk_in", "hotline", "patrol", "web", "handover")
AREAS = ("private", "common")
#: The fewest characters a description may have ("漏水" is two; "x" says nothing).
MIN_DESCRIPTION = 2
PRIORITIES = ("normal", "urgent")
STATES = ("recorded", "dispatched", "in_progress", "completed", "closed", "cancelled")
#: States in which a repair still has to be finished (may become overdue).
OPEN_STATES = ("recorded", "dispatched", "in_progress")
ORDER_STATES = ("issued", "accepted", "completed", "cancelled")
OPEN_ORDER_STATES = ("issued", "accepted")  # still with the technician


def place_text(unit_number: str | None, address: str) -> str:
    """Where a repair is: the unit number (with the typed address after it), or the address."""
    if unit_number is not None:
        return unit_number + (f" ({address})" if address else "")
    return address


def is_overdue(state: str, due_at: datetime | None, now: datetime) -> bool:
    """Open and past its due time (the list's and the page's one rule)."""
    return state in OPEN_STATES and due_at is not None and due_at < now


class Repair(EstateScopedMixin, BusinessRecord, db.Model):
    """One repair request, numbered BX-<estate>-<year>-nnnnnn; never deleted (cancelled instead)."""

    __tablename__ = "repairs_repair"
    __table_args__ = (
        sa.Index("ix_repairs_repair_estate_state_due", "estate_id", "state", "due_at"),
        sa.Index("ix_repairs_repair_estate_reported", "estate_id", "reported_at"),
        # Lists filtered by state and sorted by date, deep pages included. PostgreSQL: covering
        # (id, due_at), so the page of ids and the overdue filter read the index alone
        # (SQLite's index holds the rowid = id already).
        sa.Index("ix_repairs_repair_estate_state_reported", "estate_id", "state", "reported_at",
                 postgresql_include=["id", "due_at"]),
        sa.Index("ix_repairs_repair_estate_completed", "estate_id", "completed_at"),
        # PostgreSQL: the list of several estates newest first (a manager's /repairs/ with no
        # filter) walks this index backwards instead of sorting every repair (83 → 0.8 ms on 1M
        # repairs; page 2000: 5 ms). SQLite reads its (estate, reported_at) index as well either
        # way, so the index is made on PostgreSQL only.
        sa.Index("ix_repairs_repair_reported", "reported_at", "id",
                 postgresql_include=["estate_id"]).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    # A caller not on file, or a place in the common area, is described in words.
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True)
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.String(20))
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    area: Mapped[str] = mapped_column(sa.String(10), default="private")
    paid: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal")
    state: Mapped[str] = mapped_column(sa.String(20), default="recorded")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # active_history: a change knows the old value too (the stored day figures of that day go).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, active_history=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "visit" (a satisfied return visit) or "supervisor" (closed without a visit).
    closed_via: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    close_note: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    reopen_count: Mapped[int] = mapped_column(default=0)
    reopen_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    fee: Mapped[Decimal | None] = Money(nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    resident = relationship("Resident", lazy="select", viewonly=True)
    recorded_by = relationship("User", lazy="select", viewonly=True,
                               primaryjoin="Repair.created_by_id == User.id", foreign_keys="Repair.created_by_id")
    work_orders: Mapped[list[WorkOrder]] = relationship(
        back_populates="repair", order_by="WorkOrder.id", lazy="select")

    @property
    def place(self) -> str:
        """The unit number, or the typed address."""
        return place_text(self.unit.number if self.unit is not None else None, self.address)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now: datetime | None = None) -> bool:
        return is_overdue(self.state, self.due_at, now or utcnow())

    @property
    def current_order(self) -> WorkOrder | None:
        live = [o for o in self.work_orders if o.state != "cancelled"]
        return live[-1] if live else None

    @property
    def hours_to_complete(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.reported_at).total_seconds() / 3600


class WorkOrder(EstateScopedMixin, BusinessRecord, db.Model):
    """A Repair Work Order issued to one technician, numbered WX-<estate>-<year>-nnnnnn."""

    __tablename__ = "repairs_work_order"
    __table_args__ = (
        sa.Index("ix_repairs_work_order_tech_state", "technician_id", "state"),
        # The work-order list: open orders soonest due first (PostgreSQL: covering id),
        # and an estate's orders newest first (repairs_0004).
        sa.Index("ix_repairs_work_order_estate_state_due", "estate_id", "state", "due_at",
                 postgresql_include=["id"]),
        sa.Index("ix_repairs_work_order_estate_issued", "estate_id", "issued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    repair_id: Mapped[int] = mapped_column(sa.ForeignKey("repairs_repair.id"), index=True)
    technician_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    state: Mapped[str] = mapped_column(sa.String(20), default="issued")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    work_done: Mapped[str] = mapped_column(sa.Text, default="")
    materials: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_spent: Mapped[int | None] = mapped_column(nullable=True)
    fee: Mapped[Decimal | None] = Money(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    repair: Mapped[Repair] = relationship(back_populates="work_orders", lazy="joined")
    technician = relationship("User", lazy="joined", viewonly=True, foreign_keys=[technician_id])
    estate = relationship("Estate", lazy="joined", viewonly=True)


class RepairDayStat(db.Model):
    """Completion figures of one estate's repairs completed on one day that is over.

    Kept per time zone (a day is the estate's, or the company default's, local day),
    written by the ``repairs.day_stats`` job / ``flask repairs rebuild-stats`` and
    deleted again whenever a repair completed on that day changes (see ``daystats``).
    """

    __tablename__ = "repairs_day_stat"
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("core_estate.id"), primary_key=True)
    tz: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    month: Mapped[int] = mapped_column()  # yyyymm of ``day``: what the monthly figures group by
    completed: Mapped[int] = mapped_column(default=0)
    hours_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)
    on_time: Mapped[int] = mapped_column(default=0)


class RepairStatRevision(db.Model):
    """One row: bumped (and so row-locked) by every change that deletes day figures, and
    locked by whoever computes them, so that a computation never stores figures that a
    concurrent change has just made stale."""

    __tablename__ = "repairs_stat_revision"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)


# Stored day figures follow every change of a repair (plugins/repairs/daystats.py).
@sa.event.listens_for(Repair, "after_insert")
def _day_stats_after_insert(mapper, conn, target):
    from plugins.repairs.daystats import touched

    touched(conn, target, True)


@sa.event.listens_for(Repair, "after_update")
def _day_stats_after_update(mapper, conn, target):
    from plugins.repairs.daystats import touched

    touched(conn, target, False)
