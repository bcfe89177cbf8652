"""Outsourced service providers (外包方): the company register, contracts per estate, scoring
sheets per service kind, inspections against a contract, rectification notices and monthly
evaluations.

A vendor is company-level master data (one company may serve several estates); everything that
says how it performs — contracts, inspections, rectifications, evaluations — belongs to one
estate (``EstateScopedMixin``), so an estate's staff see only their own estate's contracts and
scores. Nothing here is deleted: a sheet item is retired (``active = False``), an inspection's
lines keep the item's title and weight as they were.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, Money, UTCDateTime, utcnow

SERVICE_KINDS = ("cleaning", "greening", "pest_control", "lift", "security", "other")
RECTIFICATION_STATES = ("open", "responded", "closed")
STEP_KINDS = ("issued", "response", "passed", "failed")
EVALUATION_STATES = ("draft", "confirmed")
SCORE = sa.Numeric(6, 2)


class Vendor(BusinessRecord, db.Model):
    """One outsourced service provider: the company and how to reach it (company-wide)."""

    __tablename__ = "vendors_vendor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    credit_code: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    contacts: Mapped[str] = mapped_column(sa.String(1000), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class Contract(EstateScopedMixin, BusinessRecord, db.Model):
    """A service contract of a vendor at one estate: scope, period, amount, service standards."""

    __tablename__ = "vendors_contract"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "number"),
        sa.CheckConstraint("end_on >= start_on", name="period"),
        sa.Index("ix_vendors_contract_estate_kind", "estate_id", "service_kind", "end_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_vendor.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    service_kind: Mapped[str] = mapped_column(sa.String(20))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal] = Money()
    standards: Mapped[str] = mapped_column(sa.String(4000), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    expiry_notified_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)

    vendor = relationship(Vendor, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)

    def in_force(self, on: date) -> bool:
        return self.start_on <= on <= self.end_on


class SheetItem(BusinessRecord, db.Model):
    """One item of the scoring sheet of a service kind, with its weight (the active items of a
    kind weigh 100 together). Company-wide; retired, never deleted."""

    __tablename__ = "vendors_sheet_item"
    __table_args__ = (sa.Index("ix_vendors_sheet_item_kind", "service_kind", "active", "sequence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    standard: Mapped[str] = mapped_column(sa.String(500), default="")
    weight: Mapped[Decimal] = mapped_column(SCORE)
    sequence: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Inspection(EstateScopedMixin, BusinessRecord, db.Model):
    """An inspection of the work done under a contract, scored on the kind's sheet (out of 100)."""

    __tablename__ = "vendors_site_inspection"
    __table_args__ = (sa.Index("ix_vendors_site_inspection_contract_day", "contract_id", "inspected_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_contract.id"), index=True)
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    score: Mapped[Decimal] = mapped_column(SCORE)
    failing: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")

    contract = relationship(Contract, lazy="joined", viewonly=True)
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined", viewonly=True)
    lines = relationship("InspectionLine", lazy="selectin", viewonly=True, order_by="InspectionLine.id")


class InspectionLine(db.Model):
    """One item of an inspection: the item's title and weight then, the points given."""

    __tablename__ = "vendors_inspection_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_site_inspection.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_sheet_item.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    weight: Mapped[Decimal] = mapped_column(SCORE)
    points: Mapped[Decimal] = mapped_column(SCORE)
    failed: Mapped[bool] = mapped_column(default=False)
    remark: Mapped[str] = mapped_column(sa.String(500), default="")


class Rectification(EstateScopedMixin, BusinessRecord, db.Model):
    """A rectification notice (整改通知单) to the vendor, numbered WZ-<estate>-<year>-<n>:
    open → the vendor's response → re-check: passed (closed) or still failing (open again with a
    new deadline)."""

    __tablename__ = "vendors_rectification"
    __table_args__ = (sa.Index("ix_vendors_rectification_estate_state_due", "estate_id", "state", "deadline"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_contract.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vendors_site_inspection.id"), nullable=True,
                                                      index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[str] = mapped_column(sa.String(4000))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    deadline: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    # Who asked for it (e.g. "cleaning" and its record's number), as plain data.
    source: Mapped[str] = mapped_column(sa.String(40), default="")
    source_ref: Mapped[str] = mapped_column(sa.String(40), default="")
    overdue_notified_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    contract = relationship(Contract, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    issued_by = relationship("User", foreign_keys=[issued_by_id], lazy="joined", viewonly=True)
    steps = relationship("RectificationStep", lazy="selectin", viewonly=True, order_by="RectificationStep.id")

    def is_overdue(self, today: date) -> bool:
        return self.state == "open" and self.deadline < today


class RectificationStep(EstateScopedMixin, BusinessRecord, db.Model):
    """One step of a notice's history: issued, the vendor's response, a re-check passed or failed."""

    __tablename__ = "vendors_rectification_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_rectification.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    happened_on: Mapped[date] = mapped_column(sa.Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    responder: Mapped[str] = mapped_column(sa.String(100), default="")
    new_deadline: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    by = relationship("User", foreign_keys=[by_id], lazy="joined", viewonly=True)


class Evaluation(EstateScopedMixin, BusinessRecord, db.Model):
    """A contract's monthly evaluation (月度考核): the acceptance score from the month's
    inspections, recomputed while a draft, frozen when confirmed. One per contract and month."""

    __tablename__ = "vendors_evaluation"
    __table_args__ = (sa.UniqueConstraint("contract_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors_contract.id"), index=True)
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month
    inspections: Mapped[int] = mapped_column(default=0)
    score: Mapped[Decimal | None] = mapped_column(SCORE, nullable=True)
    lowest: Mapped[Decimal | None] = mapped_column(SCORE, nullable=True)
    rectifications: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    contract = relationship(Contract, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id], lazy="joined", viewonly=True)
