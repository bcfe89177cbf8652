"""Parking pages, mounted at /parking/. Views stay thin: form → service → flash → redirect."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import StringField

from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.listing import Column, FilterForm, ListPage
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from propdesk_parking import services
from propdesk_parking.forms import TENURE_LABELS, AssignForm, EndForm, SpaceForm
from propdesk_parking.models import AttendantAlert, ParkingSpace, SpaceAssignment

bp = Blueprint("parking", __name__, template_folder="templates")


class SpaceFilter(FilterForm):
    q = StringField(_l("Space number"))


def _holder(space):
    held = space.holder_on(today_local())
    return f"{held.unit.number} {held.plate}".strip() if held else "—"


@bp.route("/")
@require("parking.view")
def index():
    filters = SpaceFilter(request.args)
    stmt = scoped(ParkingSpace, estate_ids=current_estate_ids()).options(
        selectinload(ParkingSpace.assignments))
    if filters.q.data:
        stmt = stmt.where(ParkingSpace.code.contains(filters.q.data.strip().upper(), autoescape=True))
    page = ListPage(stmt, [
        Column("code", _l("Space"), lambda s: s.code, ParkingSpace.code,
               link=lambda s: url_for("parking.space", space_id=s.id)),
        Column("tenure", _l("Tenure"), lambda s: TENURE_LABELS.get(s.tenure, s.tenure), ParkingSpace.tenure),
        Column("holder", _l("Assigned to"), _holder),
        Column("estate", _l("Estate"), lambda s: s.estate.name, ParkingSpace.estate_id),
    ], "code", _("Parking spaces"), "parking-spaces")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("parking/index.html", page=page, result=page.page(), filters=filters,
                           alerts=services.open_alerts(current_estate_ids()))


@bp.route("/new", methods=["GET", "POST"])
@require("parking.manage")
def new_space():
    form = SpaceForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET" and len(current_estate_ids()) == 1:
        form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            space = services.add_space(current_user, estate_id=form.estate_id.data, code=form.code.data,
                                       tenure=form.tenure.data, note=form.note.data or "")
            db.session.commit()
            flash(_("Space %(code)s added.", code=space.code), "success")
            return redirect(url_for("parking.space", space_id=space.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("parking/space_form.html", form=form)


def _space_page(space, form, status=200):
    return render_template("parking/space.html", space=space, form=form, end_form=EndForm(),
                           tenures=TENURE_LABELS, today=today_local()), status


@bp.route("/<int:space_id>")
@require("parking.view")
def space(space_id):
    space = get_scoped_or_404(ParkingSpace, space_id)
    form = AssignForm()
    form.starts_on.data = today_local()
    return _space_page(space, form)


@bp.route("/<int:space_id>/assign", methods=["POST"])
@require("parking.manage")
def assign(space_id):
    space = get_scoped_or_404(ParkingSpace, space_id)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            services.assign(current_user, space, unit_number=form.unit_number.data, plate=form.plate.data,
                            starts_on=form.starts_on.data, ends_on=form.ends_on.data)
            db.session.commit()
            flash(_("Space %(code)s assigned to %(unit)s.", code=space.code, unit=form.unit_number.data),
                  "success")
            return redirect(url_for("parking.space", space_id=space.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return _space_page(space, form, 422)


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@require("parking.manage")
def end_assignment(assignment_id):
    assignment = get_scoped_or_404(SpaceAssignment, assignment_id)
    form = EndForm()
    if form.validate_on_submit():
        try:
            services.end_assignment(current_user, assignment, form.ends_on.data)
            db.session.commit()
            flash(_("Assignment ended."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
    else:
        flash(_("Give the last day of the assignment."), "danger")
    return redirect(url_for("parking.space", space_id=assignment.space_id))


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@require("parking.view")
def acknowledge(alert_id):
    alert = get_scoped_or_404(AttendantAlert, alert_id)
    try:
        services.acknowledge(current_user, alert)
        db.session.commit()
        flash(_("Alert acknowledged."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    return redirect(url_for("parking.index"))
