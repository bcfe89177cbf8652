"""Residents: list, forms, the resident page, occupancies (who lives where, since when)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core import estates as svc
from core.errors import DomainError
from core.extensions import db
from core.forms import Form, IdNumber, Phone, options
from core.hooks import _like
from core.listing import Column, FilterForm, ListPage
from core.models import Occupancy, Resident, Unit
from core.models.estates import OCCUPANCY_ROLES, RESIDENT_KINDS
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.ui import render_slots
from core.views.estates import estate_choices

bp = Blueprint("residents", __name__, url_prefix="/residents")

KIND_LABELS = {"person": _l("Person"), "business": _l("Business")}
ROLE_LABELS = {"owner": _l("Owner"), "occupant": _l("Occupant"), "tenant": _l("Tenant")}


class ResidentForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=options([(k, KIND_LABELS[k]) for k in RESIDENT_KINDS]))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=40), IdNumber()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class OccupancyForm(Form):
    unit_number = StringField(_l("Unit number"), validators=[DataRequired(), Length(max=30)])
    role = SelectField(_l("Role"), choices=options([(r, ROLE_LABELS[r]) for r in OCCUPANCY_ROLES]))
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("To"), validators=[Optional()])


class EndForm(Form):
    end_date = DateField(_l("Ended on"), validators=[DataRequired()])


class ResidentFilter(FilterForm):
    q = StringField(_l("Name or phone"))
    kind = SelectField(_l("Kind"), choices=options([("", _l("All"))] + [(k, KIND_LABELS[k]) for k in RESIDENT_KINDS]),
                       validate_choice=False)


@bp.route("/")
@require("core.residents.view")
def index():
    filters = ResidentFilter(request.args)
    stmt = scoped(Resident, estate_ids=current_estate_ids())
    if filters.q.data:
        q = filters.q.data.strip()
        digits = "".join(c for c in q if c.isdigit())
        conds = [Resident.name.like(_like(q), escape="\\")]
        if len(digits) >= 3:
            conds.append(Resident.phone.like(_like(digits), escape="\\"))
        stmt = stmt.where(or_(*conds))
    if filters.kind.data in RESIDENT_KINDS:
        stmt = stmt.where(Resident.kind == filters.kind.data)
    private = has_permission("core.residents.private")
    from core.i18n import mask_phone

    page = ListPage(stmt, [
        Column("name", _l("Name"), lambda r: r.name, Resident.name,
               link=lambda r: url_for("residents.detail", resident_id=r.id)),
        Column("kind", _l("Kind"), lambda r: KIND_LABELS.get(r.kind, r.kind), Resident.kind),
        Column("phone", _l("Phone"), lambda r: r.phone if private else mask_phone(r.phone), Resident.phone,
               show="always"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Resident.estate_id),
    ], "name", _("Residents"), "residents")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("residents/index.html", page=page, result=page.page(), filters=filters)


def _detail_page(resident, status: int = 200, occ_form=None, end_form=None, end_occ_id=None):
    """The resident page; a refused link or end form comes back with its errors (422)."""
    panels = render_slots("resident_panels", resident=resident, user=current_user)
    return render_template("residents/detail.html", resident=resident, panels=panels,
                           kind_labels=KIND_LABELS, role_labels=ROLE_LABELS,
                           occ_form=occ_form or OccupancyForm(), end_form=end_form or EndForm(),
                           end_occ_id=end_occ_id, private=has_permission("core.residents.private")), status


@bp.route("/caller")
@require("core.residents.view")
def caller():
    """The caller block of a desk form (``core.callers``), as htmx asks for it while the
    clerk types the unit or the phone: that unit's residents, the residents with that
    phone and their units. Only within the user's estates."""
    from core import callers

    lookup = callers.look_up(request.args.get("estate_id", type=int), request.args.get("unit_number", ""),
                             request.args.get("contact_phone", ""), request.args.get("resident_id"))
    return render_template("residents/_caller.html", lookup=lookup, choices=callers.choices(lookup))


@bp.route("/<int:resident_id>")
@require("core.residents.view")
def detail(resident_id):
    return _detail_page(get_scoped_or_404(Resident, resident_id))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:resident_id>/edit", methods=["GET", "POST"])
@require("core.residents.edit")
def form(resident_id=None):
    resident = get_scoped_or_404(Resident, resident_id) if resident_id else None
    form = ResidentForm(obj=resident)
    form.estate_id.choices = estate_choices()
    if resident is None and request.method == "GET" and len(current_estate_ids()) == 1:
        form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            resident = svc.save_resident(
                current_user, estate_id=form.estate_id.data, name=form.name.data, kind=form.kind.data,
                phone=form.phone.data or "", id_number=form.id_number.data or "",
                note=form.note.data or "", resident=resident)
            db.session.commit()
            flash(_("%(name)s saved.", name=resident.name), "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("residents/form.html", form=form, resident=resident), \
        (422 if request.method == "POST" else 200)


@bp.route("/<int:resident_id>/occupancies", methods=["POST"])
@require("core.residents.edit")
def add_occupancy(resident_id):
    resident = get_scoped_or_404(Resident, resident_id)
    form = OccupancyForm()
    if form.validate_on_submit():
        unit = db.session.scalars(
            scoped(Unit).where(Unit.estate_id == resident.estate_id, Unit.number == form.unit_number.data)
        ).first()
        if unit is None:
            form.add_error("unit_number", _("There is no unit %(n)s in this estate.", n=form.unit_number.data))
        else:
            try:
                svc.add_occupancy(current_user, unit=unit, resident=resident, role=form.role.data,
                                  start=form.start_date.data, end=form.end_date.data)
                db.session.commit()
                flash(_("Unit %(n)s linked.", n=unit.number), "success")
                return redirect(url_for("residents.detail", resident_id=resident.id))
            except DomainError as exc:
                db.session.rollback()
                form.add_error(exc.field, exc.message)
    return _detail_page(resident, 422, occ_form=form)


@bp.route("/occupancies/<int:occ_id>/end", methods=["POST"])
@require("core.residents.edit")
def end_occupancy(occ_id):
    occ = get_scoped_or_404(Occupancy, occ_id)
    form = EndForm()
    if form.validate_on_submit():
        try:
            svc.end_occupancy(current_user, occ, form.end_date.data)
            db.session.commit()
            flash(_("Occupancy ended."), "success")
            return redirect(url_for("residents.detail", resident_id=occ.resident_id))
        except DomainError as exc:
            db.session.rollback()
            form.end_date.errors = list(form.end_date.errors) + [exc.message]
    elif not form.end_date.errors or form.end_date.raw_data in (None, [], [""]):
        form.end_date.errors = [_("Enter the date it ended.")]
    occ_id, resident_id = occ.id, occ.resident_id
    return _detail_page(get_scoped_or_404(Resident, resident_id), 422, end_form=form, end_occ_id=occ_id)

