"""Key pages: the register, one key, lend and take back by tag, the loan register, keepers.

Every read is scoped to the user's estates (another estate's key or loan answers 404); every
change goes through :mod:`plugins.keys.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.errors import DomainError
from core.estates import building_choices as _building_choices
from core.extensions import db
from core.i18n import mask_id, mask_phone, to_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Unit, User, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.keys import services
from plugins.keys.forms import (
    APPROVAL_LABELS,
    BORROWER_LABELS,
    CONDITION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    REASON_LABELS,
    STATE_LABELS,
    DecisionForm,
    EventForm,
    HandoverForm,
    KeeperForm,
    KeyFilter,
    KeyForm,
    LendForm,
    LoanFilter,
    ReturnForm,
    SpareRequestForm,
)
from plugins.keys.models import (
    FLOOR_KINDS,
    KINDS,
    OWNER_KINDS,
    STATES,
    Key,
    KeyApproval,
    KeyEvent,
    KeyHandover,
    KeyKeeper,
    KeyLoan,
)

bp = Blueprint("keys", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, states=STATE_LABELS, borrowers=BORROWER_LABELS, reasons=REASON_LABELS,
              conditions=CONDITION_LABELS, event_labels=EVENT_LABELS, approval_labels=APPROVAL_LABELS)


def local_to_utc(value: datetime | None, estate: Estate) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(estate.timezone or "Asia/Shanghai")).astimezone(UTC)


def place(kind: str, unit_number: str | None, building_name: str | None, floor, location: str) -> str:
    """Where a key belongs: its unit, its building and floor, or its room or equipment."""
    if kind in OWNER_KINDS:
        return unit_number or ""
    if kind in FLOOR_KINDS:
        return _("%(building)s, floor %(floor)s", building=building_name or "", floor=floor)
    return " · ".join(x for x in (building_name or "", location) if x)


def where(key: Key) -> str:
    """Where the key belongs (see :func:`place`)."""
    return place(key.kind, key.unit.number if key.unit else None, key.building.name if key.building else None,
                 key.floor, key.location)


def _row_place(r) -> str:
    return place(r.kind, r.unit_number, r.building_name, r.floor, r.location)


def _phone(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_phone(value)


def _id_number(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_id(value)


def _yes(value: bool) -> str:
    return _("Yes") if value else ""


def _loan_state(loan, now=None) -> str:
    if loan.returned_at is not None:
        return _("Returned")
    return _("Overdue") if loan.expected_return < (now or utcnow()) else _("Out")



# -- the register ------------------------------------------------------------------------
def filtered_keys(filters: KeyFilter):
    stmt = scoped(Key, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        units = select(Unit.id).where(Unit.estate_id.in_(current_estate_ids() or [0]),
                                      Unit.number.like(pat, escape="\\"))
        stmt = stmt.where(or_(Key.tag.like(pat, escape="\\"), Key.unit_id.in_(units),
                              Key.location.like(pat, escape="\\")))
    if filters.kind.data in KINDS:
        stmt = stmt.where(Key.kind == filters.kind.data)
    if filters.building.data and filters.building.data.isdigit():
        stmt = stmt.where(Key.building_id == int(filters.building.data))
    if filters.state.data in STATES:
        stmt = stmt.where(Key.state == filters.state.data)
    out_now = select(KeyLoan.key_id).where(KeyLoan.returned_at.is_(None))
    if filters.out.data == "1":
        stmt = stmt.where(Key.id.in_(out_now))
    elif filters.out.data == "0":
        stmt = stmt.where(Key.id.not_in(out_now))
    if filters.overdue.data == "1":
        stmt = stmt.where(Key.id.in_(select(KeyLoan.key_id).where(services.overdue_filter())))
    return stmt


@bp.route("/")
@require("keys.view")
def index():
    filters = KeyFilter(request.args)
    filters.building.choices = [("", _("All buildings"))] + [
        (str(i), n) for i, n in _building_choices(current_estate_ids())]
    page = ListPage(filtered_keys(filters), [
        Column("tag", _l("Tag number"), lambda k: k.tag, Key.tag, link=lambda k: url_for("keys.detail", key_id=k.id)),
        Column("kind", _l("Kind"), lambda k: KIND_LABELS.get(k.kind, k.kind), Key.kind),
        Column("where", _l("Unit or place"), where),
        Column("position", _l("Hook or cabinet position"), lambda k: k.position, Key.position),
        Column("copies", _l("Copies"), lambda k: k.copies, Key.copies, fmt="number"),
        Column("spare", _l("Emergency spare"), lambda k: _yes(k.emergency_spare), Key.emergency_spare),
        Column("state", _l("State"), lambda k: STATE_LABELS.get(k.state, k.state), Key.state),
        Column("out", _l("Out to"), lambda k: k.open_loan.borrower_name if k.open_loan else ""),
        Column("due", _l("Expected return"), lambda k: k.open_loan.expected_return if k.open_loan else None,
               fmt="datetime"),
        Column("estate", _l("Estate"), lambda k: k.estate.name, Key.estate_id),
    ], "tag", _("Key register"), "key-register")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("keys/index.html", page=page, result=page.page(), filters=filters,
                           overdue=services.overdue_count(current_estate_ids()))


#: Tags on one printed sheet request at most (a board is printed building by building).
TAG_SHEET_MAX = 600


@bp.route("/tags/print")
@require("keys.view")
def tags_print():
    """An A4 sheet of key tags to cut out (tag number, kind, where, hook) for the keys the
    register's filters choose, each with the QR code of its tag number (:mod:`plugins.keys.qr`)."""
    from plugins.keys.qr import tag_qr_svg

    filters = KeyFilter(request.args)
    keys = db.session.scalars(filtered_keys(filters).order_by(Key.estate_id, Key.tag).limit(TAG_SHEET_MAX)).all()
    return render_template("keys/tags_print.html", keys=keys, where=where, max=TAG_SHEET_MAX, qr=tag_qr_svg,
                           **LABELS)


def _key_form_page(form, title, status=200, key=None):
    return render_template("keys/form.html", form=form, title=title, key=key,
                           cancel=url_for("keys.detail", key_id=key.id) if key else url_for("keys.index")), status


def _key_form_choices(form, estate_ids):
    form.estate_id.choices = estate_choices()
    form.building_id.choices = [(0, "—")] + _building_choices(estate_ids)


def _place_args(form) -> dict:
    return dict(kind=form.kind.data, tag=form.tag.data, unit_number=form.unit_number.data or "",
                building_id=form.building_id.data or None, floor=form.floor.data,
                location=form.location.data or "", position=form.position.data or "",
                emergency_spare=form.emergency_spare.data, note=form.note.data or "")


@bp.route("/new", methods=["GET", "POST"])
@require("keys.manage")
def new():
    form = KeyForm()
    _key_form_choices(form, current_estate_ids())
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
    made = {}

    def act():
        made["key"] = services.add_key(current_user, estate_id=form.estate_id.data, copies=form.copies.data,
                                       **_place_args(form))
        return _("Key %(tag)s added to the register.", tag=made["key"].tag)

    if request.method == "GET":
        return _key_form_page(form, _("Add a key"))
    return record_action(form, act, redirect_to=lambda: url_for("keys.detail", key_id=made["key"].id),
                         rerender=lambda f: _key_form_page(f, _("Add a key"), 422))


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
@require("keys.manage")
def edit(key_id):
    key = get_scoped_or_404(Key, key_id)
    form = KeyForm(obj=key) if request.method == "GET" else KeyForm()
    _key_form_choices(form, [key.estate_id])
    del form.copies  # copies change through events (re-cut)
    form.estate_id.data = key.estate_id
    form.estate_id.render_kw = {"disabled": True}
    if request.method == "GET":
        form.unit_number.data = key.unit.number if key.unit else ""
        form.building_id.data = key.building_id or 0
        return _key_form_page(form, _("Edit key %(tag)s", tag=key.tag), key=key)

    def act():
        services.edit_key(current_user, get_scoped_or_404(Key, key_id), **_place_args(form))
        return _("Key %(tag)s saved.", tag=form.tag.data)

    return record_action(form, act, redirect_to=url_for("keys.detail", key_id=key_id),
                         rerender=lambda f: _key_form_page(f, _("Edit key %(tag)s", tag=key.tag), 422,
                                                           key=get_scoped_or_404(Key, key_id)))


def _detail(key, status=200, **forms):
    loans = db.session.scalars(select(KeyLoan).where(KeyLoan.key_id == key.id)
                               .order_by(KeyLoan.lent_at.desc(), KeyLoan.id.desc())).all()
    events = db.session.scalars(select(KeyEvent).where(KeyEvent.key_id == key.id)
                                .order_by(KeyEvent.at.desc(), KeyEvent.id.desc())).all()
    approvals = db.session.scalars(select(KeyApproval).where(KeyApproval.key_id == key.id)
                                   .order_by(KeyApproval.id.desc())).all()
    return render_template(
        "keys/detail.html", key=key, where=where(key), loans=loans, events=events, approvals=approvals,
        order_links=services.work_order_links(current_user, [loan.work_order_number for loan in loans]),
        open_loan=services.open_loan(key.id), usable=services.usable_approval(key) if key.emergency_spare else None,
        may_lend=services.may_lend(current_user, key.estate_id), phone=_phone,
        event_form=forms.get("event_form") or EventForm(prefix="event"),
        spare_form=forms.get("spare_form") or SpareRequestForm(prefix="spare"),
        decision_form=DecisionForm(prefix="decision"), **LABELS), status


@bp.route("/<int:key_id>")
@require("keys.view")
def detail(key_id):
    return _detail(get_scoped_or_404(Key, key_id))


@bp.route("/<int:key_id>/event", methods=["POST"])
@require("keys.manage")
def event(key_id):
    key = get_scoped_or_404(Key, key_id)
    form = EventForm(prefix="event")

    def act():
        ev = services.record_event(current_user, key, kind=form.kind.data, note=form.note.data,
                                   copies=form.copies.data)
        return _("%(event)s recorded for key %(tag)s.", event=EVENT_LABELS[ev.kind], tag=key.tag)

    return record_action(form, act, redirect_to=url_for("keys.detail", key_id=key_id),
                         rerender=lambda f: _detail(get_scoped_or_404(Key, key_id), 422, event_form=f))


@bp.route("/<int:key_id>/spare-request", methods=["POST"])
@require("keys.lend")
def spare_request(key_id):
    key = get_scoped_or_404(Key, key_id)
    form = SpareRequestForm(prefix="spare")

    def act():
        services.request_spare(current_user, key, form.reason.data)
        return _("Approval requested for the emergency spare %(tag)s.", tag=key.tag)

    return record_action(form, act, redirect_to=url_for("keys.detail", key_id=key_id), flash_unplaced=True,
                         rerender=lambda f: _detail(get_scoped_or_404(Key, key_id), 422, spare_form=f))


@bp.route("/approvals/<int:approval_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("keys.approve")
def decide(approval_id, decision):
    approval = get_scoped_or_404(KeyApproval, approval_id)
    key_id = approval.key_id
    form = DecisionForm(prefix="decision")

    def act():
        services.decide_spare(current_user, approval, approve=decision == "approve", note=form.note.data or "")
        return (_("Emergency spare loan approved.") if decision == "approve"
                else _("Emergency spare loan refused."))

    back = url_for("keys.detail", key_id=key_id)
    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _detail(get_scoped_or_404(Key, key_id), 422))


# -- lend and take back by tag -------------------------------------------------------------
def _tag_form_defaults(form):
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        key = None
        if request.args.get("key_id", "").isdigit():
            key = get_scoped_or_404(Key, request.args["key_id"])
        form.estate_id.data = key.estate_id if key else (current_estate_ids() or [0])[0]
        form.tag.data = key.tag if key else request.args.get("tag", "")


def _estate_of(form) -> Estate:
    if form.estate_id.data not in user_estate_ids():
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, form.estate_id.data)


def _lend_page(form, status=200):
    return render_template("keys/lend.html", form=form, title=_("Lend a key")), status


@bp.route("/lend", methods=["GET", "POST"])
@require("keys.lend")
def lend():
    form = LendForm() if request.method == "POST" else LendForm(formdata=None)
    _tag_form_defaults(form)
    if request.method == "GET":
        tomorrow = to_local(utcnow() + timedelta(hours=4)).replace(tzinfo=None, second=0, microsecond=0)
        form.expected_return.data = tomorrow
        return _lend_page(form)
    made = {}

    def act():
        estate = _estate_of(form)
        key = services.find_key(current_user, estate.id, form.tag.data)
        made["loan"] = services.lend(
            current_user, key, borrower_kind=form.borrower_kind.data, borrower_name=form.borrower_name.data,
            borrower_phone=form.borrower_phone.data or "", borrower_id_number=form.borrower_id_number.data or "",
            reason_kind=form.reason_kind.data, reason=form.reason.data,
            work_order_number=form.work_order_number.data or "",
            expected_return=local_to_utc(form.expected_return.data, estate))
        return _("Key %(tag)s lent to %(name)s.", tag=key.tag, name=made["loan"].borrower_name)

    def loan_page(loan_id):
        loan = db.session.get(KeyLoan, loan_id)
        return url_for("keys.detail", key_id=loan.key_id)

    return record_action(form, act, redirect_to=lambda: loan_page(made["loan"].id),
                         rerender=lambda f: _lend_page(f, 422),
                         once=Once("keys_loan", lambda: made["loan"].id, loan_page,
                                   form.estate_id.data if form.estate_id.data in user_estate_ids() else None))


def _return_page(form, status=200):
    return render_template("keys/lend.html", form=form, title=_("Take a key back")), status


@bp.route("/return", methods=["GET", "POST"])
@require("keys.lend")
def give_back():
    form = ReturnForm()
    _tag_form_defaults(form)
    if request.method == "GET":
        return _return_page(form)
    made = {}

    def act():
        estate = _estate_of(form)
        key = services.find_key(current_user, estate.id, form.tag.data)
        made["key"] = key
        services.take_back_key(current_user, key, condition=form.condition.data, note=form.note.data or "")
        return _("Key %(tag)s taken back.", tag=key.tag)

    return record_action(form, act, redirect_to=lambda: url_for("keys.detail", key_id=made["key"].id),
                         rerender=lambda f: _return_page(f, 422))


# -- handover at move-in ------------------------------------------------------------------
def _handover_page(form, status=200):
    return render_template("keys/lend.html", form=form, title=_("Hand keys over to the owner")), status


@bp.route("/handover", methods=["GET", "POST"])
@require("keys.lend")
def handover():
    form = HandoverForm() if request.method == "POST" else HandoverForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        unit = get_scoped_or_404(Unit, request.args["unit_id"]) if request.args.get("unit_id") else None
        form.estate_id.data = unit.estate_id if unit else (current_estate_ids() or [0])[0]
        form.unit_number.data = unit.number if unit else ""
        return _handover_page(form)
    made = {}

    def act():
        made["h"] = services.hand_over(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data,
            owner_name=form.owner_name.data, owner_phone=form.owner_phone.data or "",
            owner_id_number=form.owner_id_number.data or "", note=form.note.data or "")
        return _("Keys of %(unit)s handed over (%(number)s): print the receipt for the owner to sign.",
                 unit=made["h"].unit.number, number=made["h"].number)

    def receipt(handover_id):
        return url_for("keys.handover_receipt", handover_id=handover_id)

    return record_action(form, act, redirect_to=lambda: receipt(made["h"].id), rerender=lambda f: _handover_page(f, 422),
                         once=Once("keys_handover", lambda: made["h"].id, receipt,
                                   form.estate_id.data if form.estate_id.data in user_estate_ids() else None))


@bp.route("/handovers/<int:handover_id>")
@require("keys.view")
def handover_receipt(handover_id):
    row = get_scoped_or_404(KeyHandover, handover_id)
    return render_template("keys/handover_print.html", h=row, where=where, **LABELS)


# -- the loan register ---------------------------------------------------------------------
def filtered_loans(filters: LoanFilter):
    stmt = scoped(KeyLoan, estate_ids=current_estate_ids())
    scope = filters.scope.data or "out"
    if scope == "out":
        stmt = stmt.where(KeyLoan.returned_at.is_(None))
    elif scope == "overdue":
        stmt = stmt.where(services.overdue_filter())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        tags = select(Key.id).where(Key.estate_id.in_(current_estate_ids() or [0]), Key.tag.like(pat, escape="\\"))
        stmt = stmt.where(or_(KeyLoan.key_id.in_(tags), KeyLoan.borrower_name.like(pat, escape="\\"),
                              KeyLoan.work_order_number.like(pat, escape="\\")))
    return stmt


def loans_page(filters: LoanFilter, order_links: dict | None = None) -> ListPage:
    """The loan register's list (the page and the benchmark use it): out now by default.
    ``order_links`` (number → repair page, filled once the page's rows are known) makes the
    work-order column a link; ``None`` (repairs disabled) leaves the numbers as text."""
    if not filters.scope.data:
        filters.scope.data = "out"
    now = utcnow()
    return ListPage(filtered_loans(filters), [
        # What matters first (a phone shows only these): the key, who has it, until when, its state.
        Column("tag", _l("Tag number"), lambda r: r.tag, link=lambda r: url_for("keys.detail", key_id=r.key_id)),
        Column("borrower", _l("Borrower"), lambda r: r.borrower_name, KeyLoan.borrower_name, css="wrap",
               show="always"),
        Column("due", _l("Expected return"), lambda r: r.expected_return, KeyLoan.expected_return, fmt="datetime"),
        Column("state", _l("State"), lambda r: _loan_state(r, now)),
        # Then, as the window widens (Bootstrap md ≥ 768, lg ≥ 992, xl ≥ 1200, xxl ≥ 1400 px):
        # at 1366 px everything up to lg fits (tests/browser/test_keys_layout.py); the export has every column.
        Column("where", _l("Unit or place"), _row_place, css="wrap d-none d-md-table-cell"),
        Column("lent_at", _l("Lent at"), lambda r: r.lent_at, KeyLoan.lent_at, fmt="datetime",
               css="d-none d-md-table-cell"),
        Column("reason", _l("Reason"), lambda r: f"{REASON_LABELS.get(r.reason_kind, r.reason_kind)}: {r.reason}",
               css="wrap d-none d-lg-table-cell"),
        Column("order", _l("Work order"), lambda r: r.work_order_number, KeyLoan.work_order_number,
               css="d-none d-lg-table-cell", link=None if order_links is None else (
                   lambda r: order_links.get(r.work_order_number) or url_for("keys.detail", key_id=r.key_id))),
        Column("returned_at", _l("Returned at"), lambda r: r.returned_at, KeyLoan.returned_at, fmt="datetime",
               css="d-none d-xxl-table-cell"),
        Column("phone", _l("Phone"), lambda r: _phone(r.borrower_phone), css="d-none d-xxl-table-cell"),
        Column("condition", _l("Condition"), lambda r: CONDITION_LABELS.get(r.condition, "") if r.condition else "",
               css="d-none d-xxl-table-cell"),
        Column("kind", _l("Kind"), lambda r: KIND_LABELS.get(r.kind, r.kind), css="d-none d-xxl-table-cell"),
        Column("borrower_kind", _l("Borrower is"), lambda r: BORROWER_LABELS.get(r.borrower_kind, r.borrower_kind),
               css="d-none d-xxl-table-cell"),
        Column("lent_by", _l("Lent by"), lambda r: r.lent_by_name or "", css="d-none d-xxl-table-cell"),
        Column("returned_to", _l("Taken back by"), lambda r: r.returned_to_name or "", css="d-none d-xxl-table-cell"),
        Column("estate", _l("Estate"), lambda r: r.estate_name, KeyLoan.estate_id, css="d-none d-xxl-table-cell"),
    ], "-lent_at", _("Key loans"), "key-loans", rows=services.loan_rows)


@bp.route("/loans")
@require("keys.view")
def loans():
    filters = LoanFilter(request.args)
    links = {} if services.repairs_on() else None
    page = loans_page(filters, links)
    if fmt := page.wants_export():
        return page.export(fmt)
    result = page.page()
    if links is not None:
        links.update(services.work_order_links(current_user, [r.work_order_number for r in result.rows]))
    return render_template("keys/loans.html", page=page, result=result, filters=filters,
                           overdue=services.overdue_count(current_estate_ids()))


def _month(raw: str | None):
    from core.i18n import today_local

    try:
        y, m = (int(x) for x in (raw or "").split("-", 1))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except (TypeError, ValueError):
        pass
    today = today_local()
    return today.year, today.month


@bp.route("/loans/print")
@require("keys.view")
def loans_print():
    """The month's loan register (《钥匙借用登记表》) on A4: every loan lent in the month, in the
    estates in view, in the order lent, with who lent and who took back each key."""
    from core.i18n import estate_timezone

    y, m = _month(request.args.get("month"))
    tz = ZoneInfo(estate_timezone())
    start = datetime(y, m, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=tz).astimezone(UTC)
    ids = db.session.scalars(scoped(KeyLoan, estate_ids=current_estate_ids())
                             .where(KeyLoan.lent_at >= start, KeyLoan.lent_at < end)
                             .order_by(KeyLoan.lent_at, KeyLoan.id).with_only_columns(KeyLoan.id)).all()
    by_id = {}
    for chunk in range(0, len(ids), 1000):  # plain rows (services.loan_rows), a thousand at a time
        by_id.update((r.id, r) for r in services.loan_rows(ids[chunk:chunk + 1000]))
    return render_template("keys/loans_print.html", loans=[by_id[i] for i in ids], month=f"{y}-{m:02d}",
                           place=_row_place, phone=_phone, id_number=_id_number, **LABELS)


# -- keepers -------------------------------------------------------------------------------
def staff_choices(estate_ids) -> list[tuple[int, str]]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)).all()
    return [(u.id, f"{u.full_name} ({u.username})") for u in users
            if has_permission("keys.lend", u) and set(user_estate_ids(u)) & set(estate_ids)]


def _keepers_page(form, status=200):
    rows = db.session.scalars(scoped(KeyKeeper, estate_ids=current_estate_ids())
                              .order_by(KeyKeeper.estate_id, KeyKeeper.active.desc(), KeyKeeper.user_id)).all()
    return render_template("keys/keepers.html", form=form, rows=rows), status


@bp.route("/keepers", methods=["GET", "POST"])
@require("keys.view")
def keepers():
    form = KeeperForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        if has_permission("keys.approve"):
            form.user_id.choices = staff_choices(current_estate_ids())
        return _keepers_page(form)
    if not has_permission("keys.approve"):
        abort(403)
    form.user_id.choices = staff_choices(current_estate_ids())

    def act():
        row = services.designate_keeper(current_user, estate_id=form.estate_id.data, user_id=form.user_id.data,
                                        note=form.note.data or "")
        return _("%(name)s is now a key keeper of %(estate)s.", name=row.user.full_name, estate=row.estate.name)

    return record_action(form, act, field="user_id", redirect_to=url_for("keys.keepers"),
                         rerender=lambda f: _keepers_page(f, 422))


@bp.route("/keepers/<int:keeper_id>/withdraw", methods=["POST"])
@require("keys.approve")
def withdraw_keeper(keeper_id):
    row = get_scoped_or_404(KeyKeeper, keeper_id)

    def act():
        services.withdraw_keeper(current_user, row)
        return _("%(name)s is no longer a key keeper of %(estate)s.", name=row.user.full_name,
                 estate=row.estate.name)

    back = url_for("keys.keepers")
    return record_action(None, act, redirect_to=back, rerender=lambda _form: redirect(back))


@bp.route("/approvals")
@require("keys.view")
def approvals():
    rows = db.session.scalars(scoped(KeyApproval, estate_ids=current_estate_ids())
                              .where(KeyApproval.state == "pending").order_by(KeyApproval.id)).all()
    return render_template("keys/approvals.html", rows=rows, decision_form=DecisionForm(prefix="decision"),
                           **LABELS)

