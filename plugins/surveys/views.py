"""Survey pages: the list, a survey and its questions, opening and closing, the blank questionnaire."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import DomainError
from core.extensions import db
from core.hooks import _like
from core.i18n import today_local
from core.listing import Column, ListPage
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.surveys import services
from plugins.surveys.forms import QuestionForm, SurveyFilter, SurveyForm
from plugins.surveys.labels import AREA_LABELS, METHOD_LABELS, STATE_LABELS
from plugins.surveys.models import STATES, Question, Survey

bp = Blueprint("surveys", __name__, template_folder="templates")


def may_use() -> bool:
    """Front desk staff enter responses without seeing the results: either permission opens the list."""
    return has_permission("surveys.view") or has_permission("surveys.enter")


def require_view_or_enter(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not may_use():
            abort(403)
        return view(*args, **kwargs)

    wrapped.required_permissions = ("surveys.view|surveys.enter",)
    return wrapped


@bp.route("/")
@require_view_or_enter
def index():
    filters = SurveyFilter(request.args)
    stmt = scoped(Survey, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(Survey.title.like(pat, escape="\\") | Survey.period.like(pat, escape="\\"))
    if filters.state.data in STATES:
        stmt = stmt.where(Survey.state == filters.state.data)
    page = ListPage(stmt, [
        Column("title", _l("Title"), lambda s: s.title, Survey.title,
               link=lambda s: url_for("surveys.detail", survey_id=s.id)),
        Column("period", _l("Period"), lambda s: s.period, Survey.start_date),
        Column("start", _l("First day"), lambda s: s.start_date, Survey.start_date, fmt="date"),
        Column("end", _l("Last day"), lambda s: s.end_date, Survey.end_date, fmt="date"),
        Column("state", _l("State"), lambda s: STATE_LABELS.get(s.state, s.state), Survey.state),
        Column("responses", _l("Responses"), lambda s: services.response_count(s.id)),
        Column("estate", _l("Estate"), lambda s: s.estate.name, Survey.estate_id),
    ], "-start", _("Satisfaction surveys"), "surveys")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("surveys/index.html", page=page, result=page.page(), filters=filters)


def _form_page(form, survey=None, status=200):
    return render_template("surveys/form.html", form=form, survey=survey), status


@bp.route("/new", methods=["GET", "POST"])
@require("surveys.manage")
def new():
    form = SurveyForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET" and current_estate_ids():
        form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            survey = services.create_survey(
                current_user, estate_id=form.estate_id.data, title=form.title.data, period=form.period.data,
                start_date=form.start_date.data, end_date=form.end_date.data,
                standard_questions=form.standard_questions.data)
            db.session.commit()
            flash(_("Survey saved as a draft: check the questions, then open it."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return _form_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@require("surveys.manage")
def edit(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    form = SurveyForm(obj=survey)
    del form.standard_questions
    form.estate_id.choices = [(survey.estate_id, survey.estate.name)]
    if form.validate_on_submit():
        try:
            services.update_survey(current_user, survey, title=form.title.data, period=form.period.data,
                                   start_date=form.start_date.data, end_date=form.end_date.data)
            db.session.commit()
            flash(_("Survey saved."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return _form_page(form, survey, 422 if request.method == "POST" else 200)


def _detail(survey, question_form=None, status=200):
    return render_template(
        "surveys/detail.html", survey=survey, question_form=question_form or QuestionForm(),
        areas=AREA_LABELS, states=STATE_LABELS, methods=METHOD_LABELS,
        responses=services.response_count(survey.id), today=today_local()), status


@bp.route("/<int:survey_id>")
@require_view_or_enter
def detail(survey_id):
    return _detail(get_scoped_or_404(Survey, survey_id))


@bp.route("/<int:survey_id>/questions", methods=["POST"])
@require("surveys.manage")
def add_question(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            services.add_question(current_user, survey, area=form.area.data, text=form.text.data)
            db.session.commit()
            flash(_("Question added."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return _detail(survey, form, 422)


@bp.route("/<int:survey_id>/questions/<int:question_id>/remove", methods=["POST"])
@require("surveys.manage")
def remove_question(survey_id, question_id):
    survey = get_scoped_or_404(Survey, survey_id)
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    return _transition(survey, lambda: services.remove_question(current_user, survey, question),
                       _("Question removed."))


def _transition(survey, action, message):
    try:
        action()
        db.session.commit()
        flash(message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.route("/<int:survey_id>/open", methods=["POST"])
@require("surveys.manage")
def open_survey(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    return _transition(survey, lambda: services.open_survey(current_user, survey),
                       _("The survey is open: responses can be entered."))


@bp.route("/<int:survey_id>/close", methods=["POST"])
@require("surveys.manage")
def close_survey(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    return _transition(survey, lambda: services.close_survey(current_user, survey),
                       _("The survey is closed: its figures are final."))


@bp.route("/<int:survey_id>/print")
@require_view_or_enter
def print_blank(survey_id):
    survey = get_scoped_or_404(Survey, survey_id)
    return render_template("surveys/print_blank.html", survey=survey, areas=AREA_LABELS, methods=METHOD_LABELS)
