"""Entering responses, the responses list, the results of a survey and the index trend."""

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.listing import Column, ListPage, export_format, xlsx_bytes
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.surveys import services, stats
from plugins.surveys.forms import ReasonForm, response_form
from plugins.surveys.labels import AREA_LABELS, METHOD_LABELS, STATE_LABELS
from plugins.surveys.models import Response, Survey
from plugins.surveys.views import bp


@bp.route("/<int:survey_id>/responses/new", methods=["GET", "POST"])
@require("surveys.enter")
def enter(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    form = response_form(survey)
    if request.method == "GET":
        form.answered_on.data = min(today_local(), survey.end_date)
        form.method.data = request.args.get("method", "paper")
    if survey.state != "open":
        form.form_errors.append(_("Responses can only be entered while the survey is open."))
    elif form.validate_on_submit():
        try:
            scores = {q.id: getattr(form, f"q_{q.id}").data for q in survey.questions}
            services.enter_response(
                current_user, survey, scores=scores, method=form.method.data, answered_on=form.answered_on.data,
                today=today_local(), unit_number=form.unit.data or "", respondent=form.respondent.data or "",
                comment=form.comment.data or "")
            db.session.commit()
            flash(_("Response saved (%(n)s so far). Enter the next one.", n=services.response_count(survey.id)),
                  "success")
            return redirect(url_for("surveys.enter", survey_id=survey.id, method=form.method.data))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    status = 422 if request.method == "POST" else 200
    return render_template("surveys/enter.html", survey=survey, form=form, areas=AREA_LABELS,
                           count=services.response_count(survey.id)), status


@bp.route("/<int:survey_id>/responses")
@require("surveys.view")
def responses(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    stmt = scoped(Response, estate_ids=current_estate_ids()).where(Response.survey_id == survey.id)
    columns = [
        Column("id", _l("No."), lambda r: r.id, Response.id),
        Column("answered", _l("Answered on"), lambda r: r.answered_on, Response.answered_on, fmt="date"),
        Column("unit", _l("Unit"), lambda r: r.unit.number if r.unit else ""),
        Column("respondent", _l("Respondent"), lambda r: r.respondent, Response.respondent),
        Column("method", _l("Collected by"), lambda r: METHOD_LABELS.get(r.method, r.method), Response.method),
    ]
    scores = {}
    for q in survey.questions:
        columns.append(Column(f"q{q.id}", f"{q.position}. {AREA_LABELS.get(q.area, q.area)}",
                              lambda r, q=q: scores.setdefault(r.id, {a.question_id: a.score for a in r.answers})
                              .get(q.id)))
    columns += [
        Column("comment", _l("Comments and suggestions"), lambda r: r.comment),
        Column("void", _l("Void"), lambda r: r.void_reason or ""),
    ]
    page = ListPage(stmt, columns, "-id", _("Responses"), "survey-responses")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("surveys/responses.html", survey=survey, page=page, result=page.page(),
                           void_form=ReasonForm())


@bp.route("/responses/<int:response_id>/void", methods=["POST"])
@require("surveys.manage")
def void(response_id):
    response = get_scoped_or_404(Response, response_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Say why the response is voided."), "reason")
        services.void_response(current_user, response, form.reason.data)
        db.session.commit()
        flash(_("Response voided."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    return redirect(url_for("surveys.responses", survey_id=response.survey_id))


def _num(value):
    return None if value is None else float(value)


@bp.route("/<int:survey_id>/results")
@require("surveys.view")
def results(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    res = stats.results([survey.id])
    per_question = stats.question_scores(survey.id)
    if export_format(("xlsx",)) == "xlsx":
        if not has_permission("core.export"):
            abort(403)
        headers = [_("Service area"), _("Question"), _("Answers"), _("Mean score"), _("Satisfaction index")]
        rows = []
        for q in survey.questions:
            sc = per_question.get(q.id, stats.Score())
            rows.append([str(AREA_LABELS.get(q.area, q.area)), q.text, sc.count, sc.mean, sc.index])
        for area, sc in res.area_list():
            rows.append([str(AREA_LABELS[area]), _("Area index"), sc.count, sc.mean, sc.index])
        rows.append([_("Overall"), _("%(n)s responses", n=res.responses), res.overall.count, res.overall.mean,
                     res.overall.index])
        data = xlsx_bytes(survey.period, headers, rows)
        return HttpResponse(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": 'attachment; filename="survey-results.xlsx"'})
    tr = stats.trend([survey.estate_id])
    template = "surveys/results_print.html" if request.args.get("print") else "surveys/results.html"
    return render_template(
        template, survey=survey, res=res, per_question=per_question, areas=AREA_LABELS, states=STATE_LABELS,
        bar_labels=[str(AREA_LABELS[a]) for a, _sc in res.area_list()],
        bar_datasets=[{"label": _("Satisfaction index"), "data": [_num(sc.index) for _a, sc in res.area_list()]}],
        trend=tr, trend_datasets=stats.chart_datasets(tr, AREA_LABELS, _("Overall")))


@bp.route("/trend")
@require("surveys.view")
def trend():
    ids = current_estate_ids()
    chosen = request.args.get("estate", "")
    if chosen.isdigit():
        if int(chosen) not in ids:
            abort(404)
        ids = [int(chosen)]
    tr = stats.trend(ids, last=12)
    estates = [(i, n) for i, n in estate_choices() if i in current_estate_ids()]
    surveys = db.session.scalars(scoped(Survey, estate_ids=ids).where(Survey.state != "draft")
                                 .order_by(Survey.start_date.desc())).all()
    return render_template("surveys/trend.html", trend=tr, areas=AREA_LABELS, estates=estates, chosen=chosen,
                           datasets=stats.chart_datasets(tr, AREA_LABELS, _("Overall")), surveys=surveys)
