"""Cleaning pages: today's board, areas and their work plans, the inspection form (a phone,
walking), inspections with their verification and printable sheet, pest control and disinfection,
training, and the pass-rate figures.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.cleaning.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
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
from plugins.cleaning import services
from plugins.cleaning.forms import (
    FREQUENCY_LABELS,
    IN_HOUSE,
    PEST_KIND_LABELS,
    PEST_LABELS,
    REMEDY_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    AreaEditForm,
    AreaFilter,
    AreaForm,
    CheckFilter,
    FiguresFilter,
    PestFilter,
    PestPlanForm,
    PestRecordForm,
    RetireForm,
    TaskForm,
    TrainingFilter,
    TrainingForm,
    VerifyForm,
    inspection_form,
)
from plugins.cleaning.models import (
    PEST_KINDS,
    CleanArea,
    CleanCheck,
    CleanTask,
    CleanTraining,
    PestPlan,
    PestRecord,
)

bp = Blueprint("cleaning", __name__, template_folder="templates")

LABELS = dict(frequencies=FREQUENCY_LABELS, remedies=REMEDY_LABELS, states=STATE_LABELS, steps=STEP_LABELS,
              pest_kinds=PEST_KIND_LABELS, pest_labels=PEST_LABELS, in_house=IN_HOUSE)


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
@require("cleaning.view")
def index():
    today = today_local()
    ids = current_estate_ids()
    opened = db.session.scalars(scoped(CleanCheck, estate_ids=ids).where(services.open_filter())
                                .order_by(CleanCheck.deadline, CleanCheck.id).limit(20)).all()
    return render_template("cleaning/index.html", board=services.today_board(ids, today), opened=opened,
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
    stmt = scoped(CleanArea, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(CleanArea.name.like(pat, escape="\\"), CleanArea.vendor.like(pat, escape="\\")))
    page = ListPage(stmt, [
        Column("name", _l("Area"), lambda a: a.name, CleanArea.name,
               link=lambda a: url_for("cleaning.area", clean_area_id=a.id), css="wrap"),
        Column("where", _l("Where"), lambda a: a.location, CleanArea.location, css="wrap"),
        Column("vendor", _l("Cleaned by"), lambda a: a.vendor or str(IN_HOUSE), CleanArea.vendor),
        Column("state", _l("State"), lambda a: _("Inspected regularly") if a.active else _("Retired"), CleanArea.active),
        Column("estate", _l("Estate"), lambda a: a.estate.name, CleanArea.estate_id),
    ], "name", _("Cleaning areas"), "cleaning-areas")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("cleaning/areas.html", page=page, result=page.page(), filters=filters, form=form), status


@bp.route("/areas")
@require("cleaning.view")
def areas():
    return _areas_page(_area_form(formdata=False))


@bp.route("/areas", methods=["POST"])
@require("cleaning.manage")
def new_area():
    form = _area_form()
    made = {}

    def act():
        made["a"] = services.add_area(current_user, estate_id=form.estate_id.data, name=form.name.data,
                                      location=form.location.data or "", vendor=form.vendor.data or "",
                                      note=form.note.data or "")
        return _("Area %(name)s added: now give it its work plan.", name=made["a"].name)

    return record_action(form, act, redirect_to=lambda: url_for("cleaning.area", clean_area_id=made["a"].id),
                         rerender=lambda f: _areas_page(f, 422))


def _area_page(area, task_form=None, edit_form=None, status=200):
    if edit_form is None:
        edit_form = AreaEditForm(formdata=None, obj=area)
    checks = db.session.scalars(select(CleanCheck).where(CleanCheck.area_id == area.id)
                                .order_by(CleanCheck.inspected_on.desc(), CleanCheck.id.desc()).limit(15)).all()
    return render_template("cleaning/area.html", area=area, tasks=services.plan_of(area.id),
                           task_form=task_form or TaskForm(formdata=None), edit_form=edit_form,
                           retire_form=RetireForm(formdata=None), checks=checks, today=today_local(),
                           **LABELS), status


@bp.route("/areas/<int:clean_area_id>")
@require("cleaning.view")
def area(clean_area_id):
    return _area_page(_get(CleanArea, clean_area_id))


@bp.route("/areas/<int:clean_area_id>/edit", methods=["POST"])
@require("cleaning.manage")
def edit_area(clean_area_id):
    row = _get(CleanArea, clean_area_id)
    form = AreaEditForm()

    def act():
        services.update_area(current_user, db.session.get(CleanArea, clean_area_id), location=form.location.data,
                             vendor=form.vendor.data, note=form.note.data, active=form.active.data)
        return _("Area %(name)s saved.", name=row.name)

    return record_action(form, act, redirect_to=url_for("cleaning.area", clean_area_id=clean_area_id),
                         rerender=lambda f: _area_page(_get(CleanArea, clean_area_id), edit_form=f, status=422))


@bp.route("/areas/<int:clean_area_id>/tasks", methods=["POST"])
@require("cleaning.manage")
def new_task(clean_area_id):
    row = _get(CleanArea, clean_area_id)
    form = TaskForm()

    def act():
        task = services.add_task(current_user, db.session.get(CleanArea, clean_area_id),
                                 frequency=form.frequency.data, title=form.title.data,
                                 standard=form.standard.data or "")
        return _("Task %(task)s added to the plan of %(area)s.", task=task.title, area=row.name)

    return record_action(form, act, redirect_to=url_for("cleaning.area", clean_area_id=clean_area_id),
                         rerender=lambda f: _area_page(_get(CleanArea, clean_area_id), task_form=f, status=422))


@bp.route("/tasks/<int:clean_task_id>/retire", methods=["POST"])
@require("cleaning.manage")
def retire_task(clean_task_id):
    task = _get(CleanTask, clean_task_id)
    form = RetireForm()

    def act():
        services.retire_task(current_user, db.session.get(CleanTask, clean_task_id))
        return _("Task %(task)s taken off the plan.", task=task.title)

    return record_action(form, act, redirect_to=url_for("cleaning.area", clean_area_id=task.area_id),
                         rerender=lambda f: _area_page(_get(CleanArea, task.area_id), status=422),
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
    done = services.today_board([area.estate_id], today_local())
    row = next((r for r in done if r["area"].id == area.id), None)
    return render_template("cleaning/inspect.html", area=area, tasks=tasks, form=form, row=row,
                           vendors_on=is_enabled("vendors"), **LABELS), status


@bp.route("/areas/<int:clean_area_id>/inspect", methods=["GET", "POST"])
@require("cleaning.inspect")
def inspect(clean_area_id):
    area = _get(CleanArea, clean_area_id)
    tasks = services.plan_of(area.id)
    if request.method == "GET":
        return _inspect_page(area, tasks, _inspect_form(area, tasks, formdata=False))
    form = _inspect_form(area, tasks)
    made = {}

    def act():
        results = {}
        for t in tasks:
            choice = form[f"r_{t.id}"].data
            if choice in ("ok", "short"):
                results[t.id] = (choice == "ok", form[f"m_{t.id}"].data or "")
        made["c"] = services.record_inspection(
            current_user, db.session.get(CleanArea, clean_area_id), inspected_on=form.inspected_on.data,
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
        return url_for("cleaning.check", clean_check_id=cid)

    return record_action(form, act, redirect_to=lambda: page(made["c"].id),
                         rerender=lambda f: _inspect_page(area, tasks, f, 422),
                         once=Once("cleaning_clean_check", lambda: made["c"].id, page, area.estate_id))


@bp.route("/areas/<int:clean_area_id>/sheet")
@require("cleaning.view")
def blank_sheet(clean_area_id):
    area = _get(CleanArea, clean_area_id)
    return render_template("cleaning/check_print.html", c=None, area=area, tasks=services.plan_of(area.id),
                           **LABELS)


# -- inspections -----------------------------------------------------------------------------
def checks_page(filters: CheckFilter) -> ListPage:
    stmt = scoped(CleanCheck, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        names = select(CleanArea.id).where(CleanArea.name.like(pat, escape="\\"))
        stmt = stmt.where(or_(CleanCheck.number.like(pat, escape="\\"), CleanCheck.vendor.like(pat, escape="\\"),
                              CleanCheck.area_id.in_(names)))
    if filters.area.data and filters.area.data.isdigit():
        stmt = stmt.where(CleanCheck.area_id == int(filters.area.data))
    if filters.state.data == "overdue":
        stmt = stmt.where(services.overdue_filter(today_local()))
    elif filters.state.data in STATE_LABELS:
        stmt = stmt.where(CleanCheck.state == filters.state.data)
    if filters.start.data:
        stmt = stmt.where(CleanCheck.inspected_on >= filters.start.data)
    if filters.end.data:
        stmt = stmt.where(CleanCheck.inspected_on <= filters.end.data)
    return ListPage(stmt, [
        Column("number", _l("Number"), lambda c: c.number, CleanCheck.number,
               link=lambda c: url_for("cleaning.check", clean_check_id=c.id)),
        Column("day", _l("Day of the inspection"), lambda c: c.inspected_on, CleanCheck.inspected_on, fmt="date"),
        Column("where", _l("Area"), lambda c: c.area.name, css="wrap", show="sm"),  # a phone: number, state and due side by side
        Column("vendor", _l("Cleaned by"), lambda c: c.vendor or str(IN_HOUSE), CleanCheck.vendor),
        Column("shortcomings", _l("Shortcomings"), lambda c: c.shortcomings, CleanCheck.shortcomings, fmt="number"),
        Column("state", _l("State"), lambda c: STATE_LABELS[c.state], CleanCheck.state),
        Column("due", _l("Put right by"), lambda c: c.deadline, CleanCheck.deadline, fmt="date"),
        Column("inspector", _l("Inspector"), lambda c: c.inspector.full_name),
        Column("estate", _l("Estate"), lambda c: c.estate.name, CleanCheck.estate_id),
    ], "-day", _("Cleaning inspections"), "cleaning-inspections")


@bp.route("/checks")
@require("cleaning.view")
def checks():
    filters = CheckFilter(request.args)
    areas = db.session.execute(scoped(CleanArea, estate_ids=current_estate_ids())
                               .with_only_columns(CleanArea.id, CleanArea.name).order_by(CleanArea.name)).all()
    filters.area.choices = [("", _("All areas"))] + [(str(i), n) for i, n in areas]
    if not _dates_in_order(filters):
        return render_template("cleaning/list.html", title=_("Cleaning inspections"), filters=filters, page=None,
                               result=None, endpoint="cleaning.checks"), 400
    page = checks_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("cleaning/list.html", title=_("Cleaning inspections"), filters=filters, page=page,
                           result=page.page(), endpoint="cleaning.checks")


def _check_page(c, form=None, status=200):
    if form is None:
        form = VerifyForm(formdata=None)
        form.verified_on.data = today_local()
    notice = services.vendor_notice(current_user, c)
    return render_template("cleaning/check.html", c=c, form=form, photos=attachments_of(c),
                           notice=notice, at_vendor=services.notice_pending(notice),
                           today=today_local(), **LABELS), status


@bp.route("/checks/<int:clean_check_id>")
@require("cleaning.view")
def check(clean_check_id):
    return _check_page(_get(CleanCheck, clean_check_id))


@bp.route("/checks/<int:clean_check_id>/verify", methods=["POST"])
@require("cleaning.inspect")
def verify(clean_check_id):
    row = _get(CleanCheck, clean_check_id)
    form = VerifyForm()

    def act():
        step = services.verify(current_user, db.session.get(CleanCheck, clean_check_id),
                               verified_on=form.verified_on.data, passed=form.result.data == "passed",
                               note=form.note.data or "", new_deadline=form.new_deadline.data)
        if step.kind == "passed":
            return _("Inspection %(number)s: the shortcomings are put right.", number=row.number)
        return _("Inspection %(number)s: still failing, new deadline %(day)s.", number=row.number,
                 day=step.new_deadline.isoformat())

    def page(cid):
        return url_for("cleaning.check", clean_check_id=cid)

    return record_action(form, act, redirect_to=page(clean_check_id),
                         rerender=lambda f: _check_page(_get(CleanCheck, clean_check_id), f, 422),
                         once=Once("cleaning_clean_check", clean_check_id, page, row.estate_id), flash_unplaced=True)


@bp.route("/checks/<int:clean_check_id>/print")
@require("cleaning.view")
def check_print(clean_check_id):
    c = _get(CleanCheck, clean_check_id)
    return render_template("cleaning/check_print.html", c=c, area=c.area, tasks=[], **LABELS)


# -- pest control and disinfection -----------------------------------------------------------
def _plan_form(formdata=True):
    form = PestPlanForm() if formdata else PestPlanForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if not formdata:
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.every_days.data = 7
    return form


def _pests_page(form, status=200):
    filters = PestFilter(request.args)
    stmt = scoped(PestPlan, estate_ids=current_estate_ids())
    if filters.kind.data in PEST_KINDS:
        stmt = stmt.where(PestPlan.kind == filters.kind.data)
    plans = db.session.scalars(stmt.order_by(PestPlan.end_on.desc(), PestPlan.id.desc()).limit(200)).all()
    last = services.last_treatments(p.id for p in plans)
    nxt = {p.id: services.next_treatment(p, last.get(p.id)) for p in plans}
    return render_template("cleaning/pests.html", plans=plans, last=last, nxt=nxt, filters=filters, form=form,
                           today=today_local(), **LABELS), status


@bp.route("/pests")
@require("cleaning.view")
def pests():
    return _pests_page(_plan_form(formdata=False))


@bp.route("/pests", methods=["POST"])
@require("cleaning.manage")
def new_pest_plan():
    form = _plan_form()
    made = {}

    def act():
        made["p"] = services.add_pest_plan(
            current_user, estate_id=form.estate_id.data, kind=form.kind.data, title=form.title.data,
            pests=form.pests.data or [], scope=form.scope.data, method=form.method.data or "",
            every_days=form.every_days.data, start_on=form.start_on.data, end_on=form.end_on.data)
        return _("Plan %(title)s added.", title=made["p"].title)

    return record_action(form, act, redirect_to=lambda: url_for("cleaning.pest_plan", pest_plan_id=made["p"].id),
                         rerender=lambda f: _pests_page(f, 422))


def _plan_page(plan, form=None, status=200):
    if form is None:
        form = PestRecordForm(formdata=None)
        form.done_on.data = today_local()
    records = db.session.scalars(select(PestRecord).where(PestRecord.plan_id == plan.id)
                                 .order_by(PestRecord.done_on.desc(), PestRecord.id.desc())).all()
    last = records[0].done_on if records else None
    return render_template("cleaning/pest_plan.html", plan=plan, records=records, form=form,
                           nxt=services.next_treatment(plan, last), **LABELS), status


@bp.route("/pests/<int:pest_plan_id>")
@require("cleaning.view")
def pest_plan(pest_plan_id):
    return _plan_page(_get(PestPlan, pest_plan_id))


@bp.route("/pests/<int:pest_plan_id>/records", methods=["POST"])
@require("cleaning.inspect")
def new_pest_record(pest_plan_id):
    row = _get(PestPlan, pest_plan_id)
    form = PestRecordForm()
    made = {}

    def act():
        made["r"] = services.add_pest_record(current_user, db.session.get(PestPlan, pest_plan_id),
                                             done_on=form.done_on.data, done_by=form.done_by.data,
                                             chemicals=form.chemicals.data or "", areas=form.areas.data or "",
                                             note=form.note.data or "")
        return _("Treatment of %(day)s recorded.", day=made["r"].done_on.isoformat())

    def page(_rid):
        return url_for("cleaning.pest_plan", pest_plan_id=pest_plan_id)

    return record_action(form, act, redirect_to=page(0),
                         rerender=lambda f: _plan_page(_get(PestPlan, pest_plan_id), f, 422),
                         once=Once("cleaning_pest_record", lambda: made["r"].id, page, row.estate_id))


# -- training --------------------------------------------------------------------------------
def _training_form(formdata=True):
    form = TrainingForm() if formdata else TrainingForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if not formdata:
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.held_on.data = today_local()
    return form


def _training_page(form, status=200):
    filters = TrainingFilter(request.args)
    if not _dates_in_order(filters):
        return render_template("cleaning/training.html", page=None, result=None, filters=filters, form=form), 400
    stmt = scoped(CleanTraining, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(CleanTraining.topic.like(pat, escape="\\"), CleanTraining.trainer.like(pat, escape="\\"),
                              CleanTraining.attendees.like(pat, escape="\\")))
    if filters.start.data:
        stmt = stmt.where(CleanTraining.held_on >= filters.start.data)
    if filters.end.data:
        stmt = stmt.where(CleanTraining.held_on <= filters.end.data)
    page = ListPage(stmt, [
        Column("day", _l("Day of the training"), lambda t: t.held_on, CleanTraining.held_on, fmt="date"),
        Column("topic", lazy_pgettext("training", "Topic"), lambda t: t.topic, CleanTraining.topic, css="wrap"),
        Column("trainer", _l("Trainer"), lambda t: t.trainer, CleanTraining.trainer),
        Column("attendees", lazy_pgettext("training", "Attendees"), lambda t: "、".join(t.attendee_list), css="wrap"),
        Column("hours", _l("Hours"), lambda t: t.hours, CleanTraining.hours, fmt="number"),
        Column("estate", _l("Estate"), lambda t: t.estate.name, CleanTraining.estate_id),
    ], "-day", _("Cleaning staff training"), "cleaning-training")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("cleaning/training.html", page=page, result=page.page(), filters=filters,
                           form=form), status


@bp.route("/training")
@require("cleaning.view")
def training():
    return _training_page(_training_form(formdata=False))


@bp.route("/training", methods=["POST"])
@require("cleaning.manage")
def new_training():
    form = _training_form()
    made = {}

    def act():
        made["t"] = services.add_training(current_user, estate_id=form.estate_id.data, held_on=form.held_on.data,
                                          topic=form.topic.data, trainer=form.trainer.data,
                                          attendees=form.attendees.data, hours=form.hours.data,
                                          note=form.note.data or "")
        return _("Training %(topic)s recorded.", topic=made["t"].topic)

    def page(_tid):
        return url_for("cleaning.training")

    return record_action(form, act, redirect_to=page(0), rerender=lambda f: _training_page(f, 422),
                         once=Once("cleaning_clean_training", lambda: made["t"].id, page, form.estate_id.data))


# -- figures ---------------------------------------------------------------------------------
@bp.route("/figures")
@require("cleaning.view")
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
            "Content-Disposition": "attachment; filename=cleaning-pass-rate.xlsx"},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    palette = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"]
    datasets = [{"label": str(_("All areas")), "data": [float(r) if r is not None else None
                                                         for _n, r in data["total"]],
                 "borderColor": "#212529", "borderWidth": 3}]
    for n, r in enumerate(data["rows"][:6]):
        datasets.append({"label": r["key"] or str(IN_HOUSE), "borderColor": palette[n % len(palette)],
                         "data": [float(rate) if rate is not None else None for _c, rate in r["cells"]]})
    return render_template("cleaning/figures.html", data=data, by=by, filters=filters, datasets=datasets, **LABELS)
