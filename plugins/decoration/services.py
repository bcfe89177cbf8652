"""Decoration services. Each function takes the acting user, checks every rule, and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Rules: the unit belongs to one of the user's estates and has an owner on record; a tenant
applies only with the owner's consent; the end is not before the start; one open application
per unit (database index, refusal translated); a structural or service change needs the
maintenance department's safety approval (``decoration.safety_approve``) and everything the
customer service supervisor's (``decoration.approve``), never the applicant's receiver's own;
refusals carry a reason; no permit until the fee and deposit are paid (through the fees plugin
when it is enabled, else ticked by hand); a worker's pass ends on or before the permit's end.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.attachments import check_upload, save_upload
from core.errors import DomainError
from core.extensions import db
from core.models import Estate, Occupancy, Unit, utcnow
from core.numbering import next_number
from core.permissions import has_permission
from core.security import user_estate_ids
from core.settings import get_settings
from plugins.decoration import partners
from plugins.decoration.models import (
    APPLICANT_KINDS,
    OPEN_INDEX,
    OPEN_STATES,
    SCOPE_ITEMS,
    AcceptanceCheck,
    Application,
    Extension,
    Inspection,
    WorkerPass,
)

NAMESPACE = "decoration"
DEFAULTS = {"rules": "", "notices": "", "fee_item": "DECO-FEE", "deposit_item": "DECO-DEP",
            "fee_amount": "500.00", "deposit_amount": "2000.00", "violations_to_suspend": 3,
            "inspect_every_days": 7}
#: A worker's pass lasts at most this long past its start (the permit's end is the other limit).
MAX_NAME = 100


def settings(estate_id: int) -> dict:
    return get_settings(NAMESPACE, estate_id)


def estate_today(estate: Estate) -> date:
    return utcnow().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount in yuan, e.g. 500.00."), field) from None
    if amount < 0 or amount > Decimal("9999999.99") or Decimal(str(value)) != amount:
        raise DomainError(_("Enter an amount in yuan from 0 to 9,999,999.99 with at most two decimals."), field)
    return amount


def owners_of(unit: Unit) -> list[str]:
    return list(db.session.scalars(
        select(Occupancy).where(Occupancy.unit_id == unit.id, Occupancy.role == "owner",
                                Occupancy.end_date.is_(None)).order_by(Occupancy.id)))


# -- the application ------------------------------------------------------------------------
def apply(user, *, estate_id: int, unit_number: str, applicant_kind: str, applicant_name: str,
          applicant_phone: str, owner_consent: bool, contractor: str, manager_name: str, manager_phone: str,
          planned_start: date | None, planned_end: date | None, scope: list[str], structural_details: str = "",
          description: str = "", drawings=()) -> Application:
    """Record an application at the front desk (``decoration.apply``), with its drawings
    (photos or PDF scans, each checked before anything is saved)."""
    _require(user, "decoration.apply")
    estate = _check_estate(user, estate_id)
    number = _text(unit_number, 30)
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number)) if number else None
    if unit is None:
        raise DomainError(_("There is no unit %(number)s in this estate.", number=number or "—"), "unit_number")
    owners = owners_of(unit)
    if not owners:
        raise DomainError(_("Unit %(number)s has no owner on record: register the owner before works are "
                            "applied for.", number=unit.number), "unit_number")
    if applicant_kind not in APPLICANT_KINDS:
        raise DomainError(_("Say whether the owner or a tenant applies."), "applicant_kind")
    if applicant_kind == "tenant" and not owner_consent:
        raise DomainError(_("A tenant applies only with the owner's written consent: tick it once it is "
                            "shown."), "owner_consent")
    name = _text(applicant_name, MAX_NAME)
    if not name:
        raise DomainError(_("Enter the applicant's name."), "applicant_name")
    phone = _text(applicant_phone, 30)
    if not phone:
        raise DomainError(_("Enter the applicant's phone."), "applicant_phone")
    contractor = _text(contractor, 100)
    if not contractor:
        raise DomainError(_("Enter the contractor company."), "contractor")
    manager = _text(manager_name, MAX_NAME)
    if not manager:
        raise DomainError(_("Enter the contractor's person in charge."), "manager_name")
    manager_phone = _text(manager_phone, 30)
    if not manager_phone:
        raise DomainError(_("Enter the phone of the person in charge."), "manager_phone")
    if planned_start is None:
        raise DomainError(_("Enter the planned start."), "planned_start")
    if planned_end is None:
        raise DomainError(_("Enter the planned end."), "planned_end")
    if planned_end < planned_start:
        raise DomainError(_("The planned end is before the planned start."), "planned_end")
    if (planned_end - planned_start).days > 366:
        raise DomainError(_("Works last at most a year: apply for an extension later if needed."), "planned_end")
    items = [s for s in SCOPE_ITEMS if s in set(scope or ())]
    if not items:
        raise DomainError(_("Tick at least one item of the scope of works."), "scope")
    details = _text(structural_details, 1000)
    if any(s in ("structural", "services") for s in items) and not details:
        raise DomainError(_("Describe the structural or service change: the maintenance department checks "
                          "its safety."), "structural_details")
    files = [f for f in (drawings or ()) if getattr(f, "filename", "")]
    for f in files:
        check_upload(f, allow_pdf=True)
        f.stream.seek(0)
    owner_name = owners[0].resident.name if owners else ""
    app = Application(
        estate_id=estate.id, unit_id=unit.id, number=next_number("ZX", estate), state="submitted",
        applicant_kind=applicant_kind, applicant_name=name, applicant_phone=phone, owner_name=owner_name,
        owner_consent=bool(owner_consent) or applicant_kind == "owner", contractor=contractor, manager_name=manager,
        manager_phone=manager_phone, planned_start=planned_start, planned_end=planned_end, end_date=planned_end,
        scope=",".join(items), structural_details=details, description=_text(description, 1000),
        received_by_id=user.id, fee_amount=Decimal("0.00"), deposit_amount=Decimal("0.00"))
    _save_open(app, unit)
    for f in files:
        save_upload(f, app, allow_pdf=True)
    db.session.flush()
    return app


def _save_open(app: Application, unit: Unit) -> None:
    """Add and flush in a savepoint: the open-application index refuses a second one for the
    unit, also when two desks record one at the same moment."""
    other = db.session.scalar(select(Application.number).where(
        Application.unit_id == unit.id, Application.state.in_(OPEN_STATES), Application.id != (app.id or 0)))
    if other:
        raise DomainError(_("Unit %(unit)s already has an open decoration application, %(number)s.",
                            unit=unit.number, number=other), "unit_number")
    try:
        with db.session.begin_nested():
            db.session.add(app)
            db.session.flush()
    except IntegrityError as exc:
        if OPEN_INDEX not in str(exc.orig) and "decoration_application.unit_id" not in str(exc.orig):
            raise
        raise DomainError(_("Unit %(unit)s already has an open decoration application.", unit=unit.number),
                          "unit_number") from None


def _state(app: Application, *states: str) -> None:
    if app.state not in states:
        from plugins.decoration.labels import STATE_LABELS

        raise DomainError(_("Application %(number)s is %(state)s: this step is not possible now.",
                            number=app.number, state=STATE_LABELS.get(app.state, app.state)))


def _not_receiver(user, app: Application) -> None:
    if app.received_by_id == user.id:
        raise DomainError(_("You recorded this application: another person approves it."))


def safety_approve(user, app: Application, note: str = "") -> Application:
    """The maintenance department's safety approval of a structural or service change."""
    _require(user, "decoration.safety_approve")
    _state(app, "submitted")
    if not app.needs_safety:
        raise DomainError(_("This application changes no structure or services: no safety approval is "
                            "needed."))
    if app.safety_at is not None:
        raise DomainError(_("The safety approval is given already."))
    _not_receiver(user, app)
    app.safety_by_id, app.safety_at, app.safety_note = user.id, utcnow(), _text(note, 500)
    db.session.flush()
    return app


def approve(user, app: Application, note: str = "") -> Application:
    """The customer service supervisor approves; the fee and deposit are then charged."""
    _require(user, "decoration.approve")
    _state(app, "submitted")
    _not_receiver(user, app)
    if app.needs_safety and app.safety_at is None:
        raise DomainError(_("The structural or service change needs the maintenance department's safety "
                            "approval first."))
    app.approved_by_id, app.approved_at, app.approval_note = user.id, utcnow(), _text(note, 500)
    app.state = "approved"
    charge(user, app)
    db.session.flush()
    return app


def refuse(user, app: Application, reason: str) -> Application:
    """Refuse the application (supervisor, or maintenance on safety grounds), with a reason."""
    if not (has_permission("decoration.approve", user) or has_permission("decoration.safety_approve", user)):
        raise DomainError(_("Your role may not do this."))
    _state(app, "submitted")
    reason = _text(reason, 500)
    if len(reason) < 4:
        raise DomainError(_("Give the reason for refusing (at least 4 characters)."), "reason")
    _not_receiver(user, app)
    app.refused_by_id, app.refused_at, app.refusal_reason, app.state = user.id, utcnow(), reason, "refused"
    db.session.flush()
    return app


def cancel(user, app: Application, reason: str) -> Application:
    """The applicant withdraws before the permit is issued."""
    _require(user, "decoration.apply")
    _state(app, "submitted", "approved")
    reason = _text(reason, 500)
    if len(reason) < 4:
        raise DomainError(_("Give the reason for cancelling (at least 4 characters)."), "reason")
    app.cancel_reason, app.state = reason, "cancelled"
    db.session.flush()
    return app


# -- fees -------------------------------------------------------------------------------------
def charge(user, app: Application) -> None:
    """Work out the fee and deposit and charge them: through the fees plugin (the estate's
    published prices, the fee as a bill) when it is enabled, else the amounts of the
    decoration settings, recorded for the step to be ticked by hand."""
    conf = settings(app.estate_id)
    if partners.fees_on():
        quote = partners.quote(app.estate, app.unit, conf["fee_item"], conf["deposit_item"],
                               estate_today(app.estate))
        app.fee_amount, app.deposit_amount, app.fees_via = quote.fee, quote.deposit, "fees"
        bill = partners.charge_fee(app, conf["fee_item"], user.id)
        app.fee_bill_id = bill.id if bill is not None else None
    else:
        app.fee_amount = _money(conf.get("fee_amount") or "0", "fees")
        app.deposit_amount = _money(conf.get("deposit_amount") or "0", "fees")
        app.fees_via = "manual"


def through_fees(app: Application) -> bool:
    return app.fees_via == "fees" and partners.fees_on()


def paid_status(app: Application):
    """``partners.Paid`` when the fees plugin holds the money, else ``None`` (ticked by hand)."""
    if not through_fees(app):
        return None
    return partners.paid_status(app, settings(app.estate_id)["fee_item"])


def fees_settled(app: Application) -> bool:
    if app.fee_amount == 0 and app.deposit_amount == 0:
        return True
    status = paid_status(app)
    if status is not None:
        return status.settled(app)
    return app.fees_paid_at is not None


def tick_fees_paid(user, app: Application, note: str) -> Application:
    """Without the fees plugin: the cashier (or supervisor) ticks that the fee and deposit
    were paid, noting the receipt."""
    _require(user, "decoration.fees")
    _state(app, "approved")
    if through_fees(app):
        raise DomainError(_("The fee and deposit are taken at the cashier desk: their payment shows here by "
                            "itself."))
    if app.fees_paid_at is not None:
        raise DomainError(_("The payment is ticked already."))
    note = _text(note, 200)
    if not note:
        raise DomainError(_("Note the receipt number or how it was paid."), "note")
    app.fees_paid_at, app.fees_paid_by_id, app.fees_note = utcnow(), user.id, note
    db.session.flush()
    return app


# -- the permit and the passes ------------------------------------------------------------------
def issue_permit(user, app: Application) -> Application:
    _require(user, "decoration.permit")
    _state(app, "approved")
    if not fees_settled(app):
        status = paid_status(app)
        if status is not None and not status.fee_paid:
            raise DomainError(_("The decoration management fee of %(amount)s is not paid yet: no permit until it "
                                "is.", amount=app.fee_amount))
        if status is not None:
            raise DomainError(_("The deposit of %(amount)s for %(number)s is not held yet: the cashier takes it "
                                "with this application's number.", amount=app.deposit_amount, number=app.number))
        raise DomainError(_("The fee and deposit are not marked paid yet: no permit until they are."))
    if status_today_after(app):
        raise DomainError(_("The works were to end on %(day)s: extend the end date before issuing the permit.",
                            day=app.end_date.isoformat()))
    app.permit_number = next_number("XK", app.estate)
    app.permit_at, app.permit_by_id, app.state = utcnow(), user.id, "permitted"
    if app.fees_paid_at is None:
        app.fees_paid_at = utcnow()
    db.session.flush()
    return app


def status_today_after(app: Application) -> bool:
    return estate_today(app.estate) > app.end_date


def add_pass(user, app: Application, *, name: str, id_number: str, trade: str = "", valid_from: date | None,
             valid_to: date | None, photo=None) -> WorkerPass:
    """A temporary pass for one of the contractor's workers (photo checked before saving)."""
    _require(user, "decoration.permit")
    _state(app, "permitted")
    name = _text(name, MAX_NAME)
    if not name:
        raise DomainError(_("Enter the worker's name."), "name")
    id_number = _text(id_number, 40).upper()
    if not id_number:
        raise DomainError(_("Enter the worker's ID number."), "id_number")
    if not (15 <= len(id_number) <= 18 and id_number[:-1].isdigit() and (id_number[-1].isdigit() or id_number[-1] == "X")):
        raise DomainError(_("The ID number is 15 or 18 characters: digits, the last may be X."), "id_number")
    if valid_from is None:
        raise DomainError(_("Enter the first day of the pass."), "valid_from")
    if valid_to is None:
        raise DomainError(_("Enter the last day of the pass."), "valid_to")
    if valid_to < valid_from:
        raise DomainError(_("The pass ends before it starts."), "valid_to")
    if valid_to > app.end_date:
        raise DomainError(_("A pass ends with the permit, on %(day)s at the latest.", day=app.end_date.isoformat()),
                          "valid_to")
    if valid_to < estate_today(app.estate):
        raise DomainError(_("The pass would have ended already."), "valid_to")
    if photo is not None and getattr(photo, "filename", ""):
        check_upload(photo)
        photo.stream.seek(0)
    else:
        photo = None
    same = db.session.scalar(select(WorkerPass.number).where(
        WorkerPass.application_id == app.id, WorkerPass.id_number == id_number, WorkerPass.voided_at.is_(None)))
    if same:
        raise DomainError(_("This worker has a pass for these works already: %(number)s.", number=same), "id_number")
    p = WorkerPass(estate_id=app.estate_id, application_id=app.id, number=next_number("LS", app.estate),
                   name=name, id_number=id_number, trade=_text(trade, 50), valid_from=valid_from, valid_to=valid_to)
    db.session.add(p)
    db.session.flush()
    if photo is not None:
        save_upload(photo, p)
    db.session.flush()
    return p


def void_pass(user, p: WorkerPass, reason: str) -> WorkerPass:
    _require(user, "decoration.permit")
    reason = _text(reason, 500)
    if len(reason) < 4:
        raise DomainError(_("Give the reason for withdrawing the pass (at least 4 characters)."), "reason")
    if p.voided_at is not None:
        raise DomainError(_("This pass is withdrawn already."))
    p.voided_at, p.voided_by_id, p.void_reason = utcnow(), user.id, reason
    db.session.flush()
    return p


def pass_valid(p: WorkerPass, app: Application, today: date) -> bool:
    """A pass is valid on its days, while the permit is in force (not suspended, not over)."""
    return (p.voided_at is None and app.state == "permitted" and p.valid_from <= today <= min(p.valid_to, app.end_date))


def when_local(value: datetime | None, estate: Estate) -> datetime | None:
    return value.astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")) if value else None


# -- inspections and rectification ------------------------------------------------------------
def inspect(user, app: Application, *, findings: str, violation: bool = False, required_action: str = "",
            deadline: date | None = None, photos=()) -> Inspection:
    """Record a patrol visit; a violation gets a numbered rectification notice with a deadline."""
    _require(user, "decoration.inspect")
    _state(app, "permitted", "suspended")
    findings = _text(findings, 1000)
    if not findings:
        raise DomainError(_("Write what the inspection found."), "findings")
    files = [f for f in (photos or ()) if getattr(f, "filename", "")]
    for f in files:
        check_upload(f)
        f.stream.seek(0)
    today = estate_today(app.estate)
    insp = Inspection(estate_id=app.estate_id, application_id=app.id, inspected_at=utcnow(), inspector_id=user.id,
                      findings=findings, violation=bool(violation))
    if violation:
        action = _text(required_action, 1000)
        if not action:
            raise DomainError(_("Say what is to be rectified."), "required_action")
        if deadline is None:
            raise DomainError(_("Enter the deadline for the rectification."), "deadline")
        if deadline < today:
            raise DomainError(_("The deadline is in the past."), "deadline")
        if (deadline - today).days > 90:
            raise DomainError(_("Give at most 90 days to rectify."), "deadline")
        insp.required_action, insp.deadline = action, deadline
        insp.notice_number = next_number("ZG", app.estate)
    db.session.add(insp)
    db.session.flush()
    for f in files:
        save_upload(f, insp)
    db.session.flush()
    return insp


def recheck(user, insp: Inspection, *, rectified: bool, note: str, new_deadline: date | None = None) -> Inspection:
    """The re-check of a rectification notice: rectified (closed), or not yet (a new deadline)."""
    _require(user, "decoration.inspect")
    if not insp.violation or insp.rectified_at is not None:
        raise DomainError(_("This notice is closed already."))
    note = _text(note, 500)
    if not note:
        raise DomainError(_("Write what the re-check found."), "note")
    app = db.session.get(Application, insp.application_id)
    if rectified:
        insp.rectified_at = utcnow()
    else:
        if new_deadline is None:
            raise DomainError(_("Not rectified: give a new deadline."), "new_deadline")
        if new_deadline < estate_today(app.estate):
            raise DomainError(_("The deadline is in the past."), "new_deadline")
        insp.deadline, insp.alerted_at = new_deadline, None
    insp.rechecked_by_id, insp.recheck_note = user.id, note
    db.session.flush()
    return insp


def violation_count(app: Application) -> int:
    return db.session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.application_id == app.id, Inspection.violation.is_(True))) or 0


def open_notices(app: Application) -> int:
    return db.session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.application_id == app.id, Inspection.violation.is_(True), Inspection.rectified_at.is_(None))) or 0


def suspend(user, app: Application, reason: str) -> Application:
    """Suspend the permit after repeated violations (as many as the estate's setting)."""
    _require(user, "decoration.approve")
    _state(app, "permitted")
    limit = int(settings(app.estate_id).get("violations_to_suspend") or 3)
    if violation_count(app) < limit:
        raise DomainError(_("A permit is suspended after %(limit)s violations; this one has %(count)s.",
                            limit=limit, count=violation_count(app)))
    reason = _text(reason, 500)
    if len(reason) < 4:
        raise DomainError(_("Give the reason for suspending (at least 4 characters)."), "reason")
    app.state, app.suspended_at, app.suspend_reason = "suspended", utcnow(), reason
    db.session.flush()
    return app


def resume(user, app: Application) -> Application:
    _require(user, "decoration.approve")
    _state(app, "suspended")
    if open_notices(app):
        raise DomainError(_("A rectification notice is still open: the permit is resumed once it is rectified."))
    app.state = "permitted"
    db.session.flush()
    return app


def inspect_every_days(estate_id: int) -> int:
    """How many days a renovation in progress may go without an inspection (estate setting,
    default 7)."""
    try:
        days = int(settings(estate_id).get("inspect_every_days") or DEFAULTS["inspect_every_days"])
    except (TypeError, ValueError):
        days = DEFAULTS["inspect_every_days"]
    return max(days, 1)


def inspections_due(estate_ids) -> int:
    """Renovations in progress (permitted) of these estates neither inspected nor permitted
    within their estate's inspection interval (``inspect_every_days``)."""
    from datetime import timedelta

    by_days: dict[int, list[int]] = {}
    for estate_id in estate_ids or ():
        by_days.setdefault(inspect_every_days(estate_id), []).append(estate_id)
    now, total = utcnow(), 0
    for days, ids in by_days.items():
        since = now - timedelta(days=days)
        recent = select(Inspection.application_id).where(Inspection.estate_id.in_(ids),
                                                         Inspection.inspected_at >= since)
        total += db.session.scalar(select(func.count()).select_from(Application).where(
            Application.estate_id.in_(ids), Application.state == "permitted", Application.permit_at < since,
            Application.id.not_in(recent))) or 0
    return total


def overdue_filter(today: date):
    return sa.and_(Inspection.violation.is_(True), Inspection.rectified_at.is_(None), Inspection.deadline < today)


# -- extension -----------------------------------------------------------------------------------
def request_extension(user, app: Application, *, new_end: date | None, reason: str) -> Extension:
    _require(user, "decoration.apply")
    _state(app, "approved", "permitted", "suspended")
    if new_end is None:
        raise DomainError(_("Enter the new end date."), "new_end")
    if new_end <= app.end_date:
        raise DomainError(_("The new end must be after the present end, %(day)s.", day=app.end_date.isoformat()),
                          "new_end")
    if (new_end - app.planned_start).days > 366:
        raise DomainError(_("Works last at most a year: apply for an extension later if needed."), "new_end")
    reason = _text(reason, 500)
    if len(reason) < 4:
        raise DomainError(_("Give the reason for the extension (at least 4 characters)."), "reason")
    if db.session.scalar(select(Extension.id).where(Extension.application_id == app.id,
                                                    Extension.state == "pending")):
        raise DomainError(_("An extension is waiting for approval already."), "new_end")
    ext = Extension(estate_id=app.estate_id, application_id=app.id, old_end=app.end_date, new_end=new_end,
                    reason=reason, requested_by_id=user.id)
    db.session.add(ext)
    db.session.flush()
    return ext


def decide_extension(user, ext: Extension, approve: bool, note: str = "") -> Extension:
    _require(user, "decoration.approve")
    if ext.state != "pending":
        raise DomainError(_("This extension is decided already."))
    if ext.requested_by_id == user.id:
        raise DomainError(_("You asked for this extension: another person decides it."))
    app = db.session.get(Application, ext.application_id)
    note = _text(note, 500)
    if not approve and len(note) < 4:
        raise DomainError(_("Give the reason for refusing (at least 4 characters)."), "note")
    ext.state, ext.decided_by_id, ext.decided_at, ext.decision_note = (
        "approved" if approve else "refused"), user.id, utcnow(), note
    if approve:
        old_end, app.end_date = app.end_date, max(app.end_date, ext.new_end)
        _lengthen_passes(app, old_end)
    db.session.flush()
    return ext


def _lengthen_passes(app: Application, old_end: date) -> None:
    """The live passes that ran to the permit's old end now run to its new end (never past
    it); a pass given for fewer days keeps its own end."""
    if app.end_date <= old_end:
        return
    for p in db.session.scalars(select(WorkerPass).where(
            WorkerPass.application_id == app.id, WorkerPass.voided_at.is_(None), WorkerPass.valid_to >= old_end)):
        p.valid_to = app.end_date


# -- completion and acceptance ---------------------------------------------------------------------
def complete(user, app: Application) -> Application:
    """The works are reported finished: acceptance is to be organised."""
    _require(user, "decoration.apply")
    _state(app, "permitted")
    if open_notices(app):
        raise DomainError(_("A rectification notice is still open: it is re-checked before the works are "
                            "completed."))
    app.state, app.completed_at = "completed", utcnow()
    db.session.flush()
    return app


def check(user, app: Application, *, defects: list[str], defect_note: str = "", remedy: str = "", note: str = "",
          accept: bool = False) -> AcceptanceCheck:
    """An acceptance visit against the approved scope. ``accept`` with no defect accepts the works
    (fires ``decoration_accepted``; files the papers in the archives when enabled); defects are
    sent back to the contractor (``rework``: the works resume) or become repair orders
    (``repair``, through the repairs plugin when enabled)."""
    from core.plugins import hook, is_enabled

    _require(user, "decoration.accept")
    _state(app, "completed")
    bad = [d for d in SCOPE_ITEMS if d in set(defects or ())]
    if any(d not in app.scope_items for d in bad):
        raise DomainError(_("Only items of the approved scope are checked."), "defects")
    if accept and bad:
        raise DomainError(_("Defects are open: the works cannot be accepted. Record them for rework or repair "
                            "first."), "defects")
    if not accept and not bad:
        raise DomainError(_("Tick the defective items, or accept the works."), "defects")
    if accept:
        still_open = [n for n, s in sorted(repair_orders(user, app).items()) if s["open"]]
        if still_open:
            raise DomainError(_("The repair orders of the defects are not done yet (%(numbers)s): the works are "
                                "accepted once they are completed.", numbers="、".join(still_open)), "defects")
    row = AcceptanceCheck(estate_id=app.estate_id, application_id=app.id, checked_at=utcnow(), checked_by_id=user.id,
                          passed=accept, defects=",".join(bad), note=_text(note, 1000))
    if bad:
        row.defect_note = _text(defect_note, 1000)
        if not row.defect_note:
            raise DomainError(_("Describe the defects."), "defect_note")
        if remedy not in ("rework", "repair"):
            raise DomainError(_("Choose rework by the contractor or a repair order."), "remedy")
        if remedy == "repair" and not is_enabled("repairs"):
            raise DomainError(_("Repair orders need the repairs module: choose rework by the contractor."), "remedy")
        row.remedy = remedy
    db.session.add(row)
    db.session.flush()
    if remedy == "repair" and bad:
        row.repair_numbers = _repair_orders(user, app, bad, row.defect_note)
    if bad and remedy == "rework":
        app.state, app.completed_at = "permitted", None
    if accept:
        app.state, app.accepted_at, app.accepted_by_id, app.acceptance_note = "accepted", utcnow(), user.id, row.note
        db.session.flush()
        hook("decoration_accepted")(application=app)
        from core.attachments import attachments_of

        partners.file_papers(user, app, [a.id for a in attachments_of(app)])
    db.session.flush()
    return row


def repair_numbers(app: Application) -> list[str]:
    """The numbers of the repair orders made for this application's acceptance defects."""
    rows = db.session.scalars(select(AcceptanceCheck.repair_numbers).where(
        AcceptanceCheck.application_id == app.id, AcceptanceCheck.remedy == "repair")).all()
    return [n.strip() for r in rows for n in (r or "").split(",") if n.strip()]


def repair_orders(user, app: Application) -> dict[str, dict]:
    """The states of those repair orders, read through the repairs plugin's documented
    ``repair_states`` (``{}`` without repairs: then the technician's own check decides)."""
    return partners.repair_states(user, app, repair_numbers(app))


def _repair_orders(user, app: Application, items: list[str], note: str) -> str:
    from plugins.decoration.labels import SCOPE_LABELS
    from plugins.repairs import services as repairs

    owner = owners_of(app.unit)
    repair = repairs.record(
        user, estate_id=app.estate_id, unit_id=app.unit_id, contact_name=app.applicant_name,
        contact_phone=app.applicant_phone, resident_id=owner[0].resident_id if owner else None, category="other",
        description=_("Decoration %(number)s acceptance defects (%(items)s): %(note)s", number=app.number,
                      items="、".join(str(SCOPE_LABELS[i]) for i in items), note=note)[:1000],
        channel="patrol")
    return repair.number
