"""Decoration (装修管理): applications, their workers' passes, inspections, rectification
notices and extensions.

An application goes ``submitted`` → ``approved`` (safety approval when the scope changes
structure or services, and the supervisor's) → ``permitted`` (fees and deposit paid, permit
numbered) → ``completed`` (works reported finished) → ``accepted``; or ``refused`` /
``cancelled``; a permitted application may be ``suspended`` and resumed. One open application
per unit at a time: the partial unique index ``uq_decoration_open_unit`` is the rule.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, Money, UTCDateTime, VoidableMixin

#: The scope checklist; the last two need the maintenance department's safety approval.
SCOPE_ITEMS = ("walls", "floors", "plumbing", "electrical", "windows", "air_conditioning", "structural",
               "services")
SAFETY_ITEMS = ("structural", "services")
STATES = ("submitted", "approved", "permitted", "suspended", "completed", "accepted", "refused", "cancelled")
OPEN_STATES = ("submitted", "approved", "permitted", "suspended", "completed")
APPLICANT_KINDS = ("owner", "tenant")
OPEN_INDEX = "uq_decoration_open_unit"
_OPEN_SQL = "state IN ('submitted', 'approved', 'permitted', 'suspended', 'completed')"


class Application(EstateScopedMixin, BusinessRecord, db.Model):
    """One renovation of one unit, from the application at the front desk to acceptance."""

    __tablename__ = "decoration_application"
    __table_args__ = (
        sa.Index(OPEN_INDEX, "unit_id", unique=True, postgresql_where=sa.text(_OPEN_SQL),
                 sqlite_where=sa.text(_OPEN_SQL)),
        sa.Index("ix_decoration_application_estate_state", "estate_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="submitted")
    applicant_kind: Mapped[str] = mapped_column(sa.String(10), default="owner")
    applicant_name: Mapped[str] = mapped_column(sa.String(100))
    applicant_phone: Mapped[str] = mapped_column(sa.String(30))
    owner_name: Mapped[str] = mapped_column(sa.String(100), default="")
    owner_consent: Mapped[bool] = mapped_column(default=False)
    contractor: Mapped[str] = mapped_column(sa.String(100))
    manager_name: Mapped[str] = mapped_column(sa.String(100))
    manager_phone: Mapped[str] = mapped_column(sa.String(30))
    planned_start: Mapped[date] = mapped_column(sa.Date)
    planned_end: Mapped[date] = mapped_column(sa.Date)
    #: The end date in force (the planned end, moved by approved extensions).
    end_date: Mapped[date] = mapped_column(sa.Date)
    #: Scope items, comma-separated codes of :data:`SCOPE_ITEMS`.
    scope: Mapped[str] = mapped_column(sa.String(200), default="")
    structural_details: Mapped[str] = mapped_column(sa.String(1000), default="")
    description: Mapped[str] = mapped_column(sa.String(1000), default="")
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    # review
    safety_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    safety_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    safety_note: Mapped[str] = mapped_column(sa.String(500), default="")
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approval_note: Mapped[str] = mapped_column(sa.String(500), default="")
    refused_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refusal_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # fees
    fee_amount: Mapped[Decimal] = Money()
    deposit_amount: Mapped[Decimal] = Money()
    #: "fees" when charged through the fees plugin, "manual" when recorded and ticked by hand.
    fees_via: Mapped[str] = mapped_column(sa.String(10), default="")
    fee_bill_id: Mapped[int | None] = mapped_column(nullable=True)
    fees_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fees_paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    fees_note: Mapped[str] = mapped_column(sa.String(200), default="")
    # permit
    permit_number: Mapped[str | None] = mapped_column(sa.String(30), unique=True, nullable=True)
    permit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    permit_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspend_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # the end
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    acceptance_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    received_by = relationship("User", foreign_keys=[received_by_id], lazy="joined", viewonly=True)
    safety_by = relationship("User", foreign_keys=[safety_by_id], lazy="joined", viewonly=True)
    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="joined", viewonly=True)
    refused_by = relationship("User", foreign_keys=[refused_by_id], lazy="joined", viewonly=True)
    permit_by = relationship("User", foreign_keys=[permit_by_id], lazy="joined", viewonly=True)
    accepted_by = relationship("User", foreign_keys=[accepted_by_id], lazy="joined", viewonly=True)

    @property
    def scope_items(self) -> list[str]:
        return [s for s in (self.scope or "").split(",") if s]

    @property
    def needs_safety(self) -> bool:
        return any(s in SAFETY_ITEMS for s in self.scope_items)


class WorkerPass(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """A contractor's worker's temporary pass (临时出入证); never valid past the permit's end."""

    __tablename__ = "decoration_pass"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("decoration_application.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    id_number: Mapped[str] = mapped_column(sa.String(40))
    trade: Mapped[str] = mapped_column(sa.String(50), default="")
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date)

    application = relationship("Application", lazy="joined", viewonly=True)


class Inspection(EstateScopedMixin, BusinessRecord, db.Model):
    """A patrol visit during the works. A violation gets a rectification notice (numbered, with a
    deadline) and is closed by a re-check that finds it rectified."""

    __tablename__ = "decoration_inspection"
    __table_args__ = (sa.Index("ix_decoration_inspection_open", "estate_id", "violation", "rectified_at",
                               "deadline"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("decoration_application.id"), index=True)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    findings: Mapped[str] = mapped_column(sa.String(1000))
    violation: Mapped[bool] = mapped_column(default=False)
    notice_number: Mapped[str | None] = mapped_column(sa.String(30), unique=True, nullable=True)
    required_action: Mapped[str] = mapped_column(sa.String(1000), default="")
    deadline: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rechecked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    recheck_note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: When the overdue alert was sent (once per notice and deadline).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    application = relationship("Application", lazy="joined", viewonly=True)
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined", viewonly=True)
    rechecked_by = relationship("User", foreign_keys=[rechecked_by_id], lazy="joined", viewonly=True)


class Extension(EstateScopedMixin, BusinessRecord, db.Model):
    """A request to move the end of the works, approved or refused by the supervisor."""

    __tablename__ = "decoration_extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("decoration_application.id"), index=True)
    old_end: Mapped[date] = mapped_column(sa.Date)
    new_end: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")

    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)


class AcceptanceCheck(EstateScopedMixin, BusinessRecord, db.Model):
    """One acceptance visit (验收) against the approved scope: each item OK or a defect; the works
    are accepted by a visit without defects. Defects go back to the contractor (rework) or become
    repair orders (repairs plugin)."""

    __tablename__ = "decoration_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("decoration_application.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    passed: Mapped[bool] = mapped_column(default=False)
    #: Items found defective, comma-separated scope codes.
    defects: Mapped[str] = mapped_column(sa.String(200), default="")
    defect_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: "rework" (the contractor) or "repair" (repair orders); empty when passed.
    remedy: Mapped[str] = mapped_column(sa.String(10), default="")
    #: Numbers of the repair orders made for the defects.
    repair_numbers: Mapped[str] = mapped_column(sa.String(200), default="")
    note: Mapped[str] = mapped_column(sa.String(1000), default="")

    checked_by = relationship("User", foreign_keys=[checked_by_id], lazy="joined", viewonly=True)

    @property
    def defect_items(self) -> list[str]:
        return [s for s in (self.defects or "").split(",") if s]
