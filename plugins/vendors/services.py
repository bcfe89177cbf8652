"""Vendor services. Each function takes the acting user, checks every rule, and either changes
the session (the caller commits) or raises a translated :class:`DomainError` naming the form
field — and then nothing is saved (the caller rolls back).

Rules: a contract belongs to one estate, its period ends on or after its start, its amount is
money (Decimal, not negative); a scoring sheet's active items weigh exactly 100 together; an
inspection is scored on its contract's kind of sheet, on a day within the contract's period and
not in the future; an item given less than :data:`PASS_RATIO` of its weight fails, and failing
items raise a rectification notice with a deadline after the inspection; a vendor responds to an
open notice, a re-check follows a response (passed: closed; still failing: open again with a new
deadline); one evaluation per contract and month, recomputed while a draft, frozen once confirmed.

The documented services for other plugins are :func:`raise_rectification` (write),
:func:`contracts_in_force` and :func:`rectification_states` (read). A notice re-checked as passed
is announced with the event hook ``vendors_rectification_closed`` (``hookspecs.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.attachments import Attachment
from core.errors import DomainError
from core.extensions import db
from core.models import Estate, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.vendors.models import (
    SERVICE_KINDS,
    Contract,
    Evaluation,
    Inspection,
    InspectionLine,
    Rectification,
    RectificationStep,
    SheetItem,
    Vendor,
)

#: An item given less than this share of its weight fails (and needs rectifying).
PASS_RATIO = Decimal("0.6")
#: The active items of a kind's sheet weigh this much together.
FULL_MARKS = Decimal("100")
NAMESPACE = "vendors"
DEFAULTS = {"expiry_days": 30}
CENT = Decimal("0.01")


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def estate_today(estate: Estate) -> date:
    """Today in the estate's time zone."""
    return utcnow().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value)) if value is not None and str(value).strip() != "" else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError(_("Enter the contract amount."), "amount")
    if amount < 0:
        raise DomainError(_("The contract amount cannot be negative."), "amount")
    if amount >= Decimal("1e12"):
        raise DomainError(_("The contract amount is too large."), "amount")
    return amount.quantize(CENT, ROUND_HALF_UP)


def _kind(kind: str, field: str = "service_kind") -> str:
    if kind not in SERVICE_KINDS:
        raise DomainError(_("Choose the kind of service."), field)
    return kind


# -- vendors -----------------------------------------------------------------------------
def _vendor_fields(name, credit_code, contact_name, contact_phone, contacts, address, note, vendor_id=None):
    name = _text(name, 200)
    if not name:
        raise DomainError(_("Enter the company's name."), "name")
    other = db.session.scalar(select(Vendor.id).where(Vendor.name == name))
    if other is not None and other != vendor_id:
        raise DomainError(_("A vendor named %(name)s is already registered.", name=name), "name")
    return dict(name=name, credit_code=_text(credit_code, 40), contact_name=_text(contact_name, 100),
                contact_phone=_text(contact_phone, 30), contacts=_text(contacts, 1000), address=_text(address, 200),
                note=_text(note, 500))


def _save(change, message: str, field: str) -> None:
    """Make ``change`` in a savepoint and flush it: a unique index refusing it (two clerks at the
    same moment) becomes a translated refusal and the rest of the transaction lives on."""
    try:
        with db.session.begin_nested():
            change()
    except IntegrityError:
        raise DomainError(message, field) from None


def add_vendor(user, *, name: str, credit_code: str = "", contact_name: str = "", contact_phone: str = "",
               contacts: str = "", address: str = "", note: str = "") -> Vendor:
    _require(user, "vendors.manage")
    fields = _vendor_fields(name, credit_code, contact_name, contact_phone, contacts, address, note)
    vendor = Vendor(**fields)
    _save(lambda: db.session.add(vendor),
          _("A vendor named %(name)s is already registered.", name=fields["name"]), "name")
    return vendor


def edit_vendor(user, vendor: Vendor, **kw) -> Vendor:
    _require(user, "vendors.manage")
    fields = _vendor_fields(kw.get("name"), kw.get("credit_code"), kw.get("contact_name"), kw.get("contact_phone"),
                            kw.get("contacts"), kw.get("address"), kw.get("note"), vendor.id)

    def change():
        for name, value in fields.items():
            setattr(vendor, name, value)

    _save(change, _("A vendor named %(name)s is already registered.", name=fields["name"]), "name")
    return vendor


# -- contracts ---------------------------------------------------------------------------
def _contract_fields(estate_id, number, service_kind, scope, start_on, end_on, amount, standards, note,
                     contract_id=None) -> dict:
    number = _text(number, 40)
    if not number:
        raise DomainError(_("Enter the contract number."), "number")
    other = db.session.scalar(select(Contract.id).where(Contract.estate_id == estate_id, Contract.number == number))
    if other is not None and other != contract_id:
        raise DomainError(_("Contract number %(number)s is already used in this estate.", number=number), "number")
    _kind(service_kind)
    scope = _text(scope, 1000)
    if not scope:
        raise DomainError(_("Describe the scope of the service."), "scope")
    if start_on is None:
        raise DomainError(_("Enter the first day of the contract."), "start_on")
    if end_on is None:
        raise DomainError(_("Enter the last day of the contract."), "end_on")
    if end_on < start_on:
        raise DomainError(_("The contract cannot end before it starts."), "end_on")
    return dict(number=number, service_kind=service_kind, scope=scope, start_on=start_on, end_on=end_on,
                amount=_money(amount), standards=_text(standards, 4000), note=_text(note, 500))


def add_contract(user, *, estate_id: int, vendor_id: int, number: str, service_kind: str, scope: str,
                 start_on: date | None, end_on: date | None, amount, standards: str = "",
                 note: str = "") -> Contract:
    _require(user, "vendors.manage")
    _check_estate(user, estate_id)
    vendor = db.session.get(Vendor, vendor_id) if vendor_id else None
    if vendor is None:
        raise DomainError(_("Choose the vendor."), "vendor_id")
    fields = _contract_fields(estate_id, number, service_kind, scope, start_on, end_on, amount, standards, note)
    contract = Contract(estate_id=estate_id, vendor_id=vendor.id, **fields)
    _save(lambda: db.session.add(contract),
          _("Contract number %(number)s is already used in this estate.", number=fields["number"]), "number")
    return contract


def edit_contract(user, contract: Contract, *, number: str, service_kind: str, scope: str, start_on, end_on,
                  amount, standards: str = "", note: str = "") -> Contract:
    """Correct a contract. Its kind cannot change once it has inspections (their sheets)."""
    _require(user, "vendors.manage")
    _check_estate(user, contract.estate_id)
    fields = _contract_fields(contract.estate_id, number, service_kind, scope, start_on, end_on, amount, standards,
                              note, contract.id)
    if service_kind != contract.service_kind and db.session.scalar(
            select(Inspection.id).where(Inspection.contract_id == contract.id).limit(1)) is not None:
        raise DomainError(_("The kind of service cannot change: the contract has inspections."), "service_kind")
    if fields["end_on"] != contract.end_on:
        contract.expiry_notified_on = None

    def change():
        for name, value in fields.items():
            setattr(contract, name, value)

    _save(change, _("Contract number %(number)s is already used in this estate.", number=fields["number"]),
          "number")
    return contract


def expiring_filter(today: date, days: int):
    return (Contract.end_on >= today) & (Contract.end_on <= today + timedelta(days=days))


def expiry_days(estate_id: int | None) -> int:
    from core.settings import get_settings

    try:
        return max(0, min(365, int(get_settings(NAMESPACE, estate_id).get("expiry_days", 30))))
    except (TypeError, ValueError):
        return 30


def contract_state(contract: Contract, today: date) -> str:
    if today < contract.start_on:
        return "future"
    if today > contract.end_on:
        return "ended"
    if contract.end_on <= today + timedelta(days=expiry_days(contract.estate_id)):
        return "expiring"
    return "in_force"


# -- scoring sheets ----------------------------------------------------------------------
def sheet(kind: str) -> list[SheetItem]:
    """The active items of a service kind's sheet, in order."""
    return list(db.session.scalars(select(SheetItem).where(SheetItem.service_kind == kind,
                                                            SheetItem.active.is_(True))
                                   .order_by(SheetItem.sequence, SheetItem.id)))


def _weight(value, row: int) -> Decimal:
    try:
        weight = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        weight = None
    if weight is None or not weight.is_finite() or weight <= 0 or weight > FULL_MARKS:
        raise DomainError(_("Row %(row)s: the weight is a number above 0 and at most 100.", row=row), "items")
    if weight != weight.quantize(CENT):
        raise DomainError(_("Row %(row)s: the weight has at most two decimals.", row=row), "items")
    return weight


def save_sheet(user, kind: str, rows: Sequence[tuple[str, str, object]]) -> list[SheetItem]:
    """Replace the kind's sheet by ``rows`` of (title, standard, weight); empty rows are skipped.
    The weights must add up to exactly 100. The old items are retired (past inspections keep
    their lines as they were)."""
    _require(user, "vendors.manage")
    _kind(kind)
    items = []
    for n, (title, standard, weight) in enumerate(rows, start=1):
        title = _text(title, 200)
        if not title and (weight is None or str(weight).strip() == "") and not _text(standard, 500):
            continue
        if not title:
            raise DomainError(_("Row %(row)s: name the item.", row=n), "items")
        items.append((title, _text(standard, 500), _weight(weight, n)))
    if not items:
        raise DomainError(_("A scoring sheet has at least one item."), "items")
    total = sum((w for _t, _s, w in items), Decimal("0"))
    if total != FULL_MARKS:
        raise DomainError(_("The weights add up to %(total)s: they must add up to 100.", total=total), "items")
    for old in sheet(kind):
        old.active = False
    made = []
    for seq, (title, standard, weight) in enumerate(items, start=1):
        item = SheetItem(service_kind=kind, title=title, standard=standard, weight=weight, sequence=seq * 10)
        db.session.add(item)
        made.append(item)
    db.session.flush()
    return made


# -- inspections ---------------------------------------------------------------------------
def _points(value, item: SheetItem) -> Decimal:
    try:
        points = Decimal(str(value).strip()) if value is not None and str(value).strip() != "" else None
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite():
        raise DomainError(_("Score every item: %(item)s has no score.", item=item.title), f"p_{item.id}")
    if points < 0 or points > item.weight:
        raise DomainError(_("%(item)s is scored between 0 and %(weight)s.", item=item.title, weight=item.weight),
                          f"p_{item.id}")
    return points.quantize(CENT, ROUND_HALF_UP)


def fails(points: Decimal, weight: Decimal) -> bool:
    return points < weight * PASS_RATIO


def record_inspection(user, contract: Contract, *, inspected_on: date | None, points: dict, remarks: dict | None = None,
                      note: str = "", deadline: date | None = None) -> Inspection:
    """Score the contract's work on its kind's sheet. ``points`` maps each active item's id to
    its points (0 … weight). When items fail, a rectification notice with ``deadline`` is raised
    for them (the deadline is then required, after the inspection day)."""
    _require(user, "vendors.inspect")
    estate = _check_estate(user, contract.estate_id)
    items = sheet(contract.service_kind)
    if not items:
        raise DomainError(_("The scoring sheet of this kind of service has no items yet: set it up first."))
    if inspected_on is None:
        raise DomainError(_("Enter the day of the inspection."), "inspected_on")
    if inspected_on > estate_today(estate):
        raise DomainError(_("An inspection cannot be recorded in the future."), "inspected_on")
    if not contract.in_force(inspected_on):
        raise DomainError(_("The inspection day must be within the contract's period (%(start)s to %(end)s).",
                            start=contract.start_on.isoformat(), end=contract.end_on.isoformat()), "inspected_on")
    remarks = remarks or {}
    lines = []
    for item in items:
        p = _points(points.get(item.id), item)
        lines.append(InspectionLine(item_id=item.id, title=item.title, weight=item.weight, points=p,
                                    failed=fails(p, item.weight), remark=_text(remarks.get(item.id), 500)))
    failing = [line for line in lines if line.failed]
    if failing:
        if deadline is None:
            raise DomainError(_("Some items fail: give the vendor a deadline to rectify them."), "deadline")
        if deadline <= inspected_on:
            raise DomainError(_("The rectification deadline must be after the inspection day."), "deadline")
    score = sum((line.points for line in lines), Decimal("0"))
    inspection = Inspection(estate_id=contract.estate_id, contract_id=contract.id, inspected_on=inspected_on,
                            inspector_id=user.id, score=score, failing=len(failing), note=_text(note, 1000))
    db.session.add(inspection)
    db.session.flush()
    for line in lines:
        line.inspection_id = inspection.id
        db.session.add(line)
    db.session.flush()
    if failing:
        detail = "\n".join(f"{line.title}: {line.points}/{line.weight}" + (f" — {line.remark}" if line.remark else "")
                           for line in failing)
        _issue(user, contract, title=_("Inspection of %(day)s: items below standard (%(count)s)",
                                       day=inspected_on.isoformat(), count=len(failing)),
               detail=detail, deadline=deadline, issued_on=inspected_on, source="vendors",
               source_ref=f"inspection:{inspection.id}", inspection_id=inspection.id)
    db.session.refresh(inspection)
    return inspection


# -- rectification notices ----------------------------------------------------------------
def _copy_attachments(rect: Rectification, attachment_ids: Sequence[int]) -> None:
    for att_id in dict.fromkeys(attachment_ids or ()):
        att = db.session.get(Attachment, att_id) if isinstance(att_id, int) else None
        if att is None or att.estate_id != rect.estate_id or att.voided_at is not None:
            raise DomainError(_("Attachment %(id)s is not a photo of this estate.", id=att_id), "attachment_ids")
        db.session.add(Attachment(estate_id=rect.estate_id, owner_table=Rectification.__tablename__,
                                  owner_id=rect.id, filename=att.filename, content_type=att.content_type,
                                  size=att.size, stored_as=att.stored_as, taken_at=att.taken_at))


def _issue(user, contract: Contract, *, title: str, detail: str, deadline: date | None, issued_on: date | None = None,
           source: str = "", source_ref: str = "", inspection_id: int | None = None,
           attachment_ids: Sequence[int] = ()) -> Rectification:
    from core.numbering import next_number

    estate = contract.estate
    today = estate_today(estate)
    issued_on = issued_on or today
    title, detail = _text(title, 200), _text(detail, 4000)
    if not title:
        raise DomainError(_("Enter what is to be rectified."), "title")
    if not detail:
        raise DomainError(_("Describe the shortcomings to rectify."), "detail")
    if issued_on > today:
        raise DomainError(_("A notice cannot be issued in the future."), "issued_on")
    if deadline is None:
        raise DomainError(_("Enter the deadline for the rectification."), "deadline")
    if deadline <= issued_on:
        raise DomainError(_("The rectification deadline must be after the day the notice is issued."), "deadline")
    when = datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=ZoneInfo("UTC"))
    rect = Rectification(estate_id=contract.estate_id, number=next_number("WZ", estate, when),
                         contract_id=contract.id, inspection_id=inspection_id, title=title, detail=detail,
                         issued_on=issued_on, deadline=deadline, state="open", issued_by_id=user.id,
                         source=_text(source, 40), source_ref=_text(source_ref, 40))
    db.session.add(rect)
    db.session.flush()
    db.session.add(RectificationStep(estate_id=rect.estate_id, rectification_id=rect.id, kind="issued",
                                     happened_on=issued_on, new_deadline=deadline, by_id=user.id))
    _copy_attachments(rect, attachment_ids)
    db.session.flush()
    return rect


def issue_notice(user, contract: Contract, *, title: str, detail: str, deadline: date | None,
                 issued_on: date | None = None) -> Rectification:
    """A rectification notice written by hand (not from an inspection)."""
    _require(user, "vendors.inspect")
    _check_estate(user, contract.estate_id)
    return _issue(user, contract, title=title, detail=detail, deadline=deadline, issued_on=issued_on)


def contract_for(estate_id: int, service_kind: str, on: date) -> Contract | None:
    """The estate's contract of that kind in force on the day (the latest started, if several)."""
    return db.session.scalar(select(Contract).where(
        Contract.estate_id == estate_id, Contract.service_kind == service_kind, Contract.start_on <= on,
        Contract.end_on >= on).order_by(Contract.start_on.desc(), Contract.id.desc()).limit(1))


def raise_rectification(user, *, estate_id: int, service_kind: str, title: str, detail: str, deadline: date | None,
                        source: str, source_ref: str = "", attachment_ids: Sequence[int] = ()) -> Rectification:
    """Raise a rectification notice to the vendor holding the estate's contract of
    ``service_kind`` in force today (the documented service for other plugins: cleaning,
    greening, patrol…).

    The user must belong to the estate (no vendors permission needed: the caller checked its
    own). ``source`` names the calling plugin and ``source_ref`` its record; ``attachment_ids``
    are core attachments of the same estate, copied onto the notice. Refuses (DomainError, nothing
    saved) another estate, an unknown kind, no contract of that kind in force, an empty title or
    detail, a deadline not after today, an attachment of another estate. Numbered like every
    notice; the caller commits."""
    estate = _check_estate(user, estate_id)
    _kind(service_kind)
    contract = contract_for(estate_id, service_kind, estate_today(estate))
    if contract is None:
        raise DomainError(_("No contract of this kind of service is in force at this estate."), "service_kind")
    source = _text(source, 40)
    if not source:
        raise DomainError(_("Say which plugin raises the rectification."), "source")
    return _issue(user, contract, title=title, detail=detail, deadline=deadline, source=source,
                  source_ref=source_ref, attachment_ids=attachment_ids)


@dataclass(frozen=True)
class ContractInForce:
    """A service kind the estate has a contract for today (what :func:`raise_rectification` uses)."""

    service_kind: str
    label: str
    vendor: str
    number: str


def contracts_in_force(user, estate_id: int) -> list[ContractInForce]:
    """The service kinds of the estate with a contract in force today, each with the contract
    :func:`raise_rectification` would pick (the latest started), in the order of
    :data:`SERVICE_KINDS`. Empty for an estate that is not the user's. A read service for other
    plugins (a form offering "rectification by the vendor" lists these kinds)."""
    if not estate_id or estate_id not in user_estate_ids(user):
        return []
    from plugins.vendors.forms import KIND_LABELS

    estate = db.session.get(Estate, estate_id)
    out = []
    for kind in SERVICE_KINDS:
        contract = contract_for(estate_id, kind, estate_today(estate))
        if contract is not None:
            out.append(ContractInForce(kind, str(KIND_LABELS[kind]), contract.vendor.name, contract.number))
    return out


@dataclass(frozen=True)
class RectificationState:
    """What another plugin shows of a notice it raised: its number, state code and translated
    label, deadline, and whether it is overdue (open past its deadline, in the estate's today)."""

    id: int
    number: str
    state: str
    label: str
    deadline: date
    overdue: bool
    estate_id: int


def rectification_states(user, ids: Iterable[int]) -> dict[int, RectificationState]:
    """``{id: RectificationState}`` of the notices ``ids`` that belong to the user's estates (one
    query; an unknown id or another estate's notice is left out). No vendors permission is needed:
    the caller shows its own record's notice. A read service for other plugins (cleaning,
    greening, patrol), so that they never read vendors' tables or labels themselves."""
    from plugins.vendors.forms import RECT_STATE_LABELS

    wanted = {i for i in ids if isinstance(i, int)}
    allowed = user_estate_ids(user)
    if not wanted or not allowed:
        return {}
    rows = db.session.execute(select(Rectification.id, Rectification.number, Rectification.state,
                                     Rectification.deadline, Rectification.estate_id)
                              .where(Rectification.id.in_(wanted), Rectification.estate_id.in_(allowed))).all()
    todays = {}
    out = {}
    for rid, number, state, deadline, estate_id in rows:
        if estate_id not in todays:
            todays[estate_id] = estate_today(db.session.get(Estate, estate_id))
        out[rid] = RectificationState(rid, number, state, str(RECT_STATE_LABELS.get(state, state)), deadline,
                                      state == "open" and deadline < todays[estate_id], estate_id)
    return out


def _last_step(rect: Rectification, kind: str) -> RectificationStep | None:
    return db.session.scalar(select(RectificationStep).where(
        RectificationStep.rectification_id == rect.id, RectificationStep.kind == kind)
        .order_by(RectificationStep.id.desc()).limit(1))


def record_response(user, rect: Rectification, *, responded_on: date | None, responder: str,
                    note: str) -> RectificationStep:
    """The vendor's response (what they did): the notice waits for a re-check."""
    _require(user, "vendors.inspect")
    _check_estate(user, rect.estate_id)
    if rect.state != "open":
        raise DomainError(_("This notice is not waiting for the vendor's response."))
    note, responder = _text(note, 1000), _text(responder, 100)
    if not note:
        raise DomainError(_("Say what the vendor did."), "note")
    if not responder:
        raise DomainError(_("Enter who answered for the vendor."), "responder")
    if responded_on is None:
        raise DomainError(_("Enter the day of the response."), "responded_on")
    if responded_on > estate_today(rect.estate):
        raise DomainError(_("A response cannot be recorded in the future."), "responded_on")
    last = db.session.scalar(select(func.max(RectificationStep.happened_on))
                             .where(RectificationStep.rectification_id == rect.id))
    if last is not None and responded_on < last:
        raise DomainError(_("The response cannot be before %(day)s, the notice's last step.", day=last.isoformat()),
                          "responded_on")
    rect.state = "responded"
    step = RectificationStep(estate_id=rect.estate_id, rectification_id=rect.id, kind="response",
                             happened_on=responded_on, note=note, responder=responder, by_id=user.id)
    db.session.add(step)
    db.session.flush()
    return step


def recheck(user, rect: Rectification, *, checked_on: date | None, passed: bool, note: str = "",
            new_deadline: date | None = None) -> RectificationStep:
    """Re-check after the vendor's response: passed closes the notice; still failing opens it
    again with a new deadline."""
    _require(user, "vendors.inspect")
    _check_estate(user, rect.estate_id)
    if rect.state == "open":
        raise DomainError(_("Record the vendor's response before the re-check."))
    if rect.state != "responded":
        raise DomainError(_("This notice is closed."))
    if checked_on is None:
        raise DomainError(_("Enter the day of the re-check."), "checked_on")
    if checked_on > estate_today(rect.estate):
        raise DomainError(_("A re-check cannot be recorded in the future."), "checked_on")
    response = _last_step(rect, "response")
    if response is not None and checked_on < response.happened_on:
        raise DomainError(_("The re-check cannot be before the response (%(day)s).",
                            day=response.happened_on.isoformat()), "checked_on")
    note = _text(note, 1000)
    if passed:
        rect.state = "closed"
        rect.closed_at = utcnow()
        new_deadline = None
        from core.plugins import hook

        hook("vendors_rectification_closed")(rectification=rect, user=user, checked_on=checked_on)
    else:
        if not note:
            raise DomainError(_("Say what still fails."), "note")
        if new_deadline is None:
            raise DomainError(_("Still failing: give a new deadline."), "new_deadline")
        if new_deadline <= checked_on:
            raise DomainError(_("The new deadline must be after the re-check."), "new_deadline")
        rect.state = "open"
        rect.deadline = new_deadline
        rect.overdue_notified_on = None
    step = RectificationStep(estate_id=rect.estate_id, rectification_id=rect.id,
                             kind="passed" if passed else "failed", happened_on=checked_on, note=note,
                             new_deadline=new_deadline, by_id=user.id)
    db.session.add(step)
    db.session.flush()
    return step


def overdue_filter(today: date):
    return (Rectification.state == "open") & (Rectification.deadline < today)


def overdue_count_query(estate_ids: list[int], today: date):
    return select(func.count()).select_from(Rectification).where(
        Rectification.estate_id.in_(estate_ids or [0]), overdue_filter(today))


# -- monthly evaluations --------------------------------------------------------------------
def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def month_figures(contract: Contract, month: date) -> dict:
    """The month's inspections (count, average and lowest score) and notices (issued in the
    month; of them, still open past their deadline at the month's end)."""
    first, nxt = month_bounds(month)
    count, avg, low = db.session.execute(select(func.count(Inspection.id), func.avg(Inspection.score),
                                                func.min(Inspection.score)).where(
        Inspection.contract_id == contract.id, Inspection.inspected_on >= first,
        Inspection.inspected_on < nxt)).one()
    rects = db.session.scalars(select(Rectification).where(
        Rectification.contract_id == contract.id, Rectification.issued_on >= first,
        Rectification.issued_on < nxt)).all()
    overdue = sum(1 for r in rects if r.state != "closed" and r.deadline < nxt)
    return dict(inspections=count or 0,
                score=Decimal(str(avg)).quantize(CENT, ROUND_HALF_UP) if avg is not None else None,
                lowest=Decimal(str(low)).quantize(CENT, ROUND_HALF_UP) if low is not None else None,
                rectifications=len(rects), overdue=overdue)


def evaluate_month(user, contract: Contract, month: date | None, note: str = "") -> Evaluation:
    """Open the contract's evaluation of ``month`` (a draft, computed from the month's inspections)."""
    _require(user, "vendors.evaluate")
    _check_estate(user, contract.estate_id)
    if month is None:
        raise DomainError(_("Choose the month to evaluate."), "month")
    first, _nxt = month_bounds(month)
    if first > estate_today(contract.estate):
        raise DomainError(_("A month cannot be evaluated before it begins."), "month")
    if first < contract.start_on.replace(day=1) or first > contract.end_on:
        raise DomainError(_("The month is outside the contract's period."), "month")
    taken = _("%(month)s is already evaluated for this contract.", month=first.strftime("%Y-%m"))
    if db.session.scalar(select(Evaluation.id).where(Evaluation.contract_id == contract.id,
                                                     Evaluation.month == first)) is not None:
        raise DomainError(taken, "month")
    figures = month_figures(contract, first)
    if not figures["inspections"]:
        raise DomainError(_("No inspection was recorded in %(month)s: nothing to evaluate.",
                            month=first.strftime("%Y-%m")), "month")
    ev = Evaluation(estate_id=contract.estate_id, contract_id=contract.id, month=first, state="draft",
                    note=_text(note, 1000), **figures)
    _save(lambda: db.session.add(ev), taken, "month")
    return ev


def recompute(user, ev: Evaluation) -> Evaluation:
    _require(user, "vendors.evaluate")
    _check_estate(user, ev.estate_id)
    if ev.state != "draft":
        raise DomainError(_("This evaluation is confirmed: it no longer changes."))
    for name, value in month_figures(ev.contract, ev.month).items():
        setattr(ev, name, value)
    return ev


def confirm(user, ev: Evaluation, note: str = "") -> Evaluation:
    """Freeze the evaluation (figures recomputed one last time). Only once the month is over."""
    recompute(user, ev)
    _first, nxt = month_bounds(ev.month)
    if estate_today(ev.contract.estate) < nxt:
        raise DomainError(_("The month is not over yet: confirm its evaluation from %(day)s.", day=nxt.isoformat()))
    if not ev.inspections:
        raise DomainError(_("No inspection was recorded in %(month)s: nothing to evaluate.",
                            month=ev.month.strftime("%Y-%m")))
    ev.state = "confirmed"
    ev.confirmed_by_id = user.id
    ev.confirmed_at = utcnow()
    if note:
        ev.note = _text(note, 1000)
    return ev


def trend(contract: Contract, months: int = 12, today: date | None = None) -> dict:
    """The contract's monthly scores for the chart: the last ``months`` months up to ``today``,
    each month's inspection average and its confirmed evaluation (``None`` where there is none)."""
    today = today or estate_today(contract.estate)
    labels, averages, confirmed = [], [], []
    y, m = today.year, today.month
    firsts = []
    for _i in range(months):
        firsts.append(date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    firsts.reverse()
    start = firsts[0]
    rows = db.session.execute(select(Inspection.inspected_on, Inspection.score).where(
        Inspection.contract_id == contract.id, Inspection.inspected_on >= start)).all()
    sums: dict[date, list] = {}
    for day, score in rows:
        sums.setdefault(day.replace(day=1), []).append(Decimal(str(score)))
    evals = {e.month: e for e in db.session.scalars(select(Evaluation).where(
        Evaluation.contract_id == contract.id, Evaluation.month >= start))}
    for first in firsts:
        labels.append(first.strftime("%Y-%m"))
        scores = sums.get(first)
        averages.append(float((sum(scores) / len(scores)).quantize(CENT)) if scores else None)
        ev = evals.get(first)
        confirmed.append(float(ev.score) if ev is not None and ev.state == "confirmed" and ev.score is not None
                         else None)
    return {"labels": labels, "averages": averages, "confirmed": confirmed}


def latest_scores(estate_ids: list[int], limit: int = 8) -> list:
    """Each contract in these estates with its latest confirmed evaluation (the widget)."""
    latest = (select(Evaluation.contract_id, func.max(Evaluation.month).label("month"))
              .where(Evaluation.estate_id.in_(estate_ids or [0]), Evaluation.state == "confirmed")
              .group_by(Evaluation.contract_id).subquery())
    return db.session.scalars(select(Evaluation).join(latest, (Evaluation.contract_id == latest.c.contract_id)
                                                      & (Evaluation.month == latest.c.month))
                              .order_by(Evaluation.score, Evaluation.id).limit(limit)).all()
