"""Suggestion pages (合理化建议): list, record, report, decide, answer."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import to_local
from core.listing import Column, ListPage
from core.models import utcnow
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.complaints import labels
from plugins.complaints import suggestions as services
from plugins.complaints.forms import (
    SuggestionAnswerForm,
    SuggestionDecideForm,
    SuggestionFilter,
    SuggestionForm,
    to_utc,
)
from plugins.complaints.models import SUGGESTION_STATES, Suggestion
from plugins.complaints.views import bp, like, tz_of


@bp.route("/suggestions/")
@require("complaints.view")
def suggestions():
    filters = SuggestionFilter(request.args)
    stmt = scoped(Suggestion, estate_ids=current_estate_ids())
    if q := (filters.q.data or "").strip():
        digits = "".join(ch for ch in q if ch.isdigit())
        conds = [Suggestion.number.like(like(q), escape="\\"), Suggestion.suggester_name.like(like(q), escape="\\")]
        if len(digits) >= 3:
            conds.append(Suggestion.suggester_phone.like(like(digits), escape="\\"))
        stmt = stmt.where(or_(*conds))
    if filters.state.data in SUGGESTION_STATES:
        stmt = stmt.where(Suggestion.state == filters.state.data)
    page = ListPage(stmt, [
        Column("number", _l("Number"), lambda s: s.number, Suggestion.number,
               link=lambda s: url_for("complaints.suggestion", suggestion_id=s.id)),
        Column("received", _l("Received at"), lambda s: s.received_at, Suggestion.received_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda s: s.estate.code),
        Column("by", _l("Suggested by"), lambda s: s.suggester_name, Suggestion.suggester_name),
        Column("content", _l("Suggestion"), lambda s: s.content[:60]),
        Column("state", _l("State"), lambda s: labels.SUGGESTION_STATE_LABELS.get(s.state, s.state),
               Suggestion.state),
    ], "-received", _("Suggestions"), "suggestions")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("complaints/suggestions.html", page=page, result=page.page(), filters=filters)


@bp.route("/suggestions/new", methods=["GET", "POST"])
@require("complaints.record")
def suggestion_new():
    form = SuggestionForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        ids = current_estate_ids()
        form.estate_id.data = ids[0] if len(ids) == 1 else None
        form.received_at.data = to_local(utcnow(), tz_of(form.estate_id.data)).replace(
            tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        try:
            s = services.record(
                current_user, estate_id=form.estate_id.data, suggester_name=form.suggester_name.data,
                suggester_phone=form.suggester_phone.data or "", channel=form.channel.data,
                content=form.content.data, unit_number=form.unit_number.data or "",
                received_at=to_utc(form.received_at.data, tz_of(form.estate_id.data)))
            db.session.commit()
            flash(_("Suggestion %(n)s recorded.", n=s.number), "success")
            return redirect(url_for("complaints.suggestion", suggestion_id=s.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("complaints/suggestion_form.html", form=form), \
        (422 if request.method == "POST" else 200)


def _render(s: Suggestion, decide_form=None, answer_form=None, status: int = 200):
    return render_template("complaints/suggestion.html", s=s, labels=labels,
                           decide_form=decide_form or SuggestionDecideForm(formdata=None),
                           answer_form=answer_form or SuggestionAnswerForm(formdata=None)), status


@bp.route("/suggestions/<int:suggestion_id>")
@require("complaints.view")
def suggestion(suggestion_id):
    return _render(get_scoped_or_404(Suggestion, suggestion_id))


@bp.route("/suggestions/<int:suggestion_id>/report", methods=["POST"])
@require("complaints.handle")
def suggestion_report(suggestion_id):
    s = get_scoped_or_404(Suggestion, suggestion_id)

    def act():
        services.report(current_user, s)
        return _("Suggestion reported to the manager.")

    back = url_for("complaints.suggestion", suggestion_id=suggestion_id)
    return record_action(None, act, redirect_to=back, rerender=lambda _form: redirect(back))


@bp.route("/suggestions/<int:suggestion_id>/decide", methods=["POST"])
@require("complaints.decide")
def suggestion_decide(suggestion_id):
    s = get_scoped_or_404(Suggestion, suggestion_id)
    form = SuggestionDecideForm()

    def act():
        services.decide(current_user, s, form.decision.data, form.plan.data or "", form.reason.data or "")
        return _("Decision recorded.")

    return record_action(form, act, redirect_to=url_for("complaints.suggestion", suggestion_id=suggestion_id),
                         rerender=lambda f: _render(get_scoped_or_404(Suggestion, suggestion_id), decide_form=f,
                                                    status=422))


@bp.route("/suggestions/<int:suggestion_id>/answer", methods=["POST"])
@require("complaints.handle")
def suggestion_answer(suggestion_id):
    s = get_scoped_or_404(Suggestion, suggestion_id)
    form = SuggestionAnswerForm()

    def act():
        services.answer(current_user, s, form.text.data)
        return _("Answer recorded.")

    return record_action(form, act, redirect_to=url_for("complaints.suggestion", suggestion_id=suggestion_id),
                         rerender=lambda f: _render(get_scoped_or_404(Suggestion, suggestion_id), answer_form=f,
                                                    status=422))
