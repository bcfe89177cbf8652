"""Front desk services. Each function takes the acting user, checks every rule, and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Goods-out passes: applied (unit of the estate, applicant, goods, valid dates; a tenant's or a
business's needs the owner's consent on record) → approved (numbered ``FX-…``, by a holder of
``frontdesk.approve``, never the applicant) or refused → used once at the gate, within its
dates. "Used once" is the unique ``pass_id`` of ``frontdesk_pass_use``: the second mark —
later, or at the same moment in another request — is refused with a clear message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.forms import PHONE_RE, normalise_phone
from core.i18n import today_local
from core.models import Estate, Occupancy, Resident, Unit, utcnow
from core.numbering import next_number
from core.permissions import has_permission
from core.plugins import is_enabled
from core.security import user_estate_ids
from plugins.frontdesk.models import (
    APPLICANT_KINDS,
    CERTIFICATE_KINDS,
    ENQUIRY_CHANNELS,
    ENQUIRY_OUTCOMES,
    ENQUIRY_TOPICS,
    LOG_SHIFTS,
    PARCEL_KINDS,
    Certificate,
    DogLicence,
    Enquiry,
    GoodsPass,
    GoodsPassUse,
    Parcel,
    VehiclePass,
    Visitor,
    WorkLogEntry,
)

NAMESPACE = "frontdesk"
DEFAULTS = {"parcel_days": 3, "licence_days": 30}
#: A time typed a little ahead of the server's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)
#: How long a goods-out pass may be valid at most.
MAX_PASS_DAYS = 31


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _required(value, limit: int, message: str, field: str) -> str:
    text = _text(value, limit)
    if not text:
        raise DomainError(message, field)
    return text


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _phone(value, field: str, required: bool = False) -> str:
    phone = normalise_phone(value or "")
    if not phone:
        if required:
            raise DomainError(_("Enter a phone number."), field)
        return ""
    if not PHONE_RE.match(phone):
        raise DomainError(_("Enter a phone number of 5 to 20 digits."), field)
    return phone


def find_unit(estate_id: int, number: str, field: str = "unit_number", required: bool = True) -> Unit | None:
    number = _text(number, 30)
    if not number:
        if required:
            raise DomainError(_("Enter the unit number."), field)
        return None
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number))
    if unit is None:
        raise DomainError(_("There is no unit %(number)s in this estate.", number=number), field)
    return unit


def _resident_of(unit: Unit | None, resident_id) -> Resident | None:
    """The resident chosen on the form (core.callers), who must live in the unit."""
    if not resident_id:
        return None
    resident = db.session.get(Resident, resident_id)
    lives_there = unit is not None and resident is not None and db.session.scalar(
        select(func.count()).select_from(Occupancy).where(
            Occupancy.unit_id == unit.id, Occupancy.resident_id == resident.id, Occupancy.end_date.is_(None))) > 0
    if not lives_there:
        raise DomainError(_("This resident is not on file for the unit."), "resident_id")
    return resident


def _when(at: datetime | None, field: str, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    if at is None:
        return now
    if at.tzinfo is None:
        raise DomainError(_("The time has no time zone."), field)
    if at > now + CLOCK_SKEW:
        raise DomainError(_("This time is in the future."), field)
    return at


# -- goods-out passes ------------------------------------------------------------------------
def apply_pass(user, *, estate_id: int, unit_number: str, applicant_kind: str, applicant_name: str,
               applicant_phone: str = "", resident_id: int | None = None, goods: str, vehicle_plate: str = "",
               valid_from: date | None, valid_until: date | None, owner_consent_name: str = "",
               owner_consent_note: str = "", applied_at: datetime | None = None) -> GoodsPass:
    """Record an application for a goods-out pass (the resident or business at the desk)."""
    _require(user, "frontdesk.record")
    _check_estate(user, estate_id)
    unit = find_unit(estate_id, unit_number)
    if applicant_kind not in APPLICANT_KINDS:
        raise DomainError(_("Choose who applies."), "applicant_kind")
    resident = _resident_of(unit, resident_id)
    name = _text(applicant_name, 100) or (resident.name if resident else "")
    if not name:
        raise DomainError(_("Enter the applicant's name."), "contact_name")
    phone = _phone(applicant_phone, "contact_phone") or (normalise_phone(resident.phone) if resident else "")
    if not phone:
        raise DomainError(_("Enter a phone number."), "contact_phone")
    goods = _required(goods, 1000, _("List the goods to be taken out."), "goods")
    if valid_from is None:
        raise DomainError(_("Enter the first day the pass is valid."), "valid_from")
    if valid_until is None:
        raise DomainError(_("Enter the last day the pass is valid."), "valid_until")
    if valid_until < valid_from:
        raise DomainError(_("The pass cannot end before it starts."), "valid_until")
    if (valid_until - valid_from).days >= MAX_PASS_DAYS:
        raise DomainError(_("A pass is valid for at most %(n)d days.", n=MAX_PASS_DAYS), "valid_until")
    if valid_until < today_local():
        raise DomainError(_("The pass would already have expired."), "valid_until")
    consent = _text(owner_consent_name, 100)
    if applicant_kind != "owner" and not consent:
        raise DomainError(_("A tenant's goods go out only with the owner's consent: enter the owner who agreed."),
                          "owner_consent_name")
    row = GoodsPass(estate_id=estate_id, unit_id=unit.id, resident_id=resident.id if resident else None,
                    applicant_kind=applicant_kind, applicant_name=name, applicant_phone=phone, goods=goods,
                    vehicle_plate=_text(vehicle_plate, 20).upper(), valid_from=valid_from, valid_until=valid_until,
                    owner_consent_name=consent, owner_consent_note=_text(owner_consent_note, 200),
                    state="applied", applied_at=_when(applied_at, "applied_at"), applied_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def decide_pass(user, row: GoodsPass, *, approve: bool, note: str = "", at: datetime | None = None) -> GoodsPass:
    """The office approves (the pass gets its FX number) or refuses an application, once."""
    _require(user, "frontdesk.approve")
    _check_estate(user, row.estate_id)
    note = _text(note, 500)
    if not approve and not note:
        raise DomainError(_("Say why the pass is refused."), "note")
    if row.applicant_kind != "owner" and not row.owner_consent_name:
        raise DomainError(_("A tenant's goods go out only with the owner's consent: enter the owner who agreed."))
    now = _when(at, "at")
    # Conditional: of two supervisors deciding at once, one is refused.
    done = db.session.execute(update(GoodsPass).where(GoodsPass.id == row.id, GoodsPass.state == "applied")
                              .values(state="approved" if approve else "refused", decided_at=now,
                                      decided_by_id=user.id, decision_note=note)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise DomainError(_("This application has already been decided."))
    record_sql_change("frontdesk_pass", row.id, row.estate_id, {
        "state": ("applied", "approved" if approve else "refused"), "decided_by_id": (None, user.id)})
    db.session.refresh(row)
    if approve:
        row.number = next_number("FX", row.estate_id, now)
        db.session.flush()
    return row


def find_pass(user, estate_id: int, number: str) -> GoodsPass:
    """The approved or used pass with this number in one of the user's estates, else a refusal."""
    _check_estate(user, estate_id)
    number = _text(number, 30).upper()
    row = db.session.scalar(select(GoodsPass).where(GoodsPass.estate_id == estate_id, GoodsPass.number == number)) \
        if number else None
    if row is None:
        raise DomainError(_("No goods-out pass has the number %(number)s in this estate.", number=number or "—"),
                          "number")
    return row


def use_pass(user, row: GoodsPass, *, gate: str = "", note: str = "", at: datetime | None = None) -> GoodsPassUse:
    """The guard marks the pass used at the gate. Used once: the database keeps it so."""
    _require(user, "frontdesk.gate")
    _check_estate(user, row.estate_id)
    now = _when(at, "at")
    if row.state == "used" or row.use is not None:
        raise DomainError(_("Pass %(number)s has already been used.", number=row.number), "number")
    if row.state != "approved":
        raise DomainError(_("Pass %(number)s is not approved: the goods may not go out.",
                            number=row.number or "—"), "number")
    today = today_local()
    if today < row.valid_from:
        raise DomainError(_("Pass %(number)s is valid only from %(day)s.", number=row.number,
                            day=row.valid_from.isoformat()), "number")
    if today > row.valid_until:
        raise DomainError(_("Pass %(number)s expired on %(day)s.", number=row.number,
                            day=row.valid_until.isoformat()), "number")
    mark = GoodsPassUse(estate_id=row.estate_id, pass_id=row.id, used_at=now, guard_id=user.id,
                        gate=_text(gate, 50), note=_text(note, 500))
    try:
        with db.session.begin_nested():
            db.session.add(mark)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("Pass %(number)s has already been used.", number=row.number), "number") from None
    db.session.execute(update(GoodsPass).where(GoodsPass.id == row.id).values(state="used")
                       .execution_options(synchronize_session=False))
    record_sql_change("frontdesk_pass", row.id, row.estate_id, {"state": ("approved", "used")})
    db.session.refresh(row)
    return mark


def pending_passes_query(estate_ids):
    return select(func.count()).select_from(GoodsPass).where(
        GoodsPass.estate_id.in_(estate_ids or [0]), GoodsPass.state == "applied")


# -- enquiries and calls ------------------------------------------------------------------------
def repairs_on() -> bool:
    return is_enabled("repairs")


def complaints_on() -> bool:
    return is_enabled("complaints")


def record_enquiry(user, *, estate_id: int, channel: str, topic: str, question: str, answer: str = "",
                   outcome: str = "answered", contact_name: str = "", contact_phone: str = "",
                   unit_number: str = "", resident_id: int | None = None, received_at: datetime | None = None,
                   repair_category: str = "other", complaint_category: str = "other") -> Enquiry:
    """One enquiry or call. ``outcome`` "repair" or "complaint" forwards it through that plugin's
    documented service (``services.record``) when enabled; the new case's number is kept."""
    _require(user, "frontdesk.record")
    _check_estate(user, estate_id)
    if channel not in ENQUIRY_CHANNELS:
        raise DomainError(_("Choose how the enquiry came in."), "channel")
    if topic not in ENQUIRY_TOPICS:
        raise DomainError(_("Choose the topic."), "topic")
    if outcome not in ENQUIRY_OUTCOMES:
        raise DomainError(_("Choose what came of it."), "outcome")
    received = _when(received_at, "received_at")
    unit = find_unit(estate_id, unit_number, required=False)
    resident = _resident_of(unit, resident_id)
    name = _text(contact_name, 100) or (resident.name if resident else "")
    if not name:
        raise DomainError(_("Enter the caller's name."), "contact_name")
    phone = _phone(contact_phone, "contact_phone") or (normalise_phone(resident.phone) if resident else "")
    question = _required(question, 2000, _("Write down what was asked."), "question")
    answer = _text(answer, 2000)
    if outcome == "answered" and not answer:
        raise DomainError(_("Write down the answer given."), "answer")
    forwarded = ""
    if outcome == "repair":
        if not repairs_on():
            raise DomainError(_("The repairs module is not enabled: record the answer instead."), "outcome")
        from plugins.repairs import services as repairs

        case = repairs.record(user, estate_id=estate_id, unit_id=unit.id if unit else None,
                              address="" if unit else question[:200], resident_id=resident.id if resident else None,
                              contact_name=name, contact_phone=phone, category=repair_category,
                              description=question, channel="hotline" if channel == "hotline" else
                              ("walk_in" if channel == "walk_in" else "phone"), now=received)
        forwarded = case.number
    elif outcome == "complaint":
        if not complaints_on():
            raise DomainError(_("The complaints module is not enabled: record the answer instead."), "outcome")
        from plugins.complaints import services as complaints

        case = complaints.record(user, estate_id=estate_id, channel="visit" if channel == "walk_in" else "phone",
                                 category=complaint_category, kind="wants_fix", severity="normal", content=question,
                                 contact_name=name, contact_phone=phone, unit_id=unit.id if unit else None,
                                 received_at=received, resident_id=resident.id if resident else None)
        forwarded = case.number
    row = Enquiry(estate_id=estate_id, received_at=received, channel=channel, unit_id=unit.id if unit else None,
                  resident_id=resident.id if resident else None, contact_name=name, contact_phone=phone, topic=topic,
                  question=question, answer=answer, outcome=outcome, forwarded_number=forwarded,
                  recorded_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


# -- mail and parcels ------------------------------------------------------------------------
def parcel_days(estate_id: int) -> int:
    from core.settings import get_settings

    try:
        return max(1, min(60, int(get_settings(NAMESPACE, estate_id).get("parcel_days", 3))))
    except (TypeError, ValueError):
        return DEFAULTS["parcel_days"]


def receive_parcel(user, *, estate_id: int, unit_number: str, recipient_name: str = "", recipient_phone: str = "",
                   resident_id: int | None = None, kind: str = "parcel", carrier: str = "",
                   tracking_number: str = "", shelf: str = "", received_at: datetime | None = None) -> Parcel:
    """Log mail or a parcel received for a resident (numbered KD-…)."""
    _require(user, "frontdesk.record")
    estate = _check_estate(user, estate_id)
    unit = find_unit(estate_id, unit_number)
    if kind not in PARCEL_KINDS:
        raise DomainError(_("Choose the kind of mail."), "kind")
    resident = _resident_of(unit, resident_id)
    name = _text(recipient_name, 100) or (resident.name if resident else "")
    if not name:
        raise DomainError(_("Enter the recipient's name."), "contact_name")
    phone = _phone(recipient_phone, "contact_phone") or (normalise_phone(resident.phone) if resident else "")
    received = _when(received_at, "received_at")
    row = Parcel(estate_id=estate_id, number=next_number("KD", estate, received), unit_id=unit.id,
                 resident_id=resident.id if resident else None, recipient_name=name, recipient_phone=phone,
                 kind=kind, carrier=_text(carrier, 50), tracking_number=_text(tracking_number, 60),
                 shelf=_text(shelf, 20), received_at=received, received_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def notify_parcel(user, row: Parcel) -> Parcel:
    """The desk told the recipient (phone or message): counted on the parcel."""
    _require(user, "frontdesk.record")
    _check_estate(user, row.estate_id)
    if row.collected_at is not None:
        raise DomainError(_("Parcel %(number)s has already been collected.", number=row.number))
    row.notified_count = (row.notified_count or 0) + 1
    return row


def collect_parcel(user, row: Parcel, *, collector_name: str, at: datetime | None = None) -> Parcel:
    """Handed over: the collector signs with their name. Once (a conditional update)."""
    _require(user, "frontdesk.record")
    _check_estate(user, row.estate_id)
    name = _required(collector_name, 100, _("Enter the name of the person who collects it (their signature)."),
                     "collector_name")
    now = _when(at, "at")
    if now < row.received_at:
        raise DomainError(_("It cannot be collected before it was received."), "collector_name")
    done = db.session.execute(update(Parcel).where(Parcel.id == row.id, Parcel.collected_at.is_(None))
                              .values(collected_at=now, collector_name=name, handed_by_id=user.id)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise DomainError(_("Parcel %(number)s has already been collected.", number=row.number))
    record_sql_change("frontdesk_parcel", row.id, row.estate_id, {"collector_name": ("", name)})
    db.session.refresh(row)
    return row


def waiting_filter():
    return Parcel.collected_at.is_(None)


def is_overdue(row: Parcel, now: datetime | None = None) -> bool:
    return row.collected_at is None and row.received_at < (now or utcnow()) - timedelta(days=parcel_days(row.estate_id))


def flag_uncollected(now: datetime | None = None) -> list[Parcel]:
    """Mark the parcels not collected after the estate's N days (once each)."""
    now = now or utcnow()
    rows = db.session.scalars(select(Parcel).where(Parcel.collected_at.is_(None), Parcel.flagged_at.is_(None))
                              .order_by(Parcel.id)).all()
    flagged = [r for r in rows if r.received_at < now - timedelta(days=parcel_days(r.estate_id))]
    for r in flagged:
        r.flagged_at = now
    return flagged


# -- visitors --------------------------------------------------------------------------------------
def register_visitor(user, *, estate_id: int, visitor_name: str, visitor_phone: str = "", unit_number: str = "",
                     host_name: str = "", purpose: str, vehicle_plate: str = "",
                     arrived_at: datetime | None = None) -> Visitor:
    _require(user, "frontdesk.record")
    _check_estate(user, estate_id)
    name = _required(visitor_name, 100, _("Enter the visitor's name."), "visitor_name")
    unit = find_unit(estate_id, unit_number, required=False)
    purpose = _required(purpose, 200, _("Say why they came."), "purpose")
    row = Visitor(estate_id=estate_id, visitor_name=name, visitor_phone=_phone(visitor_phone, "visitor_phone"),
                  unit_id=unit.id if unit else None, host_name=_text(host_name, 100), purpose=purpose,
                  vehicle_plate=_text(vehicle_plate, 20).upper(), arrived_at=_when(arrived_at, "arrived_at"),
                  recorded_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def visitor_left(user, row: Visitor, at: datetime | None = None) -> Visitor:
    _require(user, "frontdesk.record")
    _check_estate(user, row.estate_id)
    now = _when(at, "at")
    if now < row.arrived_at:
        raise DomainError(_("A visitor cannot leave before arriving."))
    done = db.session.execute(update(Visitor).where(Visitor.id == row.id, Visitor.left_at.is_(None))
                              .values(left_at=now).execution_options(synchronize_session=False)).rowcount
    if not done:
        raise DomainError(_("This visitor's departure is already recorded."))
    db.session.refresh(row)
    return row


# -- dog licences -------------------------------------------------------------------------------------
def licence_days(estate_id: int) -> int:
    from core.settings import get_settings

    try:
        return max(1, min(365, int(get_settings(NAMESPACE, estate_id).get("licence_days", 30))))
    except (TypeError, ValueError):
        return DEFAULTS["licence_days"]


def register_licence(user, *, estate_id: int, unit_number: str, licence_number: str, owner_name: str,
                     owner_phone: str = "", dog_name: str = "", breed: str, colour: str = "",
                     vaccinated_on: date | None, valid_from: date | None, valid_until: date | None) -> DogLicence:
    _require(user, "frontdesk.record")
    _check_estate(user, estate_id)
    unit = find_unit(estate_id, unit_number)
    number = _required(licence_number, 40, _("Enter the licence number."), "licence_number")
    name = _required(owner_name, 100, _("Enter the dog owner's name."), "owner_name")
    breed = _required(breed, 50, _("Enter the breed."), "breed")
    if vaccinated_on is None:
        raise DomainError(_("Enter the date of the rabies vaccination."), "vaccinated_on")
    if vaccinated_on > today_local():
        raise DomainError(_("The vaccination date is in the future."), "vaccinated_on")
    if valid_from is None:
        raise DomainError(_("Enter the first day of the licence."), "valid_from")
    if valid_until is None:
        raise DomainError(_("Enter the day the licence expires."), "valid_until")
    if valid_until <= valid_from:
        raise DomainError(_("A licence cannot expire before it starts."), "valid_until")
    taken = db.session.scalar(select(DogLicence.id).where(DogLicence.estate_id == estate_id,
                                                          DogLicence.licence_number == number))
    if taken is not None:
        raise DomainError(_("Licence %(number)s is already registered.", number=number), "licence_number")
    row = DogLicence(estate_id=estate_id, unit_id=unit.id, licence_number=number, owner_name=name,
                     owner_phone=_phone(owner_phone, "owner_phone"), dog_name=_text(dog_name, 50), breed=breed,
                     colour=_text(colour, 30), vaccinated_on=vaccinated_on, valid_from=valid_from,
                     valid_until=valid_until)
    db.session.add(row)
    db.session.flush()
    return row


def licences_expiring(estate_ids, today: date | None = None):
    """Licences expiring within the reminder days (or expired), not yet reminded."""
    today = today or today_local()
    rows = db.session.scalars(select(DogLicence).where(DogLicence.estate_id.in_(estate_ids or [0]),
                                                       DogLicence.reminded_at.is_(None))
                              .order_by(DogLicence.valid_until)).all()
    return [r for r in rows if r.valid_until <= today + timedelta(days=licence_days(r.estate_id))]


# -- vehicle passes ---------------------------------------------------------------------------------
def issue_vehicle_pass(user, *, estate_id: int, unit_number: str, holder_name: str, holder_phone: str = "",
                       plate: str, card_number: str = "", issued_on: date | None = None,
                       valid_until: date | None) -> VehiclePass:
    _require(user, "frontdesk.record")
    estate = _check_estate(user, estate_id)
    unit = find_unit(estate_id, unit_number)
    name = _required(holder_name, 100, _("Enter the holder's name."), "holder_name")
    plate = _required(plate, 20, _("Enter the plate number."), "plate").upper().replace(" ", "")
    issued = issued_on or today_local()
    if valid_until is None:
        raise DomainError(_("Enter the last day the pass is valid."), "valid_until")
    if valid_until < issued:
        raise DomainError(_("The pass cannot end before it starts."), "valid_until")
    held = db.session.scalar(select(VehiclePass.number).where(
        VehiclePass.estate_id == estate_id, VehiclePass.plate == plate, VehiclePass.returned_on.is_(None),
        VehiclePass.valid_until >= issued))
    if held is not None:
        raise DomainError(_("Plate %(plate)s already holds pass %(number)s.", plate=plate, number=held), "plate")
    row = VehiclePass(estate_id=estate_id, number=next_number("CZ", estate), unit_id=unit.id, holder_name=name,
                      holder_phone=_phone(holder_phone, "holder_phone"), plate=plate,
                      card_number=_text(card_number, 40), issued_on=issued, valid_until=valid_until)
    db.session.add(row)
    db.session.flush()
    return row


def return_vehicle_pass(user, row: VehiclePass, note: str = "") -> VehiclePass:
    _require(user, "frontdesk.record")
    _check_estate(user, row.estate_id)
    done = db.session.execute(update(VehiclePass).where(VehiclePass.id == row.id, VehiclePass.returned_on.is_(None))
                              .values(returned_on=today_local(), return_note=_text(note, 200))
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise DomainError(_("Pass %(number)s has already been returned.", number=row.number))
    db.session.refresh(row)
    return row


# -- certificates -------------------------------------------------------------------------------------
def fees_on() -> bool:
    return is_enabled("fees")


def certificate_text(kind: str, unit: Unit, applicant: str, purpose: str) -> str:
    """The certificate's text from its template (frozen on the certificate when issued)."""
    if kind == "residence":
        text = _("This is to certify that %(name)s lives at unit %(unit)s of %(estate)s.",
                 name=applicant, unit=unit.number, estate=unit.estate.name)
    else:
        if not fees_on():
            raise DomainError(_("The fees module is not enabled: a fee status certificate cannot be issued."),
                              "kind")
        from plugins.fees import ledger

        balance = ledger.balance(unit.id)
        from core.i18n import fmt_money

        if balance > 0:
            text = _("This is to certify that unit %(unit)s of %(estate)s owes %(amount)s in fees as of %(day)s.",
                     unit=unit.number, estate=unit.estate.name, amount=fmt_money(balance),
                     day=today_local().isoformat())
        else:
            text = _("This is to certify that unit %(unit)s of %(estate)s owes no fees as of %(day)s.",
                     unit=unit.number, estate=unit.estate.name, day=today_local().isoformat())
    if purpose:
        text += " " + _("Issued for: %(purpose)s.", purpose=purpose)
    return text


def issue_certificate(user, *, estate_id: int, unit_number: str, kind: str, applicant_name: str,
                      purpose: str = "") -> Certificate:
    _require(user, "frontdesk.record")
    estate = _check_estate(user, estate_id)
    unit = find_unit(estate_id, unit_number)
    if kind not in CERTIFICATE_KINDS:
        raise DomainError(_("Choose the kind of certificate."), "kind")
    name = _required(applicant_name, 100, _("Enter the applicant's name."), "applicant_name")
    purpose = _text(purpose, 200)
    if kind == "residence":
        living = db.session.scalar(select(func.count()).select_from(Occupancy).join(Resident).where(
            Occupancy.unit_id == unit.id, Occupancy.end_date.is_(None), Resident.name == name))
        if not living:
            raise DomainError(_("%(name)s is not on file as living in unit %(unit)s.", name=name, unit=unit.number),
                              "applicant_name")
    now = utcnow()
    row = Certificate(estate_id=estate_id, number=next_number("ZM", estate, now), kind=kind, unit_id=unit.id,
                      applicant_name=name, purpose=purpose, body=certificate_text(kind, unit, name, purpose),
                      issued_at=now, issued_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


# -- the daily work log ------------------------------------------------------------------------------
def write_log(user, *, estate_id: int, day: date | None, shift: str, text: str) -> WorkLogEntry:
    _require(user, "frontdesk.record")
    _check_estate(user, estate_id)
    if day is None:
        raise DomainError(_("Enter the day."), "day")
    if day > today_local():
        raise DomainError(_("The log is not written ahead of the day."), "day")
    if shift not in LOG_SHIFTS:
        raise DomainError(_("Choose the shift."), "shift")
    text = _required(text, 2000, _("Write what happened."), "text")
    row = WorkLogEntry(estate_id=estate_id, day=day, shift=shift, text=text, written_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row
