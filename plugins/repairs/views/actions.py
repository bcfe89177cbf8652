"""The transitions: each route checks its permission, calls one service, commits or shows why not."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import DomainError
from core.extensions import db
from core.permissions import require
from core.security import get_scoped_or_404
from plugins.repairs import services
from plugins.repairs.forms import CloseForm, CompleteForm, DispatchForm, ReasonForm
from plugins.repairs.models import Repair
from plugins.repairs.views import bp
from plugins.repairs.views.common import render_detail


def _done(repair, message):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("repairs.detail", repair_id=repair.id))


def _refused(repair, exc: DomainError, form=None, form_name=None):
    db.session.rollback()
    repair = db.session.get(Repair, repair.id)
    if form is not None and exc.field and exc.field in form._fields:
        form.add_error(exc.field, exc.message)
    else:
        flash(str(exc.message), "danger")
    return render_detail(repair, 422, **({form_name: form} if form_name else {}))


def _invalid(repair, form, form_name):
    return render_detail(repair, 422, **{form_name: form})


@bp.route("/<int:repair_id>/dispatch", methods=["POST"])
@require("repairs.dispatch")
def dispatch(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = DispatchForm()
    if not form.validate_on_submit():
        return _invalid(repair, form, "dispatch_form")
    try:
        order = services.dispatch(current_user, repair, form.technician_id.data, form.notes.data or "")
        return _done(repair, _("Work order %(n)s issued to %(t)s.", n=order.number, t=order.technician.full_name))
    except DomainError as exc:
        return _refused(repair, exc, form, "dispatch_form")


@bp.route("/<int:repair_id>/accept", methods=["POST"])
@require("repairs.work")
def accept(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    try:
        services.accept(current_user, repair)
        return _done(repair, _("Work order accepted: the repair is in progress."))
    except DomainError as exc:
        return _refused(repair, exc)


@bp.route("/<int:repair_id>/complete", methods=["POST"])
@require("repairs.work")
def complete(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = CompleteForm()
    if not form.validate_on_submit():
        return _invalid(repair, form, "complete_form")
    try:
        services.complete(current_user, repair, work_done=form.work_done.data, materials=form.materials.data or "",
                          minutes_spent=form.minutes_spent.data, fee=form.fee.data)
        return _done(repair, _("Repair %(n)s completed.", n=repair.number))
    except DomainError as exc:
        return _refused(repair, exc, form, "complete_form")


@bp.route("/<int:repair_id>/close", methods=["POST"])
@require("repairs.close")
def close(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _invalid(repair, form, "close_form")
    try:
        services.close(current_user, repair, note=form.note.data or "")
        return _done(repair, _("Repair %(n)s closed.", n=repair.number))
    except DomainError as exc:
        return _refused(repair, exc, form, "close_form")


@bp.route("/<int:repair_id>/cancel", methods=["POST"])
@require("repairs.cancel")
def cancel(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _invalid(repair, form, "cancel_form")
    try:
        services.cancel(current_user, repair, form.reason.data)
        return _done(repair, _("Repair %(n)s cancelled.", n=repair.number))
    except DomainError as exc:
        return _refused(repair, exc, form, "cancel_form")


@bp.route("/<int:repair_id>/reopen", methods=["POST"])
@require("repairs.reopen")
def reopen(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = ReasonForm(prefix="reopen")
    if not form.validate_on_submit():
        return _invalid(repair, form, "reopen_form")
    try:
        services.reopen(current_user, repair, form.reason.data)
        return _done(repair, _("Repair %(n)s reopened: dispatch it again.", n=repair.number))
    except DomainError as exc:
        return _refused(repair, exc, form, "reopen_form")
