"""The handling steps of one complaint, each a POST to one service function."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import DomainError
from core.extensions import db
from core.models import utcnow
from core.permissions import require
from core.plugins import is_enabled
from core.security import get_scoped_or_404
from plugins.complaints import labels, services
from plugins.complaints.forms import (
    CloseForm,
    DecideForm,
    EscalateForm,
    ForwardForm,
    NoteForm,
    ReopenForm,
    ReplyForm,
    VisitForm,
    to_utc,
)
from plugins.complaints.models import Complaint
from plugins.complaints.views import bp, department_choices

FORMS = {"forward": ForwardForm, "note": NoteForm, "escalate": EscalateForm, "decide": DecideForm,
         "reply": ReplyForm, "close": CloseForm, "visit": VisitForm, "reopen": ReopenForm}


def _forms(complaint: Complaint, failed: str | None = None, form=None) -> dict:
    forms = {}
    for name, cls in FORMS.items():
        forms[name] = form if name == failed else cls(formdata=None)
    forms["forward"].department_id.choices = [(0, "—")] + department_choices()
    if failed != "forward" and complaint.department_id:
        forms["forward"].department_id.data = complaint.department_id
    return forms


def render_detail(complaint: Complaint, failed: str | None = None, form=None, status: int = 200):
    return render_template(
        "complaints/detail.html", c=complaint, forms=_forms(complaint, failed, form), labels=labels,
        kinds=labels.kinds_table(), now=utcnow(), visits_enabled=is_enabled("visits"), failed=failed,
    ), status


def _step(complaint_id: int, name: str, call, success):
    """Validate the step's form, run ``call(complaint, form)``; errors stay beside the field."""
    complaint = get_scoped_or_404(Complaint, complaint_id)
    form = FORMS[name]()
    if name == "forward":
        form.department_id.choices = [(0, "—")] + department_choices()
    if form.validate_on_submit():
        try:
            call(complaint, form)
            db.session.commit()
            flash(success(complaint), "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id))
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:  # a step this complaint cannot take now: say so on the record
                flash(str(exc.message), "danger")
                return redirect(url_for("complaints.detail", complaint_id=complaint_id))
            complaint = get_scoped_or_404(Complaint, complaint_id)
            form.add_error(exc.field, exc.message)
    return render_detail(complaint, name, form, 422)


def _at(complaint: Complaint, form):
    value = getattr(form, "at", None)
    return to_utc(value.data, complaint.estate.timezone) if value is not None else None


@bp.route("/<int:complaint_id>/forward", methods=["POST"])
@require("complaints.handle")
def forward(complaint_id):
    return _step(complaint_id, "forward", lambda c, f: services.forward(
        current_user, c, f.department_id.data or None, f.note.data or "", _at(c, f)),
        lambda c: _("Complaint forwarded to %(d)s.", d=c.department.name if c.department else ""))


@bp.route("/<int:complaint_id>/note", methods=["POST"])
@require("complaints.handle")
def note(complaint_id):
    return _step(complaint_id, "note", lambda c, f: services.add_note(current_user, c, f.text.data, _at(c, f)),
                 lambda c: _("Note added."))


@bp.route("/<int:complaint_id>/escalate", methods=["POST"])
@require("complaints.handle")
def escalate(complaint_id):
    return _step(complaint_id, "escalate", lambda c, f: services.escalate(current_user, c, f.reason.data),
                 lambda c: _("Escalated to the manager."))


@bp.route("/<int:complaint_id>/decide", methods=["POST"])
@require("complaints.decide")
def decide(complaint_id):
    return _step(complaint_id, "decide", lambda c, f: services.decide(current_user, c, f.decision.data),
                 lambda c: _("Decision recorded."))


@bp.route("/<int:complaint_id>/reply", methods=["POST"])
@require("complaints.handle")
def reply(complaint_id):
    return _step(complaint_id, "reply", lambda c, f: services.reply(
        current_user, c, f.text.data, f.method.data, _at(c, f)),
        lambda c: _("Reply recorded. Print the letter for the complainant."))


@bp.route("/<int:complaint_id>/close", methods=["POST"])
@require("complaints.handle")
def close(complaint_id):
    return _step(complaint_id, "close", lambda c, f: services.close(current_user, c, _at(c, f)),
                 lambda c: _("Complaint %(n)s closed.", n=c.number))


@bp.route("/<int:complaint_id>/visit", methods=["POST"])
@require("complaints.handle")
def visit(complaint_id):
    return _step(complaint_id, "visit", lambda c, f: services.confirm_visit(
        current_user, c, f.satisfied.data == "yes", f.remarks.data or ""),
        lambda c: _("Return visit recorded.") if c.state == "visited"
        else _("Not satisfied: the complaint is reopened."))


@bp.route("/<int:complaint_id>/reopen", methods=["POST"])
@require("complaints.handle")
def reopen(complaint_id):
    return _step(complaint_id, "reopen", lambda c, f: services.reopen(current_user, c, f.reason.data),
                 lambda c: _("Complaint reopened."))
