"""Key custody (钥匙管理): the key register, designated keepers, loans, approvals and events.

Nothing here is ever deleted. A key's history is its loans and its events; its ``state`` is
only the latest event's outcome. A key is out at most once at a time: the partial unique
index ``uq_keys_loan_open_key`` (one row per key with ``returned_at IS NULL``) is the rule,
on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

#: Owner keys, one set per unit (handed over at move-in).
OWNER_KINDS = ("security_door", "inner_door", "intercom", "water_meter_box", "mailbox")
#: Public door and window keys, per building and floor.
FLOOR_KINDS = ("public_door", "public_window")
#: Keys kept per room or piece of equipment (``location``).
PLACE_KINDS = ("equipment_room", "meter_box")
KINDS = OWNER_KINDS + FLOOR_KINDS + PLACE_KINDS
STATES = ("in_service", "damaged", "lost", "handed_over")
BORROWER_KINDS = ("staff", "contractor", "owner")
REASON_KINDS = ("repair", "decoration", "emergency", "inspection", "other")
CONDITIONS = ("good", "damaged", "lost")
EVENT_KINDS = ("lost", "damaged", "recut", "found")
APPROVAL_STATES = ("pending", "approved", "refused")

OPEN_LOAN_INDEX = "uq_keys_loan_open_key"


class Key(EstateScopedMixin, BusinessRecord, db.Model):
    """One key or key set on the board, with its tag number (unique within the estate)."""

    __tablename__ = "keys_key"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "tag"),
        sa.Index("ix_keys_key_estate_kind", "estate_id", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(30))
    kind: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_building.id"), nullable=True,
                                                    index=True)
    floor: Mapped[int | None] = mapped_column(nullable=True)
    location: Mapped[str] = mapped_column(sa.String(100), default="")
    position: Mapped[str] = mapped_column(sa.String(50), default="")
    copies: Mapped[int] = mapped_column(default=1)
    emergency_spare: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(sa.String(20), default="in_service")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    building = relationship("Building", lazy="joined", viewonly=True)
    open_loan = relationship(
        "KeyLoan", viewonly=True, uselist=False, lazy="selectin",
        primaryjoin="and_(KeyLoan.key_id == Key.id, KeyLoan.returned_at.is_(None))")


class KeyKeeper(EstateScopedMixin, BusinessRecord, db.Model):
    """A member of staff the supervisor designated to lend and take back an estate's keys."""

    __tablename__ = "keys_keeper"
    __table_args__ = (sa.UniqueConstraint("estate_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)


class KeyApproval(EstateScopedMixin, BusinessRecord, db.Model):
    """A keeper's request to lend an emergency spare set, and the supervisor's decision."""

    __tablename__ = "keys_approval"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("keys_key.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")

    key = relationship(Key, lazy="joined", viewonly=True)
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)


class KeyLoan(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of the loan register (《钥匙借用登记》): who, why, when, lent and taken back by whom."""

    __tablename__ = "keys_loan"
    __table_args__ = (
        # The rule "a key is out only once at a time", kept by the database.
        sa.Index(OPEN_LOAN_INDEX, "key_id", unique=True,
                 postgresql_where=sa.text("returned_at IS NULL"),
                 sqlite_where=sa.text("returned_at IS NULL")),
        sa.Index("ix_keys_loan_estate_open_due", "estate_id", "returned_at", "expected_return"),
        # The register newest first, one estate or several (keys_0002).
        sa.Index("ix_keys_loan_estate_lent", "estate_id", "lent_at", "id"),
        sa.Index("ix_keys_loan_lent", "lent_at", "id", postgresql_include=["estate_id"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("keys_key.id"), index=True)
    borrower_kind: Mapped[str] = mapped_column(sa.String(20))
    borrower_name: Mapped[str] = mapped_column(sa.String(100))
    borrower_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    borrower_id_number: Mapped[str] = mapped_column(sa.String(40), default="")
    reason_kind: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(500))
    # A repairs work order, as plain data (no foreign key to a plugin we only use).
    work_order_number: Mapped[str] = mapped_column(sa.String(40), default="")
    lent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_return: Mapped[datetime] = mapped_column(UTCDateTime)
    lent_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    approval_id: Mapped[int | None] = mapped_column(sa.ForeignKey("keys_approval.id"), nullable=True,
                                                    unique=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    condition: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    return_note: Mapped[str] = mapped_column(sa.String(500), default="")
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    key = relationship(Key, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    lent_by = relationship("User", foreign_keys=[lent_by_id], lazy="joined", viewonly=True)
    returned_to = relationship("User", foreign_keys=[returned_to_id], lazy="joined", viewonly=True)
    approval = relationship(KeyApproval, lazy="select", viewonly=True)

    @property
    def is_out(self) -> bool:
        return self.returned_at is None

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.returned_at is None and self.expected_return < (now or utcnow())


class KeyEvent(EstateScopedMixin, BusinessRecord, db.Model):
    """Something that happened to a key: lost, damaged, re-cut, found. Never edited."""

    __tablename__ = "keys_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("keys_key.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    copies_before: Mapped[int] = mapped_column(default=0)
    copies_after: Mapped[int] = mapped_column(default=0)
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("keys_loan.id"), nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined", viewonly=True)


class KeyHandover(EstateScopedMixin, BusinessRecord, db.Model):
    """Owner keys handed over at move-in (numbered YJ-<estate>-<year>-<n>), with a printed receipt
    the owner signs. Called by other plugins through :func:`plugins.keys.services.hand_over`."""

    __tablename__ = "keys_handover"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    owner_name: Mapped[str] = mapped_column(sa.String(100))
    owner_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    owner_id_number: Mapped[str] = mapped_column(sa.String(40), default="")
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Who asked for it (e.g. "movein" and its record's number), as plain data.
    source: Mapped[str] = mapped_column(sa.String(40), default="")
    source_ref: Mapped[str] = mapped_column(sa.String(40), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    handed_by = relationship("User", foreign_keys=[handed_by_id], lazy="joined", viewonly=True)
    lines = relationship("KeyHandoverLine", lazy="selectin", viewonly=True, order_by="KeyHandoverLine.id")


class KeyHandoverLine(db.Model):
    """One key (set) of a handover. A key is handed over once, ever: ``key_id`` is unique."""

    __tablename__ = "keys_handover_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(sa.ForeignKey("keys_handover.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("keys_key.id"), unique=True)
    copies: Mapped[int] = mapped_column()

    key = relationship(Key, lazy="joined", viewonly=True)
