"""Meetings and shift handovers (会议/交接班).

A shift handover record (交接班记录) is written by the outgoing shift: its open matters (each a
case of another plugin, offered through the ``meetings_open_matters`` hook and copied here, or
a free-text line), what was handed over, then the incoming staff's acknowledgement and the
manager's signature. A meeting (morning, weekly, ad hoc) has its attendees (one of them the
minute-taker), the minutes and decisions, action items followed up until done, and every
participant's acknowledgement of the minutes (signature); when the last participant has signed
the minutes are sent on and filed.

Nothing here is deleted. The database keeps an attendee once per meeting
(``uq_meetings_attendee_meeting_user``) and a handover's matter once per reference.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

SHIFTS = ("day", "evening", "night")
MEETING_KINDS = ("morning", "weekly", "ad_hoc")
#: planned → held (minutes recorded) → circulated (waiting for signatures) → filed (all signed)
MEETING_STATES = ("planned", "held", "circulated", "filed")
ITEM_STATES = ("open", "done")


class ShiftHandover(EstateScopedMixin, BusinessRecord, db.Model):
    """One shift handover record (交接班记录), numbered JB-<estate>-<year>-nnnnnn."""

    __tablename__ = "meetings_shift_handover"
    __table_args__ = (sa.Index("ix_meetings_shift_handover_estate_signed", "estate_id", "signed_at"),
                      sa.Index("ix_meetings_shift_handover_estate_handed", "estate_id", "handed_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    shift: Mapped[str] = mapped_column(sa.String(20))
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outgoing_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    incoming_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    handed_over: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledge_note: Mapped[str] = mapped_column(sa.String(500), default="")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    sign_note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    outgoing = relationship("User", foreign_keys=[outgoing_id], lazy="joined", viewonly=True)
    incoming = relationship("User", foreign_keys=[incoming_id], lazy="joined", viewonly=True)
    signed_by = relationship("User", foreign_keys=[signed_by_id], lazy="joined", viewonly=True)
    matters = relationship("HandoverMatter", lazy="selectin", viewonly=True,
                           order_by="HandoverMatter.id")

    @property
    def state(self) -> str:
        if self.signed_at is not None:
            return "signed"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "handed_over"


class HandoverMatter(EstateScopedMixin, BusinessRecord, db.Model):
    """An open matter handed over: a case of another plugin (its reference, label and url
    copied when handed over) or a free-text line (no reference)."""

    __tablename__ = "meetings_handover_matter"
    __table_args__ = (sa.Index("ix_meetings_handover_matter_reference", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings_shift_handover.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(50), default="")
    reference: Mapped[str] = mapped_column(sa.String(50), default="")
    label: Mapped[str] = mapped_column(sa.String(300))
    url: Mapped[str] = mapped_column(sa.String(300), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class Meeting(EstateScopedMixin, BusinessRecord, db.Model):
    """A morning, weekly or ad hoc meeting with its minutes, numbered HY-<estate>-<year>-nnnnnn."""

    __tablename__ = "meetings_meeting"
    __table_args__ = (sa.Index("ix_meetings_meeting_estate_starts", "estate_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    minute_taker_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(20), default="planned")
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The archive entry's file number when filed to the archives plugin ("" when it was off).
    archive_ref: Mapped[str] = mapped_column(sa.String(50), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    chair = relationship("User", foreign_keys=[chair_id], lazy="joined", viewonly=True)
    minute_taker = relationship("User", foreign_keys=[minute_taker_id], lazy="joined", viewonly=True)
    attendees = relationship("MeetingAttendee", lazy="selectin", viewonly=True, order_by="MeetingAttendee.id")
    items = relationship("ActionItem", lazy="selectin", viewonly=True, order_by="ActionItem.id")


class MeetingAttendee(EstateScopedMixin, BusinessRecord, db.Model):
    """A participant: invited, present or absent, and when they signed the minutes."""

    __tablename__ = "meetings_attendee"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id", name="uq_meetings_attendee_meeting_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings_meeting.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    present: Mapped[bool | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)


class ActionItem(EstateScopedMixin, BusinessRecord, db.Model):
    """An action item of a meeting: what, who, by when; followed up until done."""

    __tablename__ = "meetings_action_item"
    __table_args__ = (sa.Index("ix_meetings_action_item_estate_state_due", "estate_id", "state", "due_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings_meeting.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    done_note: Mapped[str] = mapped_column(sa.String(500), default="")
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    meeting = relationship(Meeting, lazy="joined", viewonly=True)
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined", viewonly=True)
    done_by = relationship("User", foreign_keys=[done_by_id], lazy="joined", viewonly=True)
