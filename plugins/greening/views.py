"""Greening pages: today's board, areas and their seasonal work plans, the inspection form (a
phone, walking), inspections with their verification and printable sheet, indoor plant services
for businesses (requests and visits), and the pass-rate figures.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.greening.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.attachments import attachments_of
from core.extensions import db
from core.i18n import today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.permissions import require
from core.plugins import is_enabled
from core.security import current_estate_ids, scoped
from core.views.estates import estate_choices
from plugins.greening import services
from plugins.greening.forms import (
    IN_HOUSE,
    KIND_LABELS,
    REMEDY_LABELS,
    REQUEST_STATE_LABELS,
    SEASON_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    AreaEditForm,
    AreaFilter,
    AreaForm,
    CheckFilter,
    EndRequestForm,
    FiguresFilter,
    RequestFilter,
    RequestForm,
    RetireForm,
    TaskForm,
    VerifyForm,
    VisitForm,
    inspection_form,
)
from plugins.greening.models import (
    GreenArea,
    GreenCheck,
    GreenTask,
    PlantRequest,
    PlantVisit,
    season_of,
)

bp = Blueprint("greening", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, seasons=SEASON_LABELS, remedies=REMEDY_LABELS, states=STATE_LABELS,
              steps=STEP_LABELS, request_states=REQUEST_STATE_LABELS, in_house=IN_HOUSE)


def _get(model, ident):
    """The record if it is of the user's estates; else the 404 page (never saying what is there)."""
    obj = db.session.scalars(scoped(model).where(model.id == ident)).first()
    if obj is None:
        abort(404)
    return obj


def _dates_in_order(filters) -> bool:
    """The filter's From and To, refused beside To when out of order (nothing is listed)."""
    if filters.start.data and filters.end.data and filters.end.data < filters.start.data:
        filters.end.errors = list(filters.end.errors or []) + [_("The end date is before the start date.")]
        return False
    return True


# -- today's board ---------------------------------------------------------------------------
@bp.route("/")
@require("greening.view")
def index():
    today = today_local()
    ids = current_estate_ids()
    opened = db.session.scalars(scoped(GreenCheck, estate_ids=ids).where(services.open_filter())
                                .order_by(GreenCheck.deadline, GreenCheck.id).limit(20)).all()
    return render_template("greening/index.html", board=services.today_board(ids, today), opened=opened,
                           today=today, **LABELS)


# -- areas and plans -------------------------------------------------------------------------
def _area_form(formdata=True):
    form = AreaForm() if formdata else AreaForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if not formdata:
        form.estate_id.data = (current_estate_ids() or [0])[0]
    return form


def _areas_page(form, status=200):
    filters = AreaFilter(request.args)
    stmt = scoped(GreenArea, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(GreenArea.name.like(pat, escape="\\"), GreenArea.vendor.like(pat, escape="\\")))
    page = ListPage(stmt, [
        Column("name", _l("Area"), lambda a: a.name, GreenArea.name,
               link=lambda a: url_for("greening.area", green_area_id=a.id), css="wrap"),
        Column("where", _l("Where"), lambda a: a.location, GreenArea.location, css="wrap"),
        Column("vendor", _l("Looked after by"), lambda a: a.vendor or str(IN_HOUSE), GreenArea.vendor),
        Column("state", _l("State"), lambda a: _("Inspected regularly") if a.active else _("Retired"), GreenArea.active),
        Column("estate", _l("Estate"), lambda a: a.estate.name, GreenArea.estate_id),
    ], "name", _("Green areas"), "greening-areas")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("greening/areas.html", page=page, result=page.page(), filters=filters, form=form), status


@bp.route("/areas")
@require("greening.view")
def areas():
    return _areas_page(_area_form(formdata=False))


@bp.route("/areas", methods=["POST"])
@require("greening.manage")
def new_area():
    form = _area_form()
    made = {}

    def act():
        made["a"] = services.add_area(current_user, estate_id=form.estate_id.data, name=form.name.data,
                                      location=form.location.data or "", vendor=form.vendor.data or "",
                                      note=form.note.data or "")
        return _("Area %(name)s added: now give it its work plan.", name=made["a"].name)

    return record_action(form, act, redirect_to=lambda: url_for("greening.area", green_area_id=made["a"].id),
                         rerender=lambda f: _areas_page(f, 422))


def _area_page(area, task_form=None, edit_form=None, status=200):
    if edit_form is None:
        edit_form = AreaEditForm(formdata=None, obj=area)
    checks = db.session.scalars(select(GreenCheck).where(GreenCheck.area_id == area.id)
                                .order_by(GreenCheck.inspected_on.desc(), GreenCheck.id.desc()).limit(15)).all()
    return render_template("greening/area.html", area=area, tasks=services.plan_of(area.id),
                           task_form=task_form or TaskForm(formdata=None), edit_form=edit_form,
                           retire_form=RetireForm(formdata=None), checks=checks, today=today_local(),
                           **LABELS), status


@bp.route("/areas/<int:green_area_id>")
@require("greening.view")
def area(green_area_id):
    return _area_page(_get(GreenArea, green_area_id))


@bp.route("/areas/<int:green_area_id>/edit", methods=["POST"])
@require("greening.manage")
def edit_area(green_area_id):
    row = _get(GreenArea, green_area_id)
    form = AreaEditForm()

    def act():
        services.update_area(current_user, db.session.get(GreenArea, green_area_id), location=form.location.data,
                             vendor=form.vendor.data, note=form.note.data, active=form.active.data)
        return _("Area %(name)s saved.", name=row.name)

    return record_action(form, act, redirect_to=url_for("greening.area", green_area_id=green_area_id),
                         rerender=lambda f: _area_page(_get(GreenArea, green_area_id), edit_form=f, status=422))


@bp.route("/areas/<int:green_area_id>/tasks", methods=["POST"])
@require("greening.manage")
def new_task(green_area_id):
    row = _get(GreenArea, green_area_id)
    form = TaskForm()

    def act():
        task = services.add_task(current_user, db.session.get(GreenArea, green_area_id), kind=form.kind.data,
                                 season=form.season.data, frequency=form.frequency.data or "",
                                 title=form.title.data, standard=form.standard.data or "")
        return _("Task %(task)s added to the plan of %(area)s.", task=task.title, area=row.name)

    return record_action(form, act, redirect_to=url_for("greening.area", green_area_id=green_area_id),
                         rerender=lambda f: _area_page(_get(GreenArea, green_area_id), task_form=f, status=422))


@bp.route("/tasks/<int:green_task_id>/retire", methods=["POST"])
@require("greening.manage")
def retire_task(green_task_id):
    task = _get(GreenTask, green_task_id)
    form = RetireForm()

    def act():
        services.retire_task(current_user, db.session.get(GreenTask, green_task_id))
        return _("Task %(task)s taken off the plan.", task=task.title)

    return record_action(form, act, redirect_to=url_for("greening.area", green_area_id=task.area_id),
                         rerender=lambda f: _area_page(_get(GreenArea, task.area_id), status=422),
                         flash_unplaced=True)


# -- the inspection form ---------------------------------------------------------------------
def _remedy_choices():
    pairs = [("", _("Choose (when there are shortcomings)")), ("rework", REMEDY_LABELS["rework"])]
    if is_enabled("vendors"):
        pairs.append(("vendor", REMEDY_LABELS["vendor"]))
    return pairs


def _inspect_form(area, tasks, formdata=True):
    form = inspection_form(tasks) if formdata else inspection_form(tasks, data={})
    if not formdata:
        form.inspected_on.data = today_local()
    form.remedy.choices = _remedy_choices()
    return form


def _inspect_page(area, tasks, form, status=200):
    day = form.inspected_on.data if isinstance(form.inspected_on.data, date) else today_local()
    tasks = [t for t in tasks if t.season in ("all", season_of(day))]
    done = services.today_board([area.estate_id], today_local())
    row = next((r for r in done if r["area"].id == area.id), None)
    return render_template("greening/inspect.html", area=area, tasks=tasks, form=form, row=row,
                           season=season_of(day),
                           vendors_on=is_enabled("vendors"), **LABELS), status


@bp.route("/areas/<int:green_area_id>/inspect", methods=["GET", "POST"])
@require("greening.inspect")
def inspect(green_area_id):
    area = _get(GreenArea, green_area_id)
    tasks = services.plan_of(area.id)
    if request.method == "GET":
        return _inspect_page(area, tasks, _inspect_form(area, tasks, formdata=False))
    form = _inspect_form(area, tasks)
    made = {}

    def act():
        results = {}
        day = form.inspected_on.data
        for t in tasks:
            if day is None or t.season not in ("all", season_of(day)):
                continue
            choice = form[f"r_{t.id}"].data
            if choice in ("ok", "short"):
                results[t.id] = (choice == "ok", form[f"m_{t.id}"].data or "")
        made["c"] = services.record_inspection(
            current_user, db.session.get(GreenArea, green_area_id), inspected_on=form.inspected_on.data,
            results=results, note=form.note.data or "", remedy=form.remedy.data or "", deadline=form.deadline.data,
            photos=request.files.getlist("photos"))
        c = made["c"]
        if c.rectification_number:
            return _("Inspection %(number)s recorded: rectification notice %(notice)s sent to the vendor.",
                     number=c.number, notice=c.rectification_number)
        if c.shortcomings:
            return _("Inspection %(number)s recorded: %(num)d shortcomings sent to rework.", number=c.number,
                     num=c.shortcomings)
        return _("Inspection %(number)s recorded: all OK.", number=c.number)

    def page(cid):
        return url_for("greening.check", green_check_id=cid)

    return record_action(form, act, redirect_to=lambda: page(made["c"].id),
                         rerender=lambda f: _inspect_page(area, tasks, f, 422),
                         once=Once("greening_green_check", lambda: made["c"].id, page, area.estate_id))


@bp.route("/areas/<int:green_area_id>/sheet")
@require("greening.view")
def blank_sheet(green_area_id):
    area = _get(GreenArea, green_area_id)
    return render_template("greening/check_print.html", c=None, area=area,
                           tasks=services.plan_of(area.id, season_of(today_local())),
                           **LABELS)


# -- inspections -----------------------------------------------------------------------------
def checks_page(filters: CheckFilter) -> ListPage:
    stmt = scoped(GreenCheck, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        names = select(GreenArea.id).where(GreenArea.name.like(pat, escape="\\"))
        stmt = stmt.where(or_(GreenCheck.number.like(pat, escape="\\"), GreenCheck.vendor.like(pat, escape="\\"),
                              GreenCheck.area_id.in_(names)))
    if filters.area.data and filters.area.data.isdigit():
        stmt = stmt.where(GreenCheck.area_id == int(filters.area.data))
    if filters.state.data == "overdue":
        stmt = stmt.where(services.overdue_filter(today_local()))
    elif filters.state.data in STATE_LABELS:
        stmt = stmt.where(GreenCheck.state == filters.state.data)
    if filters.start.data:
        stmt = stmt.where(GreenCheck.inspected_on >= filters.start.data)
    if filters.end.data:
        stmt = stmt.where(GreenCheck.inspected_on <= filters.end.data)
    return ListPage(stmt, [
        Column("number", _l("Number"), lambda c: c.number, GreenCheck.number,
               link=lambda c: url_for("greening.check", green_check_id=c.id)),
        Column("day", _l("Day of the inspection"), lambda c: c.inspected_on, GreenCheck.inspected_on, fmt="date"),
        Column("where", _l("Area"), lambda c: c.area.name, css="wrap", show="sm"),  # a phone: number, state and due side by side
        Column("vendor", _l("Looked after by"), lambda c: c.vendor or str(IN_HOUSE), GreenCheck.vendor),
        Column("shortcomings", _l("Shortcomings"), lambda c: c.shortcomings, GreenCheck.shortcomings, fmt="number"),
        Column("state", _l("State"), lambda c: STATE_LABELS[c.state], GreenCheck.state),
        Column("due", _l("Put right by"), lambda c: c.deadline, GreenCheck.deadline, fmt="date"),
        Column("inspector", _l("Inspector"), lambda c: c.inspector.full_name),
        Column("estate", _l("Estate"), lambda c: c.estate.name, GreenCheck.estate_id),
    ], "-day", _("Greening inspections"), "greening-inspections")


@bp.route("/checks")
@require("greening.view")
def checks():
    filters = CheckFilter(request.args)
    areas = db.session.execute(scoped(GreenArea, estate_ids=current_estate_ids())
                               .with_only_columns(GreenArea.id, GreenArea.name).order_by(GreenArea.name)).all()
    filters.area.choices = [("", _("All areas"))] + [(str(i), n) for i, n in areas]
    if not _dates_in_order(filters):
        return render_template("greening/list.html", title=_("Greening inspections"), filters=filters, page=None,
                               result=None, endpoint="greening.checks"), 400
    page = checks_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("greening/list.html", title=_("Greening inspections"), filters=filters, page=page,
                           result=page.page(), endpoint="greening.checks")


def _check_page(c, form=None, status=200):
    if form is None:
        form = VerifyForm(formdata=None)
        form.verified_on.data = today_local()
    notice = services.vendor_notice(current_user, c)
    return render_template("greening/check.html", c=c, form=form, photos=attachments_of(c),
                           notice=notice, at_vendor=services.notice_pending(notice),
                           today=today_local(), **LABELS), status


@bp.route("/checks/<int:green_check_id>")
@require("greening.view")
def check(green_check_id):
    return _check_page(_get(GreenCheck, green_check_id))


@bp.route("/checks/<int:green_check_id>/verify", methods=["POST"])
@require("greening.inspect")
def verify(green_check_id):
    row = _get(GreenCheck, green_check_id)
    form = VerifyForm()

    def act():
        step = services.verify(current_user, db.session.get(GreenCheck, green_check_id),
                               verified_on=form.verified_on.data, passed=form.result.data == "passed",
                               note=form.note.data or "", new_deadline=form.new_deadline.data)
        if step.kind == "passed":
            return _("Inspection %(number)s: the shortcomings are put right.", number=row.number)
        return _("Inspection %(number)s: still failing, new deadline %(day)s.", number=row.number,
                 day=step.new_deadline.isoformat())

    def page(cid):
        return url_for("greening.check", green_check_id=cid)

    return record_action(form, act, redirect_to=page(green_check_id),
                         rerender=lambda f: _check_page(_get(GreenCheck, green_check_id), f, 422),
                         once=Once("greening_green_check", green_check_id, page, row.estate_id), flash_unplaced=True)


@bp.route("/checks/<int:green_check_id>/print")
@require("greening.view")
def check_print(green_check_id):
    c = _get(GreenCheck, green_check_id)
    return render_template("greening/check_print.html", c=c, area=c.area, tasks=[], **LABELS)


# -- indoor plant services for businesses --------------------------------------------------------
def _request_form(formdata=True):
    form = RequestForm() if formdata else RequestForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if not formdata:
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.visits_per_month.data = 2
        form.start_on.data = today_local()
    return form


def _requests_page(form, status=200):
    filters = RequestFilter(request.args)
    stmt = scoped(PlantRequest, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(PlantRequest.business.like(pat, escape="\\"), PlantRequest.place.like(pat, escape="\\"),
                              PlantRequest.contact_name.like(pat, escape="\\")))
    if filters.state.data in REQUEST_STATE_LABELS:
        stmt = stmt.where(PlantRequest.state == filters.state.data)
    today = today_local()
    done: dict[int, int] = {}

    def this_month(r):
        if r.id not in done:
            done.update(services.visits_this_month([r.id], today))
        return f"{done.get(r.id, 0)} / {r.visits_per_month}"

    page = ListPage(stmt, [
        Column("business", _l("Business"), lambda r: r.business, PlantRequest.business,
               link=lambda r: url_for("greening.plant_request", plant_request_id=r.id), css="wrap"),
        Column("place", _l("Where (unit, floor)"), lambda r: r.place, PlantRequest.place, css="wrap"),
        Column("plants", _l("Plants"), lambda r: r.plants, css="wrap"),
        Column("visits", _l("Visits this month"), this_month, PlantRequest.visits_per_month),
        Column("start_on", _l("First day"), lambda r: r.start_on, PlantRequest.start_on, fmt="date"),
        Column("state", _l("State"), lambda r: REQUEST_STATE_LABELS[r.state], PlantRequest.state),
        Column("estate", _l("Estate"), lambda r: r.estate.name, PlantRequest.estate_id),
    ], "business", _("Indoor plant services"), "greening-plants")
    if fmt := page.wants_export():
        return page.export(fmt)
    result = page.page()
    done.update(services.visits_this_month([r.id for r in result.rows], today))
    return render_template("greening/plants.html", page=page, result=result, filters=filters, form=form), status


@bp.route("/plants")
@require("greening.view")
def plants():
    return _requests_page(_request_form(formdata=False))


@bp.route("/plants", methods=["POST"])
@require("greening.manage")
def new_request():
    form = _request_form()
    made = {}

    def act():
        made["r"] = services.add_request(
            current_user, estate_id=form.estate_id.data, business=form.business.data, place=form.place.data,
            contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
            plants=form.plants.data, visits_per_month=form.visits_per_month.data, start_on=form.start_on.data,
            end_on=form.end_on.data, note=form.note.data or "")
        return _("Indoor plant service for %(business)s recorded.", business=made["r"].business)

    return record_action(form, act,
                         redirect_to=lambda: url_for("greening.plant_request", plant_request_id=made["r"].id),
                         rerender=lambda f: _requests_page(f, 422))


def _request_page(req, form=None, end_form=None, status=200):
    if form is None:
        form = VisitForm(formdata=None)
        form.visited_on.data = today_local()
        form.replaced.data = 0
    visits = db.session.scalars(select(PlantVisit).where(PlantVisit.request_id == req.id)
                                .order_by(PlantVisit.visited_on.desc(), PlantVisit.id.desc())).all()
    today = today_local()
    return render_template("greening/plant_request.html", req=req, visits=visits, form=form,
                           end_form=end_form or EndRequestForm(formdata=None),
                           month_done=services.visits_this_month([req.id], today).get(req.id, 0), **LABELS), status


@bp.route("/plants/<int:plant_request_id>")
@require("greening.view")
def plant_request(plant_request_id):
    return _request_page(_get(PlantRequest, plant_request_id))


@bp.route("/plants/<int:plant_request_id>/visits", methods=["POST"])
@require("greening.inspect")
def new_visit(plant_request_id):
    row = _get(PlantRequest, plant_request_id)
    form = VisitForm()
    made = {}

    def act():
        made["v"] = services.add_visit(current_user, db.session.get(PlantRequest, plant_request_id),
                                       visited_on=form.visited_on.data, gardener=form.gardener.data,
                                       work=form.work.data, replaced=form.replaced.data or 0,
                                       note=form.note.data or "")
        return _("Visit of %(day)s recorded.", day=made["v"].visited_on.isoformat())

    def page(_vid):
        return url_for("greening.plant_request", plant_request_id=plant_request_id)

    return record_action(form, act, redirect_to=page(0),
                         rerender=lambda f: _request_page(_get(PlantRequest, plant_request_id), f, status=422),
                         once=Once("greening_plant_visit", lambda: made["v"].id, page, row.estate_id))


@bp.route("/plants/<int:plant_request_id>/end", methods=["POST"])
@require("greening.manage")
def end_request(plant_request_id):
    row = _get(PlantRequest, plant_request_id)
    form = EndRequestForm()

    def act():
        services.end_request(current_user, db.session.get(PlantRequest, plant_request_id), end_on=form.end_on.data)
        return _("The service for %(business)s ends on %(day)s.", business=row.business,
                 day=form.end_on.data.isoformat())

    return record_action(form, act, redirect_to=url_for("greening.plant_request", plant_request_id=plant_request_id),
                         rerender=lambda f: _request_page(_get(PlantRequest, plant_request_id), end_form=f,
                                                          status=422))


# -- figures ---------------------------------------------------------------------------------
@bp.route("/figures")
@require("greening.view")
def figures():
    from core.listing import export_format, xlsx_bytes

    filters = FiguresFilter(request.args)
    by = "vendor" if filters.by.data == "vendor" else "area"
    data = services.pass_rates(current_estate_ids(), today_local(), 6, by)
    if export_format(("xlsx",)):
        from core.permissions import has_permission

        if not has_permission("core.export"):
            abort(403)
        head = [str(_("Area") if by == "area" else _("Vendor"))]
        for lab in data["labels"]:
            head += [f"{lab} " + _("Number of inspections"), f"{lab} " + _("Pass rate %")]
        rows = [[r["key"] or str(IN_HOUSE)] + [x for n, rate in r["cells"] for x in (n, rate)]
                for r in data["rows"]]
        from flask import Response

        return Response(xlsx_bytes(_("Inspection pass rate"), head, rows), headers={
            "Content-Disposition": "attachment; filename=greening-pass-rate.xlsx"},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    palette = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"]
    datasets = [{"label": str(_("All areas")), "data": [float(r) if r is not None else None
                                                         for _n, r in data["total"]],
                 "borderColor": "#212529", "borderWidth": 3}]
    for n, r in enumerate(data["rows"][:6]):
        datasets.append({"label": r["key"] or str(IN_HOUSE), "borderColor": palette[n % len(palette)],
                         "data": [float(rate) if rate is not None else None for _c, rate in r["cells"]]})
    return render_template("greening/figures.html", data=data, by=by, filters=filters, datasets=datasets, **LABELS)
