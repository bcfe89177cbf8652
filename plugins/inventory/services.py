"""Store-room services. Each function takes the acting user, checks every rule, and either changes
the session (the caller commits) or raises a translated :class:`DomainError` naming the form field
— and then nothing is saved (the caller rolls back).

**The stock rule.** Every change of an item's stock is one movement row plus one ``UPDATE`` of
the item's ``on_hand``/``stock_value``/``moves``, in the same transaction (:func:`_move`). The
item's row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write transactions
are serialised by ``BEGIN IMMEDIATE``), the new stock is computed from what the database holds
now, and the ``UPDATE`` is conditional on ``moves`` being unchanged; the ``CHECK`` constraints
``on_hand >= 0`` and ``stock_value >= 0`` refuse a negative stock whatever happens. So two clerks
issuing the last five bolts at once: one gets them, the other is told how many are left.

**Value.** Moving-average cost: a receipt adds ``quantity × unit cost``; whatever leaves (issue,
transfer out, a count's shortage, the reversal of a receipt) leaves at the average cost of the
moment (``stock value / on hand``, rounded to the cent; the last unit takes what value is left);
a return and a count's surplus come back at the average cost (the last receipt's cost when the
item is empty); a reversal of an issue brings back exactly the value that left.

**Repairs.** An issue (or return) for a repair work order names its number. With the repairs
plugin enabled the number must be an open or completed order of the store's estate, and the
line is added to that order's "materials used" through repairs' documented service
``record_materials_issued``; with repairs disabled the number is kept as plain text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.models import Department, Estate, utcnow
from core.numbering import next_number
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.inventory.models import KINDS, CountLine, Item, Movement, Scaled, StockCount, StoreRoom

CENT = Decimal("0.01")
ZERO = Decimal("0")
#: The largest quantity of one movement (and of a stock): a typing slip, not a delivery.
MAX_QUANTITY = Decimal("1000000")
MAX_COST = Decimal("10000000")
#: A movement typed a little ahead of the server's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)
MOVEMENT_NUMBER = "KF"  # 库房 — every movement of the stock ledger
COUNT_NUMBER = "PD"  # 盘点 — stock counts


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def check_quantity(value, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity: a finite ``Decimal`` with at most 3 decimal places, above zero (or zero)."""
    if value is None or not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise DomainError(_("Enter the quantity."), field)
    value = Decimal(value)
    if not value.is_finite() or value.as_tuple().exponent < -3:
        raise DomainError(_("Enter a quantity with at most 3 decimal places."), field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError(_("The quantity must be more than zero."), field)
    if value > MAX_QUANTITY:
        raise DomainError(_("A quantity above %(max)s is not accepted: check what was typed.",
                            max=MAX_QUANTITY), field)
    return value


def _check_cost(value) -> Decimal:
    if value is None or not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("Enter the unit cost."), "unit_cost")
    if value.as_tuple().exponent < -2:
        raise DomainError(_("Use at most %(n)s decimal places.", n=2), "unit_cost")
    if value < 0 or value > MAX_COST:
        raise DomainError(_("Enter a unit cost between 0 and %(max)s.", max=MAX_COST), "unit_cost")
    return value


def fmt_qty(value) -> str:
    """A quantity without trailing zeros (5, 2.5, 0.125) for messages."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


# -- store rooms and items ------------------------------------------------------------
def add_store(user, *, estate_id: int, code: str, name: str, location: str = "", note: str = "") -> StoreRoom:
    _require(user, "inventory.manage")
    _check_estate(user, estate_id)
    code, name = _text(code, 20), _text(name, 100)
    if not code:
        raise DomainError(_("Enter the store room's code."), "code")
    if not name:
        raise DomainError(_("Enter the store room's name."), "name")
    if db.session.scalar(select(StoreRoom.id).where(StoreRoom.estate_id == estate_id, StoreRoom.code == code)):
        raise DomainError(_("Code %(code)s is already used in this estate.", code=code), "code")
    store = StoreRoom(estate_id=estate_id, code=code, name=name, location=_text(location, 200),
                      note=_text(note, 500))
    try:
        with db.session.begin_nested():
            db.session.add(store)
    except IntegrityError:
        raise DomainError(_("Code %(code)s is already used in this estate.", code=code), "code") from None
    return store


def _item_fields(kind, name, unit, min_stock, spec, note) -> dict:
    if kind not in KINDS:
        raise DomainError(_("Choose the kind of item."), "kind")
    name, unit = _text(name, 100), _text(unit, 20)
    if not name:
        raise DomainError(_("Enter the item's name."), "name")
    if not unit:
        raise DomainError(_("Enter the unit of measure (piece, metre, box…)."), "unit")
    return dict(kind=kind, name=name, unit=unit, min_stock=check_quantity(min_stock or ZERO, "min_stock", True),
                spec=_text(spec, 100), note=_text(note, 500))


def add_item(user, store: StoreRoom, *, code: str, name: str, kind: str = "material", unit: str,
             min_stock: Decimal = ZERO, spec: str = "", note: str = "") -> Item:
    _require(user, "inventory.manage")
    _check_estate(user, store.estate_id)
    if not store.active:
        raise DomainError(_("Store room %(code)s is closed.", code=store.code), "store_id")
    code = _text(code, 30)
    if not code:
        raise DomainError(_("Enter the item's code."), "code")
    fields = _item_fields(kind, name, unit, min_stock, spec, note)
    if db.session.scalar(select(Item.id).where(Item.store_id == store.id, Item.code == code)):
        raise DomainError(_("Item code %(code)s is already used in this store room.", code=code), "code")
    item = Item(estate_id=store.estate_id, store_id=store.id, code=code, on_hand=ZERO,
                stock_value=Decimal("0.00"), moves=0, **fields)
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise DomainError(_("Item code %(code)s is already used in this store room.", code=code), "code") from None
    return item


def edit_item(user, item: Item, *, name: str, kind: str, unit: str, min_stock: Decimal, spec: str = "",
              note: str = "", active: bool = True) -> Item:
    """Correct an item's description and minimum stock. Its stock changes only by movements."""
    _require(user, "inventory.manage")
    _check_estate(user, item.estate_id)
    fields = _item_fields(kind, name, unit, min_stock, spec, note)
    if not active and item.on_hand != 0:
        raise DomainError(_("Item %(code)s still has stock: issue, transfer or count it out first.",
                            code=item.code), "active")
    for k, v in fields.items():
        setattr(item, k, v)
    item.active = bool(active)
    return item


# -- the one place where stock changes ---------------------------------------------------
def _average(on_hand: Decimal, value: Decimal, last_cost: Decimal | None) -> Decimal:
    if on_hand > 0:
        return (value / on_hand).quantize(CENT, rounding=ROUND_HALF_UP)
    return last_cost or Decimal("0.00")


def _lock(item_ids) -> dict[int, object]:
    """Lock the items' rows (in id order, so two transfers never wait for each other) and read
    their stock as the database holds it now."""
    t = Item.__table__.c
    rows = db.session.execute(select(t.id, t.on_hand, t.stock_value, t.moves, t.last_cost, t.code, t.unit,
                                     t.name)
                              .where(t.id.in_(sorted(set(item_ids)))).order_by(t.id).with_for_update()).all()
    return {r.id: r for r in rows}


def _short(row, wanted: Decimal) -> DomainError:
    return DomainError(_("Only %(n)s %(unit)s of %(item)s on hand: %(q)s cannot be taken out.",
                         n=fmt_qty(row.on_hand), unit=row.unit, item=f"{row.code} {row.name}",
                         q=fmt_qty(wanted)), "quantity")


def _check_time(item_id: int, moved_at: datetime | None) -> datetime:
    now = utcnow()
    if moved_at is None:
        return now
    if moved_at > now + CLOCK_SKEW:
        raise DomainError(_("A movement cannot be recorded in the future."), "moved_at")
    last = db.session.scalar(select(func.max(Movement.moved_at)).where(Movement.item_id == item_id))
    if last is not None and moved_at < last:
        raise DomainError(_("This item already has a movement after that time: record it at a later time."),
                          "moved_at")
    return moved_at


def _move(user, item: Item, *, kind: str, quantity: Decimal, value: Decimal | None = None,
          unit_cost: Decimal | None = None, moved_at: datetime | None = None, locked=None, **fields) -> Movement:
    """Add ``quantity`` (signed) to the item's stock, with its movement row, in this transaction.

    ``value``: the value an incoming movement brings (``None``: at the average cost); an
    outgoing movement always leaves at the average cost."""
    moved_at = _check_time(item.id, moved_at)
    row = (locked or _lock([item.id]))[item.id]
    new_on_hand = row.on_hand + quantity
    if new_on_hand < 0:
        raise _short(row, -quantity)
    if new_on_hand > MAX_QUANTITY:
        raise DomainError(_("A quantity above %(max)s is not accepted: check what was typed.",
                            max=MAX_QUANTITY), "quantity")
    average = _average(row.on_hand, row.stock_value, row.last_cost)
    if quantity < 0:
        value = -row.stock_value if new_on_hand == 0 else max(
            -row.stock_value, -(average * -quantity).quantize(CENT, rounding=ROUND_HALF_UP))
    elif value is None:
        value = (average * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    new_value = row.stock_value + value
    if new_on_hand == 0 or new_value < 0:
        # Nothing left, or rounding took a cent too many: no value without stock, none below zero.
        value, new_value = -row.stock_value, Decimal("0.00")
    cost = unit_cost if unit_cost is not None else (
        (abs(value) / abs(quantity)).quantize(CENT, rounding=ROUND_HALF_UP))
    changes = {"on_hand": new_on_hand, "stock_value": new_value, "moves": row.moves + 1}
    if kind == "receipt":
        changes["last_cost"] = unit_cost
    try:
        with db.session.begin_nested():
            done = db.session.execute(
                update(Item).where(Item.id == item.id, Item.moves == row.moves)
                .values(**changes, updated_at=utcnow(), updated_by_id=getattr(user, "id", None))
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise IntegrityError("stock changed", None, Exception("moves"))
    except IntegrityError:
        # Only without the row lock (or a CHECK refusing): someone else moved the stock first.
        raise DomainError(_("The stock of %(item)s changed at the same moment: look at it again and retry.",
                            item=row.code), "quantity") from None
    record_sql_change("inventory_item", item.id, item.estate_id, {
        "on_hand": (row.on_hand, new_on_hand), "stock_value": (row.stock_value, new_value)})
    movement = Movement(estate_id=item.estate_id, number=next_number(MOVEMENT_NUMBER, item.estate_id, moved_at),
                        kind=kind, store_id=item.store_id, item_id=item.id, quantity=quantity, value=value,
                        unit_cost=cost, on_hand_after=new_on_hand, moved_at=moved_at, moved_by_id=user.id,
                        **fields)
    db.session.add(movement)
    db.session.flush()
    db.session.expire(item)
    return movement


def _usable(user, item: Item, permission: str = "inventory.keep") -> None:
    _require(user, permission)
    _check_estate(user, item.estate_id)
    if not item.active:
        raise DomainError(_("Item %(code)s is no longer kept.", code=item.code), "item_id")


def receive(user, item: Item, *, quantity: Decimal, unit_cost: Decimal, supplier: str, invoice: str = "",
            note: str = "", moved_at: datetime | None = None) -> Movement:
    """A receipt from a purchase (入库): the supplier and the unit cost are required."""
    _usable(user, item)
    quantity = check_quantity(quantity)
    unit_cost = _check_cost(unit_cost)
    supplier = _text(supplier, 100)
    if not supplier:
        raise DomainError(_("Enter the supplier."), "supplier")
    value = (quantity * unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)
    return _move(user, item, kind="receipt", quantity=quantity, value=value, unit_cost=unit_cost,
                 supplier=supplier, invoice=_text(invoice, 40), reason=_text(note, 500), moved_at=moved_at)


# -- repairs work orders, through the repairs plugin's service -------------------------------
def repairs_on() -> bool:
    from core.plugins import is_enabled

    return is_enabled("repairs")


def _destination(user, estate_id: int, work_order_number: str, department_id: int | None):
    number = _text(work_order_number, 40)
    if bool(number) == bool(department_id):
        raise DomainError(_("Issue to a repair work order or to a department: give one of them."),
                          "work_order_number")
    department = None
    if department_id:
        department = db.session.get(Department, department_id)
        if department is None:
            raise DomainError(_("Choose a department."), "department_id")
    return number, department


def _tell_repairs(user, estate_id: int, number: str, line: str) -> None:
    """Add the line to the work order's materials used (repairs enabled); the order must exist
    in the estate. With repairs disabled, the number stays plain text."""
    if not number or not repairs_on():
        return
    from plugins.repairs.services import record_materials_issued

    record_materials_issued(user, estate_id=estate_id, number=number, line=line)


def _line(item_code, item_name, quantity: Decimal, unit: str, number: str) -> str:
    return f"{number} {item_code} {item_name} × {fmt_qty(quantity)} {unit}"


def issue(user, item: Item, *, quantity: Decimal, work_order_number: str = "", department_id: int | None = None,
          received_by: str = "", note: str = "", moved_at: datetime | None = None) -> Movement:
    """An issue (领用/出库) to a repair work order or to a department; never more than is on hand."""
    _usable(user, item)
    quantity = check_quantity(quantity)
    number, department = _destination(user, item.estate_id, work_order_number, department_id)
    received_by = _text(received_by, 100)
    if not received_by:
        raise DomainError(_("Enter who received the items."), "received_by")
    movement = _move(user, item, kind="issue", quantity=-quantity, work_order_number=number,
                     department_id=department.id if department else None, received_by=received_by,
                     reason=_text(note, 500), moved_at=moved_at)
    _tell_repairs(user, item.estate_id, number, _line(item.code, item.name, quantity, item.unit, movement.number))
    from core.plugins import hook

    hook("inventory_issued")(movement=movement)
    return movement


def return_stock(user, item: Item, *, quantity: Decimal, work_order_number: str = "",
                 department_id: int | None = None, received_by: str = "", note: str = "",
                 moved_at: datetime | None = None) -> Movement:
    """Unused items come back (退库) from a work order or a department, at the average cost."""
    _usable(user, item)
    quantity = check_quantity(quantity)
    number, department = _destination(user, item.estate_id, work_order_number, department_id)
    note = _text(note, 500)
    if not note:
        raise DomainError(_("Say why the items come back."), "note")
    movement = _move(user, item, kind="return", quantity=quantity, work_order_number=number,
                     department_id=department.id if department else None, received_by=_text(received_by, 100),
                     reason=note, moved_at=moved_at)
    _tell_repairs(user, item.estate_id, number,
                  _line(item.code, item.name, -quantity, item.unit, movement.number))
    return movement


def transfer(user, item: Item, *, to_store_id: int | None, quantity: Decimal, note: str = "",
             moved_at: datetime | None = None) -> tuple[Movement, Movement]:
    """Move stock to another store room of the same estate (调拨): two movements, the value goes
    with it. The other store's item of the same code receives it (added there when missing)."""
    _usable(user, item)
    quantity = check_quantity(quantity)
    target = db.session.get(StoreRoom, to_store_id) if to_store_id else None
    if target is None or target.estate_id != item.estate_id or not target.active:
        raise DomainError(_("Choose another store room of this estate."), "to_store_id")
    if target.id == item.store_id:
        raise DomainError(_("Choose another store room than the item's own."), "to_store_id")
    other = db.session.scalar(select(Item).where(Item.store_id == target.id, Item.code == item.code))
    if other is None:
        other = Item(estate_id=item.estate_id, store_id=target.id, code=item.code, name=item.name, kind=item.kind,
                     unit=item.unit, spec=item.spec, min_stock=ZERO, on_hand=ZERO, stock_value=Decimal("0.00"),
                     last_cost=item.last_cost, moves=0)
        db.session.add(other)
        db.session.flush()
    elif other.unit != item.unit:
        raise DomainError(_("Item %(code)s is counted in %(a)s here and in %(b)s there: transfer refused.",
                            code=item.code, a=item.unit, b=other.unit), "to_store_id")
    note = _text(note, 500)
    locked = _lock([item.id, other.id])
    out = _move(user, item, kind="transfer_out", quantity=-quantity, reason=note, moved_at=moved_at, locked=locked)
    out.transfer_id = out.id
    came = _move(user, other, kind="transfer_in", quantity=quantity, value=-out.value, reason=note,
                 moved_at=moved_at, transfer_id=out.id, locked=_lock([other.id]))
    return out, came


def reverse(user, movement: Movement, *, reason: str) -> list[Movement]:
    """Undo a wrong movement with its exact opposite (冲销); a transfer's two legs together.
    Refused when the stock it brought in has gone already (stock never negative)."""
    _require(user, "inventory.manage")
    _check_estate(user, movement.estate_id)
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the movement is reversed."), "reason")
    if movement.kind == "reversal":
        raise DomainError(_("A reversal cannot be reversed: record the movement again instead."), "reason")
    legs = [movement]
    if movement.transfer_id is not None:
        legs = list(db.session.scalars(select(Movement).where(Movement.transfer_id == movement.transfer_id)
                                       .order_by(Movement.id)))
    for leg in legs:
        if db.session.scalar(select(Movement.id).where(Movement.reverses_id == leg.id)):
            raise DomainError(_("Movement %(n)s has already been reversed.", n=leg.number), "reason")
    locked = _lock([leg.item_id for leg in legs])
    made = []
    try:
        with db.session.begin_nested():
            for leg in sorted(legs, key=lambda m: m.quantity):  # what came in goes out first
                item = db.session.get(Item, leg.item_id)
                undo = _move(user, item, kind="reversal", quantity=-leg.quantity,
                             value=-leg.value if leg.quantity < 0 else None, reverses_id=leg.id,
                             work_order_number=leg.work_order_number, department_id=leg.department_id,
                             reason=reason, locked=locked)
                locked = _lock([leg2.item_id for leg2 in legs])
                made.append(undo)
                if leg.work_order_number and leg.kind in ("issue", "return"):
                    _tell_repairs(user, leg.estate_id, leg.work_order_number,
                                  _line(item.code, item.name, leg.quantity, item.unit, undo.number))
    except IntegrityError:
        raise DomainError(_("Movement %(n)s has just been reversed by someone else.", n=movement.number),
                          "reason") from None
    return made


# -- stock counts ---------------------------------------------------------------------------
def start_count(user, store: StoreRoom, *, note: str = "") -> StockCount:
    """Open a count of every item kept in the store room, with each item's book quantity now."""
    _require(user, "inventory.keep")
    _check_estate(user, store.estate_id)
    if db.session.scalar(select(StockCount.id).where(StockCount.store_id == store.id, StockCount.state == "open")):
        raise DomainError(_("A count of %(store)s is already open: finish or cancel it first.", store=store.name))
    items = db.session.execute(select(Item.id, Item.on_hand, Item.moves).where(
        Item.store_id == store.id, Item.active.is_(True)).order_by(Item.code)).all()
    if not items:
        raise DomainError(_("Store room %(store)s has no item to count.", store=store.name))
    now = utcnow()
    count = StockCount(estate_id=store.estate_id, number=next_number(COUNT_NUMBER, store.estate_id, now),
                       store_id=store.id, state="open", started_at=now, started_by_id=user.id,
                       note=_text(note, 500))
    try:
        with db.session.begin_nested():
            db.session.add(count)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("A count of %(store)s is already open: finish or cancel it first.",
                            store=store.name)) from None
    db.session.execute(CountLine.__table__.insert(), [
        {"estate_id": store.estate_id, "count_id": count.id, "item_id": i, "book": on_hand, "moves_at_start": moves,
         "counted": None, "reason": ""} for i, on_hand, moves in items])
    db.session.expire(count)
    return count


def post_count(user, count: StockCount, entries: dict[int, tuple]) -> list[Movement]:
    """Post a count: ``entries`` gives each line id its counted quantity and, where it differs
    from the book, the reason. Every line must be counted; a difference becomes an adjustment.
    An item that moved since the count started is refused by name: count it again."""
    _require(user, "inventory.manage")
    _check_estate(user, count.estate_id)
    if count.state != "open":
        raise DomainError(_("This count is no longer open."))
    lines = list(db.session.scalars(select(CountLine).where(CountLine.count_id == count.id)
                                    .order_by(CountLine.id)))
    checked = []
    for line in lines:
        counted, reason = entries.get(line.id, (None, ""))
        field = f"counted_{line.id}"
        if counted is None:
            raise DomainError(_("Enter the counted quantity of %(item)s.", item=line.item.code), field)
        counted = check_quantity(counted, field, allow_zero=True)
        reason = _text(reason, 500)
        if counted != line.book and not reason:
            raise DomainError(_("Say why %(item)s differs from the book (%(book)s counted as %(n)s).",
                                item=line.item.code, book=fmt_qty(line.book), n=fmt_qty(counted)),
                              f"reason_{line.id}")
        checked.append((line, counted, reason))
    locked = _lock([line.item_id for line in lines])
    moved = [line.item.code for line in lines if locked[line.item_id].moves != line.moves_at_start]
    if moved:
        raise DomainError(_("These items moved during the count (received, issued or transferred since it "
                            "started): %(items)s. Cancel this count and count again.", items=", ".join(moved)))
    made = []
    for line, counted, reason in checked:
        line.counted, line.reason = counted, reason
        difference = counted - line.book
        if difference:
            movement = _move(user, db.session.get(Item, line.item_id), kind="adjustment", quantity=difference,
                             reason=reason, count_id=count.id, locked=locked)
            locked = _lock([x.item_id for x in lines])
            line.movement_id = movement.id
            made.append(movement)
    done = db.session.execute(update(StockCount).where(StockCount.id == count.id, StockCount.state == "open")
                              .values(state="posted", posted_at=utcnow(), posted_by_id=user.id)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("This count is no longer open."))
    record_sql_change("inventory_count", count.id, count.estate_id, {"state": ("open", "posted")})
    db.session.expire(count)
    return made


def cancel_count(user, count: StockCount) -> StockCount:
    _require(user, "inventory.keep")
    _check_estate(user, count.estate_id)
    if count.state != "open":
        raise DomainError(_("This count is no longer open."))
    count.state = "cancelled"
    return count


# -- figures ---------------------------------------------------------------------------------
def low_stock_filter():
    return Item.active.is_(True) & (Item.on_hand < Item.min_stock)


def low_stock_query(estate_ids):
    """``count(*)`` of the items below their minimum in these estates (the menu badge)."""
    return select(func.count()).select_from(Item).where(Item.estate_id.in_(estate_ids or [0]), low_stock_filter())


def purchase_plan(estate_ids) -> list[dict]:
    """Items below their minimum, with a suggested quantity (up to twice the minimum) and its
    estimated cost at the last receipt's unit cost."""
    rows = db.session.scalars(select(Item).where(Item.estate_id.in_(estate_ids or [0]), low_stock_filter())
                              .order_by(Item.estate_id, Item.store_id, Item.code)).all()
    plan = []
    for item in rows:
        qty = item.min_stock * 2 - item.on_hand
        cost = (qty * item.last_cost).quantize(CENT, rounding=ROUND_HALF_UP) if item.last_cost is not None else None
        plan.append({"item": item, "suggested": qty, "cost": cost})
    return plan


@cache
def _stock_stmt():
    t = Item.__table__.c
    # The three numbers are NOT NULL columns: read without a check for None (a C call per value).
    numbers = [type_coerce(t[name], Scaled(places, not_null=True)).label(name)
               for name, places in (("min_stock", 3), ("on_hand", 3), ("stock_value", 2))]
    return (select(t.id, t.code, t.name, t.kind, t.unit, t.spec, *numbers)
            .where(t.store_id == bindparam("store_id"), t.active.is_(True)).order_by(t.code))


def stock_on_hand(store_id: int) -> list:
    """Every active item of a store room with its stock and value, as plain rows (one statement:
    the stock lives on the item's row, so no sum over the movements is needed)."""
    return db.session.execute(_stock_stmt(), {"store_id": store_id}).all()


def consumption(estate_ids, start: datetime, end: datetime, tz: str) -> dict:
    """What was used between ``start`` and ``end``: issues less returns (and their reversals),
    by local month and by destination (department, or repair work orders), in value and lines."""
    from core.i18n import to_local

    m = Movement.__table__.c
    rows = db.session.execute(select(m.moved_at, m.value, m.department_id, m.work_order_number, m.kind)
                              .where(m.estate_id.in_(estate_ids or [0]), m.moved_at >= start, m.moved_at < end,
                                     m.kind.in_(("issue", "return", "reversal")),
                                     (m.department_id.is_not(None)) | (m.work_order_number != ""))).all()
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    by_month: dict[str, Decimal] = {}
    by_dest: dict[str, Decimal] = {}
    for at, value, dept, _order, _kind in rows:
        used = -value  # an issue takes value out of stock: that is what was used
        month = to_local(at, tz).strftime("%Y-%m")
        by_month[month] = by_month.get(month, Decimal("0.00")) + used
        dest = names.get(dept, "") if dept else _("Repair work orders")
        by_dest[dest] = by_dest.get(dest, Decimal("0.00")) + used
    return {"months": sorted(by_month.items()), "destinations": sorted(by_dest.items(), key=lambda x: -x[1])}
