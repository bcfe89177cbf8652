"""The transitions: each route checks its permission, calls one service, commits or shows why not
(``core.actions.record_action``; a refusal that names no field of the form is flashed, since
the form may no longer be shown once the repair has moved on)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.actions import record_action
from core.extensions import db
from core.permissions import require
from core.security import get_scoped_or_404
from plugins.repairs import services
from plugins.repairs.forms import AcceptForm, CloseForm, CompleteForm, DispatchForm, ReasonForm
from plugins.repairs.models import Repair
from plugins.repairs.views import bp
from plugins.repairs.views.common import local_to_utc, render_detail


def _act(repair_id: int, form, form_name: str | None, act):
    """Run ``act`` on the repair page: back to it with the message, or the page again (422)
    with the refusal beside its field, or flashed."""
    return record_action(
        form, act, redirect_to=url_for("repairs.detail", repair_id=repair_id), flash_unplaced=True,
        rerender=lambda f: render_detail(db.session.get(Repair, repair_id), 422,
                                         **({form_name: f} if form_name else {})))


@bp.route("/<int:repair_id>/dispatch", methods=["POST"])
@require("repairs.dispatch")
def dispatch(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = DispatchForm()

    def act():
        order = services.dispatch(current_user, repair, form.technician_id.data, form.notes.data or "")
        return _("Work order %(n)s issued to %(t)s.", n=order.number, t=order.technician.full_name)

    return _act(repair_id, form, "dispatch_form", act)


@bp.route("/<int:repair_id>/accept", methods=["POST"])
@require("repairs.work")
def accept(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = AcceptForm()

    def act():
        services.accept(current_user, repair, started_at=local_to_utc(form.started_at.data, repair.estate_id))
        return _("Work order accepted: the repair is in progress.")

    return _act(repair_id, form, "accept_form", act)


@bp.route("/<int:repair_id>/complete", methods=["POST"])
@require("repairs.work")
def complete(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = CompleteForm()

    def act():
        services.complete(current_user, repair, work_done=form.work_done.data, materials=form.materials.data or "",
                          minutes_spent=form.minutes_spent.data, fee=form.fee.data,
                          finished_at=local_to_utc(form.finished_at.data, repair.estate_id))
        return _("Repair %(n)s completed.", n=repair.number)

    return _act(repair_id, form, "complete_form", act)


@bp.route("/<int:repair_id>/close", methods=["POST"])
@require("repairs.close")
def close(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = CloseForm()

    def act():
        services.close(current_user, repair, note=form.note.data or "")
        return _("Repair %(n)s closed.", n=repair.number)

    return _act(repair_id, form, "close_form", act)


@bp.route("/<int:repair_id>/cancel", methods=["POST"])
@require("repairs.cancel")
def cancel(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = ReasonForm(prefix="cancel")

    def act():
        services.cancel(current_user, repair, form.reason.data)
        return _("Repair %(n)s cancelled.", n=repair.number)

    return _act(repair_id, form, "cancel_form", act)


@bp.route("/<int:repair_id>/reopen", methods=["POST"])
@require("repairs.reopen")
def reopen(repair_id):
    repair = get_scoped_or_404(Repair, repair_id)
    form = ReasonForm(prefix="reopen")

    def act():
        services.reopen(current_user, repair, form.reason.data)
        return _("Repair %(n)s reopened: dispatch it again.", n=repair.number)

    return _act(repair_id, form, "reopen_form", act)
