"""Decoration pages: the applications list, the application form, one application with the
review, fees, permit and passes, the printable papers, the guard's pass list and the estate's
rules. Every read is scoped to the user's estates (another estate's record answers 404); every
change goes through :mod:`plugins.decoration.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.attachments import attachments_of
from core.errors import DomainError
from core.extensions import db
from core.i18n import mask_phone
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Unit
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.decoration import services
from plugins.decoration.forms import (
    REMEDY_LABELS,
    ApplicationFilter,
    ApplicationForm,
    CheckForm,
    ExtensionForm,
    FeesPaidForm,
    InspectionForm,
    NoteForm,
    PassForm,
    ReasonForm,
    RecheckForm,
)
from plugins.decoration.labels import APPLICANT_LABELS, SCOPE_LABELS, STATE_LABELS
from plugins.decoration.models import (
    SCOPE_ITEMS,
    STATES,
    AcceptanceCheck,
    Application,
    Extension,
    Inspection,
    WorkerPass,
)

bp = Blueprint("decoration", __name__, template_folder="templates")

LABELS = dict(states=STATE_LABELS, scopes=SCOPE_LABELS, applicants=APPLICANT_LABELS, scope_items=SCOPE_ITEMS)


def _phone(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_phone(value)


# -- the list -------------------------------------------------------------------------------
def search_filter(q: str, estate_ids):
    """Applications whose number, permit, contractor, unit or a worker's name matches."""
    pat = _like(q.strip())
    units = select(Unit.id).where(Unit.estate_id.in_(estate_ids or [0]), Unit.number.like(pat, escape="\\"))
    workers = select(WorkerPass.application_id).where(WorkerPass.estate_id.in_(estate_ids or [0]),
                                                      WorkerPass.name.like(pat, escape="\\"))
    return or_(Application.number.like(pat, escape="\\"), Application.permit_number.like(pat, escape="\\"),
               Application.contractor.like(pat, escape="\\"), Application.unit_id.in_(units),
               Application.id.in_(workers))


def filtered(filters: ApplicationFilter):
    stmt = scoped(Application, estate_ids=current_estate_ids())
    if filters.q.data and filters.q.data.strip():
        stmt = stmt.where(search_filter(filters.q.data, current_estate_ids()))
    if filters.state.data in STATES:
        stmt = stmt.where(Application.state == filters.state.data)
    return stmt


@bp.route("/")
@require("decoration.view")
def index():
    filters = ApplicationFilter(request.args)
    page = ListPage(filtered(filters), [
        Column("number", _l("Application number"), lambda a: a.number, Application.number,
               link=lambda a: url_for("decoration.detail", app_id=a.id)),
        Column("unit", _l("Unit"), lambda a: a.unit.number, Application.unit_id),
        Column("applicant", _l("Applicant"), lambda a: a.applicant_name, Application.applicant_name),
        Column("contractor", _l("Contractor company"), lambda a: a.contractor, Application.contractor),
        Column("start", _l("Planned start"), lambda a: a.planned_start, Application.planned_start, fmt="date"),
        Column("end", _l("End date"), lambda a: a.end_date, Application.end_date, fmt="date"),
        Column("state", _l("State"), lambda a: STATE_LABELS.get(a.state, a.state), Application.state),
        Column("permit", _l("Permit number"), lambda a: a.permit_number or "", Application.permit_number),
        Column("estate", _l("Estate"), lambda a: a.estate.name, Application.estate_id),
    ], "-number", _("Decoration applications"), "decoration-applications")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("decoration/index.html", page=page, result=page.page(), filters=filters)


# -- the application ----------------------------------------------------------------------------
def _form_page(form, status=200):
    return render_template("decoration/form.html", form=form, title=_("Decoration application"), **LABELS), status


@bp.route("/new", methods=["GET", "POST"])
@require("decoration.apply")
def new():
    form = ApplicationForm() if request.method == "POST" else ApplicationForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.unit_number.data = request.args.get("unit", "")[:30]
        return _form_page(form)
    made = {}

    def act():
        made["app"] = services.apply(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data,
            applicant_kind=form.applicant_kind.data, applicant_name=form.applicant_name.data,
            applicant_phone=form.applicant_phone.data, owner_consent=form.owner_consent.data,
            contractor=form.contractor.data, manager_name=form.manager_name.data,
            manager_phone=form.manager_phone.data, planned_start=form.planned_start.data,
            planned_end=form.planned_end.data, scope=form.scope(), structural_details=form.structural_details.data,
            description=form.description.data, drawings=request.files.getlist("photos"))
        return _("Application %(number)s recorded: give the applicant the decoration rules.",
                 number=made["app"].number)

    return record_action(form, act, redirect_to=lambda: url_for("decoration.detail", app_id=made["app"].id),
                         rerender=lambda f: _form_page(f, 422),
                         once=Once("decoration_application", lambda: made["app"].id,
                                   lambda i: url_for("decoration.detail", app_id=i)))


def _detail(app, status=200, **forms):
    passes = db.session.scalars(select(WorkerPass).where(WorkerPass.application_id == app.id)
                                .order_by(WorkerPass.id)).all()
    paid = None
    try:
        paid = services.paid_status(app) if app.state == "approved" else None
    except DomainError as exc:
        forms.setdefault("fees_error", exc.message)
    today = services.estate_today(app.estate)
    inspections = db.session.scalars(select(Inspection).where(Inspection.application_id == app.id)
                                     .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())).all()
    extensions = db.session.scalars(select(Extension).where(Extension.application_id == app.id)
                                    .order_by(Extension.id.desc())).all()
    checks = db.session.scalars(select(AcceptanceCheck).where(AcceptanceCheck.application_id == app.id)
                                .order_by(AcceptanceCheck.id.desc())).all()
    return render_template(
        "decoration/detail.html", app=app, passes=passes, paid=paid, today=today, phone=_phone,
        inspections=inspections, extensions=extensions, checks=checks, remedies=REMEDY_LABELS,
        repair_states=services.repair_orders(current_user, app) if any(c.repair_numbers for c in checks) else {},
        violations=sum(1 for i in inspections if i.violation),
        recheck_form=forms.get("recheck_form") or RecheckForm(prefix="recheck"),
        suspend_form=forms.get("suspend_form") or ReasonForm(prefix="suspend"),
        void_form=forms.get("void_form") or ReasonForm(prefix="void"),
        ext_form=forms.get("ext_form") or ExtensionForm(prefix="ext"),
        decide_form=forms.get("decide_form") or NoteForm(prefix="decide"),
        check_form=forms.get("check_form") or CheckForm(prefix="check"),
        drawings=attachments_of(app), through_fees=services.through_fees(app),
        settled=app.state == "approved" and paid is not None and paid.settled(app),
        pass_valid=lambda p: services.pass_valid(p, app, today),
        note_form=forms.get("note_form") or NoteForm(prefix="review"),
        reason_form=forms.get("reason_form") or ReasonForm(prefix="refuse"),
        cancel_form=forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        fees_form=forms.get("fees_form") or FeesPaidForm(prefix="fees"),
        fees_error=forms.get("fees_error"), **LABELS), status


@bp.route("/<int:app_id>")
@require("decoration.view")
def detail(app_id):
    return _detail(get_scoped_or_404(Application, app_id))


def _step(app_id, form, prefix_key, act, message):
    app = get_scoped_or_404(Application, app_id)

    def run():
        act(get_scoped_or_404(Application, app_id), form)
        return message

    return record_action(form, run, redirect_to=url_for("decoration.detail", app_id=app.id), flash_unplaced=True,
                         rerender=lambda f: _detail(get_scoped_or_404(Application, app_id), 422, **{prefix_key: f}))


@bp.route("/<int:app_id>/safety", methods=["POST"])
@require("decoration.safety_approve")
def safety(app_id):
    return _step(app_id, NoteForm(prefix="review"), "note_form",
                 lambda a, f: services.safety_approve(current_user, a, f.note.data or ""),
                 _("Safety approval recorded."))


@bp.route("/<int:app_id>/approve", methods=["POST"])
@require("decoration.approve")
def approve(app_id):
    return _step(app_id, NoteForm(prefix="review"), "note_form",
                 lambda a, f: services.approve(current_user, a, f.note.data or ""),
                 _("Application approved: the fee and deposit are due."))


@bp.route("/<int:app_id>/refuse", methods=["POST"])
@require("decoration.view")
def refuse(app_id):
    return _step(app_id, ReasonForm(prefix="refuse"), "reason_form",
                 lambda a, f: services.refuse(current_user, a, f.reason.data), _("Application refused."))


@bp.route("/<int:app_id>/cancel", methods=["POST"])
@require("decoration.apply")
def cancel(app_id):
    return _step(app_id, ReasonForm(prefix="cancel"), "cancel_form",
                 lambda a, f: services.cancel(current_user, a, f.reason.data), _("Application cancelled."))


@bp.route("/<int:app_id>/fees-paid", methods=["POST"])
@require("decoration.fees")
def fees_paid(app_id):
    return _step(app_id, FeesPaidForm(prefix="fees"), "fees_form",
                 lambda a, f: services.tick_fees_paid(current_user, a, f.note.data), _("Payment ticked."))


@bp.route("/<int:app_id>/permit", methods=["POST"])
@require("decoration.permit")
def permit(app_id):
    return _step(app_id, NoteForm(prefix="permit"), "note_form",
                 lambda a, f: services.issue_permit(current_user, a), _("Decoration permit issued."))


# -- printed papers --------------------------------------------------------------------------
@bp.route("/<int:app_id>/print")
@require("decoration.view")
def print_application(app_id):
    app = get_scoped_or_404(Application, app_id)
    return render_template("decoration/application_print.html", app=app, **LABELS)


@bp.route("/<int:app_id>/permit/print")
@require("decoration.view")
def print_permit(app_id):
    app = get_scoped_or_404(Application, app_id)
    if not app.permit_number:
        abort(404)
    passes = db.session.scalars(select(WorkerPass).where(WorkerPass.application_id == app.id,
                                                         WorkerPass.voided_at.is_(None)).order_by(WorkerPass.id)).all()
    return render_template("decoration/permit_print.html", app=app, passes=passes, **LABELS)


@bp.route("/rules")
@require("decoration.view")
def rules():
    estate_id = request.args.get("estate", type=int) or (current_estate_ids() or [0])[0]
    if estate_id not in user_estate_ids():
        abort(404)
    estate = db.session.get(Estate, estate_id)
    conf = services.settings(estate.id)
    return render_template("decoration/rules_print.html", estate=estate, rules=conf.get("rules") or "",
                           notices=conf.get("notices") or "")


# -- passes ---------------------------------------------------------------------------------------
def _pass_page(app, form, status=200):
    return render_template("decoration/pass_form.html", app=app, form=form), status


@bp.route("/<int:app_id>/passes/new", methods=["GET", "POST"])
@require("decoration.permit")
def new_pass(app_id):
    app = get_scoped_or_404(Application, app_id)
    form = PassForm() if request.method == "POST" else PassForm(formdata=None)
    if request.method == "GET":
        form.valid_from.data = max(app.planned_start, services.estate_today(app.estate))
        form.valid_to.data = app.end_date
        return _pass_page(app, form)
    made = {}

    def act():
        made["pass"] = services.add_pass(current_user, get_scoped_or_404(Application, app_id), name=form.name.data,
                          id_number=form.id_number.data, trade=form.trade.data, valid_from=form.valid_from.data,
                          valid_to=form.valid_to.data, photo=request.files.get("photos"))
        return _("Pass issued to %(name)s.", name=form.name.data)

    return record_action(form, act, redirect_to=url_for("decoration.detail", app_id=app.id),
                         rerender=lambda f: _pass_page(get_scoped_or_404(Application, app_id), f, 422),
                         once=Once("decoration_pass", lambda: made["pass"].id,
                                   lambda i: url_for("decoration.detail", app_id=app_id), app.estate_id))


@bp.route("/passes/<int:pass_id>/void", methods=["POST"])
@require("decoration.permit")
def void_pass(pass_id):
    p = get_scoped_or_404(WorkerPass, pass_id)
    app_id = p.application_id
    return _step(app_id, ReasonForm(prefix="void"), "void_form",
                 lambda a, f: services.void_pass(current_user, get_scoped_or_404(WorkerPass, pass_id), f.reason.data),
                 _("Pass withdrawn."))


@bp.route("/<int:app_id>/passes/print")
@require("decoration.view")
def print_passes(app_id):
    app = get_scoped_or_404(Application, app_id)
    if not app.permit_number:
        abort(404)
    passes = db.session.scalars(select(WorkerPass).where(WorkerPass.application_id == app.id,
                                                         WorkerPass.voided_at.is_(None)).order_by(WorkerPass.id)).all()
    photos = {p.id: (attachments_of(p) or [None])[0] for p in passes}
    return render_template("decoration/passes_print.html", app=app, passes=passes, photos=photos)


@bp.route("/passes")
@require("decoration.view")
def passes():
    """The guard's list: the passes valid today in the user's estates (``?print=1`` to print)."""
    ids = current_estate_ids() or [0]
    rows = db.session.execute(
        select(WorkerPass, Application).join(Application, Application.id == WorkerPass.application_id)
        .where(WorkerPass.estate_id.in_(ids), WorkerPass.voided_at.is_(None), Application.state == "permitted")
        .order_by(Application.unit_id, WorkerPass.name)).all()
    valid = [(p, a) for p, a in rows if services.pass_valid(p, a, services.estate_today(a.estate))]
    template = "decoration/passes_guard_print.html" if request.args.get("print") == "1" else "decoration/passes.html"
    return render_template(template, rows=valid)


# -- inspections, extensions, completion and acceptance -----------------------------------------------
@bp.route("/<int:app_id>/inspections/new", methods=["GET", "POST"])
@require("decoration.inspect")
def new_inspection(app_id):
    app = get_scoped_or_404(Application, app_id)
    form = InspectionForm() if request.method == "POST" else InspectionForm(formdata=None)

    def page(f, status=200):
        return render_template("decoration/inspection_form.html", app=app, form=f), status

    if request.method == "GET":
        return page(form)
    made = {}

    def act():
        made["i"] = services.inspect(current_user, get_scoped_or_404(Application, app_id), findings=form.findings.data,
                                     violation=form.violation.data, required_action=form.required_action.data,
                                     deadline=form.deadline.data, photos=request.files.getlist("photos"))
        if made["i"].notice_number:
            return _("Rectification notice %(number)s issued.", number=made["i"].notice_number)
        return _("Inspection recorded.")

    return record_action(form, act, redirect_to=url_for("decoration.detail", app_id=app_id),
                         rerender=lambda f: page(f, 422),
                         once=Once("decoration_inspection", lambda: made["i"].id,
                                   lambda i: url_for("decoration.detail", app_id=app_id), app.estate_id))


@bp.route("/inspections/<int:insp_id>/recheck", methods=["POST"])
@require("decoration.inspect")
def recheck(insp_id):
    insp = get_scoped_or_404(Inspection, insp_id)
    app_id = insp.application_id
    return _step(app_id, RecheckForm(prefix="recheck"), "recheck_form",
                 lambda a, f: services.recheck(current_user, get_scoped_or_404(Inspection, insp_id),
                                               rectified=f.rectified.data == "1", note=f.note.data,
                                               new_deadline=f.new_deadline.data), _("Re-check recorded."))


@bp.route("/inspections/<int:insp_id>/print")
@require("decoration.view")
def print_notice(insp_id):
    insp = get_scoped_or_404(Inspection, insp_id)
    if not insp.notice_number:
        abort(404)
    return render_template("decoration/notice_print.html", insp=insp, app=insp.application)


@bp.route("/<int:app_id>/suspend", methods=["POST"])
@require("decoration.approve")
def suspend(app_id):
    return _step(app_id, ReasonForm(prefix="suspend"), "suspend_form",
                 lambda a, f: services.suspend(current_user, a, f.reason.data), _("Permit suspended."))


@bp.route("/<int:app_id>/resume", methods=["POST"])
@require("decoration.approve")
def resume(app_id):
    return _step(app_id, NoteForm(prefix="resume"), "note_form",
                 lambda a, f: services.resume(current_user, a), _("Permit in force again."))


@bp.route("/<int:app_id>/extensions", methods=["POST"])
@require("decoration.apply")
def request_extension(app_id):
    return _step(app_id, ExtensionForm(prefix="ext"), "ext_form",
                 lambda a, f: services.request_extension(current_user, a, new_end=f.new_end.data, reason=f.reason.data),
                 _("Extension requested."))


@bp.route("/extensions/<int:ext_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("decoration.approve")
def decide_extension(ext_id, decision):
    ext = get_scoped_or_404(Extension, ext_id)
    return _step(ext.application_id, NoteForm(prefix="decide"), "decide_form",
                 lambda a, f: services.decide_extension(current_user, get_scoped_or_404(Extension, ext_id),
                                                        decision == "approve", f.note.data or ""),
                 _("Extension approved.") if decision == "approve" else _("Extension refused."))


@bp.route("/<int:app_id>/complete", methods=["POST"])
@require("decoration.apply")
def complete(app_id):
    return _step(app_id, NoteForm(prefix="complete"), "note_form",
                 lambda a, f: services.complete(current_user, a), _("Works reported finished: organise the acceptance."))


@bp.route("/<int:app_id>/check", methods=["POST"])
@require("decoration.accept")
def check(app_id):
    accept = request.form.get("accept") == "1"
    return _step(app_id, CheckForm(prefix="check"), "check_form",
                 lambda a, f: services.check(current_user, a, defects=request.form.getlist("defect"),
                                             defect_note=f.defect_note.data or "", remedy=f.remedy.data or "",
                                             note=f.note.data or "", accept=accept),
                 _("Works accepted.") if accept else _("Defects recorded."))
