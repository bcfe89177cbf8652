"""Notices to residents (通知): the front desk prints, posts and files them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime

CATEGORIES = ("outage", "maintenance", "fees", "event", "safety", "general")
STATES = ("draft", "published", "withdrawn")


class Notice(EstateScopedMixin, BusinessRecord, db.Model):
    """A notice to residents (《通知》), numbered TZ-<year>-<n>, never deleted."""

    __tablename__ = "notices_notice"
    __table_args__ = (sa.Index("ix_notices_notice_estate_state", "estate_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(30), unique=True, nullable=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(20), default="general")
    # Empty = the whole estate; otherwise building codes separated by commas.
    buildings: Mapped[str] = mapped_column(sa.String(200), default="")
    posted_from: Mapped[date] = mapped_column()
    posted_until: Mapped[date | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def withdraw_reason_shown(self) -> str | None:
        """The reason as the page shows it: the words the manager typed, as typed (never
        through gettext); only the take-down job's own reason is translated."""
        from plugins.notices import AUTO_WITHDRAWN

        if self.withdraw_reason == AUTO_WITHDRAWN:
            from flask_babel import gettext

            return gettext("posting period ended")
        return self.withdraw_reason

    def building_codes(self) -> list[str]:
        return [b.strip() for b in self.buildings.split(",") if b.strip()]

    def in_effect(self, day: date) -> bool:
        return self.state == "published" and self.posted_from <= day and (
            self.posted_until is None or self.posted_until >= day)
