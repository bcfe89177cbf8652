"""Owner complaints (《业主投诉记录表》) and suggestions (合理化建议).

A complaint is recorded, forwarded to the responsible department within the
forward deadline, investigated, escalated to the manager when it is beyond
the handler's authority, answered in writing by the reply deadline, closed,
and confirmed on the return visit (or reopened). Nothing is ever deleted.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime

CHANNELS = ("phone", "written", "visit", "email", "forum")
CATEGORIES = ("service_attitude", "repairs", "cleaning", "security", "greening", "fees", "noise", "parking",
              "facilities", "other")
KINDS = ("wants_fix", "venting", "expectation")
SEVERITIES = ("minor", "normal", "serious")
REPLY_METHODS = ("letter", "email", "visit", "phone")
STATES = ("recorded", "forwarded", "investigating", "escalated", "decided", "replied", "closed", "visited")
#: States in which the complaint is still being handled (the reply deadline runs).
HANDLING = ("forwarded", "investigating", "escalated", "decided")
OPEN_STATES = ("recorded",) + HANDLING
NOTE_KINDS = ("note", "forward", "escalate", "decide", "reply", "close", "reopen", "visit")

SUGGESTION_STATES = ("recorded", "reported", "adopted", "declined", "answered")
DECISIONS = ("adopt", "decline")


def _user(fk: str):
    return relationship("User", foreign_keys=fk, lazy="select", viewonly=True)


class Complaint(EstateScopedMixin, BusinessRecord, db.Model):
    """One owner complaint, numbered TS-<estate>-<year>-nnnnnn."""

    __tablename__ = "complaints_complaint"
    __table_args__ = (
        # PostgreSQL: covering, so the overdue count (menu badge, widget) and the ids of the
        # oldest overdue complaints are read from the index alone.
        sa.Index("ix_complaints_complaint_estate_state", "estate_id", "state",
                 postgresql_include=["forward_due_at", "reply_due_at", "id"]),
        sa.Index("ix_complaints_complaint_estate_received", "estate_id", "received_at"),
        sa.Index("ix_complaints_complaint_estate_closed", "estate_id", "closed_at"),
        # PostgreSQL: the list of several estates newest first without sorting every complaint
        # (as ix_repairs_repair_reported); made on PostgreSQL only.
        sa.Index("ix_complaints_complaint_received", "received_at", "id",
                 postgresql_include=["estate_id"]).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True)
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    channel: Mapped[str] = mapped_column(sa.String(20))
    category: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(20))
    severity: Mapped[str] = mapped_column(sa.String(10), default="normal")
    # active_history on received_at / closed_at: a change knows the old value too (the
    # stored day figures of that day go, see daystats).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, active_history=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_department.id"), nullable=True)
    forward_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(20), default="recorded")
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    forwarded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalation_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    escalated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decision: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    reply_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reply_method: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    replied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, active_history=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    satisfied: Mapped[bool | None] = mapped_column(nullable=True)
    visit_remarks: Mapped[str] = mapped_column(sa.String(500), default="")
    reopen_count: Mapped[int] = mapped_column(default=0)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The overdue job tells the supervisors once per deadline.
    forward_overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reply_overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    resident = relationship("Resident", lazy="select", viewonly=True)
    department = relationship("Department", lazy="joined", viewonly=True)
    recorded_by = _user("Complaint.created_by_id")
    forwarded_by = _user("Complaint.forwarded_by_id")
    escalated_by = _user("Complaint.escalated_by_id")
    decided_by = _user("Complaint.decided_by_id")
    replied_by = _user("Complaint.replied_by_id")
    closed_by = _user("Complaint.closed_by_id")
    notes: Mapped[list[ComplaintNote]] = relationship(
        back_populates="complaint", order_by="(ComplaintNote.at, ComplaintNote.id)", lazy="select")

    # -- derived ---------------------------------------------------------------
    def is_overdue(self, now: datetime) -> bool:
        if self.state == "recorded":
            return now > self.forward_due_at
        return self.state in HANDLING and now > self.reply_due_at

    @property
    def forwarded_late(self) -> bool:
        return self.forwarded_at is not None and self.forwarded_at > self.forward_due_at

    @staticmethod
    def replied_on_time_sql(t):
        """SQL of :attr:`replied_on_time` over columns ``t`` (the model, or a subquery's ``.c``)."""
        return sa.and_(t.reply_at.is_not(None), t.reply_at <= t.reply_due_at)

    @property
    def replied_on_time(self) -> bool | None:
        if self.reply_at is None:
            return None
        return self.reply_at <= self.reply_due_at

    @property
    def effective(self) -> bool:
        """Handled effectively: answered by the reply deadline and confirmed satisfied."""
        return bool(self.replied_on_time) and self.satisfied is True

    @classmethod
    def overdue_clause(cls, now: datetime):
        """SQL: the forward deadline passed while recorded, or the reply deadline while handled."""
        # The outer state filter lets databases use the (estate_id, state) index.
        return sa.and_(cls.state.in_(OPEN_STATES), sa.or_(
            sa.and_(cls.state == "recorded", cls.forward_due_at < now),
            sa.and_(cls.state.in_(HANDLING), cls.reply_due_at < now),
        ))


class ComplaintNote(EstateScopedMixin, BusinessRecord, db.Model):
    """A dated entry of the handling record: investigation notes and every step taken."""

    __tablename__ = "complaints_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints_complaint.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="note")
    text: Mapped[str] = mapped_column(sa.Text)

    complaint: Mapped[Complaint] = relationship(back_populates="notes")
    user = _user("ComplaintNote.user_id")


class Suggestion(EstateScopedMixin, BusinessRecord, db.Model):
    """A suggestion from an owner (合理化建议), numbered JY-<estate>-<year>-nnnnnn."""

    __tablename__ = "complaints_suggestion"
    __table_args__ = (sa.Index("ix_complaints_suggestion_estate_state", "estate_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    suggester_name: Mapped[str] = mapped_column(sa.String(100))
    suggester_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    channel: Mapped[str] = mapped_column(sa.String(20), default="phone")
    content: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(20), default="recorded")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decision: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    plan: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    answer_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    recorded_by = _user("Suggestion.created_by_id")
    reported_by = _user("Suggestion.reported_by_id")
    decided_by = _user("Suggestion.decided_by_id")
    answered_by = _user("Suggestion.answered_by_id")


class ComplaintDayStat(db.Model):
    """Handling figures of one estate's complaints on one local day that is over.

    ``received`` counts complaints received that day; the others count (and sum the
    reply hours of) complaints closed that day. Written by the ``complaints.day_stats``
    job / ``flask complaints rebuild-stats``, deleted again whenever a complaint of
    that day changes (see ``daystats``).
    """

    __tablename__ = "complaints_day_stat"
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("core_estate.id"), primary_key=True)
    tz: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    month: Mapped[int] = mapped_column()  # yyyymm of ``day``
    received: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    effective: Mapped[int] = mapped_column(default=0)
    reply_hours_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)
    reply_hours_n: Mapped[int] = mapped_column(default=0)


class ComplaintMonthFigure(db.Model):
    """The statistics page's figures of one estate's complaints in one local month that is
    over, per category and department (``department`` 0: not forwarded yet): received that
    month, and the closed figures of those closed in it. A row with category ``""`` marks the
    month as computed (also when it had no complaint). Written by the
    ``complaints.month_figures`` job, deleted whenever a complaint of that month changes (see
    ``breakdown``)."""

    __tablename__ = "complaints_month_figure"
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("core_estate.id"), primary_key=True)
    tz: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)  # yyyymm
    category: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    department: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    received: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    effective: Mapped[int] = mapped_column(default=0)
    reply_hours_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)
    reply_hours_n: Mapped[int] = mapped_column(default=0)


class ComplaintStatRevision(db.Model):
    """One row, bumped (row-locked) by every change that deletes day figures and locked
    by whoever computes them (see ``daystats``)."""

    __tablename__ = "complaints_stat_revision"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)


# Stored day figures follow every change of a complaint (plugins/complaints/daystats.py).
@sa.event.listens_for(Complaint, "after_insert")
def _day_stats_after_insert(mapper, conn, target):
    from plugins.complaints.daystats import touched

    touched(conn, target, True)


@sa.event.listens_for(Complaint, "after_update")
def _day_stats_after_update(mapper, conn, target):
    from plugins.complaints.daystats import touched

    touched(conn, target, False)
