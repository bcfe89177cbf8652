"""Move-in and move-out services. Each takes the acting user, checks every rule, and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Partners are reached only when enabled (``core.plugins.is_enabled``), imported lazily, through
their documented services: keys ``services.hand_over``, repairs ``services.record`` and
``services.repair_states``, fees ``ledger.balance`` (what a unit owes), ``readings.record_opening``
(a meter's opening reading) and ``desk.release_unit_deposits`` (move-out). The core's residents
and occupancies are core services.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.extensions import db
from core.models import Estate, Occupancy, Resident, Unit, utcnow
from core.permissions import has_permission
from core.plugins import is_enabled
from core.security import user_estate_ids
from plugins.movein.models import (
    ELEMENTS,
    KINDS,
    METER_KINDS,
    METERS,
    MOVEIN_ITEMS,
    MOVEOUT_ITEMS,
    ROOMS,
    MoveinCase,
    MoveinCheck,
    MoveinItem,
)

NAMESPACE = "movein"
#: Estate settings: which built-in items each checklist uses, and the estate's own (one a line).
DEFAULTS = {**{f"in_{c}": True for c in MOVEIN_ITEMS}, **{f"out_{c}": True for c in MOVEOUT_ITEMS},
            "in_extra": "", "out_extra": ""}
NUMBER_CODES = {"in": "RZ", "out": "QC"}
#: Which repair category a defect of an element is recorded under (the repairs plugin's codes).
REPAIR_CATEGORY = {"walls": "other", "floors": "other", "doors": "doors_windows", "windows": "doors_windows",
                   "plumbing": "water", "electrical": "electricity", "water_meter": "water",
                   "electricity_meter": "electricity", "gas_meter": "gas"}
MAX_READING = Decimal("100000000")


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def local_today(estate: Estate) -> date:
    return utcnow().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def checklist(estate_id: int, kind: str) -> list[tuple[str, str]]:
    """The estate's checklist for a move-in or move-out: (code, own label) pairs, built-in first."""
    from core.settings import get_settings

    values = {**DEFAULTS, **get_settings(NAMESPACE, estate_id)}
    codes = MOVEIN_ITEMS if kind == "in" else MOVEOUT_ITEMS
    items = [(c, "") for c in codes if values.get(f"{kind}_{c}")]
    extra = values.get(f"{kind}_extra") or ""
    items += [("", line.strip()[:200]) for line in extra.splitlines() if line.strip()]
    return items


def _open_case(unit_id: int) -> MoveinCase | None:
    return db.session.scalar(select(MoveinCase).where(MoveinCase.unit_id == unit_id, MoveinCase.state == "open"))


def _already_open(unit: Unit) -> DomainError:
    return DomainError(_("Unit %(number)s already has an open move-in or move-out case: finish it first.",
                         number=unit.number), "unit_number")


def open_case(user, *, estate_id: int, unit_number: str, kind: str, owner_name: str, owner_phone: str = "",
              owner_id_number: str = "", note: str = "") -> MoveinCase:
    """Open a move-in (RZ-…) or move-out (QC-…) case with the estate's checklist."""
    _require(user, "movein.handle")
    estate = _check_estate(user, estate_id)
    if kind not in KINDS:
        raise DomainError(_("Choose move-in or move-out."), "kind")
    number = _text(unit_number, 30)
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number)) \
        if number else None
    if unit is None:
        raise DomainError(_("There is no unit %(number)s in this estate.", number=number or "—"), "unit_number")
    name = _text(owner_name, 100)
    if not name:
        raise DomainError(_("Enter the owner's name."), "owner_name")
    from core.forms import PHONE_RE, normalise_phone

    phone = normalise_phone(_text(owner_phone, 30))
    if not phone or not PHONE_RE.match(phone):
        raise DomainError(_("Enter the owner's phone: 5 to 20 digits."), "owner_phone")
    if _open_case(unit.id) is not None:
        raise _already_open(unit)
    items = checklist(estate_id, kind)
    if not items:
        raise DomainError(_("The estate's checklist is empty: choose its items in the settings first."), "kind")
    from core.numbering import next_number

    now = utcnow()
    case = MoveinCase(estate_id=estate_id, number=next_number(NUMBER_CODES[kind], estate, now), kind=kind,
                      unit_id=unit.id, owner_name=name, owner_phone=phone,
                      owner_id_number=_text(owner_id_number, 40).upper(), state="open", opened_at=now,
                      opened_by_id=user.id, note=_text(note, 500))
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        raise _already_open(unit) from None
    for pos, (code, label) in enumerate(items, 1):
        db.session.add(MoveinItem(case_id=case.id, position=pos, code=code, label=label))
    db.session.flush()
    db.session.refresh(case)
    return case


def _check_open(user, case: MoveinCase) -> None:
    _require(user, "movein.handle")
    _check_estate(user, case.estate_id)
    if case.state != "open":
        raise DomainError(_("Case %(number)s is no longer open.", number=case.number))


def _owed(unit_id: int) -> Decimal | None:
    """What the unit owes in the fees plugin (None when fees is not enabled)."""
    if not is_enabled("fees"):
        return None
    from plugins.fees import ledger

    return ledger.balance(unit_id)


def _register_resident(user, case: MoveinCase) -> str:
    """Register the owner as the unit's resident (owner) in the core, once."""
    from core.estates import add_occupancy, save_resident

    unit = db.session.get(Unit, case.unit_id)
    estate = db.session.get(Estate, case.estate_id)
    known = db.session.scalar(select(Occupancy).join(Resident, Resident.id == Occupancy.resident_id).where(
        Occupancy.unit_id == unit.id, Occupancy.role == "owner", Occupancy.end_date.is_(None),
        Resident.name == case.owner_name))
    if known is not None:
        return _("already registered")
    resident = save_resident(user, estate_id=case.estate_id, name=case.owner_name, kind="person",
                             phone=case.owner_phone, id_number=case.owner_id_number)
    db.session.flush()
    add_occupancy(user, unit=unit, resident=resident, role="owner", start=local_today(estate), end=None)
    return ""


def _end_occupancies(user, case: MoveinCase) -> str:
    """End every current occupancy of the unit in the core (move-out)."""
    from core.estates import end_occupancy

    estate = db.session.get(Estate, case.estate_id)
    today = local_today(estate)
    rows = db.session.scalars(select(Occupancy).where(Occupancy.unit_id == case.unit_id,
                                                      Occupancy.end_date.is_(None))).all()
    for occ in rows:
        end_occupancy(user, occ, max(today, occ.start_date or today))
    return ", ".join(o.resident.name for o in rows)


def tick(user, case: MoveinCase, item: MoveinItem, note: str = "") -> MoveinItem:
    """Tick one item of the checklist (who, when). Some items do their work in the core or ask
    a partner first: ``resident`` registers the owner, ``occupancy`` ends the unit's occupancies,
    ``fees`` is refused while the fees plugin says the unit owes money, ``keys`` goes through
    the keys plugin's handover when it is enabled and holds the unit's owner keys (otherwise a
    note says which keys were handed over)."""
    _check_open(user, case)
    if item.case_id != case.id:
        raise DomainError(_("This item is not on the case's checklist."), "item_id")
    if item.done_at is not None:
        raise DomainError(_("This item is already ticked."), "item_id")
    note = _text(note, 300)
    if item.code == "fees":
        owed = _owed(case.unit_id)
        if owed is not None and owed > 0:
            raise DomainError(_("Unit %(number)s still owes %(amount)s: the fees are not settled.",
                                number=case.unit.number, amount=f"{owed:.2f}"), "item_id")
    elif item.code == "keys":
        if is_enabled("keys"):
            from plugins.keys import services as keys

            if keys.keys_on_board(case.unit_id):
                raise DomainError(_("Hand the keys over with the keys register: the item is ticked then."),
                                  "item_id")
        if not note:
            raise DomainError(_("Say which keys were handed over (none of them is in the keys register)."), "note")
        case.keys_note = note
    elif item.code == "resident":
        note = note or _register_resident(user, case)
    elif item.code == "occupancy":
        ended = _end_occupancies(user, case)
        note = note or ended
    elif item.code == "deposits" and is_enabled("fees"):
        note = _release_deposits(user, case)
    item.done_at = utcnow()
    item.done_by_id = user.id
    item.note = note
    db.session.flush()
    return item


def _release_deposits(user, case: MoveinCase) -> str:
    """Move-out with fees: every deposit held for the unit gets a refund request (approved and
    paid out in fees); the item's note says which requests (TK-…) there are."""
    from plugins.fees import desk

    done = desk.release_unit_deposits(
        user, case.unit, payee=case.owner_name,
        reason=_("Move-out %(number)s: the deposit is to be refunded.", number=case.number))
    parts = []
    if done.requested:
        parts.append(_("refund requested: %(numbers)s", numbers=", ".join(r.number for r in done.requested)))
    if done.under_way:
        parts.append(_("already being refunded: %(numbers)s",
                       numbers=", ".join(r.number for r in done.under_way)))
    return "; ".join(parts) if parts else _("no deposit held in fees")


def hand_over_keys(user, case: MoveinCase, key_ids: list[int] | None = None, note: str = ""):
    """Hand the unit's owner keys over through the keys plugin (when enabled); its
    ``keys_handed_over`` event ticks the ``keys`` item and links the receipt."""
    _check_open(user, case)
    if case.kind != "in":
        raise DomainError(_("Keys are handed over at move-in."))
    if not is_enabled("keys"):
        raise DomainError(_("The keys plugin is not in use: tick the item and say which keys were handed over."))
    from plugins.keys import services as keys

    handover = keys.hand_over(user, estate_id=case.estate_id, unit_number=case.unit.number,
                              owner_name=case.owner_name, owner_phone=case.owner_phone,
                              owner_id_number=case.owner_id_number, key_ids=key_ids, note=note,
                              source="movein", source_ref=case.number)
    return handover


def on_keys_handed_over(handover) -> None:
    """Listener of ``keys_handed_over``: the open case it names gets the receipt, its item ticked."""
    if handover.source != "movein" or not handover.source_ref:
        return
    case = db.session.scalar(select(MoveinCase).where(MoveinCase.number == handover.source_ref,
                                                      MoveinCase.estate_id == handover.estate_id))
    if case is None or case.key_handover_id == handover.id:
        return
    if case.state != "open":
        raise DomainError(_("Case %(number)s is no longer open.", number=case.number))
    case.key_handover_id, case.key_handover_number = handover.id, handover.number
    for item in case.items:
        if item.code == "keys" and item.done_at is None:
            item.done_at, item.done_by_id, item.note = handover.handed_at, handover.handed_by_id, handover.number
            db.session.add(item)
    db.session.flush()


def parse_reading(text) -> Decimal:
    try:
        value = Decimal(str(text or "").strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(_("The reading %(text)s is not a number.", text=text), "reading") from None
    if not value.is_finite() or value < 0 or value >= MAX_READING:
        raise DomainError(_("The reading %(text)s is not a meter figure (0 or more).", text=text), "reading")
    if value.as_tuple().exponent < -2:
        raise DomainError(_("Use at most %(n)s decimal places.", n=2), "reading")
    return value


def _reading_to_fees(user, case: MoveinCase, element: str, reading: str, confirmed: bool):
    """With fees enabled: the opening reading becomes the unit meter's reading of the month in
    fees (its checks; a refusal refuses the line). ``(reading id, note)``; without fees
    ``(None, "")``."""
    if not is_enabled("fees"):
        return None, ""
    from plugins.fees import readings

    estate = db.session.get(Estate, case.estate_id)
    row = readings.record_opening(user, unit_id=case.unit_id, kind=METER_KINDS[element], value=reading,
                                  read_on=local_today(estate), confirmed=confirmed,
                                  note=_("Opening reading, %(number)s", number=case.number))
    if row is None:
        return None, _("Not in fees: the unit has no such meter there.")
    return row.id, _("In fees: reading of %(month)s", month=row.period.strftime("%Y-%m"))


def add_check(user, case: MoveinCase, *, room: str, element: str, ok: bool, defect: str = "",
              reading: str = "", photos=None, confirmed: bool = False, to_fees: bool = True) -> MoveinCheck:
    """One line of the house acceptance form. A meter needs its opening reading; a defect its
    description. A defect becomes a repair (repairs plugin, when enabled), else it is listed to
    follow up by hand. With fees enabled a meter's opening reading becomes the unit meter's
    reading of the month there (fees' checks: ``confirmed`` = meter replaced / figure confirmed;
    ``to_fees=False`` keeps it on the form only). Photos are checked before anything is saved."""
    _check_open(user, case)
    if room not in ROOMS:
        raise DomainError(_("Choose the room."), "room")
    if element not in ELEMENTS:
        raise DomainError(_("Choose what was checked."), "element")
    value = None
    if element in METERS:
        if not str(reading or "").strip():
            raise DomainError(_("Enter the meter's opening reading."), "reading")
        value = parse_reading(reading)
    elif str(reading or "").strip():
        raise DomainError(_("Only a meter has a reading."), "reading")
    defect = _text(defect, 500)
    if not ok and not defect:
        raise DomainError(_("Describe the defect."), "defect")
    if ok and defect:
        raise DomainError(_("An item found OK has no defect: choose “defect” or clear the description."), "defect")
    from core.attachments import check_upload

    files = [f for f in (photos or []) if f and getattr(f, "filename", "")]
    for f in files:
        check_upload(f)
        f.seek(0)
    fees_id, fees_note = (None, "")
    if value is not None and to_fees:
        fees_id, fees_note = _reading_to_fees(user, case, element, reading, confirmed)
    check = MoveinCheck(estate_id=case.estate_id, case_id=case.id, room=room, element=element, ok=bool(ok),
                        defect=defect, reading=value, checked_by_id=user.id, fees_reading_id=fees_id,
                        fees_note=fees_note[:200])
    db.session.add(check)
    db.session.flush()
    from core.attachments import save_upload

    for f in files:
        save_upload(f, check)
    if not ok and is_enabled("repairs"):
        from plugins.movein.forms import ELEMENT_LABELS, ROOM_LABELS
        from plugins.repairs import services as repairs

        repair = repairs.record(user, estate_id=case.estate_id, unit_id=case.unit_id,
                                contact_name=case.owner_name, contact_phone=case.owner_phone,
                                category=REPAIR_CATEGORY[element], channel="handover",
                                description=_("House acceptance %(number)s, %(room)s, %(element)s: %(defect)s",
                                              number=case.number, room=ROOM_LABELS[room],
                                              element=ELEMENT_LABELS[element], defect=defect))
        check.repair_id, check.repair_number, check.repair_state = repair.id, repair.number, repair.state
    db.session.flush()
    return check


def mark_fixed(user, check: MoveinCheck) -> MoveinCheck:
    """A defect followed up by hand (no repair order) is put right."""
    _require(user, "movein.handle")
    _check_estate(user, check.estate_id)
    if check.ok or check.repair_number:
        raise DomainError(_("Only a defect followed up by hand is marked put right here."))
    if check.fixed_at is not None:
        raise DomainError(_("This defect is already put right."))
    check.fixed_at = utcnow()
    return check


def on_repair_changed(repair) -> None:
    """Listener of ``repairs_completed`` / ``repairs_reopened``: the form shows the repair's state."""
    for check in db.session.scalars(select(MoveinCheck).where(MoveinCheck.repair_id == repair.id,
                                                              MoveinCheck.estate_id == repair.estate_id)):
        check.repair_state = repair.state


def repair_states(user, case: MoveinCase) -> dict[int, str]:
    """``{check id: the repair's state now}`` for the case's defects sent to repairs, read in
    one query through the repairs plugin's ``repair_states`` when it is enabled (dispatch and
    acceptance fire no hook); otherwise, the state last seen (kept by our listeners)."""
    checks = [c for c in case.checks if c.repair_number]
    states = {c.id: c.repair_state for c in checks}
    if checks and is_enabled("repairs"):
        from plugins.repairs import services as repairs

        now = repairs.repair_states(user, case.estate_id, [c.repair_number for c in checks])
        states.update({c.id: now[c.repair_number]["state"] for c in checks if c.repair_number in now})
    return states


def complete(user, case: MoveinCase) -> MoveinCase:
    """Complete the case once every item of its checklist is ticked."""
    _check_open(user, case)
    left = [item_label(i) for i in case.items if i.done_at is None]
    if left:
        raise DomainError(_("Not every item is ticked: %(items)s.", items=", ".join(str(x) for x in left)))
    case.state = "completed"
    case.completed_at = utcnow()
    case.completed_by_id = user.id
    return case


def cancel(user, case: MoveinCase, reason: str) -> MoveinCase:
    """Cancel an open case with a reason (who, when, why are kept): each item of its checklist
    is cancelled with it — a tick it had stays as history of what was done — and the unit may
    get a new case. What ticking did outside the case (keys handed over, a resident registered,
    occupancies ended, refund requests) is not undone: :func:`done_elsewhere` lists it for the
    office to put back by hand where it must."""
    _check_open(user, case)
    reason = _text(reason, 300)
    if len(reason) < 4:
        raise DomainError(_("Give the reason (at least 4 characters)."), "reason")
    now = utcnow()
    case.state = "cancelled"
    case.cancelled_at, case.cancelled_by_id, case.cancel_reason = now, user.id, reason
    for item in case.items:
        item.cancelled_at = now
        db.session.add(item)
    db.session.flush()
    return case


def done_elsewhere(case: MoveinCase) -> list[str]:
    """The ticked items whose work lives outside the case (another plugin or the core)."""
    return [f"{item_label(i)}: {i.note}" if i.note else str(item_label(i)) for i in case.items
            if i.done_at is not None and i.code in ("keys", "resident", "occupancy", "deposits")]


def item_label(item: MoveinItem):
    from plugins.movein.forms import ITEM_LABELS

    return ITEM_LABELS.get(item.code, item.code) if item.code else item.label


def open_defects(case: MoveinCase) -> list[MoveinCheck]:
    return [c for c in case.checks if c.is_open_defect]


def open_count_query(estate_ids: list[int]):
    return select(func.count()).select_from(MoveinCase).where(MoveinCase.estate_id.in_(estate_ids or [0]),
                                                              MoveinCase.state == "open")
