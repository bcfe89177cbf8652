"""Shifts and attendance (排班考勤): shift patterns and posts per estate, schedules (one month's, or a
holiday period's) in numbered versions, their cells, change and leave requests with the
supervisor's decision, daily attendance marks and the frozen monthly attendance report.

Nothing here is deleted. A published schedule that changes is re-published as a new version and
the old one is marked withdrawn; both are kept. One published version per estate and period at a
time, and one cell per person and day in a schedule, are kept by the database.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime

ROSTER_KINDS = ("month", "holiday")
ROSTER_STATES = ("draft", "published", "withdrawn")
REQUEST_KINDS = ("swap", "change")
REQUEST_STATES = ("pending", "approved", "refused")
LEAVE_KINDS = ("annual", "sick", "personal", "off_post")
MARKS = ("present", "late", "leave", "absent", "overtime")
REPORT_STATES = ("prepared", "confirmed")
HOURS = sa.Numeric(5, 2)

PUBLISHED_INDEX = "uq_shifts_roster_published"


class ShiftPattern(EstateScopedMixin, BusinessRecord, db.Model):
    """One shift of an estate's pattern (e.g. morning 07:00–15:00, lunch cover 11:30–13:30); a shift
    that ends at or before its start ends the next day (the night shift)."""

    __tablename__ = "shifts_pattern"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(50))
    starts: Mapped[time] = mapped_column(sa.Time)
    ends: Mapped[time] = mapped_column(sa.Time)
    active: Mapped[bool] = mapped_column(default=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts


class ShiftPost(EstateScopedMixin, BusinessRecord, db.Model):
    """A post staffed by the schedule (front desk, hotline, patrol…) and how many people it needs."""

    __tablename__ = "shifts_post"
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    staff_needed: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)


class Roster(EstateScopedMixin, BusinessRecord, db.Model):
    """One version of an estate's schedule for a month (排班表) or a holiday period (节假日排班)."""

    __tablename__ = "shifts_roster"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "kind", "first_day", "version"),
        sa.Index(PUBLISHED_INDEX, "estate_id", "kind", "first_day", unique=True,
                 postgresql_where=sa.text("state = 'published'"), sqlite_where=sa.text("state = 'published'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="month")
    title: Mapped[str] = mapped_column(sa.String(100), default="")
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(sa.String(12), default="draft")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts_roster.id"), nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    published_by = relationship("User", foreign_keys=[published_by_id], lazy="joined", viewonly=True)


class RosterEntry(EstateScopedMixin, BusinessRecord, db.Model):
    """One cell of a schedule: who works which shift on which day (and at which post)."""

    __tablename__ = "shifts_entry"
    __table_args__ = (sa.UniqueConstraint("roster_id", "user_id", "day"),
                      sa.Index("ix_shifts_entry_estate_day", "estate_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts_roster.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    pattern_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts_pattern.id"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts_post.id"), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
    pattern = relationship(ShiftPattern, lazy="joined", viewonly=True)
    post = relationship(ShiftPost, lazy="joined", viewonly=True)


class ChangeRequest(EstateScopedMixin, BusinessRecord, db.Model):
    """A swap with a colleague or a change of one's own shift on a published schedule, asked for
    before the day and decided by the supervisor (调班申请)."""

    __tablename__ = "shifts_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts_roster.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    day: Mapped[date] = mapped_column(sa.Date)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    other_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    other_day: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    new_pattern_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts_pattern.id"), nullable=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    new_roster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts_roster.id"), nullable=True)

    roster = relationship(Roster, foreign_keys=[roster_id], lazy="joined", viewonly=True)
    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
    other_user = relationship("User", foreign_keys=[other_user_id], lazy="joined", viewonly=True)
    new_pattern = relationship(ShiftPattern, lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)


class LeaveRequest(EstateScopedMixin, BusinessRecord, db.Model):
    """Leave (请假) over whole days, or leaving the post for part of a shift (离岗), approved first."""

    __tablename__ = "shifts_leave"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    leaves_at: Mapped[time | None] = mapped_column(sa.Time, nullable=True)
    back_at: Mapped[time | None] = mapped_column(sa.Time, nullable=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)


class AttendanceMark(EstateScopedMixin, BusinessRecord, db.Model):
    """One person's attendance on one day: clocked in and out, or marked by the supervisor."""

    __tablename__ = "shifts_mark"
    __table_args__ = (sa.UniqueConstraint("estate_id", "user_id", "day"),
                      sa.Index("ix_shifts_mark_estate_day", "estate_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    mark: Mapped[str] = mapped_column(sa.String(10))
    clock_in: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    clock_out: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overtime_hours: Mapped[Decimal] = mapped_column(HOURS, default=Decimal("0"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)


class AttendanceReport(EstateScopedMixin, BusinessRecord, db.Model):
    """The monthly attendance report (考勤月报) to administration and HR: prepared by the scheduled
    job, recomputed while prepared, frozen once the supervisor confirms it."""

    __tablename__ = "shifts_report"
    __table_args__ = (sa.UniqueConstraint("estate_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month it is due in
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    due_on: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(10), default="prepared")
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id], lazy="joined", viewonly=True)


class ReportLine(EstateScopedMixin, BusinessRecord, db.Model):
    """One person's figures in a monthly report (names kept as they were when it was made)."""

    __tablename__ = "shifts_report_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts_report.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    shifts: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    leave: Mapped[int] = mapped_column(default=0)
    absent: Mapped[int] = mapped_column(default=0)
    unmarked: Mapped[int] = mapped_column(default=0)
    overtime_hours: Mapped[Decimal] = mapped_column(HOURS, default=Decimal("0"))
