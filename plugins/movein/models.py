"""Move-in and move-out (入住/迁出): a case per unit, its checklist, its acceptance inspection.

A unit has at most one open case at a time (move-in or move-out): the partial unique index
``uq_movein_case_open_unit`` (one row per unit with ``state = 'open'``) is the rule, on
PostgreSQL and SQLite alike. Partner records (a repair, a key handover) are kept as plain data:
no foreign key to a plugin we only use.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime

KINDS = ("in", "out")
STATES = ("open", "completed", "cancelled")
#: Built-in checklist items (codes), in order; an estate chooses which it uses and adds its own.
MOVEIN_ITEMS = ("documents", "contract", "fees", "keys", "cards", "resident")
MOVEOUT_ITEMS = ("fees", "keys_returned", "deposits", "occupancy")
ROOMS = ("living", "bedroom", "kitchen", "bathroom", "balcony", "whole")
ELEMENTS = ("walls", "floors", "doors", "windows", "plumbing", "electrical",
            "water_meter", "electricity_meter", "gas_meter")
METERS = ("water_meter", "electricity_meter", "gas_meter")
#: The fees plugin's meter kind of each meter element.
METER_KINDS = {"water_meter": "water", "electricity_meter": "electricity", "gas_meter": "gas"}

OPEN_CASE_INDEX = "uq_movein_case_open_unit"


class MoveinCase(EstateScopedMixin, BusinessRecord, db.Model):
    """A move-in (RZ-…) or move-out (QC-…) case of a unit, with the owner it is for."""

    __tablename__ = "movein_case"
    __table_args__ = (
        sa.Index(OPEN_CASE_INDEX, "unit_id", unique=True,
                 postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'")),
        sa.Index("ix_movein_case_estate_state", "estate_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="in")
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    owner_name: Mapped[str] = mapped_column(sa.String(100))
    owner_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    owner_id_number: Mapped[str] = mapped_column(sa.String(40), default="")
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    # The keys plugin's handover receipt (plain data), or what was handed over by hand.
    key_handover_id: Mapped[int | None] = mapped_column(nullable=True)
    key_handover_number: Mapped[str] = mapped_column(sa.String(30), default="")
    keys_note: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Cancelled with a reason (its items are cancelled with it; the unit may get a new case).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    opened_by = relationship("User", foreign_keys=[opened_by_id], lazy="joined", viewonly=True)
    completed_by = relationship("User", foreign_keys=[completed_by_id], lazy="joined", viewonly=True)
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id], lazy="joined", viewonly=True)
    items = relationship("MoveinItem", lazy="selectin", viewonly=True, order_by="MoveinItem.position")
    checks = relationship("MoveinCheck", lazy="selectin", viewonly=True, order_by="MoveinCheck.id")


class MoveinItem(db.Model):
    """One line of the case's checklist: a built-in ``code`` or the estate's own ``label``."""

    __tablename__ = "movein_item"
    __table_args__ = (sa.UniqueConstraint("case_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("movein_case.id"), index=True)
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(sa.String(30), default="")
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Set when the case is cancelled: the item is void (a tick it had stays, as history).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    done_by = relationship("User", foreign_keys=[done_by_id], lazy="joined", viewonly=True)


class MoveinCheck(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of the house acceptance form (《房屋验收表》): room, element, OK or a defect,
    a meter's opening reading; a defect's repair (repairs plugin) as plain data."""

    __tablename__ = "movein_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("movein_case.id"), index=True)
    room: Mapped[str] = mapped_column(sa.String(20))
    element: Mapped[str] = mapped_column(sa.String(30))
    ok: Mapped[bool] = mapped_column(default=True)
    defect: Mapped[str] = mapped_column(sa.String(500), default="")
    reading: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2), nullable=True)
    repair_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    repair_number: Mapped[str] = mapped_column(sa.String(30), default="")
    repair_state: Mapped[str] = mapped_column(sa.String(20), default="")
    # A meter's opening reading in the fees plugin (plain data), or why it is on the form only.
    fees_reading_id: Mapped[int | None] = mapped_column(nullable=True)
    fees_note: Mapped[str] = mapped_column(sa.String(200), default="")
    # Without repairs: followed up by hand, ticked when put right.
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))

    checked_by = relationship("User", foreign_keys=[checked_by_id], lazy="joined", viewonly=True)

    @property
    def is_open_defect(self) -> bool:
        if self.ok:
            return False
        if self.repair_number:
            return self.repair_state not in ("completed", "closed")
        return self.fixed_at is None
