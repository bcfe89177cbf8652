"""The repair list, the Resident Repair Record form, the record page and its print."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, or_, select

from core import callers
from core.attachments import attachments_of
from core.errors import DomainError
from core.extensions import db
from core.hooks import _like
from core.i18n import mask_phone
from core.listing import Column, ListPage
from core.models import Estate, Unit, User, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.repairs import labels, services
from plugins.repairs.forms import PhotoForm, RepairFilter, RepairForm
from plugins.repairs.labels import CATEGORY_LABELS, PRIORITY_LABELS, STATE_LABELS
from plugins.repairs.models import CATEGORIES, STATES, Repair, WorkOrder, is_overdue, place_text
from plugins.repairs.queries import overdue_clause
from plugins.repairs.views import bp
from plugins.repairs.views.common import (
    day_start_utc,
    local_to_utc,
    render_detail,
    technician_choices,
)


@cache
def _list_rows_stmt():
    """What a list row shows and nothing more, for a page of ids, as plain rows: the
    repair's listed columns, the estate's name, the unit's number and the technician of
    the current (last live) work order. Built once: only the ids change."""
    technician = (select(WorkOrder.technician_id)
                  .where(WorkOrder.repair_id == Repair.id, WorkOrder.state != "cancelled")
                  .order_by(WorkOrder.id.desc()).limit(1).correlate(Repair).scalar_subquery())
    return (select(Repair.id, Repair.number, Repair.reported_at, Estate.name.label("estate_name"),
                   Unit.number.label("unit_number"), Repair.address, Repair.contact_name,
                   Repair.contact_phone, Repair.category, Repair.priority, Repair.state,
                   User.full_name.label("technician"), Repair.due_at, Repair.completed_at)
            .join(Estate, Estate.id == Repair.estate_id)
            .outerjoin(Unit, Unit.id == Repair.unit_id)
            .outerjoin(User, User.id == technician)
            .where(Repair.id.in_(bindparam("ids", expanding=True))))


def list_rows(ids) -> list:
    """The display rows of these repairs (ids from the scoped list statement only)."""
    return db.session.execute(_list_rows_stmt(), {"ids": list(ids)}).all()


def filtered_repairs(filters: RepairFilter):
    estates = current_estate_ids()
    stmt = scoped(Repair, estate_ids=estates)
    if filters.q.data:
        text = filters.q.data.strip()
        pat = _like(text)
        conds = [Repair.number.like(pat, escape="\\"), Repair.contact_name.like(pat, escape="\\")]
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 3:
            conds.append(Repair.contact_phone.like(_like(digits), escape="\\"))
        stmt = stmt.where(or_(*conds))
    if filters.state.data in STATES:
        stmt = stmt.where(Repair.state == filters.state.data)
    if filters.category.data in CATEGORIES:
        stmt = stmt.where(Repair.category == filters.category.data)
    if filters.estate.data and filters.estate.data in estates:
        stmt = stmt.where(Repair.estate_id == filters.estate.data)
    if filters.unit.data:
        pat = _like(filters.unit.data.strip())
        stmt = stmt.where(Repair.unit_id.in_(
            select(Unit.id).where(Unit.estate_id.in_(estates), Unit.number.like(pat, escape="\\")))
            | Repair.address.like(pat, escape="\\"))
    if filters.technician.data:
        stmt = stmt.where(Repair.id.in_(select(WorkOrder.repair_id).where(
            WorkOrder.technician_id == filters.technician.data, WorkOrder.state != "cancelled")))
    if filters.date_from.data:
        stmt = stmt.where(Repair.reported_at >= day_start_utc(filters.date_from.data))
    if filters.date_to.data:
        stmt = stmt.where(Repair.reported_at < day_start_utc(filters.date_to.data + timedelta(days=1)))
    if filters.overdue.data == "1":
        stmt = stmt.where(overdue_clause())
    return stmt


def _columns():
    """The list's columns. Labels, the "Overdue" mark, the phone rule and the link are
    worked out once per request, not once per row."""
    categories = {k: str(v) for k, v in CATEGORY_LABELS.items()}
    priorities = {k: str(v) for k, v in PRIORITY_LABELS.items()}
    states = {k: str(v) for k, v in STATE_LABELS.items()}
    overdue = _("Overdue")
    now = utcnow()
    detail = url_for("repairs.detail", repair_id=0)[:-1]  # "/repairs/" + id
    private = has_permission("core.residents.private")
    return [
        Column("number", _l("Number"), lambda r: r.number, Repair.number, link=lambda r: f"{detail}{r.id}"),
        Column("reported", _l("Reported"), lambda r: r.reported_at, Repair.reported_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda r: r.estate_name, Repair.estate_id),
        Column("place", _l("Unit or place"), lambda r: place_text(r.unit_number, r.address)),
        # Reported by, phone and completed at from 1400 px on: 1366 px fits the rest (tests/browser/test_list_layout.py).
        Column("contact", _l("Reported by"), lambda r: r.contact_name, Repair.contact_name, show="xxl"),
        Column("phone", _l("Phone"), lambda r: r.contact_phone if private else mask_phone(r.contact_phone),
               show="xxl"),
        Column("category", _l("What is wrong"), lambda r: categories.get(r.category, r.category), Repair.category),
        Column("priority", _l("Priority"), lambda r: priorities.get(r.priority, r.priority), Repair.priority),
        Column("state", _l("State"), lambda r: states.get(r.state, r.state), Repair.state),
        Column("technician", _l("Technician"), lambda r: r.technician or ""),
        Column("due", _l("Complete by"), lambda r: r.due_at, Repair.due_at, fmt="datetime"),
        Column("overdue", _l("Overdue"), lambda r: overdue if is_overdue(r.state, r.due_at, now) else "", css="text-danger"),
        Column("completed", _l("Completed at"), lambda r: r.completed_at, Repair.completed_at, fmt="datetime",
               show="xxl"),
    ]


def list_page(filters: RepairFilter) -> ListPage:
    """The repair list for these filters: what the page shows and the export writes."""
    return ListPage(filtered_repairs(filters), _columns(), "-reported", _("Repairs"), "repairs", rows=list_rows)


@bp.route("/")
@require("repairs.view")
def index():
    filters = RepairFilter(request.args)
    filters.estate.choices = [("", _("All my estates"))] + estate_choices()
    techs = dict(technician_choices(current_estate_ids()))
    filters.technician.choices = [("", _("Anyone"))] + sorted(techs.items(), key=lambda t: t[1])
    page = list_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("repairs/index.html", page=page, result=page.page(), filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@require("repairs.record")
def new():
    form = RepairForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        if request.args.get("unit_id"):
            unit = get_scoped_or_404(Unit, request.args.get("unit_id"))
            form.estate_id.data = unit.estate_id
            form.unit_number.data = unit.number
        elif len(current_estate_ids()) == 1:
            form.estate_id.data = current_estate_ids()[0]
    # The caller is chosen as on every desk form (core.callers): the unit's residents and
    # those with the phone, looked up through the scope (another estate's finds nothing).
    lookup = callers.look_up(form.estate_id.data, form.unit_number.data or "", form.contact_phone.data or "",
                             form.resident_id.data)
    form.resident_id.choices = callers.choices(lookup)
    if form.validate_on_submit():
        try:
            if not form.unit_number.data and (home := callers.unit_of_caller(form.estate_id.data,
                                                                             form.resident_id.data)):
                form.unit_number.data = home.number  # the caller found by phone: their unit
            unit_id = (services.find_unit(form.estate_id.data, form.unit_number.data).id
                       if form.unit_number.data else None)
            repair = services.record(
                current_user, estate_id=form.estate_id.data, unit_id=unit_id, address=form.address.data or "",
                resident_id=form.resident_id.data, contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "", category=form.category.data,
                description=form.description.data, channel=form.channel.data,
                appointment_at=local_to_utc(form.appointment_at.data, form.estate_id.data),
                area=form.area.data, paid=form.paid.data, priority=form.priority.data,
                photos=request.files.getlist("photos"))
            db.session.commit()
            flash(_("Repair %(n)s recorded.", n=repair.number), "success")
            return redirect(url_for("repairs.detail", repair_id=repair.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("repairs/form.html", form=form, lookup=lookup), (422 if request.method == "POST" else 200)


@bp.route("/<int:repair_id>")
@require("repairs.view")
def detail(repair_id):
    return render_detail(get_scoped_or_404(Repair, repair_id))


@bp.route("/<int:repair_id>/print")
@require("repairs.view")
def print_record(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    return render_template("repairs/print_record.html", repair=repair, labels=labels,
                           photos=attachments_of(repair))


@bp.route("/<int:repair_id>/photos", methods=["POST"])
@require("repairs.view")
def add_photos(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    if not (has_permission("repairs.record") or has_permission("repairs.work")):
        abort(403)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            files = services.check_photos(request.files.getlist("photos"))
            if not files:
                raise DomainError(_("Choose at least one photo."), "photos")
            services.attach_photos(repair, files)
            db.session.commit()
            flash(_("Photos added."), "success")
            return redirect(url_for("repairs.detail", repair_id=repair.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_detail(repair, 422, photo_form=form)
