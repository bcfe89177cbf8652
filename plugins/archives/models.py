"""Archives (档案管理): files, their contents log, view/borrow requests and loans, inspection
checks and their findings, and the access log of confidential files.

Nothing here is ever deleted. A file's contents are its log of entries (documents added or
withdrawn), never an edited field. A file is out to one borrower at a time: the partial unique
index ``uq_archives_loan_out_file`` (one row per file with ``state = 'out'``) is the rule, on
PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

#: owner files (per unit or resident), building and facility files, decoration files, contracts,
#: notices, others.
KINDS = ("owner", "building", "decoration", "contract", "notice", "other")
LEVELS = ("normal", "internal", "confidential")
ENTRY_ACTIONS = ("added", "withdrawn")
#: view in the archive room, borrow (taken away), a superior's inspection (no approval needed)
LOAN_KINDS = ("view", "borrow", "inspection")
LOAN_STATES = ("pending", "approved", "refused", "out", "returned", "cancelled")
RESULTS = ("present", "complete", "damaged", "missing")
#: findings that need a follow-up
NEEDS_FOLLOW_UP = ("damaged", "missing")

OUT_INDEX = "uq_archives_loan_out_file"


class ArchiveFile(EstateScopedMixin, BusinessRecord, db.Model):
    """One file (档案) of an estate, with its number (unique in the estate) and its place."""

    __tablename__ = "archives_file"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "number"),
        sa.Index("ix_archives_file_estate_kind", "estate_id", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_resident.id"), nullable=True, index=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_building.id"), nullable=True)
    cabinet: Mapped[str] = mapped_column(sa.String(30), default="")
    shelf: Mapped[str] = mapped_column(sa.String(30), default="")
    box: Mapped[str] = mapped_column(sa.String(30), default="")
    level: Mapped[str] = mapped_column(sa.String(20), default="normal")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # "estate:kind:unit" for the file other plugins file documents into (file_document):
    # unique, so two filings at the same moment never make two files.
    filing_key: Mapped[str | None] = mapped_column(sa.String(60), nullable=True, unique=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    resident = relationship("Resident", lazy="joined", viewonly=True)
    building = relationship("Building", lazy="joined", viewonly=True)
    open_loan = relationship(
        "ArchiveLoan", viewonly=True, uselist=False, lazy="selectin",
        primaryjoin="and_(ArchiveLoan.file_id == ArchiveFile.id, ArchiveLoan.state == 'out')")

    @property
    def location(self) -> str:
        return " / ".join(x for x in (self.cabinet, self.shelf, self.box) if x)

    @property
    def confidential(self) -> bool:
        return self.level == "confidential"


class ArchiveEntry(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of a file's contents log: a document added, or withdrawn. Never edited.
    A withdrawal names the entry it withdraws (``withdraws_id``, unique: once)."""

    __tablename__ = "archives_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("archives_file.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Who filed it (e.g. "decoration" and its application's number), as plain data.
    source: Mapped[str] = mapped_column(sa.String(40), default="")
    source_ref: Mapped[str] = mapped_column(sa.String(40), default="")
    withdraws_id: Mapped[int | None] = mapped_column(sa.ForeignKey("archives_entry.id"), nullable=True,
                                                     unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    file = relationship(ArchiveFile, lazy="joined", viewonly=True)
    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined", viewonly=True)
    withdrawn_by = relationship("ArchiveEntry", viewonly=True, uselist=False, lazy="select",
                                primaryjoin="ArchiveEntry.id == foreign(ArchiveEntry.withdraws_id)")


class ArchiveLoan(EstateScopedMixin, BusinessRecord, db.Model):
    """A request to view or borrow a file and what came of it: approved or refused (with the
    office manager's reason), handed out, returned. A superior's inspection is recorded as such
    and handed out without approval."""

    __tablename__ = "archives_loan"
    __table_args__ = (
        # The rule "a file is out to one borrower at a time", kept by the database.
        sa.Index(OUT_INDEX, "file_id", unique=True,
                 postgresql_where=sa.text("state = 'out'"), sqlite_where=sa.text("state = 'out'")),
        sa.Index("ix_archives_loan_estate_state_due", "estate_id", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("archives_file.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(20), default="pending")
    borrower_name: Mapped[str] = mapped_column(sa.String(100))
    purpose: Mapped[str] = mapped_column(sa.String(500))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handed_out_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    return_note: Mapped[str] = mapped_column(sa.String(500), default="")
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: How many times the return date was moved (``services.extend``), and why the last time.
    extensions: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    extension_note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    file = relationship(ArchiveFile, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined", viewonly=True)
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined", viewonly=True)
    handed_out_by = relationship("User", foreign_keys=[handed_out_by_id], lazy="joined", viewonly=True)
    returned_to = relationship("User", foreign_keys=[returned_to_id], lazy="joined", viewonly=True)

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.state == "out" and self.due_at < (now or utcnow())


class ArchiveCheck(EstateScopedMixin, BusinessRecord, db.Model):
    """One archive inspection (档案检查) of an estate's plan for a year: planned, then done with
    a finding for every file."""

    __tablename__ = "archives_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    planned_on: Mapped[date] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    done_on: Mapped[date | None] = mapped_column(nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    summary: Mapped[str] = mapped_column(sa.String(1000), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)
    done_by = relationship("User", foreign_keys=[done_by_id], lazy="joined", viewonly=True)
    findings = relationship("ArchiveFinding", lazy="selectin", viewonly=True, order_by="ArchiveFinding.id")


class ArchiveFinding(EstateScopedMixin, BusinessRecord, db.Model):
    """What a check found for one file, and (for a damaged or missing file) its follow-up."""

    __tablename__ = "archives_finding"
    __table_args__ = (sa.UniqueConstraint("check_id", "file_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("archives_check.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("archives_file.id"), index=True)
    result: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    follow_up: Mapped[str] = mapped_column(sa.String(500), default="")
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    followed_up_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)

    file = relationship(ArchiveFile, lazy="joined", viewonly=True)
    check = relationship(ArchiveCheck, lazy="joined", viewonly=True)
    followed_up_by = relationship("User", foreign_keys=[followed_up_by_id], lazy="joined", viewonly=True)

    @property
    def open(self) -> bool:
        return self.result in NEEDS_FOLLOW_UP and self.followed_up_at is None


class ArchiveAccess(EstateScopedMixin, db.Model):
    """One view of a confidential file's page or of one of its scans. Written, never changed."""

    __tablename__ = "archives_access"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("archives_file.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(sa.String(20))  # "page" or "scan"
    attachment_id: Mapped[int | None] = mapped_column(nullable=True)
    filename: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined", viewonly=True)
