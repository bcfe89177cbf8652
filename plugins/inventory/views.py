"""Store-room pages: stock on hand, store rooms, one item and its movements (receive, issue,
return, transfer), the stock ledger, reversals, stock counts and their printed sheet, the
purchase plan and consumption.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.inventory.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import estate_timezone, plain_amount, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Department
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.inventory import services
from plugins.inventory.forms import (
    COUNT_LABELS,
    KIND_LABELS,
    MOVEMENT_LABELS,
    CountStartForm,
    IssueForm,
    ItemFilter,
    ItemForm,
    MovementFilter,
    ReceiptForm,
    ReturnForm,
    ReverseForm,
    StoreForm,
    TransferForm,
)
from plugins.inventory.models import KINDS, MOVEMENT_KINDS, Item, Movement, StockCount, StoreRoom

bp = Blueprint("inventory", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, movement_labels=MOVEMENT_LABELS, count_labels=COUNT_LABELS)


def _stores(estate_ids) -> list[StoreRoom]:
    return list(db.session.scalars(scoped(StoreRoom, estate_ids=estate_ids).where(StoreRoom.active.is_(True))
                                   .order_by(StoreRoom.estate_id, StoreRoom.code)))


def _store_choices(estate_ids, first=None):
    out = [first] if first else []
    return out + [(str(s.id) if first else s.id, f"{s.code} {s.name}") for s in _stores(estate_ids)]


def _department_choices():
    rows = db.session.execute(select(Department.id, Department.name).order_by(Department.code)).all()
    return [(0, "—")] + [(i, n) for i, n in rows]


def qty(value) -> str:
    return services.fmt_qty(value)


# -- stock on hand ---------------------------------------------------------------------------
def filtered_items(filters: ItemFilter):
    ids = current_estate_ids()
    stmt = scoped(Item, estate_ids=ids)
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Item.code.like(pat, escape="\\"), Item.name.like(pat, escape="\\")))
    if filters.store.data and filters.store.data.isdigit():
        stmt = stmt.where(Item.store_id == int(filters.store.data))
    if filters.kind.data in KINDS:
        stmt = stmt.where(Item.kind == filters.kind.data)
    if filters.low.data == "1":
        stmt = stmt.where(services.low_stock_filter())
    return stmt


def _item_link(i):
    return url_for("inventory.item", item_id=i.id)


@bp.route("/")
@require("inventory.view")
def index():
    filters = ItemFilter(request.args)
    filters.store.choices = _store_choices(current_estate_ids(), ("", _("All store rooms")))
    page = ListPage(filtered_items(filters), [
        Column("code", _l("Item code"), lambda i: i.code, Item.code, link=_item_link),
        Column("name", _l("Stock item"), lambda i: i.name, Item.name, link=_item_link, css="wrap"),
        Column("spec", _l("Specification"), lambda i: i.spec, css="d-none d-md-table-cell"),
        Column("kind", _l("Kind"), lambda i: KIND_LABELS.get(i.kind, i.kind), Item.kind, css="d-none d-md-table-cell"),
        Column("on_hand", _l("On hand"), lambda i: i.on_hand, Item.on_hand, fmt="number", css="text-end"),
        Column("unit", _l("Unit of measure"), lambda i: i.unit),
        Column("min_stock", _l("Minimum stock"), lambda i: i.min_stock, Item.min_stock, fmt="number",
               css="text-end d-none d-md-table-cell"),
        Column("value", _l("Stock value"), lambda i: i.stock_value, Item.stock_value, fmt="money", css="text-end"),
        Column("low", _l("Low stock"), lambda i: _("Below minimum") if i.low else ""),
        Column("store", _l("Store room"), lambda i: i.store.name, Item.store_id, css="d-none d-lg-table-cell"),
        Column("estate", _l("Estate"), lambda i: i.estate.name, Item.estate_id, css="d-none d-xl-table-cell"),
    ], "code", _("Stock on hand"), "stock-on-hand")
    if fmt := page.wants_export():
        return page.export(fmt)
    low = db.session.scalar(services.low_stock_query(current_estate_ids()))
    return render_template("inventory/index.html", page=page, result=page.page(), filters=filters, low=low)


# -- store rooms -------------------------------------------------------------------------------
def _stores_page(form, status=200):
    rows = db.session.scalars(scoped(StoreRoom, estate_ids=current_estate_ids())
                              .order_by(StoreRoom.estate_id, StoreRoom.code)).all()
    return render_template("inventory/stores.html", rows=rows, form=form), status


@bp.route("/stores", methods=["GET", "POST"])
@require("inventory.view")
def stores():
    form = StoreForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        return _stores_page(form)
    require_manage()

    def act():
        store = services.add_store(current_user, estate_id=form.estate_id.data, code=form.code.data,
                                   name=form.name.data, location=form.location.data or "", note=form.note.data or "")
        return _("Store room %(name)s added.", name=store.name)

    return record_action(form, act, redirect_to=url_for("inventory.stores"), rerender=lambda f: _stores_page(f, 422))


def require_manage():
    from flask import abort

    from core.permissions import has_permission

    if not has_permission("inventory.manage"):
        abort(403)


@bp.route("/stores/<int:store_id>")
@require("inventory.view")
def store(store_id):
    """A store room: its stock in figures (items, value, how many below their minimum), the items
    below their minimum, its counts. Every item is on the stock list filtered to this store room
    (paged, exportable): a store of 5,000 items is not one page of 5,000 rows."""
    room = get_scoped_or_404(StoreRoom, store_id)
    rows = services.stock_on_hand(room.id)
    counts = db.session.scalars(select(StockCount).where(StockCount.store_id == room.id)
                                .order_by(StockCount.id.desc()).limit(20)).all()
    total = sum((r.stock_value for r in rows), start=services.CENT * 0)
    low = [r for r in rows if r.on_hand < r.min_stock]
    return render_template("inventory/store.html", store=room, n_items=len(rows), low=low[:LOW_SHOWN],
                           n_low=len(low), counts=counts, total=total, qty=qty, count_form=CountStartForm(),
                           **LABELS)


#: Items below their minimum listed on a store room's page (the rest: the filtered stock list).
LOW_SHOWN = 100


# -- items --------------------------------------------------------------------------------------
def _item_form_page(form, title, status=200, item=None):
    return render_template("inventory/item_form.html", form=form, title=title, item=item,
                           cancel=url_for("inventory.item", item_id=item.id) if item else url_for("inventory.index")
                           ), status


@bp.route("/items/new", methods=["GET", "POST"])
@require("inventory.manage")
def new_item():
    form = ItemForm()
    form.store_id.choices = _store_choices(current_estate_ids())
    if request.method == "GET":
        if request.args.get("store", type=int):
            form.store_id.data = request.args.get("store", type=int)
        return _item_form_page(form, _("Add an item"))
    made = {}

    def act():
        room = db.session.get(StoreRoom, form.store_id.data or 0)
        if room is None or room.estate_id not in current_estate_ids():
            raise DomainError(_("Choose a store room."), "store_id")
        made["item"] = services.add_item(current_user, room, code=form.code.data, name=form.name.data,
                                         kind=form.kind.data, unit=form.unit.data, min_stock=form.min_stock.data,
                                         spec=form.spec.data or "", note=form.note.data or "")
        return _("Item %(code)s added.", code=made["item"].code)

    return record_action(form, act, redirect_to=lambda: url_for("inventory.item", item_id=made["item"].id),
                         rerender=lambda f: _item_form_page(f, _("Add an item"), 422))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@require("inventory.manage")
def edit_item(item_id):
    item = get_scoped_or_404(Item, item_id)
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    del form.store_id, form.code  # an item stays in its store room under its code
    title = _("Edit item %(code)s", code=item.code)
    if request.method == "GET":
        return _item_form_page(form, title, item=item)

    def act():
        services.edit_item(current_user, get_scoped_or_404(Item, item_id), name=form.name.data, kind=form.kind.data,
                           unit=form.unit.data, min_stock=form.min_stock.data, spec=form.spec.data or "",
                           note=form.note.data or "", active=form.active.data)
        return _("Item %(code)s saved.", code=item.code)

    return record_action(form, act, redirect_to=url_for("inventory.item", item_id=item_id),
                         rerender=lambda f: _item_form_page(f, title, 422, item=get_scoped_or_404(Item, item_id)))


def _item_page(item, status=200, **forms):
    movements = db.session.scalars(select(Movement).where(Movement.item_id == item.id)
                                   .order_by(Movement.moved_at.desc(), Movement.id.desc()).limit(200)).all()
    departments = _department_choices()
    issue_form = forms.get("issue_form") or IssueForm(prefix="issue", formdata=None)
    return_form = forms.get("return_form") or ReturnForm(prefix="ret", formdata=None)
    transfer_form = forms.get("transfer_form") or TransferForm(prefix="move", formdata=None)
    issue_form.department_id.choices = return_form.department_id.choices = departments
    transfer_form.to_store_id.choices = [(s.id, f"{s.code} {s.name}") for s in _stores([item.estate_id])
                                         if s.id != item.store_id]
    order_links = work_order_links([m.work_order_number for m in movements])
    return render_template(
        "inventory/item.html", item=item, movements=movements, qty=qty, order_links=order_links,
        receipt_form=forms.get("receipt_form") or ReceiptForm(prefix="rcv", formdata=None),
        issue_form=issue_form, return_form=return_form, transfer_form=transfer_form, **LABELS), status


def work_order_links(numbers) -> dict[str, str]:
    """``{number: repair page}`` for work orders of the user's estates (none with repairs disabled)."""
    if not services.repairs_on():
        return {}
    from plugins.repairs.services import repair_ids_for_orders

    return {n: url_for("repairs.detail", repair_id=r) for n, r in repair_ids_for_orders(current_user, numbers).items()}


@bp.route("/items/<int:item_id>")
@require("inventory.view")
def item(item_id):
    return _item_page(get_scoped_or_404(Item, item_id))


def _movement_action(item_id, form, form_name, act_fn, message):
    item = get_scoped_or_404(Item, item_id)
    made = {}

    def act():
        made["m"] = act_fn(item)
        return message(made["m"])

    def movement_page(movement_id):
        return url_for("inventory.item", item_id=item_id)

    return record_action(form, act, redirect_to=url_for("inventory.item", item_id=item_id),
                         rerender=lambda f: _item_page(get_scoped_or_404(Item, item_id), 422, **{form_name: f}),
                         once=Once("inventory_movement", lambda: made["m"].id, movement_page, item.estate_id))


@bp.route("/items/<int:item_id>/receive", methods=["POST"])
@require("inventory.keep")
def receive(item_id):
    form = ReceiptForm(prefix="rcv")
    return _movement_action(item_id, form, "receipt_form", lambda item: services.receive(
        current_user, item, quantity=form.quantity.data, unit_cost=form.unit_cost.data, supplier=form.supplier.data,
        invoice=form.invoice.data or "", note=form.note.data or ""),
        lambda m: _("%(n)s received: %(item)s × %(q)s.", n=m.number, item=m.item.name, q=qty(m.quantity)))


@bp.route("/items/<int:item_id>/issue", methods=["POST"])
@require("inventory.keep")
def issue(item_id):
    form = IssueForm(prefix="issue")
    form.department_id.choices = _department_choices()
    return _movement_action(item_id, form, "issue_form", lambda item: services.issue(
        current_user, item, quantity=form.quantity.data, work_order_number=form.work_order_number.data or "",
        department_id=form.department_id.data or None, received_by=form.received_by.data,
        note=form.note.data or ""),
        lambda m: _("%(n)s issued: %(item)s × %(q)s.", n=m.number, item=m.item.name, q=qty(-m.quantity)))


@bp.route("/items/<int:item_id>/return", methods=["POST"])
@require("inventory.keep")
def return_stock(item_id):
    form = ReturnForm(prefix="ret")
    form.department_id.choices = _department_choices()
    return _movement_action(item_id, form, "return_form", lambda item: services.return_stock(
        current_user, item, quantity=form.quantity.data, work_order_number=form.work_order_number.data or "",
        department_id=form.department_id.data or None, received_by=form.received_by.data or "",
        note=form.note.data or ""),
        lambda m: _("%(n)s returned to store: %(item)s × %(q)s.", n=m.number, item=m.item.name, q=qty(m.quantity)))


@bp.route("/items/<int:item_id>/transfer", methods=["POST"])
@require("inventory.keep")
def transfer(item_id):
    form = TransferForm(prefix="move")
    item0 = get_scoped_or_404(Item, item_id)
    form.to_store_id.choices = [(s.id, s.name) for s in _stores([item0.estate_id])]
    return _movement_action(item_id, form, "transfer_form", lambda item: services.transfer(
        current_user, item, to_store_id=form.to_store_id.data, quantity=form.quantity.data,
        note=form.note.data or "")[0],
        lambda m: _("%(n)s: %(item)s × %(q)s transferred.", n=m.number, item=m.item.name, q=qty(-m.quantity)))


# -- the stock ledger ------------------------------------------------------------------------------
def filtered_movements(filters: MovementFilter):
    stmt = scoped(Movement, estate_ids=current_estate_ids())
    if filters.q.data:
        q = filters.q.data.strip()
        pat = _like(q)
        items = select(Item.id).where(Item.estate_id.in_(current_estate_ids() or [0]),
                                      or_(Item.code.like(pat, escape="\\"), Item.name.like(pat, escape="\\")))
        stmt = stmt.where(or_(Movement.number == q, Movement.work_order_number == q, Movement.item_id.in_(items)))
    if filters.store.data and filters.store.data.isdigit():
        stmt = stmt.where(Movement.store_id == int(filters.store.data))
    if filters.kind.data in MOVEMENT_KINDS:
        stmt = stmt.where(Movement.kind == filters.kind.data)
    return stmt


def _to(m) -> str:
    if m.work_order_number:
        return m.work_order_number
    if m.department is not None:
        return m.department.name
    return m.supplier


@bp.route("/movements")
@require("inventory.view")
def movements():
    filters = MovementFilter(request.args)
    filters.store.choices = _store_choices(current_estate_ids(), ("", _("All store rooms")))
    def link(m):
        return url_for("inventory.movement", movement_id=m.id)

    page = ListPage(filtered_movements(filters), [
        Column("number", _l("No."), lambda m: m.number, Movement.number, link=link),
        Column("moved_at", _l("Date"), lambda m: m.moved_at, Movement.moved_at, fmt="datetime"),
        Column("kind", _l("Movement"), lambda m: MOVEMENT_LABELS.get(m.kind, m.kind), Movement.kind),
        Column("item", _l("Stock item"), lambda m: f"{m.item.code} {m.item.name}", css="wrap"),
        Column("quantity", _l("Quantity"), lambda m: m.quantity, Movement.quantity, fmt="number", css="text-end"),
        Column("unit", _l("Unit of measure"), lambda m: m.item.unit),
        Column("value", _l("Value"), lambda m: m.value, Movement.value, fmt="money", css="text-end"),
        Column("to", _l("Supplier or destination"), _to, css="wrap d-none d-md-table-cell"),
        Column("by", _l("Recorded by"), lambda m: m.moved_by.full_name, css="d-none d-lg-table-cell"),
        Column("store", _l("Store room"), lambda m: m.store.name, Movement.store_id, css="d-none d-lg-table-cell"),
    ], "-moved_at", _("Stock movements"), "stock-movements")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("inventory/movements.html", page=page, result=page.page(), filters=filters)


def _movement_page(m, status=200, form=None):
    reversal = db.session.scalar(select(Movement).where(Movement.reverses_id == m.id))
    reversed_one = db.session.get(Movement, m.reverses_id) if m.reverses_id else None
    return render_template("inventory/movement.html", m=m, reversal=reversal, reversed_one=reversed_one, qty=qty,
                           form=form or ReverseForm(), order_links=work_order_links([m.work_order_number]),
                           **LABELS), status


@bp.route("/movements/<int:movement_id>")
@require("inventory.view")
def movement(movement_id):
    return _movement_page(get_scoped_or_404(Movement, movement_id))


@bp.route("/movements/<int:movement_id>/reverse", methods=["POST"])
@require("inventory.manage")
def reverse(movement_id):
    m = get_scoped_or_404(Movement, movement_id)
    form = ReverseForm()

    def act():
        made = services.reverse(current_user, m, reason=form.reason.data)
        return _("Movement %(n)s reversed by %(r)s.", n=m.number, r=", ".join(x.number for x in made))

    return record_action(form, act, redirect_to=url_for("inventory.movement", movement_id=movement_id),
                         rerender=lambda f: _movement_page(get_scoped_or_404(Movement, movement_id), 422, f))


# -- stock counts ------------------------------------------------------------------------------------
@bp.route("/stores/<int:store_id>/count", methods=["POST"])
@require("inventory.keep")
def start_count(store_id):
    room = get_scoped_or_404(StoreRoom, store_id)
    form = CountStartForm()
    made = {}

    def act():
        made["c"] = services.start_count(current_user, room, note=form.note.data or "")
        return _("Stock count %(n)s opened: print the sheet, count, then enter what was found.", n=made["c"].number)

    back = url_for("inventory.store", store_id=store_id)
    return record_action(form, act, redirect_to=lambda: url_for("inventory.count", count_id=made["c"].id),
                         flash_unplaced=True, rerender=lambda f: redirect(back))


def _count_page(count, status=200, errors=None, entered=None):
    return render_template("inventory/count.html", count=count, qty=qty, form=CountStartForm(),
                           errors=errors or {}, entered=entered or {}, **LABELS), status


@bp.route("/counts/<int:count_id>")
@require("inventory.view")
def count(count_id):
    return _count_page(get_scoped_or_404(StockCount, count_id))


@bp.route("/counts/<int:count_id>/post", methods=["POST"])
@require("inventory.manage")
def post_count(count_id):
    """Post the counted quantities typed on the count page (one input per line, so the errors are
    shown beside their line rather than by a WTForms form)."""
    from flask import flash

    count = get_scoped_or_404(StockCount, count_id)
    form = CountStartForm()
    entries, errors, entered = {}, {}, {}
    for line in count.lines:
        raw = (request.form.get(f"counted_{line.id}") or "").strip()
        reason = request.form.get(f"reason_{line.id}") or ""
        entered[line.id] = (raw, reason)
        value = plain_amount(raw) if raw else None
        if raw and value is None:
            errors[f"counted_{line.id}"] = _("Enter a quantity such as 12 or 2.5.")
        entries[line.id] = (value, reason)
    if not form.validate_on_submit():
        errors["_"] = _("The form has expired: reload the page and enter the count again.")
    elif errors:
        errors["_"] = _("Some counted quantities could not be read.")
    else:
        try:
            made = services.post_count(current_user, count, entries)
            db.session.commit()
            flash(ngettext_adjustments(len(made)), "success")
            return redirect(url_for("inventory.count", count_id=count_id))
        except DomainError as exc:
            db.session.rollback()
            errors[exc.field if exc.field in {f"counted_{i}" for i in entered} | {f"reason_{i}" for i in entered}
                   else "_"] = exc.message
    return _count_page(get_scoped_or_404(StockCount, count_id), 422, errors, entered)


def ngettext_adjustments(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("Count posted: %(num)d difference posted as an adjustment.",
                    "Count posted: %(num)d differences posted as adjustments.", n)


@bp.route("/counts/<int:count_id>/cancel", methods=["POST"])
@require("inventory.keep")
def cancel_count(count_id):
    count = get_scoped_or_404(StockCount, count_id)
    back = url_for("inventory.count", count_id=count_id)

    def act():
        services.cancel_count(current_user, count)
        return _("Stock count %(n)s cancelled.", n=count.number)

    return record_action(CountStartForm(), act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda _f: redirect(back))


@bp.route("/counts/<int:count_id>/print")
@require("inventory.view")
def count_print(count_id):
    """The stock count sheet (《库存盘点表》) on A4: each item with its book quantity and blank
    columns for what was counted and the difference, to sign."""
    return render_template("inventory/count_print.html", count=get_scoped_or_404(StockCount, count_id), qty=qty,
                           **LABELS)


# -- purchase plan and consumption ------------------------------------------------------------------
@bp.route("/plan")
@require("inventory.view")
def plan():
    stmt = scoped(Item, estate_ids=current_estate_ids()).where(services.low_stock_filter())
    page = ListPage(stmt, [
        Column("code", _l("Item code"), lambda i: i.code, Item.code, link=_item_link),
        Column("name", _l("Stock item"), lambda i: i.name, Item.name, css="wrap"),
        Column("spec", _l("Specification"), lambda i: i.spec),
        Column("on_hand", _l("On hand"), lambda i: i.on_hand, Item.on_hand, fmt="number", css="text-end"),
        Column("min_stock", _l("Minimum stock"), lambda i: i.min_stock, Item.min_stock, fmt="number",
               css="text-end"),
        Column("suggested", _l("Suggested purchase"), lambda i: i.min_stock * 2 - i.on_hand, fmt="number",
               css="text-end"),
        Column("unit", _l("Unit of measure"), lambda i: i.unit),
        Column("last_cost", _l("Last unit cost"), lambda i: i.last_cost, fmt="money", css="text-end"),
        Column("cost", _l("Estimated cost"), lambda i: None if i.last_cost is None else
               (i.min_stock * 2 - i.on_hand) * i.last_cost, fmt="money", css="text-end"),
        Column("store", _l("Store room"), lambda i: i.store.name, Item.store_id),
    ], "code", _("Purchase plan"), "purchase-plan")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("inventory/plan.html", page=page, result=page.page())


def _month(raw: str | None, default):
    try:
        y, m = (int(x) for x in (raw or "").split("-", 1))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except (TypeError, ValueError):
        pass
    return default


@bp.route("/consumption")
@require("inventory.view")
def consumption():
    """What was used, by month and by department, over twelve months up to ``?to=YYYY-MM``."""
    today = today_local()
    y, m = _month(request.args.get("to"), (today.year, today.month))
    tz = estate_timezone()
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    sy, sm = (y, m - 11) if m > 11 else (y - 1, m + 1)
    start = datetime(sy, sm, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    figures = services.consumption(current_estate_ids(), start, end, tz)
    return render_template("inventory/consumption.html", figures=figures, start=f"{sy}-{sm:02d}",
                           end=f"{y}-{m:02d}")
