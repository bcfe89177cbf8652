"""Archives services. Each function takes the acting user, checks every rule, and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Rules: a file belongs to one estate (and, for an owner file, to one of its units or residents);
numbers are unique per estate (blank: ``DA-<estate>-<year>-<n>`` from the core's numbering);
the contents log only grows; viewing or borrowing needs the office manager's approval
(``archives.approve``) — never one's own request; a manager's own request for a file that is
not confidential is approved by their own permission, a confidential file always needs a second
person — except a superior's inspection, recorded as such by the archivist; a file is out to
one borrower at a time (database index, refusal translated); dates in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.attachments import Attachment
from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.models import Building, Estate, Resident, Unit, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.archives.models import (
    KINDS,
    LEVELS,
    NEEDS_FOLLOW_UP,
    RESULTS,
    ArchiveAccess,
    ArchiveCheck,
    ArchiveEntry,
    ArchiveFile,
    ArchiveFinding,
    ArchiveLoan,
)

#: A hand-out or return typed a little ahead of the server's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)
#: The prefix of file numbers given by the core's numbering (档案).
NUMBER_PREFIX = "DA"


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


# -- files -------------------------------------------------------------------------------
def find_file(user, estate_id: int, number: str) -> ArchiveFile:
    """The file with this number in one of the user's estates, or a refusal naming the number."""
    _check_estate(user, estate_id)
    number = _text(number, 40)
    row = db.session.scalar(select(ArchiveFile).where(ArchiveFile.estate_id == estate_id,
                                                      ArchiveFile.number == number)) if number else None
    if row is None:
        raise DomainError(_("No file has the number %(number)s in this estate.", number=number or "—"), "number")
    return row


def _owner(estate_id: int, kind: str, unit_number: str, resident_id: int | None,
           building_id: int | None) -> dict:
    if kind not in KINDS:
        raise DomainError(_("Choose the kind of file."), "kind")
    place = {"unit_id": None, "resident_id": None, "building_id": None}
    number = _text(unit_number, 30)
    if number:
        unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number))
        if unit is None:
            raise DomainError(_("There is no unit %(number)s in this estate.", number=number), "unit_number")
        place.update(unit_id=unit.id, building_id=unit.building_id)
    if resident_id:
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.estate_id != estate_id:
            raise DomainError(_("Choose a resident of this estate."), "resident_id")
        place["resident_id"] = resident.id
    if building_id and not place["building_id"]:
        building = db.session.get(Building, building_id)
        if building is None or building.estate_id != estate_id:
            raise DomainError(_("Choose a building of this estate."), "building_id")
        place["building_id"] = building.id
    if kind == "owner" and not place["unit_id"] and not place["resident_id"]:
        raise DomainError(_("An owner file belongs to a unit or a resident: enter the unit number."),
                          "unit_number")
    return place


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise DomainError(_("Choose the confidentiality level."), "level")
    return level


def _check_number(estate_id: int, number: str, file_id: int | None = None) -> str:
    other = db.session.scalar(select(ArchiveFile.id).where(ArchiveFile.estate_id == estate_id,
                                                           ArchiveFile.number == number))
    if other is not None and other != file_id:
        raise DomainError(_("File number %(number)s is already used in this estate.", number=number), "number")
    return number


def _save(number: str, change) -> None:
    """Make ``change`` in a savepoint and flush it: of two files given one number at the same
    moment, the unique index refuses one and the rest of the transaction lives on."""
    try:
        with db.session.begin_nested():
            change()
    except IntegrityError:
        raise DomainError(_("File number %(number)s is already used in this estate.", number=number),
                          "number") from None


def add_file(user, *, estate_id: int, kind: str, title: str, number: str = "", unit_number: str = "",
             resident_id: int | None = None, building_id: int | None = None, cabinet: str = "",
             shelf: str = "", box: str = "", level: str = "normal", note: str = "") -> ArchiveFile:
    """Open a file. A blank number takes the next ``DA-<estate>-<year>-<n>``."""
    _require(user, "archives.manage")
    estate = _check_estate(user, estate_id)
    place = _owner(estate_id, kind, unit_number, resident_id, building_id)
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Enter the title of the file."), "title")
    number = _text(number, 40)
    if number:
        _check_number(estate_id, number)
    else:
        from core.numbering import next_number

        number = next_number(NUMBER_PREFIX, estate)
    row = ArchiveFile(estate_id=estate_id, number=number, kind=kind, title=title, cabinet=_text(cabinet, 30),
                      shelf=_text(shelf, 30), box=_text(box, 30), level=_check_level(level),
                      note=_text(note, 500), **place)
    _save(number, lambda: db.session.add(row))
    return row


def edit_file(user, row: ArchiveFile, *, kind: str, title: str, number: str, unit_number: str = "",
              resident_id: int | None = None, building_id: int | None = None, cabinet: str = "",
              shelf: str = "", box: str = "", level: str = "normal", note: str = "") -> ArchiveFile:
    """Correct a file's description, place or level (the audit log keeps the old values). Its
    contents change only through the log."""
    _require(user, "archives.manage")
    _check_estate(user, row.estate_id)
    place = _owner(row.estate_id, kind, unit_number, resident_id or row.resident_id, building_id)
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Enter the title of the file."), "title")
    number = _text(number, 40)
    if not number:
        raise DomainError(_("Enter the file number."), "number")
    _check_number(row.estate_id, number, row.id)
    level = _check_level(level)

    def change():
        row.kind, row.title, row.number, row.level = kind, title, number, level
        for name, value in place.items():
            setattr(row, name, value)
        row.cabinet, row.shelf, row.box = _text(cabinet, 30), _text(shelf, 30), _text(box, 30)
        row.note = _text(note, 500)

    _save(number, change)
    return row


# -- the contents log --------------------------------------------------------------------
def _copy_attachments(entry: ArchiveEntry, attachment_ids: Sequence[int]) -> list[Attachment]:
    """The scans of a filed document, kept by the archive: a new attachment row of the entry
    for each one (the stored file is shared; attachments are never deleted)."""
    out = []
    for att_id in dict.fromkeys(attachment_ids or ()):
        att = db.session.get(Attachment, att_id) if isinstance(att_id, int) else None
        if att is None or att.estate_id != entry.estate_id or att.voided_at is not None:
            raise DomainError(_("Attachment %(id)s is not a scan of this estate.", id=att_id), "attachment_ids")
        copy = Attachment(estate_id=entry.estate_id, owner_table=ArchiveEntry.__tablename__, owner_id=entry.id,
                          filename=att.filename, content_type=att.content_type, size=att.size,
                          stored_as=att.stored_as, taken_at=att.taken_at)
        db.session.add(copy)
        out.append(copy)
    return out


def _append(user, row: ArchiveFile, title: str, note: str, source: str, source_ref: str,
            attachment_ids: Sequence[int], at: datetime | None) -> ArchiveEntry:
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Name the document."), "title")
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A document cannot be filed in the future."), "at")
    entry = ArchiveEntry(estate_id=row.estate_id, file_id=row.id, action="added", title=title, at=at,
                         note=_text(note, 500), source=_text(source, 40), source_ref=_text(source_ref, 40),
                         recorded_by_id=user.id if user is not None else None)
    db.session.add(entry)
    db.session.flush()
    _copy_attachments(entry, attachment_ids)
    db.session.flush()
    from core.plugins import hook

    hook("archives_document_filed")(entry=entry)
    return entry


def add_document(user, row: ArchiveFile, *, title: str, note: str = "", attachment_ids: Sequence[int] = (),
                 at: datetime | None = None) -> ArchiveEntry:
    """The archivist adds a document to a file: a new "added" line of its contents log."""
    _require(user, "archives.manage")
    _check_estate(user, row.estate_id)
    return _append(user, row, title, note, "", "", attachment_ids, at)


def withdraw_document(user, entry: ArchiveEntry, *, note: str, at: datetime | None = None) -> ArchiveEntry:
    """A document leaves the file: a "withdrawn" line naming the line that added it (once)."""
    _require(user, "archives.manage")
    _check_estate(user, entry.estate_id)
    if entry.action != "added":
        raise DomainError(_("Only a document that was added can be withdrawn."))
    note = _text(note, 500)
    if not note:
        raise DomainError(_("Say why the document is withdrawn."), "note")
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A withdrawal cannot be recorded in the future."), "at")
    if at < entry.at:
        raise DomainError(_("The withdrawal cannot be before the document was filed."), "at")
    row = ArchiveEntry(estate_id=entry.estate_id, file_id=entry.file_id, action="withdrawn", title=entry.title,
                       at=at, note=note, withdraws_id=entry.id, recorded_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise DomainError(_("The document %(title)s has already been withdrawn.", title=entry.title)) from None
    return row


def _filing_key(estate_id: int, kind: str, unit_id: int | None) -> str:
    return f"{estate_id}:{kind}:{unit_id or 0}"


#: Files other plugins open hold papers with personal data: internal unless said otherwise.
_FILED_LEVEL = {"owner": "internal", "decoration": "internal", "contract": "internal"}


def _file_for(user, estate: Estate, kind: str, unit: Unit | None) -> ArchiveFile:
    key = _filing_key(estate.id, kind, unit.id if unit else None)
    row = db.session.scalar(select(ArchiveFile).where(ArchiveFile.filing_key == key))
    if row is not None:
        return row
    stmt = select(ArchiveFile).where(ArchiveFile.estate_id == estate.id, ArchiveFile.kind == kind,
                                     ArchiveFile.filing_key.is_(None))
    if unit is not None:
        stmt = stmt.where(ArchiveFile.unit_id == unit.id)
    else:
        stmt = stmt.where(ArchiveFile.unit_id.is_(None), ArchiveFile.resident_id.is_(None),
                          ArchiveFile.building_id.is_(None))
    row = db.session.scalar(stmt.order_by(ArchiveFile.id).limit(1))
    from core.numbering import next_number

    try:
        with db.session.begin_nested():
            if row is not None:  # the archivist's file of that kind and unit becomes the one
                row.filing_key = key
            else:
                from plugins.archives.forms import KIND_LABELS

                title = (_("%(kind)s, unit %(unit)s", kind=KIND_LABELS[kind], unit=unit.number) if unit
                         else str(KIND_LABELS[kind]))
                row = ArchiveFile(estate_id=estate.id, number=next_number(NUMBER_PREFIX, estate), kind=kind,
                                  title=title, unit_id=unit.id if unit else None,
                                  building_id=unit.building_id if unit else None,
                                  level=_FILED_LEVEL.get(kind, "normal"), filing_key=key)
                db.session.add(row)
    except IntegrityError:  # another filing opened it at the same moment: use theirs
        row = db.session.scalar(select(ArchiveFile).where(ArchiveFile.filing_key == key))
        if row is None:
            raise
    return row


def file_document(user, *, estate_id: int, kind: str, title: str, unit_id: int | None = None,
                  source: str = "", source_ref: str = "", attachment_ids: Sequence[int] = (),
                  note: str = "") -> ArchiveEntry:
    """File a document into an estate's archive — the service other plugins call (decoration
    files its application and acceptance papers).

    Finds (or opens) the estate's file of ``kind`` for ``unit_id`` (the estate-level file of that
    kind when ``unit_id`` is None) and appends an "added" line to its contents log, with copies
    of ``attachment_ids`` (core attachments of the same estate) as its scans. ``source`` and
    ``source_ref`` say where it came from (``"decoration"``, the application's number). The user
    must belong to the estate; no archives permission is needed (the calling plugin checked its
    own). Refused with a translated :class:`DomainError`: an estate not the user's, an unknown
    kind, a unit of another estate, an empty title, an attachment of another estate. Fires
    ``archives_document_filed(entry)``. The caller commits."""
    estate = _check_estate(user, estate_id)
    if kind not in KINDS:
        raise DomainError(_("Unknown kind of file: %(kind)s.", kind=kind), "kind")
    unit = None
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise DomainError(_("This unit is not in this estate."), "unit_id")
    if not _text(title, 200):
        raise DomainError(_("Name the document."), "title")
    row = _file_for(user, estate, kind, unit)
    return _append(user, row, title, note, source, source_ref, attachment_ids, None)


def contents(file_id: int) -> list[ArchiveEntry]:
    """The documents in the file now: added and not withdrawn."""
    withdrawn = select(ArchiveEntry.withdraws_id).where(ArchiveEntry.file_id == file_id,
                                                        ArchiveEntry.withdraws_id.is_not(None))
    return list(db.session.scalars(select(ArchiveEntry).where(
        ArchiveEntry.file_id == file_id, ArchiveEntry.action == "added", ArchiveEntry.id.not_in(withdrawn))
        .order_by(ArchiveEntry.at, ArchiveEntry.id)))


# -- viewing and borrowing -----------------------------------------------------------------
def open_loan(file_id: int) -> ArchiveLoan | None:
    return db.session.scalar(select(ArchiveLoan).where(ArchiveLoan.file_id == file_id, ArchiveLoan.state == "out"))


def _already_out(row: ArchiveFile) -> DomainError:
    return DomainError(_("File %(number)s is already out: it must be returned before it is handed out again.",
                         number=row.number), "number")


def _check_due(due_at: datetime | None, start: datetime) -> datetime:
    if due_at is None:
        raise DomainError(_("Enter when the file is to be returned."), "due_at")
    if due_at <= start:
        raise DomainError(_("The return date must be after the time the file is taken out."), "due_at")
    return due_at


def request_file(user, row: ArchiveFile, *, kind: str, purpose: str, due_at: datetime | None,
                 borrower_name: str = "", at: datetime | None = None) -> ArchiveLoan:
    """Ask to view (in the archive room) or borrow a file. The office manager decides; a
    manager's own request for a file that is not confidential is approved by their permission."""
    _require(user, "archives.request")
    _check_estate(user, row.estate_id)
    if kind not in ("view", "borrow"):
        raise DomainError(_("Say whether the file is to be viewed or borrowed."), "kind")
    purpose = _text(purpose, 500)
    if not purpose:
        raise DomainError(_("Say what the file is needed for."), "purpose")
    now = utcnow()
    if at is not None and at > now + CLOCK_SKEW:
        raise DomainError(_("A request cannot be recorded in the future."), "at")
    now = at or now
    due_at = _check_due(due_at, now)
    loan = ArchiveLoan(estate_id=row.estate_id, file_id=row.id, kind=kind, state="pending",
                       borrower_name=_text(borrower_name, 100) or user.full_name, purpose=purpose, due_at=due_at,
                       requested_by_id=user.id, requested_at=now)
    if has_permission("archives.approve", user) and not row.confidential:
        loan.state, loan.decided_by_id, loan.decided_at = "approved", user.id, now
        loan.decision_note = _("Approved on the office manager's own authority.")
    db.session.add(loan)
    db.session.flush()
    return loan


def decide(user, loan: ArchiveLoan, *, approve: bool, note: str = "", at: datetime | None = None) -> ArchiveLoan:
    """The office manager approves or refuses (with a reason) — never their own request."""
    _require(user, "archives.approve")
    _check_estate(user, loan.estate_id)
    if loan.requested_by_id == user.id:
        raise DomainError(_("You cannot decide on your own request: another manager must."))
    if loan.state != "pending":
        raise DomainError(_("This request has already been decided."))
    note = _text(note, 500)
    if not approve and not note:
        raise DomainError(_("Give the reason for the refusal."), "note")
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A decision cannot be recorded in the future."), "at")
    if at < loan.requested_at:
        raise DomainError(_("The decision cannot be before the request."), "at")
    done = db.session.execute(
        update(ArchiveLoan).where(ArchiveLoan.id == loan.id, ArchiveLoan.state == "pending")
        .values(state="approved" if approve else "refused", decided_by_id=user.id, decided_at=at,
                decision_note=note, updated_at=now, updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("This request has already been decided."))
    record_sql_change("archives_loan", loan.id, loan.estate_id, {
        "state": ("pending", "approved" if approve else "refused"), "decided_by_id": (None, user.id)})
    db.session.expire(loan)
    return loan


def _mark_out(user, loan_id: int, file: ArchiveFile, at: datetime) -> None:
    try:
        with db.session.begin_nested():
            done = db.session.execute(
                update(ArchiveLoan).where(ArchiveLoan.id == loan_id, ArchiveLoan.state == "approved")
                .values(state="out", handed_out_at=at, handed_out_by_id=user.id, updated_at=utcnow(),
                        updated_by_id=user.id)
                .execution_options(synchronize_session=False))
    except IntegrityError:
        # Another request for the same file was handed out at the same moment and committed first.
        raise _already_out(file) from None
    if done.rowcount != 1:
        raise DomainError(_("This request is no longer waiting to be handed out."))
    record_sql_change("archives_loan", loan_id, file.estate_id, {"state": ("approved", "out"),
                                                                 "handed_out_by_id": (None, user.id)})


def hand_out(user, loan: ArchiveLoan, *, at: datetime | None = None) -> ArchiveLoan:
    """The archivist hands the file out on an approved request."""
    _require(user, "archives.manage")
    _check_estate(user, loan.estate_id)
    if loan.state == "pending":
        raise DomainError(_("This request has not been approved yet."))
    if loan.state != "approved":
        raise DomainError(_("This request is no longer waiting to be handed out."))
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A hand-out cannot be recorded in the future."), "at")
    if loan.due_at <= at:
        raise DomainError(_("The return date must be after the time the file is taken out."), "due_at")
    if at < loan.requested_at:
        raise DomainError(_("A file cannot be handed out before it was asked for."), "at")
    if open_loan(loan.file_id) is not None:
        raise _already_out(loan.file)
    _mark_out(user, loan.id, loan.file, at)
    db.session.expire(loan)
    return loan


def record_inspection(user, row: ArchiveFile, *, inspector: str, purpose: str, due_at: datetime | None,
                      at: datetime | None = None) -> ArchiveLoan:
    """A superior department's inspection (上级检查): recorded as such and handed out without
    the office manager's approval."""
    _require(user, "archives.manage")
    _check_estate(user, row.estate_id)
    inspector = _text(inspector, 100)
    if not inspector:
        raise DomainError(_("Enter who inspects the file (name and department)."), "inspector")
    purpose = _text(purpose, 500)
    if not purpose:
        raise DomainError(_("Say what the inspection is for."), "purpose")
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A hand-out cannot be recorded in the future."), "at")
    due_at = _check_due(due_at, at)
    if open_loan(row.id) is not None:
        raise _already_out(row)
    loan = ArchiveLoan(estate_id=row.estate_id, file_id=row.id, kind="inspection", state="out",
                       borrower_name=inspector, purpose=purpose, due_at=due_at, requested_by_id=user.id,
                       requested_at=at, handed_out_at=at, handed_out_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(loan)
    except IntegrityError:
        raise _already_out(row) from None
    return loan


def take_back(user, loan: ArchiveLoan, *, note: str = "", at: datetime | None = None) -> ArchiveLoan:
    """Record the return. Conditional (``WHERE state = 'out'``): of two archivists taking the
    same file back at once, one records it, the other is refused."""
    _require(user, "archives.manage")
    _check_estate(user, loan.estate_id)
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A return cannot be recorded in the future."), "at")
    if loan.handed_out_at is not None and at < loan.handed_out_at:
        raise DomainError(_("The return cannot be before the file was handed out."), "at")
    note = _text(note, 500)
    done = db.session.execute(
        update(ArchiveLoan).where(ArchiveLoan.id == loan.id, ArchiveLoan.state == "out")
        .values(state="returned", returned_at=at, returned_to_id=user.id, return_note=note, updated_at=now,
                updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("File %(number)s is not out: there is nothing to take back.",
                            number=loan.file.number), "number")
    record_sql_change("archives_loan", loan.id, loan.estate_id, {"state": ("out", "returned"),
                                                                "returned_to_id": (None, user.id)})
    db.session.expire(loan)
    return loan


#: How far a return date may be moved at once: an extension is for a file still needed a
#: little longer, not a loan without end.
MAX_EXTENSION = timedelta(days=90)


def extend(user, loan: ArchiveLoan, *, due_at: datetime | None, reason: str) -> ArchiveLoan:
    """Move the return date of a file that is out (续借), with the office manager's agreement
    and a reason. The new date is later than the old one and than now, and at most
    ``MAX_EXTENSION`` from the later of the two. Conditional on the loan being out with the
    date the form showed: of two extensions at once, one is recorded. The overdue reminder
    is sent again if the new date passes too."""
    _require(user, "archives.approve")
    _check_estate(user, loan.estate_id)
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the file is kept longer."), "reason")
    if due_at is None:
        raise DomainError(_("Enter the new return date."), "due_at")
    now = utcnow()
    old = loan.due_at
    if loan.state != "out":
        raise DomainError(_("File %(number)s is not out: only a file that is out can be kept longer.",
                            number=loan.file.number), "due_at")
    if due_at <= old or due_at <= now:
        raise DomainError(_("The new return date must be later than the current one and than now."), "due_at")
    if due_at > max(old, now) + MAX_EXTENSION:
        raise DomainError(_("A file can be kept at most %(days)d days longer at a time.",
                            days=MAX_EXTENSION.days), "due_at")
    count = (loan.extensions or 0) + 1
    done = db.session.execute(
        update(ArchiveLoan).where(ArchiveLoan.id == loan.id, ArchiveLoan.state == "out", ArchiveLoan.due_at == old)
        .values(due_at=due_at, extensions=count, extension_note=reason, overdue_notified_at=None,
                updated_at=now, updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("The loan changed meanwhile (returned, or kept longer by someone else): "
                            "open it again."), "due_at")
    record_sql_change("archives_loan", loan.id, loan.estate_id, {
        "due_at": (old, due_at), "extensions": (count - 1, count), "extension_note": (loan.extension_note, reason)})
    db.session.expire(loan)
    return loan


def take_back_file(user, row: ArchiveFile, **kw) -> ArchiveLoan:
    loan = open_loan(row.id)
    if loan is None:
        _require(user, "archives.manage")
        raise DomainError(_("File %(number)s is not out: there is nothing to take back.", number=row.number),
                          "number")
    return take_back(user, loan, **kw)


def cancel(user, loan: ArchiveLoan) -> ArchiveLoan:
    """The requester withdraws a request not yet handed out."""
    _check_estate(user, loan.estate_id)
    if loan.requested_by_id != user.id:
        raise DomainError(_("Only the person who asked can withdraw the request."))
    done = db.session.execute(
        update(ArchiveLoan).where(ArchiveLoan.id == loan.id, ArchiveLoan.state.in_(("pending", "approved")))
        .values(state="cancelled", updated_at=utcnow(), updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("This request can no longer be withdrawn."))
    db.session.expire(loan)
    return loan


def overdue_filter(now: datetime | None = None):
    return (ArchiveLoan.state == "out") & (ArchiveLoan.due_at < (now or utcnow()))


def overdue_count_query(estate_ids: list[int]):
    """``count(*)`` of the overdue loans in these estates (the menu badge runs it with the others)."""
    return select(func.count()).select_from(ArchiveLoan).where(ArchiveLoan.estate_id.in_(estate_ids or [0]),
                                                              overdue_filter())


def overdue_count(estate_ids: list[int]) -> int:
    return db.session.scalar(overdue_count_query(estate_ids)) if estate_ids else 0


# -- confidentiality -------------------------------------------------------------------------
def may_see_scans(user, row: ArchiveFile) -> bool:
    """Scans of a normal file: whoever sees the register. Of an internal or confidential file:
    the archivist, the office manager, and the borrower while their request is out."""
    if row.level == "normal" or has_permission("archives.manage", user) or has_permission("archives.approve", user):
        return True
    return db.session.scalar(select(func.count()).select_from(ArchiveLoan).where(
        ArchiveLoan.file_id == row.id, ArchiveLoan.requested_by_id == user.id, ArchiveLoan.state == "out")) > 0


def log_access(user, row: ArchiveFile, what: str, attachment: Attachment | None = None) -> ArchiveAccess | None:
    """Write a view of a confidential file's page or scan to its access log (others: nothing)."""
    if not row.confidential:
        return None
    entry = ArchiveAccess(estate_id=row.estate_id, file_id=row.id, user_id=user.id, at=utcnow(), what=what,
                          attachment_id=attachment.id if attachment else None,
                          filename=(attachment.filename if attachment else "")[:200])
    db.session.add(entry)
    return entry


# -- the inspection plan -------------------------------------------------------------------
def checks_per_year(estate_id: int) -> int:
    from core.settings import get_settings

    try:
        return max(2, int(get_settings("archives", estate_id).get("checks_per_year", 2)))
    except (TypeError, ValueError):
        return 2


def plan_check(user, *, estate_id: int, planned_on: date | None, title: str) -> ArchiveCheck:
    _require(user, "archives.manage")
    _check_estate(user, estate_id)
    if planned_on is None:
        raise DomainError(_("Enter the planned date of the check."), "planned_on")
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Name the check."), "title")
    row = ArchiveCheck(estate_id=estate_id, year=planned_on.year, planned_on=planned_on, title=title)
    db.session.add(row)
    db.session.flush()
    return row


def record_check(user, check: ArchiveCheck, *, done_on: date | None, results: dict, summary: str = "",
                 today: date | None = None) -> ArchiveCheck:
    """Record a check done: a finding for every file of the estate (``results``: file id →
    ``(result, note)``); a damaged or missing file needs a note and later a follow-up."""
    _require(user, "archives.manage")
    _check_estate(user, check.estate_id)
    if check.done_on is not None:
        raise DomainError(_("This check has already been recorded."))
    from core.i18n import today_local

    today = today or today_local()
    if done_on is None:
        raise DomainError(_("Enter the date of the check."), "done_on")
    if done_on > today:
        raise DomainError(_("A check cannot be recorded in the future."), "done_on")
    if done_on.year != check.year:
        raise DomainError(_("The check belongs to the plan of %(year)s: enter a date in that year.",
                            year=check.year), "done_on")
    files = db.session.scalars(select(ArchiveFile).where(ArchiveFile.estate_id == check.estate_id)
                               .order_by(ArchiveFile.number)).all()
    if not files:
        raise DomainError(_("This estate has no file to check."))
    known = {f.id for f in files}
    if any(fid not in known for fid in results):
        raise DomainError(_("A finding names a file that is not in this estate."))
    for f in files:
        result, note = results.get(f.id, ("", ""))
        if result not in RESULTS:
            raise DomainError(_("Choose a result for file %(number)s.", number=f.number), "results")
        if result in NEEDS_FOLLOW_UP and not _text(note, 500):
            raise DomainError(_("Say what is wrong with file %(number)s.", number=f.number), "results")
    for f in files:
        result, note = results[f.id]
        db.session.add(ArchiveFinding(estate_id=check.estate_id, check_id=check.id, file_id=f.id, result=result,
                                      note=_text(note, 500)))
    check.done_on, check.done_by_id, check.summary = done_on, user.id, _text(summary, 1000)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("This check has already been recorded.")) from None
    return check


def follow_up(user, finding: ArchiveFinding, *, note: str) -> ArchiveFinding:
    """Record what was done about a damaged or missing file (once)."""
    _require(user, "archives.manage")
    _check_estate(user, finding.estate_id)
    if finding.result not in NEEDS_FOLLOW_UP:
        raise DomainError(_("Only a damaged or missing file needs a follow-up."))
    note = _text(note, 500)
    if not note:
        raise DomainError(_("Say what was done."), "note")
    done = db.session.execute(
        update(ArchiveFinding).where(ArchiveFinding.id == finding.id, ArchiveFinding.followed_up_at.is_(None))
        .values(follow_up=note, followed_up_at=utcnow(), followed_up_by_id=user.id, updated_at=utcnow(),
                updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("This finding has already been followed up."))
    record_sql_change("archives_finding", finding.id, finding.estate_id, {"follow_up": ("", note)})
    db.session.expire(finding)
    return finding


def plan_status(estate_id: int, today: date) -> dict:
    """The year's plan: how many checks are required, planned and done, how many should be
    done by ``today`` (evenly spread over the year), and whether the estate is behind."""
    required = checks_per_year(estate_id)
    year = today.year
    rows = db.session.scalars(select(ArchiveCheck).where(ArchiveCheck.estate_id == estate_id,
                                                         ArchiveCheck.year == year)).all()
    done = sum(1 for r in rows if r.done_on is not None)
    late = sum(1 for r in rows if r.done_on is None and r.planned_on < today)
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    expected = required * (today - start).days // days
    return {"year": year, "required": required, "planned": len(rows), "done": done, "late": late,
            "expected": expected, "behind": done < expected or late > 0 or len(rows) < required}
