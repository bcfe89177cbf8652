"""Patrol pages: today's board, a checkpoint's check form (what its QR label opens), patrols,
routes and checkpoints with their labels, plans, problems and the building log.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.patrol.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.attachments import attachments_of
from core.errors import DomainError
from core.extensions import db
from core.i18n import estate_timezone, to_local, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, User, utcnow
from core.permissions import has_permission, require
from core.plugins import is_enabled
from core.security import current_estate_ids, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.patrol import services
from plugins.patrol.forms import (
    CHECK_LABELS,
    FREQUENCY_LABELS,
    PATROL_STATE_LABELS,
    PLAN_KIND_LABELS,
    PROBLEM_STATE_LABELS,
    RESULT_LABELS,
    SEND_TO_LABELS,
    CheckForm,
    CheckpointFilter,
    CheckpointForm,
    FinishForm,
    FollowUpForm,
    LogEntryForm,
    PatrolFilter,
    PlanForm,
    ProblemFilter,
    RouteForm,
)
from plugins.patrol.models import (
    CHECKS,
    PATROL_STATES,
    PROBLEM_STATES,
    Patrol,
    PatrolCheckpoint,
    PatrolPlan,
    PatrolProblem,
    PatrolRoute,
    PatrolVisit,
)

bp = Blueprint("patrol", __name__, template_folder="templates")

LABELS = dict(checks=CHECK_LABELS, plan_kinds=PLAN_KIND_LABELS, frequencies=FREQUENCY_LABELS,
              patrol_states=PATROL_STATE_LABELS, results=RESULT_LABELS, problem_states=PROBLEM_STATE_LABELS,
              send_to_labels=SEND_TO_LABELS)


def _get(model, ident):
    """The record if it is of the user's estates; else the 404 page (never saying what is there)."""
    obj = db.session.scalars(scoped(model).where(model.id == ident)).first()
    if obj is None:
        abort(404)
    return obj


def _repair_labels() -> dict:
    if not is_enabled("repairs"):
        return {}
    from plugins.repairs.labels import STATE_LABELS

    return STATE_LABELS


def _day_arg(name: str = "day") -> date:
    raw = request.args.get(name, "")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        return today_local()
    return day


def _dates_in_order(filters) -> bool:
    """The filter's From and To, refused beside To when out of order (nothing is listed)."""
    if filters.start.data and filters.end.data and filters.end.data < filters.start.data:
        filters.end.errors = list(filters.end.errors or []) + [_("The end date is before the start date.")]
        return False
    return True


# -- today's board ---------------------------------------------------------------------------------
@bp.route("/")
@require("patrol.view")
def index():
    day = _day_arg()
    tz = estate_timezone()
    start, end = services.day_bounds(day, tz)
    rows = services.board(current_estate_ids(), start, end)
    return render_template("patrol/index.html", rows=rows, day=day,
                           prev=(day - timedelta(days=1)).isoformat(), next=(day + timedelta(days=1)).isoformat(),
                           figures=services.today_figures(current_estate_ids(), tz=tz), **LABELS)


# -- the check form a QR label opens -----------------------------------------------------------------
def _checkpoint_or_refusal(checkpoint_id):
    """A checkpoint of the user's estates; a scan of any other (or of none) answers 404 with a
    translated explanation, never saying what is there."""
    point = db.session.scalars(scoped(PatrolCheckpoint).where(PatrolCheckpoint.id == checkpoint_id)).first()
    if point is None:
        return None, (render_template("patrol/not_yours.html"), 404)
    return point, None


def _check_page(point, form, status=200):
    patrol = services.current_patrol(current_user, point) if has_permission("patrol.patrol") else None
    if form.patrol_id.data and str(form.patrol_id.data).isdigit():
        posted = db.session.scalars(scoped(Patrol).where(Patrol.id == int(form.patrol_id.data))).first()
        patrol = posted or patrol
    elif patrol is not None:
        form.patrol_id.data = str(patrol.id)
    done = services.visit_of(patrol.id, point.id) if patrol is not None else None
    recent = db.session.scalars(select(PatrolVisit).where(PatrolVisit.checkpoint_id == point.id)
                                .order_by(PatrolVisit.visited_at.desc(), PatrolVisit.id.desc()).limit(5)).all()
    return render_template("patrol/check.html", point=point, form=form, patrol=patrol, done=done, recent=recent,
                           repairs_on=is_enabled("repairs"), **LABELS), status


def _check_form(point, formdata=True):
    form = CheckForm() if formdata else CheckForm(formdata=None)
    form.category.choices = [(c, CHECK_LABELS[c]) for c in CHECKS]
    if not formdata:
        form.category.data = point.check_list[0] if point.check_list else "facilities"
        form.contact_phone.data = current_user.phone or point.estate.phone or ""
    if not is_enabled("repairs"):
        del form.contact_phone
    if is_enabled("vendors"):
        first = "repair" if is_enabled("repairs") else "here"
        form.send_to.choices = [(first, SEND_TO_LABELS[first]), ("vendor", SEND_TO_LABELS["vendor"])]
        kinds = services.vendor_kinds(current_user, point.estate_id)
        form.service_kind.choices = [("", _("No vendor's contract is in force") if not kinds else "—")] + [
            (k.service_kind, f"{k.label} · {k.vendor}") for k in kinds]
        if not formdata:
            form.send_to.data = first
            wanted = services.VENDOR_KIND.get(form.category.data)
            form.service_kind.data = wanted if wanted in {k.service_kind for k in kinds} else ""
            form.deadline.data = services.local_day(point.estate, utcnow()) + timedelta(days=2)
    else:
        del form.send_to, form.service_kind, form.deadline
    return form


@bp.route("/c/<int:checkpoint_id>", methods=["GET", "POST"])
@require("patrol.view")
def checkpoint(checkpoint_id):
    """The check form a checkpoint's QR label opens (GET) and records (POST, patrollers)."""
    point, refusal = _checkpoint_or_refusal(checkpoint_id)
    if refusal:
        return refusal
    if request.method == "GET":
        return _check_page(point, _check_form(point, formdata=False))
    if not has_permission("patrol.patrol"):
        abort(403)
    form = _check_form(point)
    made = {}

    def act():
        point_now = db.session.get(PatrolCheckpoint, checkpoint_id)
        patrol = None
        raw = form.patrol_id.data or ""
        if raw:
            if not raw.isdigit() or int(raw) > 2**31 - 1:
                raise DomainError(_("This patrol is not one of your estates': nothing was recorded."))
            patrol = db.session.scalars(scoped(Patrol).where(Patrol.id == int(raw))).first()
            if patrol is None:
                raise DomainError(_("This patrol is not one of your estates': nothing was recorded."))
        visit = services.record_visit(
            current_user, point_now, patrol=patrol, result=form.result.data, note=form.note.data or "",
            category=form.category.data or "", photos=request.files.getlist("photos"),
            contact_phone=(form.contact_phone.data or "") if "contact_phone" in form else "",
            send_to=(form.send_to.data or "") if "send_to" in form else "",
            service_kind=(form.service_kind.data or "") if "service_kind" in form else "",
            deadline=form.deadline.data if "deadline" in form else None)
        made["v"] = visit
        problem = db.session.scalar(select(PatrolProblem).where(PatrolProblem.visit_id == visit.id))
        if problem is not None and problem.rectification_number:
            return _("Problem recorded at %(code)s: rectification notice %(number)s sent to the vendor.",
                     code=point_now.code, number=problem.rectification_number)
        if problem is not None and problem.repair_number:
            return _("Problem recorded at %(code)s: repair order %(number)s made.", code=point_now.code,
                     number=problem.repair_number)
        if problem is not None:
            return _("Problem recorded at %(code)s.", code=point_now.code)
        return _("Checkpoint %(code)s checked: OK.", code=point_now.code)

    def patrol_page(visit_id):
        visit = db.session.get(PatrolVisit, visit_id)
        return url_for("patrol.patrol", patrol_id=visit.patrol_id)

    return record_action(form, act, redirect_to=lambda: patrol_page(made["v"].id),
                         rerender=lambda f: _check_page(db.session.get(PatrolCheckpoint, checkpoint_id), f, 422),
                         once=Once("patrol_visit", lambda: made["v"].id, patrol_page, point.estate_id))


# -- patrols -----------------------------------------------------------------------------------------
def _patrol_page(patrol, status=200, finish_form=None):
    visits = db.session.scalars(select(PatrolVisit).where(PatrolVisit.patrol_id == patrol.id)
                                .order_by(PatrolVisit.visited_at, PatrolVisit.id)).all()
    problems = db.session.scalars(select(PatrolProblem).where(PatrolProblem.patrol_id == patrol.id)
                                  .order_by(PatrolProblem.id)).all()
    photos = {v.id: attachments_of(v) for v in visits}
    checkpoints = services.route_checkpoints(patrol.route_id)
    visited = {v.checkpoint_id for v in visits}
    return render_template(
        "patrol/patrol.html", patrol=patrol, visits=visits, problems=problems, photos=photos,
        checkpoints=checkpoints, visited=visited, missed=services.missed_checkpoints(patrol),
        progress=services.repair_progress(current_user, problems), repair_labels=_repair_labels(),
        rects=services.rectification_progress(current_user, problems),
        late=patrol.is_late(), finish_form=finish_form or FinishForm(formdata=None),
        may_finish=patrol.state == "in_progress" and (patrol.patroller_id == current_user.id
                                                       or has_permission("patrol.manage")),
        **LABELS), status


@bp.route("/patrols/<int:patrol_id>")
@require("patrol.view")
def patrol(patrol_id):
    return _patrol_page(_get(Patrol, patrol_id))


@bp.route("/patrols/<int:patrol_id>/finish", methods=["POST"])
@require("patrol.patrol")
def finish(patrol_id):
    row = _get(Patrol, patrol_id)
    form = FinishForm()

    def act():
        services.finish(current_user, db.session.get(Patrol, patrol_id), note=form.note.data or "")
        return _("Patrol %(number)s finished.", number=row.number)

    def page(pid):
        return url_for("patrol.patrol", patrol_id=pid)

    return record_action(form, act, redirect_to=page(patrol_id), flash_unplaced=True,
                         rerender=lambda f: _patrol_page(_get(Patrol, patrol_id), 422, f),
                         once=Once("patrol_patrol", patrol_id, page, row.estate_id))


def filtered_patrols(filters: PatrolFilter):
    stmt = scoped(Patrol, estate_ids=current_estate_ids())
    tz = ZoneInfo(estate_timezone())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        routes = select(PatrolRoute.id).where(PatrolRoute.name.like(pat, escape="\\"))
        people = select(User.id).where(User.full_name.like(pat, escape="\\"))
        stmt = stmt.where(or_(Patrol.number.like(pat, escape="\\"), Patrol.route_id.in_(routes),
                              Patrol.patroller_id.in_(people)))
    if filters.state.data in PATROL_STATES:
        stmt = stmt.where(Patrol.state == filters.state.data)
    if filters.late.data == "1":
        now = utcnow()
        stmt = stmt.where(or_(Patrol.finished_at > Patrol.due_by,
                              (Patrol.finished_at.is_(None)) & (Patrol.due_by < now)))
    if filters.start.data:
        stmt = stmt.where(Patrol.due_at >= services.day_bounds(filters.start.data, tz)[0])
    if filters.end.data:
        stmt = stmt.where(Patrol.due_at < services.day_bounds(filters.end.data, tz)[1])
    return stmt


def patrols_page(filters: PatrolFilter) -> ListPage:
    now = utcnow()
    return ListPage(filtered_patrols(filters), [
        Column("number", _l("Number"), lambda p: p.number, Patrol.number,
               link=lambda p: url_for("patrol.patrol", patrol_id=p.id)),
        Column("due_at", _l("Due at"), lambda p: p.due_at, Patrol.due_at, fmt="datetime"),
        Column("route", _l("Route"), lambda p: p.route.name, css="wrap"),
        Column("patroller", _l("Patroller"), lambda p: p.patroller.full_name),
        Column("state", _l("State"), lambda p: PATROL_STATE_LABELS.get(p.state, p.state), Patrol.state),
        Column("late", _l("Late"), lambda p: _("Late") if p.is_late(now) else ""),
        Column("kind", _l("Who patrols"), lambda p: PLAN_KIND_LABELS.get(p.kind, p.kind),
               css="d-none d-md-table-cell"),
        Column("finished_at", _l("Finished at"), lambda p: p.finished_at, Patrol.finished_at, fmt="datetime",
               css="d-none d-md-table-cell"),
        Column("estate", _l("Estate"), lambda p: p.estate.name, Patrol.estate_id, css="d-none d-lg-table-cell"),
    ], "-due_at", _("Patrols"), "patrols")


@bp.route("/patrols")
@require("patrol.view")
def patrols():
    filters = PatrolFilter(request.args)
    if not _dates_in_order(filters):
        return render_template("patrol/list.html", title=_("Patrols"), filters=filters, page=None, result=None,
                               endpoint="patrol.patrols"), 400
    page = patrols_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("patrol/list.html", title=_("Patrols"), filters=filters, page=page, result=page.page(),
                           endpoint="patrol.patrols")


# -- routes and checkpoints ----------------------------------------------------------------------------
def _routes_page(form, status=200):
    routes = db.session.scalars(scoped(PatrolRoute, estate_ids=current_estate_ids())
                                .order_by(PatrolRoute.estate_id, PatrolRoute.name)).all()
    totals = services.checkpoint_totals([r.id for r in routes])
    return render_template("patrol/routes.html", routes=routes, totals=totals, form=form), status


@bp.route("/routes")
@require("patrol.view")
def routes():
    form = RouteForm(formdata=None)
    form.estate_id.choices = estate_choices()
    form.estate_id.data = (current_estate_ids() or [0])[0]
    return _routes_page(form)


@bp.route("/routes", methods=["POST"])
@require("patrol.manage")
def new_route():
    form = RouteForm()
    form.estate_id.choices = estate_choices()
    made = {}

    def act():
        made["r"] = services.add_route(current_user, estate_id=form.estate_id.data, name=form.name.data,
                                       description=form.description.data or "")
        return _("Route %(name)s added.", name=made["r"].name)

    return record_action(form, act, redirect_to=lambda: url_for("patrol.route", route_id=made["r"].id),
                         rerender=lambda f: _routes_page(f, 422))


def _route_page(route, form=None, status=200):
    if form is None:
        form = CheckpointForm(formdata=None)
    return render_template("patrol/route.html", route=route, points=services.route_checkpoints(route.id), form=form,
                           **LABELS), status


@bp.route("/routes/<int:route_id>")
@require("patrol.view")
def route(route_id):
    return _route_page(_get(PatrolRoute, route_id))


@bp.route("/routes/<int:route_id>/checkpoints", methods=["POST"])
@require("patrol.manage")
def new_checkpoint(route_id):
    row = _get(PatrolRoute, route_id)
    form = CheckpointForm()

    def act():
        point = services.add_checkpoint(current_user, db.session.get(PatrolRoute, route_id), code=form.code.data,
                                        name=form.name.data, checks=form.checks.data,
                                        instructions=form.instructions.data or "", sequence=form.sequence.data)
        return _("Checkpoint %(code)s added to %(route)s.", code=point.code, route=row.name)

    return record_action(form, act, redirect_to=url_for("patrol.route", route_id=route_id),
                         rerender=lambda f: _route_page(_get(PatrolRoute, route_id), f, 422))


#: Labels on one printed request at most.
LABEL_MAX = 400


@bp.route("/routes/<int:route_id>/labels")
@require("patrol.view")
def labels(route_id):
    """The route's checkpoint labels on A4, each with the QR code of its check form's URL."""
    from plugins.patrol.qr import checkpoint_url, url_qr_svg

    row = _get(PatrolRoute, route_id)
    points = services.route_checkpoints(row.id)[:LABEL_MAX]
    return render_template("patrol/labels_print.html", route=row, points=points, qr=url_qr_svg,
                           url=checkpoint_url, **LABELS)


def checkpoints_page(filters: CheckpointFilter) -> ListPage:
    stmt = scoped(PatrolCheckpoint, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(PatrolCheckpoint.code.like(pat, escape="\\"), PatrolCheckpoint.name.like(pat, escape="\\")))
    if filters.route.data and filters.route.data.isdigit():
        stmt = stmt.where(PatrolCheckpoint.route_id == int(filters.route.data))
    return ListPage(stmt, [
        Column("code", _l("Checkpoint code"), lambda c: c.code, PatrolCheckpoint.code,
               link=lambda c: url_for("patrol.checkpoint", checkpoint_id=c.id)),
        Column("name", _l("Checkpoint"), lambda c: c.name, PatrolCheckpoint.name, css="wrap"),
        Column("route", _l("Route"), lambda c: c.route.name, css="wrap"),
        Column("checks", _l("What to check"), lambda c: "、".join(str(CHECK_LABELS[x]) for x in c.check_list),
               css="wrap d-none d-md-table-cell"),
        Column("sequence", _l("Order on the route"), lambda c: c.sequence, PatrolCheckpoint.sequence, fmt="number",
               css="d-none d-lg-table-cell"),
        Column("estate", _l("Estate"), lambda c: c.estate.name, PatrolCheckpoint.estate_id,
               css="d-none d-lg-table-cell"),
    ], "code", _("Checkpoints"), "checkpoints")


@bp.route("/checkpoints")
@require("patrol.view")
def checkpoints():
    filters = CheckpointFilter(request.args)
    routes = db.session.execute(scoped(PatrolRoute, estate_ids=current_estate_ids())
                                .with_only_columns(PatrolRoute.id, PatrolRoute.name).order_by(PatrolRoute.name)).all()
    filters.route.choices = [("", _("All routes"))] + [(str(i), n) for i, n in routes]
    page = checkpoints_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("patrol/list.html", title=_("Checkpoints"), filters=filters, page=page,
                           result=page.page(), endpoint="patrol.checkpoints")


# -- plans ---------------------------------------------------------------------------------------------
def patroller_choices(estate_ids) -> list[tuple[int, str]]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)).all()
    return [(u.id, f"{u.full_name} ({u.username})") for u in users
            if has_permission("patrol.patrol", u) and set(user_estate_ids(u)) & set(estate_ids)]


def _plans_page(form, status=200):
    plans = db.session.scalars(scoped(PatrolPlan, estate_ids=current_estate_ids())
                               .order_by(PatrolPlan.active.desc(), PatrolPlan.estate_id, PatrolPlan.id)).all()
    return render_template("patrol/plans.html", plans=plans, form=form, **LABELS), status


def _plan_choices(form):
    form.estate_id.choices = estate_choices()
    routes = db.session.scalars(scoped(PatrolRoute, estate_ids=current_estate_ids())
                                .where(PatrolRoute.active.is_(True)).order_by(PatrolRoute.name)).all()
    form.route_id.choices = [(r.id, r.name) for r in routes]
    form.patroller_id.choices = patroller_choices(current_estate_ids()) if has_permission("patrol.manage") else []


@bp.route("/plans")
@require("patrol.view")
def plans():
    form = PlanForm(formdata=None)
    _plan_choices(form)
    form.estate_id.data = (current_estate_ids() or [0])[0]
    form.starts_on.data = today_local()
    return _plans_page(form)


@bp.route("/plans", methods=["POST"])
@require("patrol.manage")
def new_plan():
    form = PlanForm()
    _plan_choices(form)

    def act():
        plan = services.add_plan(current_user, estate_id=form.estate_id.data, route_id=form.route_id.data,
                                 patroller_id=form.patroller_id.data, kind=form.kind.data,
                                 frequency=form.frequency.data, start_time=form.start_time.data,
                                 window_minutes=form.window_minutes.data, starts_on=form.starts_on.data,
                                 ends_on=form.ends_on.data)
        services.generate_due()
        return _("Plan added: %(route)s, %(name)s.", route=plan.route.name, name=plan.patroller.full_name)

    return record_action(form, act, redirect_to=url_for("patrol.plans"), rerender=lambda f: _plans_page(f, 422))


@bp.route("/plans/<int:plan_id>/end", methods=["POST"])
@require("patrol.manage")
def end_plan(plan_id):
    _get(PatrolPlan, plan_id)

    def act():
        services.end_plan(current_user, db.session.get(PatrolPlan, plan_id))
        return _("Plan ended: no more patrols are made from it.")

    back = url_for("patrol.plans")
    return record_action(None, act, redirect_to=back, rerender=lambda _f: _plans_page(PlanForm(formdata=None), 422))


# -- problems ----------------------------------------------------------------------------------------
def filtered_problems(filters: ProblemFilter):
    stmt = scoped(PatrolProblem, estate_ids=current_estate_ids())
    tz = ZoneInfo(estate_timezone())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        points = select(PatrolCheckpoint.id).where(or_(PatrolCheckpoint.code.like(pat, escape="\\"),
                                                       PatrolCheckpoint.name.like(pat, escape="\\")))
        stmt = stmt.where(or_(PatrolProblem.description.like(pat, escape="\\"),
                              PatrolProblem.repair_number.like(pat, escape="\\"),
                              PatrolProblem.rectification_number.like(pat, escape="\\"),
                              PatrolProblem.checkpoint_id.in_(points)))
    if filters.state.data in PROBLEM_STATES:
        stmt = stmt.where(PatrolProblem.state == filters.state.data)
    elif (filters.open.data or "1") == "1":
        stmt = stmt.where(services.open_problems_filter())
    if filters.start.data:
        stmt = stmt.where(PatrolProblem.found_at >= services.day_bounds(filters.start.data, tz)[0])
    if filters.end.data:
        stmt = stmt.where(PatrolProblem.found_at < services.day_bounds(filters.end.data, tz)[1])
    return stmt


def problems_page(filters: ProblemFilter, progress: dict, rects: dict | None = None) -> ListPage:
    repair_labels = _repair_labels()
    rects = {} if rects is None else rects

    def state(p):
        text = str(PROBLEM_STATE_LABELS.get(p.state, p.state))
        if p.repair_id in progress:
            text += f" · {repair_labels.get(progress[p.repair_id], progress[p.repair_id])}"
        if p.rectification_id in rects:
            text += f" · {rects[p.rectification_id].label}"
        return text

    def follow_number(p):
        return p.repair_number or p.rectification_number

    return ListPage(filtered_problems(filters), [
        Column("found_at", _l("Found at"), lambda p: p.found_at, PatrolProblem.found_at, fmt="datetime",
               link=lambda p: url_for("patrol.problem", problem_id=p.id)),
        Column("checkpoint", _l("Checkpoint"), lambda p: f"{p.checkpoint.code} {p.checkpoint.name}", css="wrap"),
        Column("description", _l("Problem"), lambda p: p.description, css="wrap"),
        Column("state", _l("State"), state, PatrolProblem.state),
        Column("repair", _l("Repair order or notice"), follow_number, PatrolProblem.repair_number,
               css="d-none d-md-table-cell"),
        Column("category", _l("The problem is about"), lambda p: CHECK_LABELS.get(p.category, p.category),
               css="d-none d-lg-table-cell"),
        Column("estate", _l("Estate"), lambda p: p.checkpoint.estate.name, PatrolProblem.estate_id,
               css="d-none d-lg-table-cell"),
    ], "-found_at", _("Patrol problems"), "patrol-problems")


@bp.route("/problems")
@require("patrol.view")
def problems():
    filters = ProblemFilter(request.args)
    if not _dates_in_order(filters):
        return render_template("patrol/list.html", title=_("Patrol problems"), filters=filters, page=None,
                               result=None, endpoint="patrol.problems"), 400
    progress: dict = {}
    rects: dict = {}
    page = problems_page(filters, progress, rects)
    if fmt := page.wants_export():
        rows = db.session.scalars(page.stmt).all()
        progress.update(services.repair_progress(current_user, rows))
        rects.update(services.rectification_progress(current_user, rows))
        return page.export(fmt)
    result = page.page()
    progress.update(services.repair_progress(current_user, result.rows))
    rects.update(services.rectification_progress(current_user, result.rows))
    return render_template("patrol/list.html", title=_("Patrol problems"), filters=filters, page=page,
                           result=result, endpoint="patrol.problems")


def _problem_page(problem, form=None, status=200):
    visit = db.session.get(PatrolVisit, problem.visit_id)
    return render_template("patrol/problem.html", problem=problem, visit=visit, photos=attachments_of(visit),
                           progress=services.repair_progress(current_user, [problem]),
                           rects=services.rectification_progress(current_user, [problem]),
                           repair_labels=_repair_labels(), repairs_on=is_enabled("repairs"),
                           form=form or FollowUpForm(formdata=None), **LABELS), status


@bp.route("/problems/<int:problem_id>")
@require("patrol.view")
def problem(problem_id):
    return _problem_page(_get(PatrolProblem, problem_id))


@bp.route("/problems/<int:problem_id>/follow-up", methods=["POST"])
@require("patrol.manage")
def follow_up(problem_id):
    _get(PatrolProblem, problem_id)
    form = FollowUpForm()

    def act():
        row = services.follow_up(current_user, db.session.get(PatrolProblem, problem_id), state=form.state.data,
                                 note=form.note.data)
        return _("Problem marked %(state)s.", state=PROBLEM_STATE_LABELS[row.state])

    return record_action(form, act, redirect_to=url_for("patrol.problem", problem_id=problem_id),
                         flash_unplaced=True,
                         rerender=lambda f: _problem_page(_get(PatrolProblem, problem_id), f, 422))


# -- the building log ------------------------------------------------------------------------------------
def _log_estate() -> Estate:
    ids = current_estate_ids()
    raw = request.args.get("estate", type=int)
    if raw in ids:
        return db.session.get(Estate, raw)
    if not ids:
        abort(404)
    return db.session.get(Estate, ids[0])


def _log_context(estate: Estate, day: date) -> dict:
    data = services.building_log(estate, day)
    return dict(estate=estate, day=day, log=data, progress=services.repair_progress(current_user, data["problems"]),
                rects=services.rectification_progress(current_user, data["problems"]),
                repair_labels=_repair_labels(), estates=[db.session.get(Estate, i) for i in current_estate_ids()],
                prev=(day - timedelta(days=1)).isoformat(), next=(day + timedelta(days=1)).isoformat(), **LABELS)


def _log_page(estate, day, form, status=200):
    return render_template("patrol/log.html", form=form, **_log_context(estate, day)), status


@bp.route("/log")
@require("patrol.view")
def log():
    estate, day = _log_estate(), _day_arg()
    form = LogEntryForm(formdata=None)
    form.estate_id.choices = estate_choices()
    form.estate_id.data = estate.id
    form.at.data = to_local(utcnow(), estate.timezone).replace(tzinfo=None, second=0, microsecond=0)
    return _log_page(estate, day, form)


@bp.route("/log", methods=["POST"])
@require("patrol.patrol")
def new_log_entry():
    form = LogEntryForm()
    form.estate_id.choices = estate_choices()
    made = {}

    def act():
        estate = db.session.get(Estate, form.estate_id.data) if form.estate_id.data in user_estate_ids() else None
        if estate is None:
            raise DomainError(_("Choose one of your estates."), "estate_id")
        at = form.at.data.replace(tzinfo=ZoneInfo(estate.timezone)).astimezone(UTC)
        made["e"] = services.add_log_entry(current_user, estate_id=estate.id, at=at, text=form.text.data)
        return _("Written into the building log.")

    def rerender(f):
        estate = _log_estate()
        return _log_page(estate, _day_arg(), f, 422)

    return record_action(form, act, redirect_to=lambda: url_for(
        "patrol.log", estate=made["e"].estate_id,
        day=services.local_day(db.session.get(Estate, made["e"].estate_id), made["e"].at).isoformat()),
        rerender=rerender)


@bp.route("/log/print")
@require("patrol.view")
def log_print():
    """The building log (大厦管理日志) of a day on A4: patrols, problems and actions, to sign."""
    return render_template("patrol/log_print.html", **_log_context(_log_estate(), _day_arg()))
