"""Complaint services: every step of the handling procedure is one function.

recorded → forwarded → investigating → [escalated → decided] → replied → closed
→ visited (satisfied) or back to investigating (not satisfied: reopened).
Each function refuses an illegal step with a translated :class:`DomainError`;
``at`` lets the caller give the time the step really happened (never in the future).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select

from core.errors import DomainError
from core.extensions import db
from core.forms import PHONE_RE, normalise_phone
from core.models import Department, Estate, Occupancy, Resident, Unit, utcnow
from core.numbering import next_number
from core.plugins import hook
from core.security import user_estate_ids
from plugins.complaints import sla
from plugins.complaints.models import (
    CATEGORIES,
    CHANNELS,
    HANDLING,
    KINDS,
    REPLY_METHODS,
    SEVERITIES,
    Complaint,
    ComplaintNote,
)

MAX_TEXT = 5000


# -- read services for other plugins -------------------------------------------
def complaint_states(user, estate_id: int, numbers) -> dict[str, dict]:
    """``{complaint number: {"id", "number", "state", "label", "open", "url"}}`` for those of
    ``numbers`` that are complaints of estate ``estate_id``, when ``user`` may see them (the estate
    is one of theirs and they hold ``complaints.view``; else ``{}``). ``label`` is the translated
    state, ``open`` is true while it is recorded or being handled (not yet replied to), ``url``
    its own page (needs a request context). Read-only, one query. The front desk links a forwarded enquiry to its complaint and
    shows how far it has got."""
    from flask import url_for

    from core.permissions import has_permission
    from plugins.complaints.labels import STATE_LABELS
    from plugins.complaints.models import OPEN_STATES

    wanted = {n.strip() for n in numbers or () if n and n.strip()}
    if not wanted or estate_id not in user_estate_ids(user) or not has_permission("complaints.view", user):
        return {}
    rows = db.session.execute(select(Complaint.number, Complaint.id, Complaint.state).where(
        Complaint.estate_id == estate_id, Complaint.number.in_(wanted)))
    return {number: {"id": cid, "number": number, "state": state, "label": str(STATE_LABELS.get(state, state)),
                     "open": state in OPEN_STATES, "url": url_for("complaints.detail", complaint_id=cid)}
            for number, cid, state in rows}


# -- helpers -------------------------------------------------------------------
def _when(at: datetime | None, not_before: datetime | None = None, field: str | None = "at") -> datetime:
    now = utcnow()
    at = at or now
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a complaint service")
    if at > now + timedelta(minutes=5):
        raise DomainError(_("The time cannot be in the future."), field)
    if not_before is not None and at < not_before:
        raise DomainError(_("The time cannot be before the previous step of this complaint."), field)
    return at


def _text(value: str | None, message, field: str, minimum: int = 2) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field)
    if len(text) < minimum:  # "x": say what is wrong with it, not "fill it in"
        raise DomainError(_("Too short: write at least %(n)s characters.", n=minimum), field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep it under %(n)s characters.", n=MAX_TEXT), field)
    return text


def _note(complaint: Complaint, user, kind: str, text: str, at: datetime) -> ComplaintNote:
    note = ComplaintNote(complaint=complaint, estate_id=complaint.estate_id, at=at,
                         user_id=getattr(user, "id", None), kind=kind, text=text)
    db.session.add(note)
    return note


def _last_step(complaint: Complaint) -> datetime:
    times = [complaint.received_at, complaint.forwarded_at, complaint.escalated_at, complaint.decided_at,
             complaint.reply_at, complaint.closed_at, complaint.reopened_at]
    times += [n.at for n in complaint.notes]
    return max(t for t in times if t is not None)


def _deadline(stage: str, estate_id: int, severity: str, category: str, start: datetime) -> datetime:
    """Ask the ``deadline_for`` hook (a service-level plugin may override ours)."""
    estate = db.session.get(Estate, estate_id)
    due = hook("deadline_for")(case_type=f"complaint.{stage}", estate=estate, priority=severity, start=start,
                               category=category)
    return due or sla.deadline(stage, estate_id, severity, start, category)


def resolve_unit(user, estate_id: int, unit_id: int | None = None, unit_number: str | None = None) -> Unit | None:
    """The unit named by id or by number, which must belong to ``estate_id``."""
    number = (unit_number or "").strip()
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise DomainError(_("There is no such unit."), "unit_number")
        if unit.estate_id != estate_id:
            raise DomainError(_("Unit %(n)s belongs to another estate.", n=unit.number), "unit_number")
        return unit
    if not number:
        return None
    unit = db.session.scalars(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number)).first()
    if unit is not None:
        return unit
    elsewhere = db.session.scalars(select(Unit).where(
        Unit.number == number, Unit.estate_id.in_(user_estate_ids(user) or [0]))).first()
    if elsewhere is not None:
        raise DomainError(_("Unit %(n)s belongs to another estate.", n=number), "unit_number")
    raise DomainError(_("There is no unit %(n)s in this estate.", n=number), "unit_number")


def _occupant(unit: Unit | None, name: str, phone: str):
    """The resident of ``unit`` the complainant is (same name or phone), or its first owner."""
    if unit is None:
        return None
    people = [o.resident for o in db.session.scalars(
        select(Occupancy).where(Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None))).all()]
    for person in people:
        if (name and person.name == name) or (phone and normalise_phone(person.phone) == phone):
            return person
    return people[0] if people and not name else None


# -- recording -----------------------------------------------------------------
def record(user, *, estate_id: int, channel: str, category: str, kind: str, severity: str, content: str,
           contact_name: str = "", contact_phone: str = "", unit_id: int | None = None,
           unit_number: str | None = None, received_at: datetime | None = None,
           resident_id: int | None = None) -> Complaint:
    """Fill in the Owner Complaint Record; the deadlines follow the estate's service-level standard.

    ``resident_id``: the caller chosen on the form (``core.callers``), who must live in the
    unit; without one, the unit's resident with the name or phone given (or its first owner)."""
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    if channel not in CHANNELS:
        raise DomainError(_("Choose how the complaint came in."), "channel")
    if category not in CATEGORIES:
        raise DomainError(_("Choose a category."), "category")
    if kind not in KINDS:
        raise DomainError(_("Choose the kind of complainant."), "kind")
    if severity not in SEVERITIES:
        raise DomainError(_("Choose a severity."), "severity")
    content = _text(content, _("Describe the complaint."), "content", minimum=4)
    received = _when(received_at, field="received_at")
    if received < utcnow() - timedelta(days=366):
        raise DomainError(_("A complaint older than a year cannot be recorded now."), "received_at")
    unit = resolve_unit(user, estate_id, unit_id, unit_number)
    name = (contact_name or "").strip()
    phone = normalise_phone(contact_phone)
    if phone and not PHONE_RE.match(phone):
        raise DomainError(_("Enter a phone number of 5 to 20 digits."), "contact_phone")
    if resident_id is not None:
        resident = db.session.get(Resident, resident_id)
        lives_there = unit is not None and resident is not None and db.session.scalar(
            select(exists().where(Occupancy.unit_id == unit.id, Occupancy.resident_id == resident.id,
                                  Occupancy.end_date.is_(None))))
        if not lives_there:
            raise DomainError(_("This resident is not on file for the unit."), "resident_id")
    else:
        resident = _occupant(unit, name, phone)
    if resident is not None:
        name = name or resident.name
        phone = phone or normalise_phone(resident.phone)
    if not name:
        raise DomainError(_("Enter the complainant's name."), "contact_name")
    if len(name) > 100:
        raise DomainError(_("Keep it under %(n)s characters.", n=100), "contact_name")
    if not phone and unit is None:
        raise DomainError(_("Give a phone number or a unit, so that the complainant can be answered."),
                          "contact_phone")
    complaint = Complaint(
        estate_id=estate_id, unit_id=unit.id if unit else None, resident_id=resident.id if resident else None,
        contact_name=name, contact_phone=phone, channel=channel, category=category, kind=kind,
        severity=severity, content=content, received_at=received, state="recorded", reopen_count=0,
        forward_due_at=_deadline("forward", estate_id, severity, category, received),
        reply_due_at=_deadline("reply", estate_id, severity, category, received),
        number=next_number("TS", estate_id, received))
    db.session.add(complaint)
    db.session.flush()
    return complaint


# -- handling ------------------------------------------------------------------
def forward(user, complaint: Complaint, department_id: int | None, note: str = "",
            at: datetime | None = None) -> Complaint:
    """Pass the record to the responsible department (within the forward deadline)."""
    if complaint.state != "recorded":
        raise DomainError(_("Only a newly recorded complaint can be forwarded."))
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        raise DomainError(_("Choose the department responsible."), "department_id")
    at = _when(at, complaint.received_at)
    complaint.department_id = department.id
    complaint.forwarded_at = at
    complaint.forwarded_by_id = getattr(user, "id", None)
    complaint.state = "forwarded"
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("Keep it under %(n)s characters.", n=500), "note")
    # Stored texts stay in the words people typed: the step's name is translated on display.
    _note(complaint, user, "forward", " · ".join(filter(None, [department.name, note])), at)
    return complaint


def add_note(user, complaint: Complaint, text: str, at: datetime | None = None) -> ComplaintNote:
    """An investigation note; the first one starts the investigation."""
    if complaint.state not in HANDLING:
        raise DomainError(_("Notes are taken while the complaint is being handled; forward it first."))
    text = _text(text, _("Write what was found or done."), "text")
    at = _when(at, complaint.forwarded_at)
    if complaint.state == "forwarded":
        complaint.state = "investigating"
    return _note(complaint, user, "note", text, at)


def escalate(user, complaint: Complaint, reason: str, at: datetime | None = None) -> Complaint:
    """Beyond the handler's authority: report to the manager, who decides."""
    if complaint.state not in ("forwarded", "investigating"):
        raise DomainError(_("Only a complaint under investigation can be escalated to the manager."))
    reason = _text(reason, _("Say why the manager must decide."), "reason")
    at = _when(at, _last_step(complaint))
    complaint.state = "escalated"
    complaint.escalated_at = at
    complaint.escalation_reason = reason
    complaint.escalated_by_id = getattr(user, "id", None)
    _note(complaint, user, "escalate", reason, at)
    return complaint


def decide(user, complaint: Complaint, decision: str, at: datetime | None = None) -> Complaint:
    """The manager's decision on an escalated complaint."""
    if not user.can("complaints.decide"):
        raise DomainError(_("Only the manager decides escalated complaints."))
    if complaint.state != "escalated":
        raise DomainError(_("Only an escalated complaint waits for the manager's decision."))
    decision = _text(decision, _("Write the decision."), "decision")
    at = _when(at, complaint.escalated_at)
    complaint.state = "decided"
    complaint.decision = decision
    complaint.decided_at = at
    complaint.decided_by_id = user.id
    _note(complaint, user, "decide", decision, at)
    return complaint


def reply(user, complaint: Complaint, text: str, method: str, at: datetime | None = None) -> Complaint:
    """The written reply to the complainant (printable letter)."""
    if complaint.state == "escalated":
        raise DomainError(_("The manager has not decided yet; reply after the decision."))
    if complaint.state not in ("investigating", "decided"):
        raise DomainError(_("Investigate the complaint before replying."))
    if method not in REPLY_METHODS:
        raise DomainError(_("Choose how the reply is given."), "method")
    text = _text(text, _("Write the reply to the complainant."), "text", minimum=5)
    at = _when(at, _last_step(complaint))
    complaint.state = "replied"
    complaint.reply_text = text
    complaint.reply_method = method
    complaint.reply_at = at
    complaint.replied_by_id = getattr(user, "id", None)
    _note(complaint, user, "reply", text, at)
    return complaint


def close(user, complaint: Complaint, at: datetime | None = None) -> Complaint:
    """The complainant has the reply: close the record; fires ``complaints_closed``."""
    if complaint.state != "replied":
        raise DomainError(_("Only a complaint that has been replied to can be closed."))
    at = _when(at, complaint.reply_at)
    complaint.state = "closed"
    complaint.closed_at = at
    complaint.closed_by_id = getattr(user, "id", None)
    complaint.satisfied = None
    _note(complaint, user, "close", "", at)
    db.session.flush()
    hook("complaints_closed")(complaint=complaint)
    return complaint


def confirm_visit(user, complaint: Complaint, satisfied: bool, remarks: str = "",
                  at: datetime | None = None) -> Complaint:
    """The return visit's result: satisfied → visited; not satisfied → reopened."""
    if complaint.state != "closed":
        raise DomainError(_("Only a closed complaint gets a return visit."))
    remarks = (remarks or "").strip()[:500]
    if not satisfied:
        if len(remarks) < 2:
            raise DomainError(_("Write down what the complainant is not satisfied with."), "remarks")
        return reopen(user, complaint, remarks, at)
    at = _when(at, complaint.closed_at)
    complaint.state = "visited"
    complaint.satisfied = True
    complaint.visited_at = at
    complaint.visit_remarks = remarks
    _note(complaint, user, "visit", remarks, at)
    return complaint


def reopen(user, complaint: Complaint, reason: str, at: datetime | None = None) -> Complaint:
    """Not satisfied: back to investigating (the reply deadline stays what it was)."""
    if complaint.state != "closed":
        raise DomainError(_("Only a closed complaint can be reopened."))
    reason = _text(reason, _("Say why the complaint is reopened."), "reason")
    at = _when(at, complaint.closed_at)
    complaint.state = "investigating"
    complaint.satisfied = False
    complaint.visited_at = at
    complaint.visit_remarks = reason[:500]
    complaint.reopen_count = (complaint.reopen_count or 0) + 1
    complaint.reopened_at = at
    complaint.closed_at = None
    complaint.closed_by_id = None
    _note(complaint, user, "reopen", reason, at)
    return complaint
