"""Activity pages: the list, a plan and its approval, sign-ups, attendance, spending, photos,
the summary (printable), the yearly plan per estate (printable) and the yearly report (XLSX).

Every read is scoped to the user's estates (another estate's activity answers 404); every
change goes through :mod:`plugins.activities.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.attachments import attachments_of, save_upload
from core.errors import DomainError
from core.extensions import db
from core.i18n import mask_phone, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Resident, User
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.activities import services
from plugins.activities.forms import (
    STATE_LABELS,
    ActivityFilter,
    ActivityForm,
    AttendanceForm,
    DecisionForm,
    ExpenseForm,
    PhotoForm,
    ReasonForm,
    SignupForm,
    SummaryForm,
    YearForm,
)
from plugins.activities.models import EDITABLE, STATES, Activity, Expense, Signup

bp = Blueprint("activities", __name__, template_folder="templates")


def _tz(estate: Estate) -> ZoneInfo:
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def local_to_utc(value: datetime | None, estate: Estate) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=_tz(estate)).astimezone(UTC)


def _phone(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_phone(value)


def _year(raw) -> int:
    try:
        year = int(str(raw or "").strip())
        if 2000 <= year <= 2100:
            return year
    except ValueError:
        pass
    return today_local().year


# -- the list ----------------------------------------------------------------------------
def filtered(filters: ActivityFilter):
    stmt = scoped(Activity, estate_ids=current_estate_ids())
    if filters.q.data and filters.q.data.strip():
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Activity.theme.like(pat, escape="\\"), Activity.number.like(pat, escape="\\")))
    raw = (filters.year.data or "").strip()
    if raw.isdigit() and len(raw) == 4:  # anything else is no year: the filter is left out
        stmt = stmt.where(Activity.year == int(raw))
    if filters.state.data in STATES:
        stmt = stmt.where(Activity.state == filters.state.data)
    return stmt


def _columns():
    return [
        Column("number", _l("No."), lambda a: a.number, Activity.number,
               link=lambda a: url_for("activities.detail", activity_id=a.id)),
        Column("theme", _l("Theme"), lambda a: a.theme, Activity.theme, css="wrap", show="always"),
        Column("starts", _l("Starts at"), lambda a: a.starts_at, Activity.starts_at, fmt="datetime"),
        Column("place", _l("Place"), lambda a: a.place, Activity.place, css="wrap", show="xxl"),
        Column("state", _l("State"), lambda a: STATE_LABELS.get(a.state, a.state), Activity.state),
        Column("signed_up", _l("Signed up"), lambda a: a.signed_up, Activity.signed_up, fmt="number"),
        Column("capacity", _l("Places"), lambda a: a.capacity, Activity.capacity, fmt="number", show="xxl"),
        Column("attended", _l("Attended"), lambda a: a.attended_count, fmt="number", show="xxl"),
        Column("budget", _l("Budget"), lambda a: a.budget, Activity.budget, fmt="money"),
        Column("spent", _l("Spent"), lambda a: Decimal(a.spent or 0).quantize(Decimal("0.01")), fmt="money"),
        Column("organisers", _l("Organisers"), lambda a: a.organiser_names, css="wrap", show="xxl"),
        Column("estate", _l("Estate"), lambda a: a.estate.name, Activity.estate_id),
    ]


@bp.route("/")
@require("activities.view")
def index():
    filters = ActivityFilter(request.args)
    page = ListPage(filtered(filters), _columns(), "-starts", _("Community activities"), "activities")
    if fmt := page.wants_export():
        return page.export(fmt)
    awaiting = db.session.scalar(services.awaiting_count_query(current_estate_ids()))
    return render_template("activities/index.html", page=page, result=page.page(), filters=filters,
                           awaiting=awaiting)


# -- the plan ----------------------------------------------------------------------------
def staff_choices(estate_ids) -> list[tuple[int, str]]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)).all()
    wanted = set(estate_ids)
    return [(u.id, u.full_name or u.username) for u in users
            if has_permission("activities.view", u) and set(user_estate_ids(u)) & wanted]


def _form_page(form, title, status=200, activity=None):
    cancel = url_for("activities.detail", activity_id=activity.id) if activity else url_for("activities.index")
    return render_template("activities/form.html", form=form, title=title, activity=activity,
                           cancel=cancel), status


def _plan_args(form, estate) -> dict:
    return dict(theme=form.theme.data, description=form.description.data or "",
                starts_at=local_to_utc(form.starts_at.data, estate), ends_at=local_to_utc(form.ends_at.data, estate),
                place=form.place.data, budget=form.budget.data, expected_participants=form.expected_participants.data,
                capacity=form.capacity.data, organiser_ids=form.organiser_ids.data or [])


def _estate_of(estate_id) -> Estate:
    if estate_id not in user_estate_ids():
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


@bp.route("/new", methods=["GET", "POST"])
@require("activities.manage")
def new():
    form = ActivityForm() if request.method == "POST" else ActivityForm(formdata=None)
    form.estate_id.choices = estate_choices()
    form.organiser_ids.choices = staff_choices(current_estate_ids())
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.organiser_ids.data = [current_user.id]
        return _form_page(form, _("Plan an activity"))
    made = {}

    def act():
        estate = _estate_of(form.estate_id.data)
        made["a"] = services.plan(current_user, estate_id=estate.id, **_plan_args(form, estate))
        return _("Activity %(number)s planned (a draft: submit it for approval).", number=made["a"].number)

    return record_action(form, act, redirect_to=lambda: url_for("activities.detail", activity_id=made["a"].id),
                         rerender=lambda f: _form_page(f, _("Plan an activity"), 422),
                         once=Once("activities_activity", lambda: made["a"].id,
                                   lambda i: url_for("activities.detail", activity_id=i), form.estate_id.data))


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@require("activities.manage")
def edit(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = ActivityForm() if request.method == "POST" else ActivityForm(formdata=None, obj=activity)
    del form.once_key
    form.estate_id.choices = estate_choices()
    form.estate_id.data = activity.estate_id
    form.estate_id.render_kw = {"disabled": True}
    form.organiser_ids.choices = staff_choices([activity.estate_id])
    title = _("Edit activity %(number)s", number=activity.number)
    if request.method == "GET":
        tz = _tz(activity.estate)
        form.starts_at.data = activity.starts_at.astimezone(tz).replace(tzinfo=None)
        form.ends_at.data = activity.ends_at.astimezone(tz).replace(tzinfo=None)
        form.organiser_ids.data = [o.user_id for o in activity.organisers]
        return _form_page(form, title, activity=activity)

    def act():
        a = get_scoped_or_404(Activity, activity_id)
        services.edit(current_user, a, **_plan_args(form, a.estate))
        return _("Activity %(number)s saved.", number=a.number)

    return record_action(form, act, redirect_to=url_for("activities.detail", activity_id=activity_id),
                         rerender=lambda f: _form_page(f, title, 422, activity=get_scoped_or_404(Activity, activity_id)))


def _resident_choices(activity) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Resident.id, Resident.name).where(Resident.estate_id == activity.estate_id)
                              .order_by(Resident.name, Resident.id).limit(3000)).all()
    return [(0, _("— a walk-in (name and phone below) —"))] + [(r.id, r.name) for r in rows]


def _detail(activity, status=200, **forms):
    signup_form = forms.get("signup_form") or SignupForm(prefix="signup", formdata=None)
    signup_form.resident_id.choices = _resident_choices(activity)
    rows = services.signups(activity.id)
    attendance_form = AttendanceForm(prefix="att", formdata=None)
    return render_template(
        "activities/detail.html", a=activity, labels=STATE_LABELS, signups=rows,
        expenses=services.expenses(activity.id), photos=attachments_of(activity), phone=_phone,
        receipts={e.id: attachments_of(e) for e in services.expenses(activity.id)},
        editable=activity.state in EDITABLE, spent=Decimal(activity.spent or 0).quantize(Decimal("0.01")),
        signup_form=signup_form, attendance_form=attendance_form,
        expense_form=forms.get("expense_form") or ExpenseForm(prefix="exp", formdata=None, spent_on=today_local()),
        summary_form=forms.get("summary_form") or SummaryForm(prefix="sum", formdata=None, obj=activity),
        decision_form=forms.get("decision_form") or DecisionForm(prefix="decision", formdata=None),
        cancel_form=forms.get("cancel_form") or ReasonForm(prefix="cancel", formdata=None),
        void_form=ReasonForm(prefix="void", formdata=None), photo_form=PhotoForm(prefix="photo", formdata=None),
        signup_cancel_form=ReasonForm(prefix="sc", formdata=None)), status


@bp.route("/<int:activity_id>")
@require("activities.view")
def detail(activity_id):
    return _detail(get_scoped_or_404(Activity, activity_id))


def _simple(activity_id, form, act, form_name=None, flash_unplaced=True):
    back = url_for("activities.detail", activity_id=activity_id)

    def rerender(f):
        extra = {form_name: f} if form_name else {}
        return _detail(get_scoped_or_404(Activity, activity_id), 422, **extra)

    return record_action(form, act, redirect_to=back, flash_unplaced=flash_unplaced, rerender=rerender)


@bp.route("/<int:activity_id>/submit", methods=["POST"])
@require("activities.manage")
def submit(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)

    def act():
        services.submit(current_user, activity)
        return _("Activity %(number)s submitted for approval.", number=activity.number)

    return _simple(activity_id, PhotoForm(prefix="submit"), act)


@bp.route("/<int:activity_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("activities.approve")
def decide(activity_id, decision):
    activity = get_scoped_or_404(Activity, activity_id)
    form = DecisionForm(prefix="decision")

    def act():
        services.decide(current_user, activity, approve=decision == "approve", note=form.note.data or "")
        return (_("Activity %(number)s approved.", number=activity.number) if decision == "approve"
                else _("Activity %(number)s refused.", number=activity.number))

    return _simple(activity_id, form, act, "decision_form")


@bp.route("/<int:activity_id>/cancel", methods=["POST"])
@require("activities.manage")
def cancel(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = ReasonForm(prefix="cancel")

    def act():
        services.cancel(current_user, activity, form.reason.data or "")
        return _("Activity %(number)s cancelled.", number=activity.number)

    return _simple(activity_id, form, act, "cancel_form")


@bp.route("/<int:activity_id>/held", methods=["POST"])
@require("activities.manage")
def held(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)

    def act():
        services.mark_held(current_user, activity)
        return _("Activity %(number)s marked as held: mark who attended and write the summary.",
                 number=activity.number)

    return _simple(activity_id, PhotoForm(prefix="held"), act)


@bp.route("/<int:activity_id>/summary", methods=["POST"])
@require("activities.manage")
def summary(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = SummaryForm(prefix="sum")

    def act():
        services.write_summary(current_user, activity, summary=form.summary.data, feedback=form.feedback.data or "")
        return _("Summary of %(number)s saved.", number=activity.number)

    return _simple(activity_id, form, act, "summary_form")


@bp.route("/<int:activity_id>/print")
@require("activities.view")
def print_summary(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    return render_template("activities/summary_print.html", a=activity, labels=STATE_LABELS,
                           signups=services.signups(activity.id, active_only=True),
                           expenses=[e for e in services.expenses(activity.id) if e.voided_at is None],
                           spent=Decimal(activity.spent or 0).quantize(Decimal("0.01")),
                           photos=attachments_of(activity))


# -- sign-ups and attendance -------------------------------------------------------------
@bp.route("/<int:activity_id>/signups", methods=["POST"])
@require("activities.manage")
def sign_up(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = SignupForm(prefix="signup")
    form.resident_id.choices = []

    def act():
        row = services.sign_up(current_user, activity, resident_id=form.resident_id.data or None,
                               name=form.name.data or "", phone=form.phone.data or "", note=form.note.data or "")
        return _("%(name)s signed up for %(theme)s.", name=row.name, theme=activity.theme)

    return _simple(activity_id, form, act, "signup_form")


@bp.route("/signups/<int:signup_id>/cancel", methods=["POST"])
@require("activities.manage")
def cancel_signup(signup_id):
    row = get_scoped_or_404(Signup, signup_id)
    form = ReasonForm(prefix="sc")

    def act():
        services.cancel_signup(current_user, row, form.reason.data or "")
        return _("The sign-up of %(name)s is cancelled.", name=row.name)

    return _simple(row.activity_id, form, act)


@bp.route("/<int:activity_id>/attendance", methods=["POST"])
@require("activities.manage")
def attendance(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = AttendanceForm(prefix="att")

    def act():
        n = services.mark_attendance(current_user, activity, form.attended.data or [])
        return _("Attendance saved: %(num)s came.", num=n)

    return _simple(activity_id, form, act)


# -- spending and photos -----------------------------------------------------------------
@bp.route("/<int:activity_id>/expenses", methods=["POST"])
@require("activities.manage")
def add_expense(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = ExpenseForm(prefix="exp")
    made = {}

    def act():
        row = services.add_expense(current_user, activity, item=form.item.data, amount=form.amount.data,
                                   spent_on=form.spent_on.data)
        made["e"] = row
        receipt = request.files.get("receipt")
        if receipt is not None and receipt.filename:
            try:
                save_upload(receipt, row, allow_pdf=True)
            except DomainError as exc:
                raise DomainError(exc.message, "item") from None
        return _("Expense %(item)s recorded.", item=row.item)

    return record_action(form, act, redirect_to=url_for("activities.detail", activity_id=activity_id),
                         rerender=lambda f: _detail(get_scoped_or_404(Activity, activity_id), 422, expense_form=f),
                         once=Once("activities_expense", lambda: made["e"].id,
                                   lambda _i: url_for("activities.detail", activity_id=activity_id), activity.estate_id))


@bp.route("/expenses/<int:expense_id>/void", methods=["POST"])
@require("activities.manage")
def void_expense(expense_id):
    row = get_scoped_or_404(Expense, expense_id)
    form = ReasonForm(prefix="void")

    def act():
        services.void_expense(current_user, row, form.reason.data or "")
        return _("Expense %(item)s voided.", item=row.item)

    return _simple(row.activity_id, form, act)


@bp.route("/<int:activity_id>/photos", methods=["POST"])
@require("activities.manage")
def photos(activity_id):
    activity = get_scoped_or_404(Activity, activity_id)
    form = PhotoForm(prefix="photo")

    def act():
        files = [f for f in request.files.getlist("photos") if f and f.filename]
        if not files:
            raise DomainError(_("Choose the photos to add."))
        if activity.state == "cancelled":
            raise DomainError(_("The activity was cancelled: no photos."))
        for f in files:
            save_upload(f, activity)
        return _("%(num)s photos added.", num=len(files))

    return _simple(activity_id, form, act)


# -- the year ----------------------------------------------------------------------------
def _year_context():
    form = YearForm(request.args)
    year = _year(form.year.data)
    form.year.data = str(year)
    estates = db.session.scalars(select(Estate).where(Estate.id.in_(current_estate_ids() or [0]))
                                 .order_by(Estate.code)).all()
    plans = []
    for estate in estates:
        rows = services.year_activities([estate.id], year)
        tz = _tz(estate)
        months = {m: [] for m in range(1, 13)}
        for a in rows:
            months[a.starts_at.astimezone(tz).month].append(a)
        plans.append({"estate": estate, "months": months, "totals": services.year_totals(rows)})
    return dict(form=form, year=year, plans=plans, labels=STATE_LABELS)


@bp.route("/plan")
@require("activities.view")
def year_plan():
    return render_template("activities/plan.html", **_year_context())


@bp.route("/plan/print")
@require("activities.view")
def year_plan_print():
    return render_template("activities/plan_print.html", **_year_context())


@bp.route("/report")
@require("activities.view")
def report():
    """The yearly report: every activity of the year in the estates in view, with attendance and
    spending against budget (XLSX through the list's export)."""
    ctx = _year_context()
    year = ctx["year"]
    stmt = scoped(Activity, estate_ids=current_estate_ids()).where(Activity.year == year)
    columns = _columns() + [
        Column("difference", _l("Budget left"),
               lambda a: (a.budget - Decimal(a.spent or 0)).quantize(Decimal("0.01")), fmt="money"),
        Column("over", _l("Over budget"), lambda a: _("Yes") if a.over_budget else ""),
    ]
    page = ListPage(stmt, columns, "starts", _("Activities report %(year)s", year=year), f"activities-{year}")
    if fmt := page.wants_export():
        return page.export(fmt)
    rows = services.year_activities(current_estate_ids(), year)
    return render_template("activities/report.html", page=page, result=page.page(),
                           totals=services.year_totals(rows), **ctx)


def upcoming(estate_ids, limit=5):
    from core.models import utcnow

    return db.session.scalars(select(Activity).where(
        Activity.estate_id.in_(estate_ids or [0]), Activity.state == "approved",
        Activity.ends_at >= utcnow() - timedelta(hours=1)).order_by(Activity.starts_at).limit(limit)).all()
