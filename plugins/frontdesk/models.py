"""The front desk (前台): goods-out passes, enquiries and calls, mail and parcels, visitors,
dog licences, vehicle passes, certificates and the desk's daily work log.

Nothing here is ever deleted. A goods-out pass is used once: ``frontdesk_pass_use`` has one
row per pass at most (``pass_id`` is unique), so of two guards marking the same pass at the
same moment the database lets one through, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

APPLICANT_KINDS = ("owner", "tenant", "business")
PASS_STATES = ("applied", "approved", "refused", "used")
ENQUIRY_CHANNELS = ("phone", "walk_in", "hotline")
ENQUIRY_TOPICS = ("fees", "repairs", "decoration", "parking", "move", "certificates", "notices", "other")
ENQUIRY_OUTCOMES = ("answered", "repair", "complaint", "message")
PARCEL_KINDS = ("parcel", "letter", "registered", "newspaper")
CERTIFICATE_KINDS = ("residence", "fee_status")
LOG_SHIFTS = ("day", "evening", "night")


class GoodsPass(EstateScopedMixin, BusinessRecord, db.Model):
    """A goods-out pass (出门条/放行条): applied for by a resident or a tenant business, approved by
    the office (a tenant's needs the owner's consent on record), numbered FX-… at approval,
    printed, and marked used by the guard at the gate — once."""

    __tablename__ = "frontdesk_pass"
    __table_args__ = (sa.Index("ix_frontdesk_pass_estate_state", "estate_id", "state"),
                      sa.Index("ix_frontdesk_pass_estate_plate", "estate_id", "vehicle_plate"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(30), unique=True, nullable=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True)
    applicant_kind: Mapped[str] = mapped_column(sa.String(20))
    applicant_name: Mapped[str] = mapped_column(sa.String(100))
    applicant_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    goods: Mapped[str] = mapped_column(sa.String(1000))
    vehicle_plate: Mapped[str] = mapped_column(sa.String(20), default="")
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    owner_consent_name: Mapped[str] = mapped_column(sa.String(100), default="")
    owner_consent_note: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str] = mapped_column(sa.String(20), default="applied")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    applied_by = relationship("User", foreign_keys=[applied_by_id], lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)
    use = relationship("GoodsPassUse", uselist=False, lazy="selectin", viewonly=True)


class GoodsPassUse(EstateScopedMixin, db.Model):
    """The guard's mark: the pass went out through the gate. ``pass_id`` is unique — used once."""

    __tablename__ = "frontdesk_pass_use"
    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(sa.ForeignKey("frontdesk_pass.id"), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    guard_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    gate: Mapped[str] = mapped_column(sa.String(50), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    guard = relationship("User", foreign_keys=[guard_id], lazy="joined", viewonly=True)


class Enquiry(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of the enquiry and hotline log (咨询/热线登记): who asked what, and what came of it."""

    __tablename__ = "frontdesk_enquiry"
    __table_args__ = (sa.Index("ix_frontdesk_enquiry_estate_received", "estate_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True)
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    topic: Mapped[str] = mapped_column(sa.String(20))
    question: Mapped[str] = mapped_column(sa.String(2000))
    answer: Mapped[str] = mapped_column(sa.String(2000), default="")
    outcome: Mapped[str] = mapped_column(sa.String(20))
    # The repair or complaint it became, as plain data (BX-… / TS-…; no foreign key to a plugin we use).
    forwarded_number: Mapped[str] = mapped_column(sa.String(40), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined", viewonly=True)


class Parcel(EstateScopedMixin, BusinessRecord, db.Model):
    """Mail or a parcel received for a resident (KD-…), notified, collected with a signature."""

    __tablename__ = "frontdesk_parcel"
    __table_args__ = (sa.Index("ix_frontdesk_parcel_estate_open", "estate_id", "collected_at", "received_at"),
                      sa.Index("ix_frontdesk_parcel_estate_tracking", "estate_id", "tracking_number"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True)
    recipient_name: Mapped[str] = mapped_column(sa.String(100))
    recipient_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    kind: Mapped[str] = mapped_column(sa.String(20))
    carrier: Mapped[str] = mapped_column(sa.String(50), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(60), default="")
    shelf: Mapped[str] = mapped_column(sa.String(20), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    notified_count: Mapped[int] = mapped_column(default=0)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    collector_name: Mapped[str] = mapped_column(sa.String(100), default="")
    handed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    received_by = relationship("User", foreign_keys=[received_by_id], lazy="joined", viewonly=True)
    handed_by = relationship("User", foreign_keys=[handed_by_id], lazy="joined", viewonly=True)


class Visitor(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of the visitor register (来访登记)."""

    __tablename__ = "frontdesk_visitor"
    __table_args__ = (sa.Index("ix_frontdesk_visitor_estate_arrived", "estate_id", "arrived_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_name: Mapped[str] = mapped_column(sa.String(100))
    visitor_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    host_name: Mapped[str] = mapped_column(sa.String(100), default="")
    purpose: Mapped[str] = mapped_column(sa.String(200))
    vehicle_plate: Mapped[str] = mapped_column(sa.String(20), default="")
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)


class DogLicence(EstateScopedMixin, BusinessRecord, db.Model):
    """A resident's dog licence (养犬证) as registered at the desk: valid from → until, vaccinated on."""

    __tablename__ = "frontdesk_dog_licence"
    id: Mapped[int] = mapped_column(primary_key=True)
    licence_number: Mapped[str] = mapped_column(sa.String(40))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    owner_name: Mapped[str] = mapped_column(sa.String(100))
    owner_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    dog_name: Mapped[str] = mapped_column(sa.String(50), default="")
    breed: Mapped[str] = mapped_column(sa.String(50))
    colour: Mapped[str] = mapped_column(sa.String(30), default="")
    vaccinated_on: Mapped[date] = mapped_column(sa.Date)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)


class VehiclePass(EstateScopedMixin, BusinessRecord, db.Model):
    """A vehicle pass (车辆出入证) or access card issued to a resident, and its return."""

    __tablename__ = "frontdesk_vehicle_pass"
    __table_args__ = (sa.Index("ix_frontdesk_vehicle_pass_plate", "estate_id", "plate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(100))
    holder_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    plate: Mapped[str] = mapped_column(sa.String(20))
    card_number: Mapped[str] = mapped_column(sa.String(40), default="")
    issued_on: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    returned_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    return_note: Mapped[str] = mapped_column(sa.String(200), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)


class Certificate(EstateScopedMixin, BusinessRecord, db.Model):
    """A certificate issued on request (开具证明), numbered ZM-…; its text is frozen when issued."""

    __tablename__ = "frontdesk_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(sa.String(100))
    purpose: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    issued_by = relationship("User", foreign_keys=[issued_by_id], lazy="joined", viewonly=True)


class WorkLogEntry(EstateScopedMixin, BusinessRecord, db.Model):
    """One entry of the front desk's daily work log (工作日志)."""

    __tablename__ = "frontdesk_log"
    __table_args__ = (sa.Index("ix_frontdesk_log_estate_day", "estate_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    shift: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.String(2000))
    written_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    written_by = relationship("User", foreign_keys=[written_by_id], lazy="joined", viewonly=True)
