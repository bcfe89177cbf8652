"""Vendor pages: the register, contracts, inspections, rectification notices, monthly
evaluations, the scoring sheets, and their printouts.

Vendors are company-wide; every contract, inspection, notice and evaluation is read through
``scoped()`` (another estate's record answers 404), so a vendor serving two estates shows each
estate's staff only their own contracts and scores. Every change goes through
:mod:`plugins.vendors.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from core.actions import Once, record_action
from core.attachments import attachments_of, save_upload
from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.vendors import services
from plugins.vendors.forms import (
    CONTRACT_STATE_LABELS,
    EVAL_STATE_LABELS,
    KIND_LABELS,
    RECT_STATE_LABELS,
    SHEET_ROWS,
    STEP_LABELS,
    AttachmentForm,
    ConfirmForm,
    ContractFilter,
    ContractForm,
    EvaluateForm,
    EvaluationFilter,
    InspectionFilter,
    NoticeForm,
    RecheckForm,
    RectificationFilter,
    ResponseForm,
    SheetForm,
    VendorFilter,
    VendorForm,
    inspection_form,
)
from plugins.vendors.models import (
    SERVICE_KINDS,
    Contract,
    Evaluation,
    Inspection,
    Rectification,
    Vendor,
)

bp = Blueprint("vendors", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, contract_states=CONTRACT_STATE_LABELS, rect_states=RECT_STATE_LABELS,
              step_labels=STEP_LABELS, eval_states=EVAL_STATE_LABELS)


def _vendor_filter(q: str):
    pat = _like(q.strip())
    return or_(Vendor.name.like(pat, escape="\\"), Vendor.contact_name.like(pat, escape="\\"))


def _contract_match(q: str):
    pat = _like(q.strip())
    return or_(Contract.number.like(pat, escape="\\"),
               Contract.vendor_id.in_(select(Vendor.id).where(Vendor.name.like(pat, escape="\\"))))


def _month_text(d: date) -> str:
    return d.strftime("%Y-%m")


# -- vendors ---------------------------------------------------------------------------------
@bp.route("/")
@require("vendors.view")
def index():
    filters = VendorFilter(request.args)
    ids = current_estate_ids() or [0]
    stmt = select(Vendor)
    if filters.q.data:
        stmt = stmt.where(_vendor_filter(filters.q.data))
    if filters.kind.data in SERVICE_KINDS:
        stmt = stmt.where(Vendor.id.in_(select(Contract.vendor_id).where(
            Contract.estate_id.in_(ids), Contract.service_kind == filters.kind.data)))
    counts = dict(db.session.execute(select(Contract.vendor_id, func.count()).where(Contract.estate_id.in_(ids))
                                     .group_by(Contract.vendor_id)).all())
    page = ListPage(stmt, [
        Column("name", _l("Company"), lambda v: v.name, Vendor.name,
               link=lambda v: url_for("vendors.vendor", vendor_id=v.id), css="wrap"),
        Column("contact", _l("Contact person"), lambda v: v.contact_name, Vendor.contact_name),
        Column("phone", _l("Contact phone"), lambda v: v.contact_phone),
        Column("contracts", _l("Contracts here"), lambda v: counts.get(v.id, 0), fmt="number"),
    ], "name", _("Vendors"), "vendors")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("vendors/index.html", page=page, result=page.page(), filters=filters)


def _vendor_page(form, title, status=200, vendor=None):
    cancel = url_for("vendors.vendor", vendor_id=vendor.id) if vendor else url_for("vendors.index")
    return render_template("vendors/form.html", form=form, title=title, cancel=cancel), status


@bp.route("/new", methods=["GET", "POST"])
@require("vendors.manage")
def new_vendor():
    form = VendorForm()
    if request.method == "GET":
        return _vendor_page(form, _("Register a vendor"))
    made = {}

    def act():
        made["v"] = services.add_vendor(current_user, **_vendor_args(form))
        return _("Vendor %(name)s registered.", name=made["v"].name)

    return record_action(form, act, redirect_to=lambda: url_for("vendors.vendor", vendor_id=made["v"].id),
                         rerender=lambda f: _vendor_page(f, _("Register a vendor"), 422))


def _vendor_args(form) -> dict:
    return {name: form[name].data or "" for name in
            ("name", "credit_code", "contact_name", "contact_phone", "contacts", "address", "note")}


@bp.route("/<int:vendor_id>/edit", methods=["GET", "POST"])
@require("vendors.manage")
def edit_vendor(vendor_id):
    vendor = db.get_or_404(Vendor, vendor_id)
    form = VendorForm(obj=vendor) if request.method == "GET" else VendorForm()
    title = _("Edit vendor %(name)s", name=vendor.name)
    if request.method == "GET":
        return _vendor_page(form, title, vendor=vendor)

    def act():
        services.edit_vendor(current_user, db.session.get(Vendor, vendor_id), **_vendor_args(form))
        return _("Vendor %(name)s saved.", name=form.name.data)

    return record_action(form, act, redirect_to=url_for("vendors.vendor", vendor_id=vendor_id),
                         rerender=lambda f: _vendor_page(f, title, 422, vendor=db.session.get(Vendor, vendor_id)))


@bp.route("/<int:vendor_id>")
@require("vendors.view")
def vendor(vendor_id):
    """A vendor and its contracts in the user's estates (others' are not shown, nor counted)."""
    v = db.get_or_404(Vendor, vendor_id)
    contracts = db.session.scalars(scoped(Contract, estate_ids=current_estate_ids())
                                   .where(Contract.vendor_id == v.id)
                                   .order_by(Contract.end_on.desc(), Contract.id.desc())).all()
    latest = {}
    for ev in db.session.scalars(scoped(Evaluation, estate_ids=current_estate_ids())
                                 .where(Evaluation.contract_id.in_([c.id for c in contracts] or [0]),
                                        Evaluation.state == "confirmed").order_by(Evaluation.month)):
        latest[ev.contract_id] = ev
    return render_template("vendors/vendor.html", v=v, contracts=contracts, latest=latest,
                           state=lambda c: services.contract_state(c, today_local()), **LABELS)


# -- contracts -----------------------------------------------------------------------------
def _contract_states(filters, today):
    stmt = scoped(Contract, estate_ids=current_estate_ids())
    if filters.q.data:
        stmt = stmt.where(_contract_match(filters.q.data))
    if filters.kind.data in SERVICE_KINDS:
        stmt = stmt.where(Contract.service_kind == filters.kind.data)
    state = filters.state.data
    if state == "future":
        stmt = stmt.where(Contract.start_on > today)
    elif state == "ended":
        stmt = stmt.where(Contract.end_on < today)
    elif state == "expiring":
        stmt = stmt.where(services.expiring_filter(today, services.expiry_days(_one_estate())))
    elif state == "in_force":
        stmt = stmt.where(Contract.start_on <= today, Contract.end_on >= today)
    return stmt


def _one_estate():
    ids = current_estate_ids()
    return ids[0] if len(ids) == 1 else None


@bp.route("/contracts")
@require("vendors.view")
def contracts():
    filters = ContractFilter(request.args)
    today = today_local()
    page = ListPage(_contract_states(filters, today), [
        Column("number", _l("Contract number"), lambda c: c.number, Contract.number,
               link=lambda c: url_for("vendors.contract", contract_id=c.id)),
        Column("vendor", _l("Vendor"), lambda c: c.vendor.name, css="wrap"),
        Column("kind", _l("Kind of service"), lambda c: KIND_LABELS[c.service_kind], Contract.service_kind),
        Column("start", _l("First day"), lambda c: c.start_on, Contract.start_on, fmt="date"),
        Column("end", _l("Last day"), lambda c: c.end_on, Contract.end_on, fmt="date"),
        Column("amount", _l("Contract amount"), lambda c: c.amount, Contract.amount, fmt="money"),
        Column("state", _l("State"), lambda c: CONTRACT_STATE_LABELS[services.contract_state(c, today)]),
        Column("estate", _l("Estate"), lambda c: c.estate.name, Contract.estate_id),
    ], "end", _("Vendor contracts"), "vendor-contracts")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("vendors/contracts.html", page=page, result=page.page(), filters=filters)


def _vendor_choices():
    return [(v.id, v.name) for v in db.session.scalars(select(Vendor).order_by(Vendor.name))]


def _contract_page(form, title, status=200, contract=None):
    cancel = url_for("vendors.contract", contract_id=contract.id) if contract else url_for("vendors.contracts")
    return render_template("vendors/form.html", form=form, title=title, cancel=cancel), status


def _contract_args(form) -> dict:
    return dict(number=form.number.data or "", service_kind=form.service_kind.data, scope=form.scope.data or "",
                start_on=form.start_on.data, end_on=form.end_on.data, amount=form.amount.data,
                standards=form.standards.data or "", note=form.note.data or "")


@bp.route("/contracts/new", methods=["GET", "POST"])
@require("vendors.manage")
def new_contract():
    form = ContractForm()
    form.estate_id.choices = estate_choices()
    form.vendor_id.choices = _vendor_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.vendor_id.data = request.args.get("vendor_id", 0, type=int)
        return _contract_page(form, _("New contract"))
    made = {}

    def act():
        made["c"] = services.add_contract(current_user, estate_id=form.estate_id.data,
                                          vendor_id=form.vendor_id.data, **_contract_args(form))
        return _("Contract %(number)s saved.", number=made["c"].number)

    return record_action(form, act, redirect_to=lambda: url_for("vendors.contract", contract_id=made["c"].id),
                         rerender=lambda f: _contract_page(f, _("New contract"), 422))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@require("vendors.manage")
def edit_contract(contract_id):
    c = get_scoped_or_404(Contract, contract_id)
    form = ContractForm(obj=c) if request.method == "GET" else ContractForm()
    form.estate_id.choices = estate_choices()
    form.vendor_id.choices = _vendor_choices()
    form.estate_id.data, form.vendor_id.data = c.estate_id, c.vendor_id
    form.estate_id.render_kw = form.vendor_id.render_kw = {"disabled": True}
    title = _("Edit contract %(number)s", number=c.number)
    if request.method == "GET":
        return _contract_page(form, title, contract=c)

    def act():
        services.edit_contract(current_user, get_scoped_or_404(Contract, contract_id), **_contract_args(form))
        return _("Contract %(number)s saved.", number=form.number.data)

    return record_action(form, act, redirect_to=url_for("vendors.contract", contract_id=contract_id),
                         rerender=lambda f: _contract_page(f, title, 422, contract=get_scoped_or_404(
                             Contract, contract_id)))


def _contract_detail(c, status=200, **forms):
    inspections = db.session.scalars(select(Inspection).where(Inspection.contract_id == c.id)
                                     .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()).limit(50)).all()
    rects = db.session.scalars(select(Rectification).where(Rectification.contract_id == c.id)
                               .order_by(Rectification.id.desc()).limit(50)).all()
    evals = db.session.scalars(select(Evaluation).where(Evaluation.contract_id == c.id)
                               .order_by(Evaluation.month.desc())).all()
    evaluate_form = forms.get("evaluate_form") or EvaluateForm(prefix="ev")
    if request.method == "GET" and not evaluate_form.month.data:
        today = today_local()
        prev = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
        evaluate_form.month.data = _month_text(prev)
    return render_template(
        "vendors/contract.html", c=c, state=services.contract_state(c, today_local()), inspections=inspections,
        rects=rects, evals=evals, trend=services.trend(c), attachments=attachments_of(c),
        attach_form=AttachmentForm(prefix="att"), evaluate_form=evaluate_form,
        has_sheet=bool(services.sheet(c.service_kind)), today=today_local(), **LABELS), status


@bp.route("/contracts/<int:contract_id>")
@require("vendors.view")
def contract(contract_id):
    return _contract_detail(get_scoped_or_404(Contract, contract_id))


@bp.route("/contracts/<int:contract_id>/attachments", methods=["POST"])
@require("vendors.manage")
def attach(contract_id):
    c = get_scoped_or_404(Contract, contract_id)
    form = AttachmentForm(prefix="att")
    back = url_for("vendors.contract", contract_id=contract_id)

    def act():
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            raise DomainError(_("Choose the scans to attach."))
        for f in files:
            save_upload(f, c, allow_pdf=True)
        return _("%(num)s files attached.", num=len(files))

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _contract_detail(get_scoped_or_404(Contract, contract_id), 422))


@bp.route("/contracts/<int:contract_id>/evaluate", methods=["POST"])
@require("vendors.evaluate")
def evaluate(contract_id):
    c = get_scoped_or_404(Contract, contract_id)
    form = EvaluateForm(prefix="ev")
    made = {}

    def act():
        month = None
        try:
            y, m = (int(x) for x in (form.month.data or "").split("-", 1))
            month = date(y, m, 1) if 2000 <= y <= 2100 else None
        except ValueError:
            month = None
        if month is None:
            raise DomainError(_("Choose the month to evaluate."), "month")
        made["e"] = services.evaluate_month(current_user, c, month, form.note.data or "")
        return _("Evaluation of %(month)s opened.", month=form.month.data)

    return record_action(form, act, redirect_to=lambda: url_for("vendors.evaluation", evaluation_id=made["e"].id),
                         rerender=lambda f: _contract_detail(get_scoped_or_404(Contract, contract_id), 422,
                                                             evaluate_form=f))


# -- inspections ---------------------------------------------------------------------------
def _inspect_page(c, items, form, status=200):
    return render_template("vendors/inspect.html", c=c, items=items, form=form, **LABELS), status


@bp.route("/contracts/<int:contract_id>/inspect", methods=["GET", "POST"])
@require("vendors.inspect")
def inspect(contract_id):
    c = get_scoped_or_404(Contract, contract_id)
    items = services.sheet(c.service_kind)
    form = inspection_form(items)
    if request.method == "GET":
        form.inspected_on.data = today_local()
        for item in items:
            form[f"p_{item.id}"].data = item.weight
        return _inspect_page(c, items, form)
    made = {}

    def act():
        made["i"] = services.record_inspection(
            current_user, get_scoped_or_404(Contract, contract_id), inspected_on=form.inspected_on.data,
            points={i.id: form[f"p_{i.id}"].data for i in items},
            remarks={i.id: form[f"r_{i.id}"].data for i in items}, note=form.note.data or "",
            deadline=form.deadline.data)
        return _("Inspection recorded: %(score)s points.", score=made["i"].score)

    def page(inspection_id):
        return url_for("vendors.inspection", site_inspection_id=inspection_id)

    return record_action(form, act, redirect_to=lambda: page(made["i"].id),
                         rerender=lambda f: _inspect_page(c, items, f, 422),
                         once=Once("vendors_site_inspection", lambda: made["i"].id, page, c.estate_id))


@bp.route("/inspections")
@require("vendors.view")
def inspections():
    filters = InspectionFilter(request.args)
    stmt = scoped(Inspection, estate_ids=current_estate_ids())
    if filters.q.data:
        stmt = stmt.where(Inspection.contract_id.in_(select(Contract.id).where(_contract_match(filters.q.data))))
    if filters.kind.data in SERVICE_KINDS:
        stmt = stmt.where(Inspection.contract_id.in_(select(Contract.id).where(
            Contract.service_kind == filters.kind.data)))
    if filters.failing.data == "1":
        stmt = stmt.where(Inspection.failing > 0)
    page = ListPage(stmt, [
        Column("day", _l("Day of the inspection"), lambda i: i.inspected_on, Inspection.inspected_on, fmt="date",
               link=lambda i: url_for("vendors.inspection", site_inspection_id=i.id)),
        Column("contract", _l("Contract number"), lambda i: i.contract.number),
        Column("vendor", _l("Vendor"), lambda i: i.contract.vendor.name, css="wrap"),
        Column("kind", _l("Kind of service"), lambda i: KIND_LABELS[i.contract.service_kind]),
        Column("score", _l("Score"), lambda i: i.score, Inspection.score, fmt="area"),
        Column("failing", _l("Failing items"), lambda i: i.failing, Inspection.failing, fmt="number"),
        Column("inspector", _l("Inspector"), lambda i: i.inspector.full_name),
        Column("estate", _l("Estate"), lambda i: i.contract.estate.name, Inspection.estate_id),
    ], "-day", _("Vendor inspections"), "vendor-inspections")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("vendors/list.html", page=page, result=page.page(), filters=filters,
                           title=_("Vendor inspections"), reset=url_for("vendors.inspections"))


def _inspection(site_inspection_id):
    i = get_scoped_or_404(Inspection, site_inspection_id)
    rects = db.session.scalars(select(Rectification).where(Rectification.inspection_id == i.id)).all()
    return i, rects


@bp.route("/inspections/<int:site_inspection_id>")
@require("vendors.view")
def inspection(site_inspection_id):
    i, rects = _inspection(site_inspection_id)
    return render_template("vendors/inspection.html", i=i, rects=rects, **LABELS)


@bp.route("/inspections/<int:site_inspection_id>/print")
@require("vendors.view")
def inspection_print(site_inspection_id):
    i, rects = _inspection(site_inspection_id)
    return render_template("vendors/inspection_print.html", i=i, rects=rects, **LABELS)


@bp.route("/contracts/<int:contract_id>/sheet/print")
@require("vendors.view")
def blank_sheet(contract_id):
    """The kind's scoring sheet, blank, to fill in on paper on site."""
    c = get_scoped_or_404(Contract, contract_id)
    return render_template("vendors/inspection_print.html", i=None, c=c, items=services.sheet(c.service_kind),
                           rects=[], **LABELS)


# -- rectification notices -----------------------------------------------------------------
@bp.route("/rectifications")
@require("vendors.view")
def rectifications():
    filters = RectificationFilter(request.args)
    today = today_local()
    stmt = scoped(Rectification, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Rectification.number.like(pat, escape="\\"), Rectification.title.like(pat, escape="\\"),
                              Rectification.contract_id.in_(select(Contract.id).where(_contract_match(filters.q.data)))))
    state = filters.state.data
    if state == "pending":
        stmt = stmt.where(Rectification.state != "closed")
    elif state == "overdue":
        stmt = stmt.where(services.overdue_filter(today))
    elif state in RECT_STATE_LABELS:
        stmt = stmt.where(Rectification.state == state)
    page = ListPage(stmt, [
        Column("number", _l("Notice number"), lambda r: r.number, Rectification.number,
               link=lambda r: url_for("vendors.rectification", rectification_id=r.id)),
        Column("title", _l("To rectify"), lambda r: r.title, css="wrap"),
        Column("vendor", _l("Vendor"), lambda r: r.contract.vendor.name, css="wrap"),
        Column("issued", _l("Issued on"), lambda r: r.issued_on, Rectification.issued_on, fmt="date"),
        Column("deadline", _l("Deadline"), lambda r: r.deadline, Rectification.deadline, fmt="date"),
        Column("state", _l("State"), lambda r: (_("Overdue") if r.is_overdue(today) else RECT_STATE_LABELS[r.state])),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Rectification.estate_id),
    ], "-issued", _("Rectification notices"), "rectification-notices")
    if fmt := page.wants_export():
        return page.export(fmt)
    overdue = db.session.scalar(services.overdue_count_query(current_estate_ids(), today))
    return render_template("vendors/list.html", page=page, result=page.page(), filters=filters, overdue=overdue,
                           title=_("Rectification notices"), reset=url_for("vendors.rectifications"))


def _notice_page(c, form, status=200):
    return render_template("vendors/form.html", form=form, title=_("Rectification notice to %(vendor)s",
                                                                   vendor=c.vendor.name),
                           cancel=url_for("vendors.contract", contract_id=c.id)), status


@bp.route("/contracts/<int:contract_id>/notice", methods=["GET", "POST"])
@require("vendors.inspect")
def new_notice(contract_id):
    c = get_scoped_or_404(Contract, contract_id)
    form = NoticeForm()
    if request.method == "GET":
        return _notice_page(c, form)
    made = {}

    def act():
        made["r"] = services.issue_notice(current_user, get_scoped_or_404(Contract, contract_id),
                                          title=form.title.data, detail=form.detail.data, deadline=form.deadline.data)
        return _("Rectification notice %(number)s issued.", number=made["r"].number)

    def page(rect_id):
        return url_for("vendors.rectification", rectification_id=rect_id)

    return record_action(form, act, redirect_to=lambda: page(made["r"].id),
                         rerender=lambda f: _notice_page(c, f, 422),
                         once=Once("vendors_rectification", lambda: made["r"].id, page, c.estate_id))


def _rect_detail(r, status=200, **forms):
    return render_template("vendors/rectification.html", r=r, today=today_local(), attachments=attachments_of(r),
                           response_form=forms.get("response_form") or ResponseForm(prefix="resp"),
                           recheck_form=forms.get("recheck_form") or RecheckForm(prefix="chk"), **LABELS), status


@bp.route("/rectifications/<int:rectification_id>")
@require("vendors.view")
def rectification(rectification_id):
    return _rect_detail(get_scoped_or_404(Rectification, rectification_id))


@bp.route("/rectifications/<int:rectification_id>/print")
@require("vendors.view")
def rectification_print(rectification_id):
    r = get_scoped_or_404(Rectification, rectification_id)
    return render_template("vendors/rectification_print.html", r=r, **LABELS)


@bp.route("/rectifications/<int:rectification_id>/response", methods=["POST"])
@require("vendors.inspect")
def respond(rectification_id):
    r = get_scoped_or_404(Rectification, rectification_id)
    form = ResponseForm(prefix="resp")

    def act():
        services.record_response(current_user, r, responded_on=form.responded_on.data,
                                 responder=form.responder.data, note=form.note.data)
        return _("The vendor's response is recorded.")

    return record_action(form, act, redirect_to=url_for("vendors.rectification", rectification_id=rectification_id),
                         flash_unplaced=True, rerender=lambda f: _rect_detail(
                             get_scoped_or_404(Rectification, rectification_id), 422, response_form=f))


@bp.route("/rectifications/<int:rectification_id>/recheck", methods=["POST"])
@require("vendors.inspect")
def do_recheck(rectification_id):
    r = get_scoped_or_404(Rectification, rectification_id)
    form = RecheckForm(prefix="chk")

    def act():
        passed = form.result.data == "passed"
        services.recheck(current_user, r, checked_on=form.checked_on.data, passed=passed, note=form.note.data or "",
                         new_deadline=form.new_deadline.data)
        return _("Re-check passed: the notice is closed.") if passed else _("Still failing: the notice is open again.")

    return record_action(form, act, redirect_to=url_for("vendors.rectification", rectification_id=rectification_id),
                         flash_unplaced=True, rerender=lambda f: _rect_detail(
                             get_scoped_or_404(Rectification, rectification_id), 422, recheck_form=f))


# -- evaluations ----------------------------------------------------------------------------
@bp.route("/evaluations")
@require("vendors.view")
def evaluations():
    filters = EvaluationFilter(request.args)
    stmt = scoped(Evaluation, estate_ids=current_estate_ids())
    if filters.q.data:
        stmt = stmt.where(Evaluation.contract_id.in_(select(Contract.id).where(_contract_match(filters.q.data))))
    if filters.state.data in EVAL_STATE_LABELS:
        stmt = stmt.where(Evaluation.state == filters.state.data)
    page = ListPage(stmt, [
        Column("month", _l("Month"), lambda e: _month_text(e.month), Evaluation.month,
               link=lambda e: url_for("vendors.evaluation", evaluation_id=e.id)),
        Column("contract", _l("Contract number"), lambda e: e.contract.number),
        Column("vendor", _l("Vendor"), lambda e: e.contract.vendor.name, css="wrap"),
        Column("inspections", _l("Number of inspections"), lambda e: e.inspections, fmt="number"),
        Column("score", _l("Acceptance score"), lambda e: e.score, Evaluation.score, fmt="area"),
        Column("state", _l("State"), lambda e: EVAL_STATE_LABELS[e.state], Evaluation.state),
        Column("estate", _l("Estate"), lambda e: e.estate.name, Evaluation.estate_id),
    ], "-month", _("Monthly evaluations"), "vendor-evaluations")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("vendors/list.html", page=page, result=page.page(), filters=filters,
                           title=_("Monthly evaluations"), reset=url_for("vendors.evaluations"))


def _eval_detail(e, status=200, form=None):
    first, nxt = services.month_bounds(e.month)
    inspections = db.session.scalars(select(Inspection).where(
        Inspection.contract_id == e.contract_id, Inspection.inspected_on >= first, Inspection.inspected_on < nxt)
        .order_by(Inspection.inspected_on, Inspection.id)).all()
    return render_template("vendors/evaluation.html", e=e, inspections=inspections, month=_month_text(e.month),
                           form=form or ConfirmForm(prefix="conf"), trend=services.trend(e.contract, today=e.month),
                           **LABELS), status


@bp.route("/evaluations/<int:evaluation_id>")
@require("vendors.view")
def evaluation(evaluation_id):
    return _eval_detail(get_scoped_or_404(Evaluation, evaluation_id))


@bp.route("/evaluations/<int:evaluation_id>/print")
@require("vendors.view")
def evaluation_print(evaluation_id):
    e = get_scoped_or_404(Evaluation, evaluation_id)
    first, nxt = services.month_bounds(e.month)
    inspections = db.session.scalars(select(Inspection).where(
        Inspection.contract_id == e.contract_id, Inspection.inspected_on >= first, Inspection.inspected_on < nxt)
        .order_by(Inspection.inspected_on, Inspection.id)).all()
    return render_template("vendors/evaluation_print.html", e=e, inspections=inspections,
                           month=_month_text(e.month), **LABELS)


@bp.route("/evaluations/<int:evaluation_id>/<any(recompute, confirm):action>", methods=["POST"])
@require("vendors.evaluate")
def evaluation_action(evaluation_id, action):
    e = get_scoped_or_404(Evaluation, evaluation_id)
    form = ConfirmForm(prefix="conf")

    def act():
        if action == "confirm":
            services.confirm(current_user, e, form.note.data or "")
            return _("Evaluation confirmed: %(score)s points.", score=e.score)
        services.recompute(current_user, e)
        return _("Evaluation recomputed.")

    return record_action(form, act, redirect_to=url_for("vendors.evaluation", evaluation_id=evaluation_id),
                         flash_unplaced=True,
                         rerender=lambda f: _eval_detail(get_scoped_or_404(Evaluation, evaluation_id), 422, f))


# -- scoring sheets -------------------------------------------------------------------------
@bp.route("/sheets")
@require("vendors.view")
def sheets():
    return render_template("vendors/sheets.html", sheets=[(k, services.sheet(k)) for k in SERVICE_KINDS],
                           **LABELS)


def _sheet_page(kind, form, status=200):
    return render_template("vendors/sheet_form.html", kind=kind, form=form, rows=range(SHEET_ROWS),
                           **LABELS), status


@bp.route("/sheets/<kind>", methods=["GET", "POST"])
@require("vendors.manage")
def edit_sheet(kind):
    if kind not in SERVICE_KINDS:
        abort(404)
    form = SheetForm()
    if request.method == "GET":
        for n, item in enumerate(services.sheet(kind)[:SHEET_ROWS]):
            form[f"title_{n}"].data = item.title
            form[f"standard_{n}"].data = item.standard
            form[f"weight_{n}"].data = str(item.weight)
        return _sheet_page(kind, form)
    if not has_permission("vendors.manage"):
        abort(403)

    def act():
        services.save_sheet(current_user, kind, [
            (form[f"title_{n}"].data, form[f"standard_{n}"].data, form[f"weight_{n}"].data) for n in range(SHEET_ROWS)])
        return _("Scoring sheet of %(kind)s saved.", kind=KIND_LABELS[kind])

    return record_action(form, act, redirect_to=url_for("vendors.sheets"), rerender=lambda f: _sheet_page(kind, f, 422))

