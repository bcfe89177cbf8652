"""Billing pages: fee items and prices, the published price list, meters, the readings grid
and import, billing runs (with a progress bar polled by htmx), bills.

Permissions: ``fees.manage`` for items, prices, meters, runs and manual charges (voiding a
bill also needs ``fees.void``); ``fees.readings`` for readings; ``fees.view`` for the price
list and the bills. Every record is loaded through the user's estates (others give 404).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.importer import staged_upload
from core.listing import Column, ListPage
from core.models import Building, Estate, Unit
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.ui import NavItem
from plugins.fees import billing, readings
from plugins.fees.blueprint import bp
from plugins.fees.forms_billing import (
    ALLOCATION_LABELS,
    CYCLE_LABELS,
    KIND_LABELS,
    METER_LABELS,
    RUN_STATE_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    USE_LABELS,
    BillFilter,
    BillForm,
    CsrfForm,
    ImportForm,
    ItemForm,
    MeterForm,
    PriceForm,
    ReasonForm,
    RunForm,
)
from plugins.fees.models import (
    BILL_STATES,
    Bill,
    BillingRun,
    CreditEntry,
    FeeItem,
    FeePrice,
    Meter,
    MeterReading,
    PaymentLine,
)
from plugins.fees.periods import parse_period

LABELS = dict(kinds=KIND_LABELS, cycles=CYCLE_LABELS, meters=METER_LABELS, allocations=ALLOCATION_LABELS,
              uses=USE_LABELS, states=STATE_LABELS, sources=SOURCE_LABELS, run_states=RUN_STATE_LABELS)


def nav_items(user, estates):
    items = []
    if has_permission("fees.view", user):
        items.append(NavItem(_l("Bills"), "fees.bills", "money", "fees.view", 21, icon="receipt-cutoff"))
        items.append(NavItem(_l("Price list"), "fees.price_list", "money", "fees.view", 22, icon="tags"))
    if has_permission("fees.readings", user):
        items.append(NavItem(_l("Meter readings"), "fees.readings_grid", "money", "fees.readings", 23,
                             icon="speedometer2"))
    if has_permission("fees.manage", user):
        items.append(NavItem(_l("Fee items"), "fees.items", "money", "fees.manage", 24, icon="list-check"))
        items.append(NavItem(_l("Meters"), "fees.meters", "money", "fees.manage", 25, icon="speedometer"))
        items.append(NavItem(_l("Billing runs"), "fees.runs", "money", "fees.manage", 26, icon="play-circle"))
    return items


def render(template, status=200, **ctx):
    return render_template(f"fees/billing/{template}", L=LABELS, **ctx), status


def _estate() -> Estate:
    """The estate a page works on: ``?estate=`` (one of the user's), else the current one."""
    raw = request.values.get("estate")
    ids = user_estate_ids()
    if raw:
        try:
            estate_id = int(raw)
        except ValueError:
            abort(404)
        if estate_id not in ids:
            abort(404)
    else:
        current = current_estate_ids()
        if not current:
            abort(404)
        estate_id = current[0]
    return db.session.get(Estate, estate_id)


def _estates():
    ids = user_estate_ids()
    return list(db.session.scalars(select(Estate).where(Estate.id.in_(ids)).order_by(Estate.code))) if ids else []


def _status() -> int:
    """A form page: 200 when first shown, 422 when a posted form comes back with errors."""
    return 422 if request.method == "POST" else 200


# --- fee items --------------------------------------------------------------------------------

@bp.route("/items")
@require("fees.manage")
def items():
    estate = _estate()
    rows = db.session.scalars(scoped(FeeItem).where(FeeItem.estate_id == estate.id)
                              .order_by(FeeItem.active.desc(), FeeItem.sequence, FeeItem.code)).all()
    return render("items.html", estate=estate, estates=_estates(), items=rows, today=today_local(),
                  price_for=billing.price_for)


def _item_data(form) -> dict:
    return dict(code=form.code.data, name=form.name.data, kind=form.kind.data, cycle=form.cycle.data,
                cycle_start_month=form.cycle_start_month.data, meter_kind=form.meter_kind.data,
                allocation=form.allocation.data, unit_uses=form.unit_uses.data or [], on_behalf=form.on_behalf.data,
                due_days=form.due_days.data, sequence=form.sequence.data)


@bp.route("/items/new", methods=["GET", "POST"])
@require("fees.manage")
def item_new():
    estate = _estate()
    form = ItemForm()
    made = {}

    def act():
        made["item"] = item = billing.create_item(estate, _item_data(form))
        return _("Fee item %(code)s added.", code=item.code)

    return record_action(form, act, redirect_to=lambda: url_for("fees.item_detail", item_id=made["item"].id),
                         rerender=lambda f: render("item_form.html", _status(), form=f, estate=estate, item=None))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@require("fees.manage")
def item_edit(item_id):
    item = get_scoped_or_404(FeeItem, item_id)
    form = ItemForm(obj=item)
    if request.method == "GET":
        form.unit_uses.data = [u for u in (item.unit_uses or "").split(",") if u]
        form.meter_kind.data = item.meter_kind or ""
        form.allocation.data = item.allocation or ""

    def act():
        billing.update_item(item, _item_data(form))
        return _("Fee item %(code)s saved.", code=item.code)

    return record_action(form, act, redirect_to=url_for("fees.item_detail", item_id=item_id),
                         rerender=lambda f: render("item_form.html", _status(), form=f, estate=item.estate_id,
                                                   item=db.session.get(FeeItem, item_id)))


@bp.route("/items/<int:item_id>/active", methods=["POST"])
@require("fees.manage")
def item_active(item_id):
    item = get_scoped_or_404(FeeItem, item_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    billing.set_item_active(item, active)
    db.session.commit()
    flash(_("Fee item %(code)s is in use again.", code=item.code) if active
          else _("Fee item %(code)s deactivated: runs no longer bill it; its bills stay.", code=item.code), "success")
    return redirect(url_for("fees.item_detail", item_id=item.id))


def _item_page(item, price_form=None, status=200):
    prices = billing.item_prices(item.id)
    return render("item_detail.html", status, item=item, prices=prices, used={p.id: billing.price_used(p) for p in prices},
                  price_form=price_form or PriceForm(formdata=None))


@bp.route("/items/<int:item_id>")
@require("fees.manage")
def item_detail(item_id):
    return _item_page(get_scoped_or_404(FeeItem, item_id))


@bp.route("/items/<int:item_id>/prices", methods=["POST"])
@require("fees.manage")
def price_add(item_id):
    item = get_scoped_or_404(FeeItem, item_id)
    form = PriceForm()

    def act():
        billing.add_price(item, price=form.price.data, valid_from=form.valid_from.data,
                          valid_to=form.valid_to.data, unit_use=form.unit_use.data, basis=form.basis.data or "")
        return _("Price published.")

    return record_action(form, act, redirect_to=url_for("fees.item_detail", item_id=item_id),
                         rerender=lambda f: _item_page(db.session.get(FeeItem, item_id), f, 422))


@bp.route("/prices/<int:price_id>/edit", methods=["GET", "POST"])
@require("fees.manage")
def price_edit(price_id):
    price = get_scoped_or_404(FeePrice, price_id)
    form = PriceForm(obj=price)
    used = billing.price_used(price)

    def act():
        billing.update_price(price, price=form.price.data, valid_from=form.valid_from.data,
                             valid_to=form.valid_to.data, basis=form.basis.data or "")
        return _("Price saved.")

    return record_action(form, act, redirect_to=url_for("fees.item_detail", item_id=price.item_id),
                         rerender=lambda f: render("price_form.html", _status(), form=f,
                                                   price=db.session.get(FeePrice, price_id), used=used))


def _price_list(estate: Estate, on: date):
    rows = []
    for item in db.session.scalars(select(FeeItem).where(FeeItem.estate_id == estate.id, FeeItem.active.is_(True))
                                   .order_by(FeeItem.sequence, FeeItem.code)):
        for p in billing.item_prices(item.id):
            if p.valid_to is None or p.valid_to >= on:
                rows.append((item, p))
    return rows


@bp.route("/prices")
@require("fees.view")
def price_list():
    estate = _estate()
    on = today_local()
    return render("price_list.html", estate=estate, estates=_estates(), rows=_price_list(estate, on), on=on)


@bp.route("/prices/print")
@require("fees.view")
def price_list_print():
    estate = _estate()
    on = today_local()
    return render("price_list_print.html", estate=estate, rows=_price_list(estate, on), on=on)


# --- meters ---------------------------------------------------------------------------------

@bp.route("/meters")
@require("fees.manage")
def meters():
    estate = _estate()
    rows = db.session.scalars(scoped(Meter).where(Meter.estate_id == estate.id).order_by(
        Meter.unit_id.is_(None), Meter.code)).all()
    items = {i.id: i for i in db.session.scalars(select(FeeItem).where(FeeItem.estate_id == estate.id))}
    buildings = {b.id: b for b in db.session.scalars(select(Building).where(Building.estate_id == estate.id))}
    return render("meters.html", estate=estate, estates=_estates(), meters=rows, items=items, buildings=buildings)


def _meter_form(estate_id: int, meter=None):
    form = MeterForm(obj=meter)
    form.item_id.choices = [("", "—")] + [(i.id, f"{i.code} {i.name}") for i in db.session.scalars(
        select(FeeItem).where(FeeItem.estate_id == estate_id, FeeItem.kind == "shared").order_by(FeeItem.code))]
    form.building_id.choices = [("", _("The whole estate"))] + [(b.id, b.name) for b in db.session.scalars(
        select(Building).where(Building.estate_id == estate_id).order_by(Building.code))]
    if request.method == "GET" and meter is not None and meter.unit is not None:
        form.unit_number.data = meter.unit.number
    return form


def _save_meter(estate, form, meter=None):
    unit_id = None
    if form.unit_number.data:
        units = db.session.scalars(select(Unit.id).where(Unit.estate_id == estate.id,
                                                         Unit.number == form.unit_number.data)).all()
        if len(units) != 1:
            raise DomainError(_("There is no unit %(n)s in this estate.", n=form.unit_number.data), "unit_number")
        unit_id = units[0]
    return billing.save_meter(estate, dict(code=form.code.data, kind=form.kind.data, unit_id=unit_id,
                                           item_id=form.item_id.data, building_id=form.building_id.data,
                                           location=form.location.data, active=form.active.data), meter)


@bp.route("/meters/new", methods=["GET", "POST"])
@require("fees.manage")
def meter_new():
    estate = _estate()
    form = _meter_form(estate.id)

    def act():
        return _("Meter %(code)s added.", code=_save_meter(estate, form).code)

    return record_action(form, act, redirect_to=url_for("fees.meters", estate=estate.id),
                         rerender=lambda f: render("meter_form.html", _status(), form=f, estate=estate, meter=None))


@bp.route("/meters/<int:meter_id>/edit", methods=["GET", "POST"])
@require("fees.manage")
def meter_edit(meter_id):
    meter = get_scoped_or_404(Meter, meter_id)
    estate = db.session.get(Estate, meter.estate_id)
    form = _meter_form(estate.id, meter)

    def act():
        _save_meter(estate, form, meter)
        return _("Meter %(code)s saved.", code=meter.code)

    return record_action(form, act, redirect_to=url_for("fees.meters", estate=estate.id),
                         rerender=lambda f: render("meter_form.html", _status(), form=f, estate=estate,
                                                   meter=db.session.get(Meter, meter_id)))


# --- readings -------------------------------------------------------------------------------

def _period_arg() -> date:
    return parse_period(request.values.get("period")) or billing.period_start(today_local())


@bp.route("/readings", methods=["GET", "POST"])
@require("fees.readings")
def readings_grid():
    estate = _estate()
    period = _period_arg()
    raw_building = request.values.get("building") or None
    building_id = raw_building if raw_building == readings.ESTATE_WIDE else request.values.get("building", type=int)
    buildings = list(db.session.scalars(select(Building).where(Building.estate_id == estate.id)
                                        .order_by(Building.code)))
    if raw_building and not building_id or (isinstance(building_id, int)
                                             and building_id not in {b.id for b in buildings}):
        abort(404)
    kind = request.values.get("kind") or None
    split = None  # a large estate without a building chosen: the meters per building, no grid
    if building_id is None:
        counts = readings.meters_per_building(estate.id, kind)
        if sum(n for _b, n in counts) > readings.GRID_MAX:
            split = dict(counts)
    rows = [] if split else readings.grid_rows(readings.grid_meters(estate.id, building_id, kind), period)
    status, error = 200, None
    if request.method == "POST" and split:
        abort(400)  # no grid was shown: nothing to save
    if request.method == "POST":
        if not CsrfForm().validate_on_submit():
            abort(400)
        for r in rows:
            r.value_text = request.form.get(f"value-{r.meter.id}", "").strip()
            r.start_text = request.form.get(f"start-{r.meter.id}", "").strip()
            r.confirmed = request.form.get(f"confirm-{r.meter.id}") == "1"
            r.note = request.form.get(f"note-{r.meter.id}", "").strip()
        try:
            n = readings.save_rows(estate, period, rows, today_local(), current_user.id)
            db.session.commit()
            flash(_("%(n)s readings saved.", n=n), "success")
            return redirect(url_for("fees.readings_grid", estate=estate.id, period=f"{period:%Y-%m}",
                                    building=building_id or "", kind=kind or ""))
        except IntegrityError:
            db.session.rollback()
            error = _("Someone saved readings for these meters at the same time; nothing was saved. Reload the grid.")
            status = 409
        except DomainError as exc:
            db.session.rollback()
            error, status = exc.message, 422
    return render("readings.html", status, estate=estate, estates=_estates(), period=period, rows=rows,
                  buildings=buildings, building_id=building_id, kind=kind, error=error, void_form=ReasonForm(),
                  split=split, estate_wide=readings.ESTATE_WIDE, grid_max=readings.GRID_MAX)


@bp.route("/readings/<int:reading_id>/void", methods=["POST"])
@require("fees.readings")
def reading_void(reading_id):
    reading = get_scoped_or_404(MeterReading, reading_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            readings.void_reading(reading, form.reason.data, current_user.id)
            db.session.commit()
            flash(_("Reading voided: enter the right one."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    else:
        flash(_("Give the reason for voiding (at least 4 characters)."), "danger")
    return redirect(url_for("fees.readings_grid", estate=reading.estate_id, period=f"{reading.period:%Y-%m}"))


@bp.route("/readings/import", methods=["GET", "POST"])
@require("fees.readings")
def readings_import():
    estate = _estate()
    form = ImportForm()
    if request.method == "GET":
        form.period.data = f"{_period_arg():%Y-%m}"
    preview = None
    if form.validate_on_submit():
        period = parse_period(form.period.data)
        if period is None:
            form.add_error("period", _("Choose the month, such as 2026-11."))
            return render("readings_import.html", 422, form=form, estate=estate, preview=None)
        path = staged_upload(form.token.data)
        if path is None:
            form.add_error("file", _("Choose a file to upload."))
            return render("readings_import.html", 422, form=form, estate=estate, preview=None)
        token = path.name
        preview = readings.parse_import(estate, period, token, path.read_bytes())
        if request.form.get("confirm") == "1" and preview.ok:
            try:
                n = readings.commit_import(estate, period, preview, today_local(), current_user.id)
                db.session.commit()
            except (DomainError, IntegrityError) as exc:
                db.session.rollback()
                form.add_error(None, getattr(exc, "message", _("Nothing was saved: reload and try again.")))
            else:
                path.unlink(missing_ok=True)
                flash(_("%(n)s readings imported.", n=n), "success")
                return redirect(url_for("fees.readings_grid", estate=estate.id, period=f"{period:%Y-%m}"))
        form.token.data = token
        return render("readings_import.html", 200 if preview.ok else 422, form=form, estate=estate, preview=preview)
    return render("readings_import.html", 422 if request.method == "POST" else 200, form=form, estate=estate,
                  preview=None)


# --- billing runs ---------------------------------------------------------------------------

@bp.route("/runs")
@require("fees.manage")
def runs():
    estate = _estate()
    rows = db.session.scalars(scoped(BillingRun).where(BillingRun.estate_id == estate.id)
                              .order_by(BillingRun.id.desc()).limit(100)).all()
    form = RunForm(formdata=None)
    form.period.data = f"{billing.period_start(today_local()):%Y-%m}"
    return render("runs.html", estate=estate, estates=_estates(), runs=rows, form=form)


@bp.route("/runs/preview", methods=["GET", "POST"])
@require("fees.manage")
def run_preview():
    estate = _estate()
    form = RunForm(request.values, meta={"csrf": False}) if request.method == "GET" else RunForm()
    period = parse_period(form.period.data)
    if period is None:
        form.add_error("period", _("Choose the month to bill, such as 2026-11."))
        return render("run_preview.html", 422, estate=estate, form=form, preview=None)
    if request.method == "POST" and form.validate_on_submit():
        run = billing.start_run(estate, period, current_user.id)
        db.session.commit()
        return redirect(url_for("fees.run_detail", run_id=run.id))
    return render("run_preview.html", estate=estate, form=form, preview=billing.preview_run(estate, period),
                  start_form=RunForm(formdata=None, period=f"{period:%Y-%m}"))


@bp.route("/runs/<int:run_id>")
@require("fees.manage")
def run_detail(run_id):
    run = get_scoped_or_404(BillingRun, run_id)
    return render("run_detail.html", run=run, form=ReasonForm())


@bp.route("/runs/<int:run_id>/step", methods=["POST"])
@require("fees.manage")
def run_step(run_id):
    """htmx polls this: one chunk (its own transaction), then the updated progress bar."""
    run = get_scoped_or_404(BillingRun, run_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    _step(run)
    run = get_scoped_or_404(BillingRun, run_id)
    return render("_run_progress.html", run=run)


def _step(run) -> bool:
    """One step in its own transaction; False if it failed (rolled back: the next try redoes it)."""
    try:
        billing.run_step(run, current_user.id)
        db.session.commit()
        return True
    except (IntegrityError, DomainError):  # e.g. a cashier paid a bill while credit was applied
        db.session.rollback()
        return False


@bp.route("/runs/<int:run_id>/finish", methods=["POST"])
@require("fees.manage")
def run_finish(run_id):
    """Without JavaScript: do every remaining step, then show the run."""
    run = get_scoped_or_404(BillingRun, run_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    while run.state == "running":
        if not _step(run):
            flash(_("The billing run could not go on just now; nothing is lost. Try again."), "danger")
            return redirect(url_for("fees.run_detail", run_id=run_id))
        run = get_scoped_or_404(BillingRun, run_id)
    flash(_("Billing run finished: %(n)s bills created.", n=run.bills_created), "success")
    return redirect(url_for("fees.run_detail", run_id=run.id))


# --- bills ----------------------------------------------------------------------------------

def _bill_columns():
    detail = url_for("fees.bill_detail", bill_id=0)[:-1]
    states = {k: str(v) for k, v in STATE_LABELS.items()}
    return [
        Column("id", _l("Bill"), lambda b: b.id, Bill.id, link=lambda b: f"{detail}{b.id}"),
        Column("unit", _l("Unit"), lambda b: b.unit.number),
        Column("item", _l("Fee item"), lambda b: b.item.name, Bill.item_id),
        Column("period", _l("Billing period"), lambda b: f"{b.period_start:%Y-%m}", Bill.period_start),
        Column("quantity", _l("Quantity"), lambda b: b.quantity, css="text-end"),
        Column("price", _l("Unit price"), lambda b: b.unit_price, css="text-end"),
        Column("amount", _l("Amount"), lambda b: b.amount, Bill.amount, css="text-end", fmt="money"),
        Column("paid", _l("Paid"), lambda b: b.paid, Bill.paid, css="text-end", fmt="money"),
        Column("due", _l("Due"), lambda b: b.due_date, Bill.due_date, fmt="date"),
        Column("state", _l("State"), lambda b: states.get(b.state, b.state), Bill.state),
    ]


@bp.route("/bills")
@require("fees.view")
def bills():
    estates = current_estate_ids()
    filters = BillFilter(request.args)
    filters.estate.choices = [("", _("All my estates"))] + [(e.id, f"{e.code} {e.name}") for e in _estates()]
    estate_ids = [filters.estate.data] if filters.estate.data in estates else estates
    filters.building.choices = [("", _("Any"))] + [(b.id, f"{b.estate.code} {b.name}") for b in db.session.scalars(
        select(Building).where(Building.estate_id.in_(estate_ids)).order_by(Building.estate_id, Building.code))]
    filters.item.choices = [("", _("Any"))] + [(i.id, f"{i.code} {i.name}") for i in db.session.scalars(
        select(FeeItem).where(FeeItem.estate_id.in_(estate_ids)).order_by(FeeItem.estate_id, FeeItem.sequence))]
    stmt = scoped(Bill, estate_ids=estate_ids).options(joinedload(Bill.unit).lazyload("*"))
    if filters.building.data:
        stmt = stmt.where(Bill.unit_id.in_(select(Unit.id).where(Unit.building_id == filters.building.data)))
    if filters.item.data:
        stmt = stmt.where(Bill.item_id == filters.item.data)
    period = parse_period(filters.period.data)
    if period is not None:
        stmt = stmt.where(Bill.period_start == period)
    if filters.state.data in BILL_STATES:
        stmt = stmt.where(Bill.state == filters.state.data)
    if filters.unit.data:
        stmt = stmt.where(Bill.unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(estate_ids),
                                                                 Unit.number == filters.unit.data.strip())))
    page = ListPage(stmt, _bill_columns(), "-id", _("Bills"), "bills")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render("bills.html", page=page, result=page.page(), filters=filters)


def _bill_page(bill, void_form=None, status=200):
    lines = db.session.scalars(select(PaymentLine).where(PaymentLine.bill_id == bill.id)
                               .order_by(PaymentLine.id)).all()
    credits = db.session.scalars(select(CreditEntry).where(CreditEntry.bill_id == bill.id)
                                 .order_by(CreditEntry.id)).all()
    return render("bill_detail.html", status, bill=bill, lines=lines, credits=credits,
                  void_form=void_form or ReasonForm(),
                  can_void=has_permission("fees.manage") and has_permission("fees.void"))


@bp.route("/bills/<int:bill_id>")
@require("fees.view")
def bill_detail(bill_id):
    return _bill_page(get_scoped_or_404(Bill, bill_id))


@bp.route("/bills/<int:bill_id>/void", methods=["POST"])
@require("fees.manage", "fees.void")
def bill_void(bill_id):
    bill = get_scoped_or_404(Bill, bill_id)
    form = ReasonForm()

    def act():
        billing.void_bill(bill, form.reason.data, current_user.id)
        return _("Bill %(id)s voided.", id=bill_id)

    return record_action(form, act, redirect_to=url_for("fees.bill_detail", bill_id=bill_id),
                         rerender=lambda f: _bill_page(db.session.get(Bill, bill_id), f, 422))


@bp.route("/bills/new", methods=["GET", "POST"])
@require("fees.manage")
def bill_new():
    estate = _estate()
    form = BillForm()
    form.item_id.choices = [(i.id, f"{i.code} {i.name}") for i in db.session.scalars(
        select(FeeItem).where(FeeItem.estate_id == estate.id, FeeItem.active.is_(True),
                              FeeItem.kind.in_(("oneoff", "fixed"))).order_by(FeeItem.sequence))]
    made = {}

    def act():
        unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == form.unit_number.data))
        if unit is None:
            raise DomainError(_("There is no unit %(n)s in this estate.", n=form.unit_number.data), "unit_number")
        item = db.session.get(FeeItem, form.item_id.data) if form.item_id.data else None
        made["bill"] = bill = billing.add_bill(estate, unit, item, form.amount.data, form.description.data or "",
                                               source="manual", user_id=current_user.id)
        return _("Bill %(id)s added.", id=bill.id)

    return record_action(form, act, redirect_to=lambda: url_for("fees.bill_detail", bill_id=made["bill"].id),
                         rerender=lambda f: render("bill_form.html", _status(), form=f, estate=estate))
