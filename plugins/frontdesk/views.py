"""Front desk pages: goods-out passes (apply, approve, print, the gate), enquiries and calls,
mail and parcels, visitors, dog licences, vehicle passes, certificates and the daily work log.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.frontdesk.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from core import callers
from core.actions import Once, record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import mask_phone, to_local, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Unit, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.frontdesk import services
from plugins.frontdesk.forms import (
    APPLICANT_LABELS,
    CERTIFICATE_LABELS,
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    PARCEL_LABELS,
    PASS_STATE_LABELS,
    SHIFT_LABELS,
    TOPIC_LABELS,
    CertificateForm,
    CollectForm,
    DecisionForm,
    EnquiryFilter,
    EnquiryForm,
    GateForm,
    LicenceForm,
    LogForm,
    ParcelFilter,
    ParcelForm,
    PassFilter,
    PassForm,
    ReturnForm,
    SimpleFilter,
    VehicleFilter,
    VehicleForm,
    VisitorForm,
)
from plugins.frontdesk.models import (
    ENQUIRY_OUTCOMES,
    ENQUIRY_TOPICS,
    PASS_STATES,
    Certificate,
    DogLicence,
    Enquiry,
    GoodsPass,
    Parcel,
    VehiclePass,
    Visitor,
    WorkLogEntry,
)

bp = Blueprint("frontdesk", __name__, template_folder="templates")

LABELS = dict(applicants=APPLICANT_LABELS, pass_states=PASS_STATE_LABELS, channels=CHANNEL_LABELS,
              topics=TOPIC_LABELS, outcomes=OUTCOME_LABELS, parcel_kinds=PARCEL_LABELS,
              certificates=CERTIFICATE_LABELS, shifts=SHIFT_LABELS)


def _phone(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_phone(value or "")


def _value(choice):
    """The value of a select choice (a ``SelectChoice`` or a pair)."""
    return getattr(choice, "value", None) if not isinstance(choice, tuple) else choice[0]


def _tz(estate_id) -> str:
    estate = db.session.get(Estate, estate_id) if estate_id else None
    return (estate.timezone if estate else None) or "Asia/Shanghai"


def local_to_utc(value: datetime | None, estate_id) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(_tz(estate_id))).astimezone(UTC)


def _default_estate(form):
    form.estate_id.choices = estate_choices()
    if request.method == "GET" and not form.estate_id.data:
        ids = current_estate_ids()
        form.estate_id.data = ids[0] if ids else None


def _own_estate(form) -> int | None:
    return form.estate_id.data if form.estate_id.data in user_estate_ids() else None


def _unit_ids_like(pat):
    return select(Unit.id).where(Unit.estate_id.in_(current_estate_ids() or [0]), Unit.number.like(pat, escape="\\"))


#: Rows on one printed register at most (narrow it with the filters).
PRINT_MAX = 1000


def _print_url() -> str:
    return url_for(request.endpoint, **{**request.args.to_dict(), "print": "1"})


def _printed(page):
    """The list as a printed register (A4, the filters and order of the page), or None when the
    request does not ask for it (``print=1``)."""
    if request.args.get("print") != "1":
        return None
    pk = page.stmt.column_descriptions[0]["entity"].__mapper__.primary_key[0]
    ids = db.session.scalars(page.sorted_stmt().with_only_columns(pk).limit(PRINT_MAX)).all()
    return render_template("frontdesk/register_print.html", page=page, rows=page.rows_for(ids), max=PRINT_MAX)


def _page(template, page, filters, **kw):
    if fmt := page.wants_export():
        return page.export(fmt)
    if (printed := _printed(page)) is not None:
        return printed
    return render_template(template, page=page, result=page.page(), filters=filters, print_url=_print_url(),
                           **LABELS, **kw)


def _register(template, page, filters, form, act, redirect_to, **kw):
    """A register's page: its list (exported or printed on request) above the form that adds an
    entry. A refused entry shows the page again with the form's errors (422); a user who may
    only look gets the page with 403 on a POST."""
    def render(f, status=200):
        if request.method == "GET":
            return _page(template, page, filters, form=f, **kw)
        return render_template(template, page=page, result=page.page(), filters=filters, form=f,
                               print_url=_print_url(), **LABELS, **kw), status

    if request.method == "GET":
        return render(form)
    if not has_permission("frontdesk.record"):
        return render(form, 403)
    return record_action(form, act, redirect_to=redirect_to, rerender=lambda f: render(f, 422))


def _form_page(form, title, status=200, lookup=None, intro=None, cancel=None, template="frontdesk/form.html"):
    return render_template(template, form=form, title=title, lookup=lookup, intro=intro,
                           cancel=cancel or url_for("frontdesk.index"), **LABELS), status


def _with_caller(form):
    """The caller block (core.callers): residents of the unit typed, or with the phone typed."""
    lookup = callers.look_up(form.estate_id.data, form.unit_number.data or "", form.contact_phone.data or "",
                             form.resident_id.data)
    form.resident_id.choices = callers.choices(lookup)
    return lookup


def _unit_of_caller(form) -> str:
    if not form.unit_number.data and (home := callers.unit_of_caller(form.estate_id.data, form.resident_id.data)):
        return home.number
    return form.unit_number.data or ""


# -- the desk --------------------------------------------------------------------------------------
@bp.route("/")
@require("frontdesk.view")
def index():
    ids = current_estate_ids() or [0]
    counts = dict(
        passes=db.session.scalar(services.pending_passes_query(ids)),
        approved=db.session.scalar(select(func.count()).select_from(GoodsPass).where(
            GoodsPass.estate_id.in_(ids), GoodsPass.state == "approved")),
        parcels=db.session.scalar(select(func.count()).select_from(Parcel).where(
            Parcel.estate_id.in_(ids), services.waiting_filter())),
        visitors=db.session.scalar(select(func.count()).select_from(Visitor).where(
            Visitor.estate_id.in_(ids), Visitor.left_at.is_(None))),
        licences=len(services.licences_expiring(ids)),
    )
    return render_template("frontdesk/index.html", counts=counts)


# -- goods-out passes ---------------------------------------------------------------------------------
def filtered_passes(filters: PassFilter):
    stmt = scoped(GoodsPass, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(GoodsPass.number.like(pat, escape="\\"), GoodsPass.applicant_name.like(pat, escape="\\"),
                              GoodsPass.vehicle_plate.like(pat.upper(), escape="\\"),
                              GoodsPass.unit_id.in_(_unit_ids_like(pat))))
    if filters.state.data in PASS_STATES:
        stmt = stmt.where(GoodsPass.state == filters.state.data)
    return stmt


@bp.route("/passes")
@require("frontdesk.view")
def passes():
    filters = PassFilter(request.args)
    page = ListPage(filtered_passes(filters), [
        Column("number", _l("Pass number"), lambda r: r.number or "—", GoodsPass.number,
               link=lambda r: url_for("frontdesk.pass_detail", pass_id=r.id)),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("applicant", _l("Applicant"), lambda r: f"{r.applicant_name} ({APPLICANT_LABELS[r.applicant_kind]})",
               GoodsPass.applicant_name, css="wrap"),
        Column("state", _l("State"), lambda r: PASS_STATE_LABELS.get(r.state, r.state), GoodsPass.state),
        Column("goods", _l("Goods"), lambda r: r.goods, css="wrap"),
        Column("valid_from", _l("Valid from"), lambda r: r.valid_from, GoodsPass.valid_from, fmt="date", show="xxl"),
        Column("valid_until", _l("Valid until"), lambda r: r.valid_until, GoodsPass.valid_until, fmt="date"),
        Column("plate", _l("Vehicle plate"), lambda r: r.vehicle_plate, show="xxl"),
        Column("applied_at", _l("Applied at"), lambda r: r.applied_at, GoodsPass.applied_at, fmt="datetime", show="xxl"),
        Column("used_at", _l("Used at"), lambda r: r.use.used_at if r.use else None, fmt="datetime", show="xxl"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, GoodsPass.estate_id),
    ], "-applied_at", _("Goods-out passes"), "goods-out-passes")
    return _page("frontdesk/passes.html", page, filters)


@bp.route("/passes/new", methods=["GET", "POST"])
@require("frontdesk.record")
def pass_new():
    form = PassForm() if request.method == "POST" else PassForm(formdata=None)
    _default_estate(form)
    if request.method == "GET":
        unit = get_scoped_or_404(Unit, request.args["unit_id"]) if request.args.get("unit_id", "").isdigit() else None
        if unit is not None:
            form.estate_id.data, form.unit_number.data = unit.estate_id, unit.number
        form.valid_from.data = form.valid_until.data = today_local()
    lookup = _with_caller(form)
    title = _("Apply for a goods-out pass")
    if request.method == "GET":
        return _form_page(form, title, lookup=lookup, template="frontdesk/pass_form.html")
    made = {}

    def act():
        made["p"] = services.apply_pass(
            current_user, estate_id=form.estate_id.data, unit_number=_unit_of_caller(form),
            applicant_kind=form.applicant_kind.data, applicant_name=form.contact_name.data or "",
            applicant_phone=form.contact_phone.data or "", resident_id=form.resident_id.data, goods=form.goods.data,
            vehicle_plate=form.vehicle_plate.data or "", valid_from=form.valid_from.data,
            valid_until=form.valid_until.data, owner_consent_name=form.owner_consent_name.data or "",
            owner_consent_note=form.owner_consent_note.data or "")
        return _("Application recorded: the office approves it before the pass is printed.")

    def detail(pass_id):
        return url_for("frontdesk.pass_detail", pass_id=pass_id)

    return record_action(form, act, redirect_to=lambda: detail(made["p"].id),
                         rerender=lambda f: _form_page(f, title, 422, lookup=_with_caller(f),
                                                       template="frontdesk/pass_form.html"),
                         once=Once("frontdesk_pass", lambda: made["p"].id, detail, _own_estate(form)))


def _pass_page(row, status=200, gate_form=None):
    return render_template("frontdesk/pass_detail.html", p=row, phone=_phone,
                           decision_form=DecisionForm(prefix="decision"),
                           gate_form=gate_form or GateForm(prefix="gate"), **LABELS), status


@bp.route("/passes/<int:pass_id>")
@require("frontdesk.view")
def pass_detail(pass_id):
    return _pass_page(get_scoped_or_404(GoodsPass, pass_id))


@bp.route("/passes/<int:pass_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("frontdesk.approve")
def pass_decide(pass_id, decision):
    row = get_scoped_or_404(GoodsPass, pass_id)
    form = DecisionForm(prefix="decision")

    def act():
        services.decide_pass(current_user, row, approve=decision == "approve", note=form.note.data or "")
        return (_("Pass %(number)s approved: print it for the applicant.", number=row.number)
                if decision == "approve" else _("Application refused."))

    return record_action(form, act, redirect_to=url_for("frontdesk.pass_detail", pass_id=pass_id),
                         flash_unplaced=True,
                         rerender=lambda f: _pass_page(get_scoped_or_404(GoodsPass, pass_id), 422))


@bp.route("/passes/<int:pass_id>/print")
@require("frontdesk.view")
def pass_print(pass_id):
    """The pass handed to the applicant. An approved pass carries a QR code of the gate's page for
    it: the guard's phone opens the gate form with the estate and the number filled in."""
    row = get_scoped_or_404(GoodsPass, pass_id)
    qr = None
    if row.state == "approved" and row.number:
        from core.qr import qr_svg

        qr = qr_svg(gate_url(row), "pass-qr")
    return render_template("frontdesk/pass_print.html", p=row, qr=qr, **LABELS)


def gate_url(row: GoodsPass) -> str:
    """The address a pass's QR code holds: the gate form for that pass (this site's own, as the
    request reached it)."""
    return url_for("frontdesk.gate", estate=row.estate_id, number=row.number, _external=True)


@bp.route("/passes/<int:pass_id>/use", methods=["POST"])
@require("frontdesk.gate")
def pass_use(pass_id):
    row = get_scoped_or_404(GoodsPass, pass_id)
    form = GateForm(prefix="gate")
    del form.estate_id, form.number

    def act():
        services.use_pass(current_user, row, gate=form.gate.data or "", note=form.note.data or "")
        return _("Pass %(number)s marked used: the goods may go out.", number=row.number)

    return record_action(form, act, redirect_to=url_for("frontdesk.pass_detail", pass_id=pass_id),
                         flash_unplaced=True,
                         rerender=lambda f: _pass_page(get_scoped_or_404(GoodsPass, pass_id), 422))


def _gate_page(form, status=200):
    return render_template("frontdesk/gate.html", form=form), status


@bp.route("/gate", methods=["GET", "POST"])
@require("frontdesk.gate")
def gate():
    """The guard types (or scans) the pass number and marks it used."""
    form = GateForm()
    _default_estate(form)
    if request.method == "GET":
        form.number.data = request.args.get("number", "")[:30]
        estate = request.args.get("estate", "")
        if estate.isdigit() and int(estate) in user_estate_ids():  # a pass's QR code names its estate
            form.estate_id.data = int(estate)
        return _gate_page(form)
    made = {}

    def act():
        if form.estate_id.data not in user_estate_ids():
            raise DomainError(_("Choose one of your estates."), "estate_id")
        row = services.find_pass(current_user, form.estate_id.data, form.number.data)
        made["p"] = row
        services.use_pass(current_user, row, gate=form.gate.data or "", note=form.note.data or "")
        return _("Pass %(number)s marked used: the goods may go out.", number=row.number)

    return record_action(form, act, redirect_to=lambda: url_for("frontdesk.pass_detail", pass_id=made["p"].id),
                         rerender=lambda f: _gate_page(f, 422))


# -- enquiries and calls ------------------------------------------------------------------------------
def filtered_enquiries(filters: EnquiryFilter):
    stmt = scoped(Enquiry, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Enquiry.contact_name.like(pat, escape="\\"), Enquiry.contact_phone.like(pat, escape="\\"),
                              Enquiry.forwarded_number.like(pat, escape="\\"),
                              Enquiry.unit_id.in_(_unit_ids_like(pat))))
    if filters.topic.data in ENQUIRY_TOPICS:
        stmt = stmt.where(Enquiry.topic == filters.topic.data)
    if filters.outcome.data in ENQUIRY_OUTCOMES:
        stmt = stmt.where(Enquiry.outcome == filters.outcome.data)
    return stmt


def _case(row: Enquiry) -> dict | None:
    """The repair or complaint a forwarded enquiry became, as the user may see it now:
    ``{"url", "label"}`` (its own page and its translated state) through the partner's documented
    read service (repairs' ``repair_states``, complaints' ``complaint_states``), or None when the
    plugin is disabled or the case is not the user's to see. Looked up once per request."""
    number = row.forwarded_number
    if not number:
        return None
    cache = g.setdefault("frontdesk_cases", {})
    key = (row.estate_id, number)
    if key not in cache:
        found = None
        if number.startswith("BX-") and services.repairs_on():
            from plugins.repairs import services as repairs  # documented: repair_states (read-only)

            hit = repairs.repair_states(current_user, row.estate_id, [number]).get(number)
            if hit is not None:
                found = {"url": url_for("repairs.detail", repair_id=hit["id"]), "label": hit["label"]}
        elif number.startswith("TS-") and services.complaints_on():
            # documented read service: complaint_states
            from plugins.complaints import services as complaints

            hit = complaints.complaint_states(current_user, row.estate_id, [number]).get(number)
            if hit is not None:
                found = {"url": hit["url"], "label": hit["label"]}
        cache[key] = found
    return cache[key]


def _case_link(row: Enquiry) -> str | None:
    case = _case(row)
    return case["url"] if case else None


@bp.route("/enquiries")
@require("frontdesk.view")
def enquiries():
    filters = EnquiryFilter(request.args)
    page = ListPage(filtered_enquiries(filters), [
        Column("received_at", _l("Date and time"), lambda r: r.received_at, Enquiry.received_at, fmt="datetime",
               link=lambda r: url_for("frontdesk.enquiry_detail", enquiry_id=r.id)),
        Column("caller", _l("Caller"), lambda r: r.contact_name, Enquiry.contact_name, show="always"),
        Column("phone", _l("Phone"), lambda r: _phone(r.contact_phone)),
        Column("unit", _l("Unit"), lambda r: r.unit.number if r.unit else ""),
        Column("topic", _l("Topic"), lambda r: TOPIC_LABELS.get(r.topic, r.topic), Enquiry.topic),
        Column("question", _l("What was asked"), lambda r: r.question, css="wrap"),
        Column("state", _l("Outcome"), lambda r: OUTCOME_LABELS.get(r.outcome, r.outcome), Enquiry.outcome),
        Column("forwarded", _l("Case number"), lambda r: r.forwarded_number, Enquiry.forwarded_number,
               link=lambda r: _case_link(r) or url_for("frontdesk.enquiry_detail", enquiry_id=r.id)),
        Column("channel", _l("Channel"), lambda r: CHANNEL_LABELS.get(r.channel, r.channel)),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Enquiry.estate_id),
    ], "-received_at", _("Enquiries and calls"), "enquiries")
    return _page("frontdesk/enquiries.html", page, filters)


def _enquiry_outcomes(form):
    """Forwarding is offered only when the partner plugin is enabled."""
    keep = {"answered", "message"} | ({"repair"} if services.repairs_on() else set()) \
        | ({"complaint"} if services.complaints_on() else set())
    form.outcome.choices = [c for c in form.outcome.choices if _value(c) in keep]


@bp.route("/enquiries/new", methods=["GET", "POST"])
@require("frontdesk.record")
def enquiry_new():
    form = EnquiryForm() if request.method == "POST" else EnquiryForm(formdata=None)
    _default_estate(form)
    _enquiry_outcomes(form)
    if request.method == "GET":
        form.received_at.data = to_local(utcnow(), _tz(form.estate_id.data)).replace(
            tzinfo=None, second=0, microsecond=0)
    lookup = _with_caller(form)
    title = _("Record an enquiry or call")
    if request.method == "GET":
        return _form_page(form, title, lookup=lookup, template="frontdesk/enquiry_form.html")
    made = {}

    def act():
        made["e"] = services.record_enquiry(
            current_user, estate_id=form.estate_id.data, channel=form.channel.data, topic=form.topic.data,
            question=form.question.data, answer=form.answer.data or "", outcome=form.outcome.data,
            contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
            unit_number=_unit_of_caller(form), resident_id=form.resident_id.data,
            received_at=local_to_utc(form.received_at.data, form.estate_id.data))
        if made["e"].forwarded_number:
            return _("Enquiry recorded and forwarded as %(number)s.", number=made["e"].forwarded_number)
        return _("Enquiry recorded.")

    def detail(enquiry_id):
        return url_for("frontdesk.enquiry_detail", enquiry_id=enquiry_id)

    return record_action(form, act, redirect_to=lambda: detail(made["e"].id),
                         rerender=lambda f: _form_page(f, title, 422, lookup=_with_caller(f),
                                                       template="frontdesk/enquiry_form.html"),
                         once=Once("frontdesk_enquiry", lambda: made["e"].id, detail, _own_estate(form)))


@bp.route("/enquiries/<int:enquiry_id>")
@require("frontdesk.view")
def enquiry_detail(enquiry_id):
    row = get_scoped_or_404(Enquiry, enquiry_id)
    return render_template("frontdesk/enquiry_detail.html", e=row, phone=_phone, case=_case(row), **LABELS)


# -- mail and parcels -------------------------------------------------------------------------------
def filtered_parcels(filters: ParcelFilter):
    stmt = scoped(Parcel, estate_ids=current_estate_ids())
    scope = filters.scope.data or "waiting"
    if scope == "waiting":
        stmt = stmt.where(services.waiting_filter())
    elif scope == "overdue":
        stmt = stmt.where(services.waiting_filter(), Parcel.flagged_at.is_not(None))
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Parcel.number.like(pat, escape="\\"), Parcel.recipient_name.like(pat, escape="\\"),
                              Parcel.tracking_number.like(pat, escape="\\"), Parcel.unit_id.in_(_unit_ids_like(pat))))
    return stmt


def _parcel_state(r) -> str:
    if r.collected_at is not None:
        return pgettext("parcel", "Collected")
    return _("Not collected in time") if r.flagged_at or services.is_overdue(r) else _("Waiting")


@bp.route("/parcels")
@require("frontdesk.view")
def parcels():
    filters = ParcelFilter(request.args)
    if not filters.scope.data:
        filters.scope.data = "waiting"
    page = ListPage(filtered_parcels(filters), [
        Column("number", _l("Parcel number"), lambda r: r.number, Parcel.number,
               link=lambda r: url_for("frontdesk.parcel_detail", parcel_id=r.id)),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("recipient", _l("Recipient"), lambda r: r.recipient_name, Parcel.recipient_name, show="always"),
        Column("state", _l("State"), _parcel_state),
        Column("kind", _l("Kind"), lambda r: PARCEL_LABELS.get(r.kind, r.kind), Parcel.kind),
        Column("carrier", _l("Carrier"), lambda r: r.carrier, show="xxl"),
        Column("tracking", _l("Tracking number"), lambda r: r.tracking_number, Parcel.tracking_number, show="xxl"),
        Column("shelf", _l("Shelf"), lambda r: r.shelf, Parcel.shelf),
        Column("received_at", _l("Received at"), lambda r: r.received_at, Parcel.received_at, fmt="datetime"),
        Column("notified", _l("Times told"), lambda r: r.notified_count, fmt="number", show="xxl"),
        Column("collected_at", _l("Collected at"), lambda r: r.collected_at, Parcel.collected_at, fmt="datetime"),
        Column("collector", _l("Collected by (signature)"), lambda r: r.collector_name, show="xxl"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Parcel.estate_id),
    ], "-received_at", _("Mail and parcels"), "parcels")
    return _page("frontdesk/parcels.html", page, filters)


@bp.route("/parcels/new", methods=["GET", "POST"])
@require("frontdesk.record")
def parcel_new():
    form = ParcelForm() if request.method == "POST" else ParcelForm(formdata=None)
    _default_estate(form)
    lookup = _with_caller(form)
    title = _("Log mail or a parcel")
    if request.method == "GET":
        return _form_page(form, title, lookup=lookup, template="frontdesk/parcel_form.html")
    made = {}

    def act():
        made["p"] = services.receive_parcel(
            current_user, estate_id=form.estate_id.data, unit_number=_unit_of_caller(form),
            recipient_name=form.contact_name.data or "", recipient_phone=form.contact_phone.data or "",
            resident_id=form.resident_id.data, kind=form.kind.data, carrier=form.carrier.data or "",
            tracking_number=form.tracking_number.data or "", shelf=form.shelf.data or "")
        return _("Parcel %(number)s logged: tell the recipient.", number=made["p"].number)

    def detail(parcel_id):
        return url_for("frontdesk.parcel_detail", parcel_id=parcel_id)

    return record_action(form, act, redirect_to=lambda: detail(made["p"].id),
                         rerender=lambda f: _form_page(f, title, 422, lookup=_with_caller(f),
                                                       template="frontdesk/parcel_form.html"),
                         once=Once("frontdesk_parcel", lambda: made["p"].id, detail, _own_estate(form)))


def _parcel_page(row, status=200, collect_form=None):
    return render_template("frontdesk/parcel_detail.html", p=row, phone=_phone, state=_parcel_state(row),
                           collect_form=collect_form or CollectForm(), **LABELS), status


@bp.route("/parcels/<int:parcel_id>")
@require("frontdesk.view")
def parcel_detail(parcel_id):
    return _parcel_page(get_scoped_or_404(Parcel, parcel_id))


@bp.route("/parcels/<int:parcel_id>/notify", methods=["POST"])
@require("frontdesk.record")
def parcel_notify(parcel_id):
    row = get_scoped_or_404(Parcel, parcel_id)

    def act():
        services.notify_parcel(current_user, row)
        return _("Noted: the recipient was told.")

    back = url_for("frontdesk.parcel_detail", parcel_id=parcel_id)
    return record_action(None, act, redirect_to=back, flash_unplaced=True, rerender=lambda _f: redirect(back))


@bp.route("/parcels/<int:parcel_id>/collect", methods=["POST"])
@require("frontdesk.record")
def parcel_collect(parcel_id):
    row = get_scoped_or_404(Parcel, parcel_id)
    form = CollectForm()

    def act():
        services.collect_parcel(current_user, row, collector_name=form.collector_name.data)
        return _("Parcel %(number)s collected by %(name)s.", number=row.number, name=row.collector_name)

    return record_action(form, act, redirect_to=url_for("frontdesk.parcel_detail", parcel_id=parcel_id),
                         flash_unplaced=True,
                         rerender=lambda f: _parcel_page(get_scoped_or_404(Parcel, parcel_id), 422, f))


@bp.route("/parcels/print")
@require("frontdesk.view")
def parcels_print():
    """The parcels waiting, on A4, with a column for the collector's signature."""
    rows = db.session.scalars(scoped(Parcel, estate_ids=current_estate_ids()).where(services.waiting_filter())
                              .order_by(Parcel.received_at, Parcel.id).limit(2000)).all()
    return render_template("frontdesk/parcels_print.html", rows=rows, **LABELS)


# -- visitors ------------------------------------------------------------------------------------------
def _simple_list(model, filters, search_cols):
    stmt = scoped(model, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        conds = [c.like(pat, escape="\\") for c in search_cols]
        if hasattr(model, "unit_id"):
            conds.append(model.unit_id.in_(_unit_ids_like(pat)))
        stmt = stmt.where(or_(*conds))
    return stmt


@bp.route("/visitors", methods=["GET", "POST"])
@require("frontdesk.view")
def visitors():
    filters = SimpleFilter(request.args)
    form = VisitorForm() if request.method == "POST" else VisitorForm(formdata=None)
    _default_estate(form)
    page = ListPage(_simple_list(Visitor, filters, [Visitor.visitor_name, Visitor.vehicle_plate, Visitor.host_name]), [
        Column("arrived_at", _l("Arrived at"), lambda r: r.arrived_at, Visitor.arrived_at, fmt="datetime"),
        Column("visitor", lazy_pgettext("visitor register", "Visitor"), lambda r: r.visitor_name, Visitor.visitor_name, show="always"),
        Column("unit", _l("Visiting unit"), lambda r: r.unit.number if r.unit else ""),
        Column("host", _l("Visiting whom"), lambda r: r.host_name),
        Column("purpose", _l("Purpose"), lambda r: r.purpose, css="wrap"),
        Column("plate", _l("Vehicle plate"), lambda r: r.vehicle_plate, Visitor.vehicle_plate),
        Column("phone", _l("Phone"), lambda r: _phone(r.visitor_phone)),
        Column("state", _l("Left at"), lambda r: r.left_at, Visitor.left_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Visitor.estate_id),
    ], "-arrived_at", _("Visitor register"), "visitors")

    def act():
        row = services.register_visitor(
            current_user, estate_id=form.estate_id.data, visitor_name=form.visitor_name.data,
            visitor_phone=form.visitor_phone.data or "", unit_number=form.unit_number.data or "",
            host_name=form.host_name.data or "", purpose=form.purpose.data, vehicle_plate=form.vehicle_plate.data or "")
        return _("Visitor %(name)s registered.", name=row.visitor_name)

    return _register("frontdesk/visitors.html", page, filters, form, act, url_for("frontdesk.visitors"))


@bp.route("/visitors/<int:visitor_id>/left", methods=["POST"])
@require("frontdesk.record")
def visitor_left(visitor_id):
    row = get_scoped_or_404(Visitor, visitor_id)

    def act():
        services.visitor_left(current_user, row)
        return _("Departure of %(name)s recorded.", name=row.visitor_name)

    back = url_for("frontdesk.visitors")
    return record_action(None, act, redirect_to=back, flash_unplaced=True, rerender=lambda _f: redirect(back))


# -- dog licences --------------------------------------------------------------------------------------
@bp.route("/licences", methods=["GET", "POST"])
@require("frontdesk.view")
def licences():
    filters = SimpleFilter(request.args)
    form = LicenceForm() if request.method == "POST" else LicenceForm(formdata=None)
    _default_estate(form)
    today = today_local()
    page = ListPage(_simple_list(DogLicence, filters, [DogLicence.licence_number, DogLicence.owner_name,
                                                       DogLicence.breed]), [
        Column("number", _l("Licence number"), lambda r: r.licence_number, DogLicence.licence_number,
               link=lambda r: url_for("frontdesk.licence_print", dog_licence_id=r.id)),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("owner", _l("Dog owner"), lambda r: r.owner_name, DogLicence.owner_name),
        Column("dog", _l("Dog"), lambda r: " · ".join(x for x in (r.dog_name, r.breed, r.colour) if x)),
        Column("vaccinated_on", _l("Rabies vaccination on"), lambda r: r.vaccinated_on, DogLicence.vaccinated_on,
               fmt="date"),
        Column("valid_from", _l("Valid from"), lambda r: r.valid_from, DogLicence.valid_from, fmt="date"),
        Column("due", _l("Expires on"), lambda r: r.valid_until, DogLicence.valid_until, fmt="date"),
        Column("state", _l("State"), lambda r: _("Expired") if r.valid_until < today else (
            _("Expires soon") if r.valid_until <= today + timedelta(days=services.licence_days(r.estate_id))
            else _("Valid"))),
        Column("estate", _l("Estate"), lambda r: r.estate.name, DogLicence.estate_id),
    ], "due", _("Dog licences"), "dog-licences")

    def act():
        row = services.register_licence(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data,
            licence_number=form.licence_number.data, owner_name=form.owner_name.data,
            owner_phone=form.owner_phone.data or "", dog_name=form.dog_name.data or "", breed=form.breed.data,
            colour=form.colour.data or "", vaccinated_on=form.vaccinated_on.data, valid_from=form.valid_from.data,
            valid_until=form.valid_until.data)
        return _("Dog licence %(number)s registered.", number=row.licence_number)

    return _register("frontdesk/licences.html", page, filters, form, act, url_for("frontdesk.licences"))


@bp.route("/licences/<int:dog_licence_id>/print")
@require("frontdesk.view")
def licence_print(dog_licence_id):
    """The licence card handed to the dog's owner (A4, with the office's seal)."""
    row = get_scoped_or_404(DogLicence, dog_licence_id)
    return render_template("frontdesk/licence_print.html", d=row,
                           expired=row.valid_until < today_local(), **LABELS)


# -- vehicle passes -----------------------------------------------------------------------------------
@bp.route("/vehicles", methods=["GET", "POST"])
@require("frontdesk.view")
def vehicles():
    filters = VehicleFilter(request.args)
    if not filters.scope.data:
        filters.scope.data = "held"
    form = VehicleForm() if request.method == "POST" else VehicleForm(formdata=None)
    _default_estate(form)
    stmt = _simple_list(VehiclePass, filters, [VehiclePass.number, VehiclePass.plate, VehiclePass.card_number,
                                               VehiclePass.holder_name])
    if filters.scope.data == "held":
        stmt = stmt.where(VehiclePass.returned_on.is_(None))
    elif filters.scope.data == "returned":
        stmt = stmt.where(VehiclePass.returned_on.is_not(None))
    page = ListPage(stmt, [
        Column("number", _l("Pass number"), lambda r: r.number, VehiclePass.number,
               link=lambda r: url_for("frontdesk.vehicle_print", vehicle_id=r.id)),
        Column("plate", _l("Plate number"), lambda r: r.plate, VehiclePass.plate, show="always"),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("holder", _l("Holder"), lambda r: r.holder_name, VehiclePass.holder_name),
        Column("card", _l("Access card number"), lambda r: r.card_number),
        Column("issued_on", lazy_pgettext("vehicle pass", "Issued on"), lambda r: r.issued_on, VehiclePass.issued_on, fmt="date"),
        Column("due", _l("Valid until"), lambda r: r.valid_until, VehiclePass.valid_until, fmt="date"),
        Column("returned_on", _l("Returned on"), lambda r: r.returned_on, VehiclePass.returned_on, fmt="date"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, VehiclePass.estate_id),
    ], "-issued_on", _("Vehicle passes and cards"), "vehicle-passes")

    def act():
        row = services.issue_vehicle_pass(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data,
            holder_name=form.holder_name.data, holder_phone=form.holder_phone.data or "", plate=form.plate.data,
            card_number=form.card_number.data or "", valid_until=form.valid_until.data)
        return _("Vehicle pass %(number)s issued for %(plate)s.", number=row.number, plate=row.plate)

    return _register("frontdesk/vehicles.html", page, filters, form, act, url_for("frontdesk.vehicles"),
                     return_form=ReturnForm())


@bp.route("/vehicles/<int:vehicle_id>/print")
@require("frontdesk.view")
def vehicle_print(vehicle_id):
    """The vehicle pass handed to its holder (A4, with the office's seal); a returned pass says so."""
    row = get_scoped_or_404(VehiclePass, vehicle_id)
    return render_template("frontdesk/vehicle_print.html", v=row, **LABELS)


@bp.route("/vehicles/<int:vehicle_id>/return", methods=["POST"])
@require("frontdesk.record")
def vehicle_return(vehicle_id):
    row = get_scoped_or_404(VehiclePass, vehicle_id)
    form = ReturnForm()

    def act():
        services.return_vehicle_pass(current_user, row, form.note.data or "")
        return _("Vehicle pass %(number)s returned.", number=row.number)

    back = url_for("frontdesk.vehicles")
    return record_action(form, act, redirect_to=back, flash_unplaced=True, rerender=lambda _f: redirect(back))


# -- certificates ---------------------------------------------------------------------------------------
@bp.route("/certificates", methods=["GET", "POST"])
@require("frontdesk.view")
def certificates():
    filters = SimpleFilter(request.args)
    form = CertificateForm() if request.method == "POST" else CertificateForm(formdata=None)
    _default_estate(form)
    if not services.fees_on():
        form.kind.choices = [c for c in form.kind.choices if _value(c) != "fee_status"]
    page = ListPage(_simple_list(Certificate, filters, [Certificate.number, Certificate.applicant_name]), [
        Column("number", _l("Certificate number"), lambda r: r.number, Certificate.number,
               link=lambda r: url_for("frontdesk.certificate_print", certificate_id=r.id)),
        Column("kind", _l("Certificate"), lambda r: CERTIFICATE_LABELS.get(r.kind, r.kind), Certificate.kind),
        Column("unit", _l("Unit"), lambda r: r.unit.number),
        Column("applicant", _l("Applicant"), lambda r: r.applicant_name, Certificate.applicant_name, show="always"),
        Column("purpose", _l("Purpose"), lambda r: r.purpose, css="wrap"),
        Column("issued_at", lazy_pgettext("certificate", "Issued at"), lambda r: r.issued_at, Certificate.issued_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Certificate.estate_id),
    ], "-issued_at", _("Certificates"), "certificates")

    made = {}

    def act():
        made["c"] = services.issue_certificate(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data, kind=form.kind.data,
            applicant_name=form.applicant_name.data, purpose=form.purpose.data or "")
        return _("Certificate %(number)s issued: print it.", number=made["c"].number)

    return _register("frontdesk/certificates.html", page, filters, form, act,
                     lambda: url_for("frontdesk.certificate_print", certificate_id=made["c"].id))


@bp.route("/certificates/<int:certificate_id>")
@require("frontdesk.view")
def certificate_print(certificate_id):
    row = get_scoped_or_404(Certificate, certificate_id)
    return render_template("frontdesk/certificate_print.html", c=row, **LABELS)


# -- the daily work log ----------------------------------------------------------------------------------
def _day(raw) -> date:
    try:
        return date.fromisoformat((raw or "")[:10])
    except ValueError:
        return today_local()


def _log_rows(day):
    return db.session.scalars(scoped(WorkLogEntry, estate_ids=current_estate_ids())
                              .where(WorkLogEntry.day == day).order_by(WorkLogEntry.id)).all()


@bp.route("/log", methods=["GET", "POST"])
@require("frontdesk.view")
def log():
    day = _day(request.args.get("day"))
    form = LogForm() if request.method == "POST" else LogForm(formdata=None)
    _default_estate(form)
    if request.method == "GET":
        form.day.data = day

    def render(f, status=200):
        return render_template("frontdesk/log.html", rows=_log_rows(day), day=day, form=f, **LABELS), status

    if request.method == "GET":
        return render(form)
    if not has_permission("frontdesk.record"):
        return render(form, 403)
    made = {}

    def act():
        made["r"] = services.write_log(current_user, estate_id=form.estate_id.data, day=form.day.data,
                                       shift=form.shift.data, text=form.text.data)
        return _("Added to the work log.")

    return record_action(form, act, redirect_to=lambda: url_for("frontdesk.log", day=made["r"].day.isoformat()),
                         rerender=lambda f: render(f, 422))


@bp.route("/log/print")
@require("frontdesk.view")
def log_print():
    day = _day(request.args.get("day"))
    return render_template("frontdesk/log_print.html", rows=_log_rows(day), day=day, **LABELS)
