"""Estates and people: the core data every plugin uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.extensions import db
from core.models.base import BusinessRecord, EstateScopedMixin

ESTATE_KINDS = ("residential", "industrial", "commercial", "mixed")
UNIT_USES = ("residence", "shop", "office", "plant")
RESIDENT_KINDS = ("person", "business")
OCCUPANCY_ROLES = ("owner", "occupant", "tenant")


class Company(BusinessRecord, db.Model):
    """The property management company (物业公司)."""

    __tablename__ = "core_company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))


class Estate(BusinessRecord, db.Model):
    """A management office's territory: an estate (小区) or industrial park (园区)."""

    __tablename__ = "core_estate"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("core_company.id"))
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default="residential")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    timezone: Mapped[str] = mapped_column(sa.String(50), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(default=True)

    company: Mapped[Company] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.name


class Building(EstateScopedMixin, BusinessRecord, db.Model):
    """A building (楼栋) of an estate."""

    __tablename__ = "core_building"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    floors: Mapped[int | None] = mapped_column(nullable=True)

    estate: Mapped[Estate] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.name


class Unit(EstateScopedMixin, BusinessRecord, db.Model):
    """A unit (户/单元): a flat, shop, office or plant, numbered like ``3-2-1201``."""

    __tablename__ = "core_unit"
    __audit_exclude__ = {"sort_key"}  # derived from number
    __table_args__ = (
        sa.UniqueConstraint("building_id", "number"),
        sa.Index("ix_core_unit_estate_number", "estate_id", "number"),
        sa.Index("ix_core_unit_estate_sort", "estate_id", "sort_key"),
        sa.Index("ix_core_unit_estate_use", "estate_id", "use"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("core_building.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(30))
    # "3-2-901" sorts before "3-2-1201": digits padded, set whenever number is.
    sort_key: Mapped[str] = mapped_column(sa.String(80), default="")
    floor: Mapped[int | None] = mapped_column(nullable=True)
    area: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2), nullable=True)
    use: Mapped[str] = mapped_column(sa.String(20), default="residence")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    building: Mapped[Building] = relationship(lazy="joined")
    estate = relationship(Estate, lazy="joined", viewonly=True)
    occupancies: Mapped[list[Occupancy]] = relationship(
        back_populates="unit", order_by="Occupancy.start_date.desc()"
    )

    @validates("number")
    def _set_sort_key(self, key, value):
        self.sort_key = natural_key(value)
        return value

    def __str__(self) -> str:
        return self.number


def natural_key(number: str) -> str:
    """``3-2-901`` → ``00000003-00000002-00000901``: sorts like people count."""
    return "-".join(p.zfill(8) if p.isdigit() else p.upper() for p in (number or "").split("-"))[:80]


class Resident(EstateScopedMixin, BusinessRecord, db.Model):
    """A resident: an owner (业主), occupant (住户) or tenant business (租户)."""

    __tablename__ = "core_resident"
    __table_args__ = (
        sa.Index("ix_core_resident_estate_phone", "estate_id", "phone"),
        # The search's scan of names and phones (``core.hooks.search``) reads this index
        # alone, not the table (migration core_0004). On PostgreSQL the migration also
        # adds trigram indexes on name and phone when ``pg_trgm`` is available.
        sa.Index("ix_core_resident_estate_name_phone", "estate_id", "name", "phone"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="person")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    id_number: Mapped[str] = mapped_column(sa.String(40), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship(Estate, lazy="joined", viewonly=True)
    occupancies: Mapped[list[Occupancy]] = relationship(
        back_populates="resident", order_by="Occupancy.start_date.desc()"
    )

    def __str__(self) -> str:
        return self.name


class Occupancy(EstateScopedMixin, BusinessRecord, db.Model):
    """A unit–resident relation with dates: owner since, tenant from/to."""

    __tablename__ = "core_occupancy"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("core_resident.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20), default="owner")
    start_date: Mapped[date | None] = mapped_column(nullable=True)
    end_date: Mapped[date | None] = mapped_column(nullable=True)

    unit: Mapped[Unit] = relationship(back_populates="occupancies", lazy="joined")
    resident: Mapped[Resident] = relationship(back_populates="occupancies", lazy="joined")

    def current_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )
