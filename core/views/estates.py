"""Estates, buildings and units: lists, forms, the unit page, import and export."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import FileField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import estates as svc
from core import importer
from core.errors import DomainError
from core.extensions import db
from core.forms import Form, MoneyField, UnitNumber, options
from core.listing import Column, FilterForm, ListPage
from core.models import Building, Company, Estate, Unit
from core.models.estates import ESTATE_KINDS, UNIT_USES
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estates
from core.ui import render_slots

bp = Blueprint("estates", __name__, url_prefix="/estates")

USE_LABELS = {"residence": _l("Residence"), "shop": _l("Shop"), "office": _l("Office"), "plant": _l("Plant")}
KIND_LABELS = {"residential": _l("Residential estate"), "industrial": _l("Industrial park"),
               "commercial": _l("Commercial"), "mixed": _l("Mixed use")}


def estate_choices():
    """The user's active estates, by code, for a select (the switcher's rows: no query of its own)."""
    return [(e.id, f"{e.code} {e.name}") for e in user_estates()]


# -- estates -------------------------------------------------------------------
class EstateForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options([(k, KIND_LABELS[k]) for k in ESTATE_KINDS]))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Office phone"), validators=[Optional(), Length(max=30)])
    timezone = SelectField(_l("Time zone"), choices=options([
        ("Asia/Shanghai", "Asia/Shanghai"), ("Asia/Hong_Kong", "Asia/Hong_Kong"),
        ("Asia/Urumqi", "Asia/Urumqi"), ("Asia/Taipei", "Asia/Taipei"), ("UTC", "UTC")]))


@bp.route("/")
@require("core.estates.view")
def index():
    rows = db.session.scalars(scoped(Estate).order_by(Estate.code)).all()
    return render_template("estates/index.html", estates=rows, kind_labels=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:estate_id>/edit", methods=["GET", "POST"])
@require("core.estates.admin")
def estate_form(estate_id=None):
    estate = get_scoped_or_404(Estate, estate_id) if estate_id else None
    form = EstateForm(obj=estate)
    if form.validate_on_submit():
        dup = db.session.scalar(select(Estate.id).where(Estate.code == form.code.data))
        if dup and (estate is None or dup != estate.id):
            form.add_error("code", _("Another estate has this code."))
        else:
            if estate is None:
                company = db.session.scalar(select(Company).order_by(Company.id))
                if company is None:
                    company = Company(name=_("Property company"))
                    db.session.add(company)
                    db.session.flush()
                estate = Estate(company_id=company.id)
                db.session.add(estate)
                if not current_user.all_estates:
                    current_user.estates.append(estate)
            form.populate_obj(estate)
            db.session.commit()
            flash(_("Estate %(name)s saved.", name=estate.name), "success")
            return redirect(url_for("estates.index"))
    return render_template("estates/form.html", form=form, estate=estate)


# -- buildings -----------------------------------------------------------------
class BuildingForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    floors = IntegerField(_l("Floors"), validators=[Optional(), NumberRange(1, 200)])


@bp.route("/buildings")
@require("core.estates.view")
def buildings():
    stmt = scoped(Building, estate_ids=current_estate_ids())
    page = ListPage(stmt, [
        Column("estate", _l("Estate"), lambda b: b.estate.name),
        Column("code", _l("Code"), lambda b: b.code, Building.code),
        Column("name", _l("Name"), lambda b: b.name, Building.name),
        Column("floors", _l("Floors"), lambda b: b.floors, Building.floors),
    ], "code", _("Buildings"), "buildings")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("estates/buildings.html", page=page, result=page.page())


@bp.route("/buildings/new", methods=["GET", "POST"])
@bp.route("/buildings/<int:building_id>/edit", methods=["GET", "POST"])
@require("core.estates.edit")
def building_form(building_id=None):
    building = get_scoped_or_404(Building, building_id) if building_id else None
    form = BuildingForm(obj=building)
    form.estate_id.choices = estate_choices()
    if form.validate_on_submit():
        try:
            svc.save_building(current_user, estate_id=form.estate_id.data, code=form.code.data,
                              name=form.name.data, floors=form.floors.data, building=building)
            db.session.commit()
            flash(_("Building saved."), "success")
            return redirect(url_for("estates.buildings"))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("estates/building_form.html", form=form, building=building)


# -- units ---------------------------------------------------------------------
class UnitFilter(FilterForm):
    q = StringField(_l("Number"))
    building = SelectField(_l("Building"), coerce=int, validate_choice=False)
    use = SelectField(_l("Use"), choices=options([("", _l("All uses"))] + [(u, USE_LABELS[u]) for u in UNIT_USES]),
                      validate_choice=False)


class UnitForm(Form):
    building_id = SelectField(_l("Building"), coerce=int)
    number = StringField(_l("Unit number"), validators=[DataRequired(), Length(max=30), UnitNumber()])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(-10, 200)])
    area = MoneyField(_l("Area (m²)"), validators=[Optional(), NumberRange(min=0.01, max=99999.99)])
    use = SelectField(_l("Use"), choices=options([(u, USE_LABELS[u]) for u in UNIT_USES]))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


def building_choices(with_all: bool = False):
    rows = db.session.scalars(
        scoped(Building, estate_ids=current_estate_ids()).order_by(Building.estate_id, Building.code)
    ).all()
    choices = [(b.id, f"{b.estate.code} / {b.name}") for b in rows]
    return ([(0, _("All buildings"))] + choices) if with_all else choices


_UNIT_ROWS = (
    select(Unit.id, Unit.number, Unit.floor, Unit.area, Unit.use, Building.name.label("building_name"),
           Estate.name.label("estate_name"))
    .join(Building, Building.id == Unit.building_id).join(Estate, Estate.id == Unit.estate_id)
)


def _unit_rows(ids):
    """The listed columns of these units as plain rows (the page and its exports): no unit,
    building, estate and company objects for each row."""
    return db.session.execute(_UNIT_ROWS.where(Unit.id.in_(ids))).all()


@bp.route("/units")
@require("core.estates.view")
def units():
    filters = UnitFilter(request.args)
    filters.building.choices = building_choices(with_all=True)
    stmt = scoped(Unit, estate_ids=current_estate_ids())
    if filters.q.data:
        from core.hooks import _like

        stmt = stmt.where(Unit.number.like(_like(filters.q.data.strip()), escape="\\"))
    if filters.building.data:
        stmt = stmt.where(Unit.building_id == filters.building.data)
    if filters.use.data in UNIT_USES:
        stmt = stmt.where(Unit.use == filters.use.data)
    page = ListPage(stmt, [
        Column("number", _l("Unit"), lambda u: u.number, Unit.sort_key,
               link=lambda u: url_for("estates.unit", unit_id=u.id)),
        Column("building", _l("Building"), lambda u: u.building_name, Unit.building_id),
        Column("floor", _l("Floor"), lambda u: u.floor, Unit.floor),
        Column("area", _l("Area (m²)"), lambda u: u.area, Unit.area, fmt="area"),
        Column("use", _l("Use"), lambda u: USE_LABELS.get(u.use, u.use), Unit.use),
        Column("estate", _l("Estate"), lambda u: u.estate_name, Unit.estate_id),
    ], "number", _("Units"), "units", rows=_unit_rows)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("estates/units.html", page=page, result=page.page(), filters=filters)


@bp.route("/units/<int:unit_id>")
@require("core.estates.view")
def unit(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    panels = render_slots("unit_panels", unit=unit, user=current_user)
    return render_template("estates/unit.html", unit=unit, panels=panels, use_labels=USE_LABELS)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require("core.estates.edit")
def unit_form(unit_id=None):
    unit = get_scoped_or_404(Unit, unit_id) if unit_id else None
    form = UnitForm(obj=unit)
    form.building_id.choices = building_choices()
    if form.validate_on_submit():
        try:
            unit = svc.save_unit(current_user, building_id=form.building_id.data, number=form.number.data,
                                 floor=form.floor.data, area=form.area.data, use=form.use.data,
                                 note=form.note.data, unit=unit)
            db.session.commit()
            flash(_("Unit %(n)s saved.", n=unit.number), "success")
            return redirect(url_for("estates.unit", unit_id=unit.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("estates/unit_form.html", form=form, unit=unit)


# -- import --------------------------------------------------------------------
IMPORT_COLUMNS = {
    "building": _l("Building"), "number": _l("Unit number"), "floor": _l("Floor"), "area": _l("Area (m²)"),
    "use": _l("Use"), "unit": _l("Unit"), "name": _l("Name"), "kind": _l("Kind"), "phone": _l("Phone"),
    "id_number": _l("ID number"), "role": _l("Role"), "since": _l("From"),
}


class ImportForm(Form):
    kind = SelectField(_l("What the file holds"), choices=options([("units", _l("Units")), ("residents", _l("Residents"))]))
    estate_id = SelectField(_l("Into estate"), coerce=int)
    file = FileField(_l("CSV or Excel (.xlsx) file"))
    token = HiddenField()


@bp.route("/import", methods=["GET", "POST"])
@require("core.import")
def import_file():
    form = ImportForm()
    form.estate_id.choices = estate_choices()
    result = None
    if form.validate_on_submit():
        estate_id = form.estate_id.data
        path = importer.staged_upload(form.token.data)
        if path is None:
            form.add_error("file", _("Choose a file to upload."))
            return render_template("estates/import.html", form=form, result=None), 400
        token = path.name
        data = path.read_bytes()
        result = importer.parse(form.kind.data, token, data, estate_id)
        if request.form.get("confirm") == "1" and result.ok:
            try:
                n = importer.commit(result, estate_id)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                form.add_error(None, exc.message)
            else:
                path.unlink(missing_ok=True)
                flash(_("%(n)s rows imported.", n=n), "success")
                return redirect(url_for("estates.units" if form.kind.data == "units" else "residents.index"))
        form.token.data = token
        status = 200 if result.ok else 422
        return render_template("estates/import.html", form=form, result=result,
                               column_labels=IMPORT_COLUMNS), status
    return render_template("estates/import.html", form=form, result=result, column_labels=IMPORT_COLUMNS)
