"""Community activities (社区文化): the plan of an activity, its organisers, residents' sign-ups
and the spending against its budget. Nothing here is ever deleted: an activity is refused or
cancelled with a reason, a sign-up is cancelled, an expense line is voided with a reason.

Capacity is kept by the database: ``signed_up`` counts the active sign-ups, the check
``ck_activities_activity_capacity`` keeps it within ``capacity``, and the services raise it
with one conditional ``UPDATE`` (so two sign-ups at the same moment cannot both take the last
place). A resident signs up to an activity at most once at a time (partial unique index).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from core.extensions import db
from core.models import (
    MONEY_ZERO,
    BusinessRecord,
    EstateScopedMixin,
    Money,
    UTCDateTime,
    VoidableMixin,
)

STATES = ("draft", "submitted", "approved", "refused", "held", "cancelled")
#: States in which the plan may still be edited by its organisers.
EDITABLE = ("draft", "refused")
#: States that are over: nothing more is signed up or spent... except a held activity's expenses.
CLOSED = ("held", "cancelled")

SIGNUP_INDEX = "uq_activities_signup_resident_active"


class Activity(EstateScopedMixin, BusinessRecord, db.Model):
    """One activity of an estate's yearly plan (numbered HD-<estate>-<year>-<n>)."""

    __tablename__ = "activities_activity"
    __table_args__ = (
        sa.CheckConstraint("signed_up >= 0 AND signed_up <= capacity", name="capacity"),
        sa.CheckConstraint("budget >= 0", name="budget"),
        sa.Index("ix_activities_activity_estate_year", "estate_id", "year", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    year: Mapped[int] = mapped_column()
    theme: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    budget: Mapped[Decimal] = Money(default=MONEY_ZERO)
    expected_participants: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int] = mapped_column(default=0)
    signed_up: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary: Mapped[str] = mapped_column(sa.String(4000), default="")
    feedback: Mapped[str] = mapped_column(sa.String(2000), default="")
    summary_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    submitted_by = relationship("User", foreign_keys=[submitted_by_id], lazy="select", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="select", viewonly=True)
    summary_by = relationship("User", foreign_keys=[summary_by_id], lazy="select", viewonly=True)
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id], lazy="select", viewonly=True)
    organisers = relationship("ActivityOrganiser", lazy="selectin", viewonly=True,
                              order_by="ActivityOrganiser.id")

    @property
    def organiser_names(self) -> str:
        return "、".join(o.user.full_name for o in self.organisers)

    @property
    def over_budget(self) -> bool:
        return Decimal(self.spent or 0) > (self.budget or MONEY_ZERO)

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.signed_up, 0)


class ActivityOrganiser(db.Model):
    """A member of staff who organises the activity."""

    __tablename__ = "activities_organiser"
    __table_args__ = (sa.UniqueConstraint("activity_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities_activity.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)

    user = relationship("User", lazy="joined", viewonly=True)


class Signup(EstateScopedMixin, BusinessRecord, db.Model):
    """A resident of the estate (or a walk-in, by name and phone) signed up for an activity."""

    __tablename__ = "activities_signup"
    __table_args__ = (
        sa.Index(SIGNUP_INDEX, "activity_id", "resident_id", unique=True,
                 postgresql_where=sa.text("cancelled_at IS NULL AND resident_id IS NOT NULL"),
                 sqlite_where=sa.text("cancelled_at IS NULL AND resident_id IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities_activity.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_up_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    attended: Mapped[bool | None] = mapped_column(nullable=True)

    activity = relationship(Activity, lazy="joined", viewonly=True)
    resident = relationship("Resident", lazy="joined", viewonly=True)

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


class Expense(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """One line of spending against the activity's budget (its receipt an attachment)."""

    __tablename__ = "activities_expense"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities_activity.id"), index=True)
    item: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[Decimal] = Money()
    spent_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined", viewonly=True)
    voided_by = relationship("User", foreign_keys="Expense.voided_by_id", lazy="select", viewonly=True)


# Totals read with every activity (lists, the yearly report): one subquery each.
Activity.spent = column_property(
    sa.select(sa.func.coalesce(sa.func.sum(Expense.amount), 0)).where(
        Expense.activity_id == Activity.id, Expense.voided_at.is_(None)).correlate_except(Expense).scalar_subquery(),
    deferred=False)
Activity.attended_count = column_property(
    sa.select(sa.func.count(Signup.id)).where(
        Signup.activity_id == Activity.id, Signup.cancelled_at.is_(None), Signup.attended.is_(True))
    .correlate_except(Signup).scalar_subquery(), deferred=False)
