"""Key custody services. Each function takes the acting user, checks every rule, and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Rules: keys belong to one estate and to one of its units, or a building and floor, or a place;
tags are unique per estate; only a designated keeper of the key's estate lends and takes back;
a loan needs a borrower (name and a phone or ID number) and a reason; the expected return is
after the loan; an emergency spare needs a supervisor's approval recorded first (not the
requester's own); a key is out at most once at a time (database index, refusal translated).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.models import Building, Estate, Unit, User, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.keys.models import (
    BORROWER_KINDS,
    CONDITIONS,
    EVENT_KINDS,
    FLOOR_KINDS,
    KINDS,
    OWNER_KINDS,
    REASON_KINDS,
    Key,
    KeyApproval,
    KeyEvent,
    KeyHandover,
    KeyHandoverLine,
    KeyKeeper,
    KeyLoan,
)

#: A loan or return typed a little ahead of the server's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


# -- the register ----------------------------------------------------------------------
def find_key(user, estate_id: int, tag: str) -> Key:
    """The key with this tag in one of the user's estates, or a refusal naming the tag."""
    _check_estate(user, estate_id)
    tag = _text(tag, 30)
    key = db.session.scalar(select(Key).where(Key.estate_id == estate_id, Key.tag == tag)) if tag else None
    if key is None:
        raise DomainError(_("No key has the tag %(tag)s in this estate.", tag=tag or "—"), "tag")
    return key


def _place(estate_id: int, kind: str, unit_number: str, building_id: int | None, floor: int | None,
           location: str) -> dict:
    """Where the key belongs, by kind: a unit, a building and floor, or a named place."""
    if kind not in KINDS:
        raise DomainError(_("Choose the kind of key."), "kind")
    place = {"unit_id": None, "building_id": None, "floor": None, "location": _text(location, 100)}
    if kind in OWNER_KINDS:
        number = _text(unit_number, 30)
        if not number:
            raise DomainError(_("An owner's key belongs to a unit: enter its number."), "unit_number")
        unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number))
        if unit is None:
            raise DomainError(_("There is no unit %(number)s in this estate.", number=number), "unit_number")
        place.update(unit_id=unit.id, building_id=unit.building_id, floor=unit.floor)
    elif kind in FLOOR_KINDS:
        building = db.session.get(Building, building_id) if building_id else None
        if building is None or building.estate_id != estate_id:
            raise DomainError(_("Choose a building of this estate."), "building_id")
        if floor is None:
            raise DomainError(_("Enter the floor of the door or window."), "floor")
        place.update(building_id=building.id, floor=floor)
    else:  # PLACE_KINDS
        if building_id:
            building = db.session.get(Building, building_id)
            if building is None or building.estate_id != estate_id:
                raise DomainError(_("Choose a building of this estate."), "building_id")
            place["building_id"] = building.id
        if not place["location"]:
            raise DomainError(_("Name the room or equipment the key opens."), "location")
    return place


def _check_tag(estate_id: int, tag: str, key_id: int | None = None) -> str:
    tag = _text(tag, 30)
    if not tag:
        raise DomainError(_("Enter the tag number."), "tag")
    other = db.session.scalar(select(Key.id).where(Key.estate_id == estate_id, Key.tag == tag))
    if other is not None and other != key_id:
        raise DomainError(_("Tag %(tag)s is already used in this estate.", tag=tag), "tag")
    return tag


def _save_key(tag: str, change) -> None:
    """Make ``change`` in a savepoint and flush it: of two keys given the same tag at the same
    moment, the unique index refuses one, and the rest of the transaction lives on."""
    try:
        with db.session.begin_nested():
            change()
    except IntegrityError:
        raise DomainError(_("Tag %(tag)s is already used in this estate.", tag=tag), "tag") from None


def _check_copies(copies) -> int:
    if copies is None or copies < 1 or copies > 99:
        raise DomainError(_("A key set has between 1 and 99 copies."), "copies")
    return copies


def add_key(user, *, estate_id: int, kind: str, tag: str, unit_number: str = "", building_id: int | None = None,
            floor: int | None = None, location: str = "", position: str = "", copies: int = 1,
            emergency_spare: bool = False, note: str = "") -> Key:
    _require(user, "keys.manage")
    _check_estate(user, estate_id)
    place = _place(estate_id, kind, unit_number, building_id, floor, location)
    tag = _check_tag(estate_id, tag)
    key = Key(estate_id=estate_id, kind=kind, tag=tag, position=_text(position, 50), copies=_check_copies(copies),
              emergency_spare=bool(emergency_spare), state="in_service", note=_text(note, 500), **place)
    _save_key(tag, lambda: db.session.add(key))
    return key


def edit_key(user, key: Key, *, kind: str, tag: str, unit_number: str = "", building_id: int | None = None,
             floor: int | None = None, location: str = "", position: str = "", emergency_spare: bool = False,
             note: str = "") -> Key:
    """Correct a key's description. Its copies and state change only through events."""
    _require(user, "keys.manage")
    _check_estate(user, key.estate_id)
    place = _place(key.estate_id, kind, unit_number, building_id, floor, location)
    tag = _check_tag(key.estate_id, tag, key.id)
    def change():
        key.kind, key.tag = kind, tag
        for name, value in place.items():
            setattr(key, name, value)
        key.position = _text(position, 50)
        key.emergency_spare = bool(emergency_spare)
        key.note = _text(note, 500)

    _save_key(tag, change)
    return key


def record_event(user, key: Key, *, kind: str, note: str, copies: int | None = None,
                 loan: KeyLoan | None = None, at: datetime | None = None) -> KeyEvent:
    """Lost, damaged, re-cut (the new number of copies) or found: a new event, the key's state follows."""
    if loan is None:
        _require(user, "keys.manage")
    _check_estate(user, key.estate_id)
    if kind not in EVENT_KINDS:
        raise DomainError(_("Choose what happened to the key."), "kind")
    if key.state == "handed_over":
        raise DomainError(_("Key %(tag)s was handed over to the owner: it is no longer ours.", tag=key.tag))
    note = _text(note, 500)
    if not note:
        raise DomainError(_("Say what happened."), "note")
    before = key.copies
    after = before
    if kind == "recut":
        after = _check_copies(copies)
        key.state = "in_service"
    elif kind == "found":
        if key.state != "lost":
            raise DomainError(_("Only a lost key can be found."), "kind")
        key.state = "in_service"
    else:
        key.state = kind
    key.copies = after
    event = KeyEvent(estate_id=key.estate_id, key_id=key.id, kind=kind, at=at or utcnow(), note=note,
                     copies_before=before, copies_after=after, loan_id=loan.id if loan else None,
                     recorded_by_id=user.id)
    db.session.add(event)
    db.session.flush()
    return event


# -- keepers ---------------------------------------------------------------------------
def is_keeper(user, estate_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(KeyKeeper).where(
        KeyKeeper.estate_id == estate_id, KeyKeeper.user_id == user.id, KeyKeeper.active.is_(True))) > 0


def may_lend(user, estate_id: int) -> bool:
    return (has_permission("keys.lend", user) and estate_id in user_estate_ids(user)
            and is_keeper(user, estate_id))


def designate_keeper(user, *, estate_id: int, user_id: int, note: str = "") -> KeyKeeper:
    """The supervisor designates a member of staff as a key keeper of an estate."""
    _require(user, "keys.approve")
    _check_estate(user, estate_id)
    staff = db.session.get(User, user_id) if user_id else None
    if staff is None or not staff.active:
        raise DomainError(_("Choose a member of staff."), "user_id")
    if estate_id not in user_estate_ids(staff):  # not named: they may be another estate's staff
        raise DomainError(_("Choose a member of staff of this estate."), "user_id")
    if not has_permission("keys.lend", staff):
        raise DomainError(_("%(name)s may not lend keys (their role lacks it).", name=staff.full_name), "user_id")
    row = db.session.scalar(select(KeyKeeper).where(KeyKeeper.estate_id == estate_id,
                                                     KeyKeeper.user_id == user_id))
    if row is not None and row.active:
        raise DomainError(_("%(name)s is already a key keeper here.", name=staff.full_name), "user_id")
    if row is None:
        row = KeyKeeper(estate_id=estate_id, user_id=user_id)
        db.session.add(row)
    row.active = True
    row.note = _text(note, 200)
    db.session.flush()
    return row


def withdraw_keeper(user, keeper: KeyKeeper) -> KeyKeeper:
    _require(user, "keys.approve")
    _check_estate(user, keeper.estate_id)
    if not keeper.active:
        raise DomainError(_("This designation has already ended."))
    keeper.active = False
    return keeper


def _require_keeper(user, estate_id: int) -> None:
    if not may_lend(user, estate_id):
        raise DomainError(_("Only a designated key keeper of this estate lends and takes back keys."))


# -- emergency spare approvals -----------------------------------------------------------
def request_spare(user, key: Key, reason: str) -> KeyApproval:
    """A keeper asks to lend an emergency spare set; a supervisor decides."""
    _require_keeper(user, key.estate_id)
    if not key.emergency_spare:
        raise DomainError(_("Key %(tag)s is not an emergency spare: lend it directly.", tag=key.tag))
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the emergency spare is needed."), "reason")
    row = KeyApproval(estate_id=key.estate_id, key_id=key.id, reason=reason, requested_by_id=user.id,
                      requested_at=utcnow(), state="pending")
    db.session.add(row)
    db.session.flush()
    return row


def decide_spare(user, approval: KeyApproval, *, approve: bool, note: str = "") -> KeyApproval:
    _require(user, "keys.approve")
    _check_estate(user, approval.estate_id)
    if approval.requested_by_id == user.id:
        raise DomainError(_("You cannot decide on your own request: another supervisor must."))
    if approval.state != "pending":
        raise DomainError(_("This request has already been decided."))
    approval.state = "approved" if approve else "refused"
    approval.decided_by_id = user.id
    approval.decided_at = utcnow()
    approval.decision_note = _text(note, 500)
    return approval


def usable_approval(key: Key) -> KeyApproval | None:
    """The oldest approved request for this key that no loan has used yet."""
    used = select(KeyLoan.approval_id).where(KeyLoan.approval_id.is_not(None))
    return db.session.scalar(select(KeyApproval).where(
        KeyApproval.key_id == key.id, KeyApproval.state == "approved", KeyApproval.id.not_in(used))
        .order_by(KeyApproval.id))


# -- loans -------------------------------------------------------------------------------
def open_loan(key_id: int) -> KeyLoan | None:
    return db.session.scalar(select(KeyLoan).where(KeyLoan.key_id == key_id, KeyLoan.returned_at.is_(None)))


def repairs_on() -> bool:
    """Is the repairs plugin enabled? Then a loan's work-order number must be a real order."""
    from core.plugins import is_enabled

    return is_enabled("repairs")


def find_work_order(user, estate_id: int, number: str):
    """The repairs work order with this number in the estate (through the repairs plugin's
    documented service ``find_order_by_number``), or ``None``; always ``None`` when repairs is
    disabled. keys never reads the repairs tables itself."""
    if not number or not repairs_on():
        return None
    from plugins.repairs.services import find_order_by_number

    return find_order_by_number(user, estate_id, number)


def work_order_links(user, numbers) -> dict[str, str]:
    """``{number: URL of the repair page}`` for those numbers that are work orders of the user's
    estates (empty when repairs is disabled: the numbers stay plain text)."""
    if not repairs_on():
        return {}
    from flask import url_for

    from plugins.repairs.services import repair_ids_for_orders

    return {number: url_for("repairs.detail", repair_id=repair_id)
            for number, repair_id in repair_ids_for_orders(user, numbers).items()}


def _check_work_order(user, estate_id: int, reason_kind: str, number: str) -> None:
    """With repairs enabled, a loan for a repair names its work order, and a number given must
    be an order of the key's estate. With repairs disabled the number is kept as plain text."""
    if not repairs_on():
        return
    if reason_kind == "repair" and not number:
        raise DomainError(_("Enter the number of the repair work order the key is lent for."), "work_order_number")
    if number and find_work_order(user, estate_id, number) is None:
        raise DomainError(_("There is no repair work order %(number)s in this estate.", number=number),
                          "work_order_number")


def _already_out(key: Key) -> DomainError:
    return DomainError(_("Key %(tag)s is already out: it must be returned before it is lent again.",
                         tag=key.tag), "tag")


def lend(user, key: Key, *, borrower_kind: str, borrower_name: str, borrower_phone: str = "",
         borrower_id_number: str = "", reason_kind: str, reason: str, expected_return: datetime | None,
         work_order_number: str = "", lent_at: datetime | None = None) -> KeyLoan:
    """Lend ``key``: a new line of the loan register."""
    _require_keeper(user, key.estate_id)
    if key.state == "lost":
        raise DomainError(_("Key %(tag)s is recorded as lost: it cannot be lent.", tag=key.tag), "tag")
    if key.state == "handed_over":
        raise DomainError(_("Key %(tag)s was handed over to the owner: it is no longer ours.", tag=key.tag), "tag")
    if borrower_kind not in BORROWER_KINDS:
        raise DomainError(_("Say who borrows the key: staff, contractor or owner."), "borrower_kind")
    name = _text(borrower_name, 100)
    if not name:
        raise DomainError(_("No private loans: enter the borrower's name."), "borrower_name")
    phone, id_number = _text(borrower_phone, 30), _text(borrower_id_number, 40)
    if not phone and not id_number:
        raise DomainError(_("Enter the borrower's phone or ID number."), "borrower_phone")
    if reason_kind not in REASON_KINDS:
        raise DomainError(_("Choose what the key is borrowed for."), "reason_kind")
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("No private loans: say what the key is borrowed for."), "reason")
    now = utcnow()
    lent_at = lent_at or now
    if lent_at > now + CLOCK_SKEW:
        raise DomainError(_("A loan cannot be recorded in the future."), "lent_at")
    if expected_return is None:
        raise DomainError(_("Enter when the key is to be returned."), "expected_return")
    if expected_return <= lent_at:
        raise DomainError(_("The expected return must be after the time the key is lent."), "expected_return")
    approval = None
    if key.emergency_spare:
        approval = usable_approval(key)
        if approval is None:
            raise DomainError(_("Key %(tag)s is an emergency spare: a supervisor's approval must be recorded "
                                "before it is lent.", tag=key.tag), "tag")
    if open_loan(key.id) is not None:
        raise _already_out(key)
    work_order_number = _text(work_order_number, 40)
    _check_work_order(user, key.estate_id, reason_kind, work_order_number)
    loan = KeyLoan(estate_id=key.estate_id, key_id=key.id, borrower_kind=borrower_kind, borrower_name=name,
                   borrower_phone=phone, borrower_id_number=id_number, reason_kind=reason_kind, reason=reason,
                   work_order_number=work_order_number, lent_at=lent_at,
                   expected_return=expected_return, lent_by_id=user.id,
                   approval_id=approval.id if approval else None)
    try:
        with db.session.begin_nested():  # flushed when the block ends; a refusal undoes only this
            db.session.add(loan)
    except IntegrityError:
        # Another keeper lent it (or used the approval) at the same moment and committed first.
        if open_loan(key.id) is not None:
            raise _already_out(key) from None
        raise DomainError(_("This approval has just been used for another loan."), "tag") from None
    return loan


def take_back(user, loan: KeyLoan, *, condition: str, note: str = "",
              returned_at: datetime | None = None) -> KeyLoan:
    """Record the return. The update is conditional (``WHERE returned_at IS NULL``): of two
    keepers taking the same key back at once, one records it, the other is refused."""
    _require_keeper(user, loan.estate_id)
    if condition not in CONDITIONS:
        raise DomainError(_("Say in what condition the key came back."), "condition")
    note = _text(note, 500)
    if condition != "good" and not note:
        raise DomainError(_("Say what is wrong with the key."), "note")
    now = utcnow()
    returned_at = returned_at or now
    if returned_at > now + CLOCK_SKEW:
        raise DomainError(_("A return cannot be recorded in the future."), "returned_at")
    if returned_at < loan.lent_at:
        raise DomainError(_("The return cannot be before the time the key was lent."), "returned_at")
    done = db.session.execute(
        update(KeyLoan).where(KeyLoan.id == loan.id, KeyLoan.returned_at.is_(None))
        .values(returned_at=returned_at, returned_to_id=user.id, condition=condition, return_note=note,
                updated_at=now, updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("Key %(tag)s is not out: there is no loan to take back.", tag=loan.key.tag), "tag")
    record_sql_change("keys_loan", loan.id, loan.estate_id, {
        "returned_at": (None, returned_at), "returned_to_id": (None, user.id), "condition": (None, condition)})
    db.session.expire(loan)
    if condition != "good":
        record_event(user, db.session.get(Key, loan.key_id), kind=condition, note=note, loan=loan, at=returned_at)
    return loan


def take_back_key(user, key: Key, **kw) -> KeyLoan:
    loan = open_loan(key.id)
    if loan is None:
        _require_keeper(user, key.estate_id)
        raise DomainError(_("Key %(tag)s is not out: there is no loan to take back.", tag=key.tag), "tag")
    return take_back(user, loan, **kw)


# -- handover at move-in ------------------------------------------------------------------
def keys_on_board(unit_id: int) -> list[Key]:
    """The unit's owner keys still held by the office (not handed over)."""
    return list(db.session.scalars(select(Key).where(
        Key.unit_id == unit_id, Key.kind.in_(OWNER_KINDS), Key.state != "handed_over").order_by(Key.tag)))


def hand_over(user, *, estate_id: int, unit_number: str, owner_name: str, owner_phone: str = "",
              owner_id_number: str = "", key_ids: list[int] | None = None, note: str = "", source: str = "",
              source_ref: str = "", handed_at: datetime | None = None) -> KeyHandover:
    """Hand the owner keys of a unit to its owner (the documented service a move-in plugin calls).

    ``key_ids`` chooses some of the unit's owner keys (default: all still on the board). Each must
    be on the board and not out on loan. A key is handed over once ever (unique index on
    ``keys_handover_line.key_id``): of two handovers at the same moment, one is refused. Fires
    ``keys_handed_over(handover)``. The caller commits."""
    _check_estate(user, estate_id)
    _require_keeper(user, estate_id)
    number = _text(unit_number, 30)
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate_id, Unit.number == number)) \
        if number else None
    if unit is None:
        raise DomainError(_("There is no unit %(number)s in this estate.", number=number or "—"), "unit_number")
    name = _text(owner_name, 100)
    if not name:
        raise DomainError(_("Enter the name of the owner who receives the keys."), "owner_name")
    phone, id_number = _text(owner_phone, 30), _text(owner_id_number, 40)
    if not phone and not id_number:
        raise DomainError(_("Enter the owner's phone or ID number."), "owner_phone")
    now = utcnow()
    handed_at = handed_at or now
    if handed_at > now + CLOCK_SKEW:
        raise DomainError(_("A handover cannot be recorded in the future."), "handed_at")
    on_board = keys_on_board(unit.id)
    if key_ids:
        by_id = {k.id: k for k in on_board}
        if any(i not in by_id for i in key_ids):
            raise DomainError(_("Only this unit's owner keys still on the board can be handed over."), "key_ids")
        chosen = [by_id[i] for i in dict.fromkeys(key_ids)]
    else:
        chosen = on_board
    if not chosen:
        raise DomainError(_("No owner key of unit %(number)s is on the board.", number=unit.number), "unit_number")
    for key in chosen:
        if open_loan(key.id) is not None:
            raise DomainError(_("Key %(tag)s is out on loan: take it back before the handover.", tag=key.tag),
                              "key_ids")
    from core.numbering import next_number

    handover = KeyHandover(estate_id=estate_id, number=next_number("YJ", estate_id, handed_at), unit_id=unit.id,
                           owner_name=name, owner_phone=phone, owner_id_number=id_number, handed_at=handed_at,
                           handed_by_id=user.id, note=_text(note, 500), source=_text(source, 40),
                           source_ref=_text(source_ref, 40))
    try:
        with db.session.begin_nested():
            db.session.add(handover)
            db.session.flush()
            for key in chosen:
                db.session.add(KeyHandoverLine(handover_id=handover.id, key_id=key.id, copies=key.copies))
                key.state = "handed_over"
    except IntegrityError:
        raise DomainError(_("These keys have just been handed over by someone else."), "unit_number") from None
    db.session.refresh(handover)
    from core.plugins import hook

    hook("keys_handed_over")(handover=handover)
    return handover


# -- overdue -----------------------------------------------------------------------------
def overdue_filter(now: datetime | None = None):
    return KeyLoan.returned_at.is_(None) & (KeyLoan.expected_return < (now or utcnow()))


def overdue_count_query(estate_ids: list[int]):
    """``count(*)`` of the overdue loans in these estates (the menu badge runs it with the others)."""
    return select(func.count()).select_from(KeyLoan).where(KeyLoan.estate_id.in_(estate_ids or [0]),
                                                          overdue_filter())


def overdue_count(estate_ids: list[int]) -> int:
    return db.session.scalar(overdue_count_query(estate_ids)) if estate_ids else 0



# -- read models for the busy pages (plain rows, statements built once) ------------------------
@cache
def _unit_keys_stmt():
    # Table columns, not ORM attributes: a plain Core statement skips the ORM's result set-up.
    k, loan = Key.__table__.c, KeyLoan.__table__.c
    return (select(k.id, k.tag, k.kind, k.copies, k.position, k.state,
                   loan.id.label("loan_id"), loan.borrower_name, loan.expected_return)
            .select_from(Key.__table__.outerjoin(KeyLoan.__table__, and_(loan.key_id == k.id,
                                                                        loan.returned_at.is_(None))))
            .where(k.unit_id == bindparam("unit_id"), k.estate_id == bindparam("estate_id"))
            .order_by(k.tag))


def unit_keys(unit_id: int, estate_id: int) -> list:
    """A unit's keys and who has each now (the unit page's panel), as plain rows: ``id, tag,
    kind, copies, position, state`` and the open loan's ``loan_id, borrower_name,
    expected_return`` (``None`` when the key is on the board). One statement."""
    return db.session.execute(_unit_keys_stmt(), {"unit_id": unit_id, "estate_id": estate_id}).all()


@cache
def _loan_rows_stmt():
    loans, keys = KeyLoan.__table__, Key.__table__
    units, buildings, estates = Unit.__table__, Building.__table__, Estate.__table__
    lender, receiver = User.__table__.alias("lender"), User.__table__.alias("receiver")
    c, k = loans.c, keys.c
    return (select(c.id, c.key_id, c.borrower_kind, c.borrower_name, c.borrower_phone, c.borrower_id_number, c.reason_kind, c.reason,
                   c.work_order_number, c.lent_at, c.expected_return, c.returned_at, c.condition,
                   k.tag, k.kind, k.floor, k.location, units.c.number.label("unit_number"),
                   buildings.c.name.label("building_name"), estates.c.name.label("estate_name"),
                   lender.c.full_name.label("lent_by_name"), receiver.c.full_name.label("returned_to_name"))
            .select_from(loans.join(keys, k.id == c.key_id).join(estates, estates.c.id == c.estate_id)
                         .outerjoin(units, units.c.id == k.unit_id)
                         .outerjoin(buildings, buildings.c.id == k.building_id)
                         .outerjoin(lender, lender.c.id == c.lent_by_id)
                         .outerjoin(receiver, receiver.c.id == c.returned_to_id))
            .where(c.id.in_(bindparam("ids", expanding=True))))


def loan_rows(ids) -> list:
    """The loan register's display rows of these loans (ids from the scoped list statement
    only), as plain rows with the key's tag and place, the estate and the two keepers' names."""
    return db.session.execute(_loan_rows_stmt(), {"ids": list(ids)}).all()
