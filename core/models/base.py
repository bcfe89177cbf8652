"""Types and mixins shared by every model, core and plugin alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from core.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC on every database (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def Money(**kw):  # noqa: N802 - reads like a type in model definitions
    """A money column: Numeric(14, 2) returned as ``Decimal``, never float."""
    return mapped_column(sa.Numeric(14, 2, asdecimal=True), **kw)


MONEY_ZERO = Decimal("0.00")


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class AuthorMixin:
    """Who created and last changed the record (filled by the audit hook)."""

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("core_user.id"), nullable=True)


class EstateScopedMixin:
    """The record belongs to one estate; :func:`core.security.scoped` filters on it."""

    @declared_attr
    def estate_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("core_estate.id"), nullable=False, index=True)


class VoidableMixin:
    """Financial and custody records are never deleted: they are voided with a reason."""

    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    void_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)

    @declared_attr
    def voided_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class BusinessRecord(TimestampMixin, AuthorMixin):
    """Base mixin for audited business records: timestamps, authorship and audit."""

    __audited__ = True


Model = db.Model
