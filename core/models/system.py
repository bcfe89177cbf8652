"""Platform tables: plugin state, audit log, numbering, jobs, settings, notifications."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow


class PluginState(db.Model):
    """Per-site enablement of a plugin. Disabling never deletes the plugin's data."""

    __tablename__ = "core_plugin_state"
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    schema_revision: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    failed_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class Revision(db.Model):
    """Counters that tell every worker something changed (e.g. ``plugins``)."""

    __tablename__ = "core_revision"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class AuditLog(db.Model):
    """Who changed what, when: one row per insert, update or void of a business record."""

    __tablename__ = "core_audit_log"
    __table_args__ = (sa.Index("ix_core_audit_log_record", "table_name", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    table_name: Mapped[str] = mapped_column(sa.String(80))
    record_id: Mapped[str] = mapped_column(sa.String(40))
    estate_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    user = relationship("User", lazy="joined")


class NumberSequence(db.Model):
    """Counters behind paper-form numbers (e.g. ``BX-2026-000123``)."""

    __tablename__ = "core_number_sequence"
    __table_args__ = (sa.UniqueConstraint("code", "estate_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    # 0 = company-wide (NULL would defeat the unique constraint on every database).
    estate_id: Mapped[int] = mapped_column(default=0)
    year: Mapped[int] = mapped_column(default=0)
    last_value: Mapped[int] = mapped_column(default=0)


class JobLease(db.Model):
    """When each scheduled job last ran, and who holds it now (a lease, not a process lock)."""

    __tablename__ = "core_job_lease"
    code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str] = mapped_column(sa.String(500), default="")
    locked_by: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Setting(db.Model):
    """A plugin's settings for the site (estate_id 0) or one estate."""

    __tablename__ = "core_setting"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("namespace", "estate_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(sa.String(60))
    estate_id: Mapped[int] = mapped_column(default=0)
    values: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Notification(db.Model):
    """A message in a user's notification centre."""

    __tablename__ = "core_notification"
    __table_args__ = (sa.Index("ix_core_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    estate_id: Mapped[int | None] = mapped_column(nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OnceKey(db.Model):
    """A used one-time form key (:class:`core.forms.OnceKeyField`): what the form it came
    with made (``table_name`` and ``record_id``), for whom, when. The unique index on ``key``
    is what lets a form be acted on once: the row is written in the same transaction as the
    change, so of two submissions at the same moment one commits and the other fails on the
    index and rolls back. See :func:`core.actions.record_action` (``once=``)."""

    __tablename__ = "core_once_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    estate_id: Mapped[int | None] = mapped_column(nullable=True)
    table_name: Mapped[str] = mapped_column(sa.String(80))
    record_id: Mapped[int | None] = mapped_column(nullable=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
