"""Complaint pages: the list, recording, the record, its printed forms.

Views stay thin: parse the form, call one service, flash, redirect; a
:class:`DomainError` rolls back and shows its message beside the field.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core import callers
from core.errors import DomainError
from core.extensions import db
from core.i18n import estate_timezone, fmt_datetime, to_local
from core.listing import Column, ListPage
from core.models import Department, Estate, Unit, utcnow
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.complaints import labels, services
from plugins.complaints.forms import ComplaintFilter, ComplaintForm, to_utc
from plugins.complaints.models import OPEN_STATES, STATES, Complaint

bp = Blueprint("complaints", __name__, template_folder="templates")


def like(text: str) -> str:
    from core.hooks import _like

    return _like(text)


def tz_of(estate_id: int | None) -> str:
    estate = db.session.get(Estate, estate_id) if estate_id else None
    return estate.timezone if estate is not None else estate_timezone()


def department_choices():
    return [(d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.code))]


def _search_filter(q: str):
    digits = "".join(ch for ch in q if ch.isdigit())
    conds = [Complaint.number.like(like(q), escape="\\"), Complaint.contact_name.like(like(q), escape="\\")]
    if len(digits) >= 3:
        conds.append(Complaint.contact_phone.like(like(digits), escape="\\"))
    unit_ids = select(Unit.id).where(Unit.number.like(like(q), escape="\\"))
    conds.append(Complaint.unit_id.in_(unit_ids))
    return or_(*conds)


def filtered(filters: ComplaintFilter):
    """The scoped, filtered query behind the list and its export."""
    ids = current_estate_ids()
    if filters.estate.data and filters.estate.data.isdigit() and int(filters.estate.data) in ids:
        ids = [int(filters.estate.data)]
    stmt = scoped(Complaint, estate_ids=ids)
    if q := (filters.q.data or "").strip():
        stmt = stmt.where(_search_filter(q))
    state = filters.state.data
    if state == "open":
        stmt = stmt.where(Complaint.state.in_(OPEN_STATES))
    elif state in STATES:
        stmt = stmt.where(Complaint.state == state)
    if filters.category.data in labels.CATEGORY_LABELS:
        stmt = stmt.where(Complaint.category == filters.category.data)
    if filters.severity.data in labels.SEVERITY_LABELS:
        stmt = stmt.where(Complaint.severity == filters.severity.data)
    if (filters.department.data or "").isdigit():
        stmt = stmt.where(Complaint.department_id == int(filters.department.data))
    zone = ZoneInfo(estate_timezone())
    if filters.date_from.data:
        stmt = stmt.where(Complaint.received_at >= datetime.combine(filters.date_from.data, time(), zone))
    if filters.date_to.data:
        end = datetime.combine(filters.date_to.data + timedelta(days=1), time(), zone)
        stmt = stmt.where(Complaint.received_at < end)
    if filters.overdue.data == "y":
        stmt = stmt.where(Complaint.overdue_clause(utcnow()))
    if unit_id := request.args.get("unit", type=int):
        stmt = stmt.where(Complaint.unit_id == unit_id)
    return stmt


def _columns(now):
    def overdue(c):
        return _("Overdue") if c.is_overdue(now) else ""

    return [
        Column("number", _l("Number"), lambda c: c.number, Complaint.number,
               link=lambda c: url_for("complaints.detail", complaint_id=c.id)),
        Column("received", _l("Received at"), lambda c: c.received_at, Complaint.received_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda c: c.estate.code),
        Column("unit", _l("Unit"), lambda c: c.unit.number if c.unit else ""),
        Column("contact", _l("Complainant"), lambda c: c.contact_name, Complaint.contact_name),
        Column("category", _l("Category"), lambda c: labels.CATEGORY_LABELS.get(c.category, c.category),
               Complaint.category),
        Column("severity", _l("Severity"), lambda c: labels.SEVERITY_LABELS.get(c.severity, c.severity),
               Complaint.severity),
        Column("department", _l("Department"), lambda c: c.department.name if c.department else "",
               show="xxl"),  # at 1366 px the list fits without it (tests/browser/test_list_layout.py)
        Column("state", _l("State"), lambda c: labels.STATE_LABELS.get(c.state, c.state), Complaint.state),
        Column("reply_due", _l("Reply due"), lambda c: c.reply_due_at, Complaint.reply_due_at, fmt="datetime"),
        Column("overdue", _l("Overdue"), overdue, css="text-danger"),
    ]


@bp.route("/")
@require("complaints.view")
def index():
    filters = ComplaintFilter(request.args)
    filters.estate.choices = [("", _l("All my estates"))] + [(str(i), n) for i, n in estate_choices()]
    filters.department.choices = [("", _l("All departments"))] + [(str(i), n) for i, n in department_choices()]
    page = ListPage(filtered(filters), _columns(utcnow()), "-received", _("Complaints"), "complaints")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("complaints/index.html", page=page, result=page.page(), filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@require("complaints.record")
def new():
    form = ComplaintForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        unit = get_scoped_or_404(Unit, request.args["unit"]) if request.args.get("unit") else None
        ids = current_estate_ids()
        form.estate_id.data = unit.estate_id if unit else (ids[0] if len(ids) == 1 else None)
        form.unit_number.data = unit.number if unit else ""
        form.received_at.data = to_local(utcnow(), tz_of(form.estate_id.data)).replace(tzinfo=None, second=0,
                                                                                      microsecond=0)
    # The caller is chosen as on every desk form (core.callers), within the user's estates.
    lookup = callers.look_up(form.estate_id.data, form.unit_number.data or "", form.contact_phone.data or "",
                             form.resident_id.data)
    form.resident_id.choices = callers.choices(lookup)
    if form.validate_on_submit():
        try:
            if not form.unit_number.data and (home := callers.unit_of_caller(form.estate_id.data,
                                                                             form.resident_id.data)):
                form.unit_number.data = home.number  # the caller found by phone: their unit
            complaint = services.record(
                current_user, estate_id=form.estate_id.data, channel=form.channel.data,
                category=form.category.data, kind=form.kind.data, severity=form.severity.data,
                content=form.content.data, contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "", unit_number=form.unit_number.data or "",
                resident_id=form.resident_id.data,
                received_at=to_utc(form.received_at.data, tz_of(form.estate_id.data)))
            db.session.commit()
            flash(_("Complaint %(n)s recorded. Forward it by %(t)s.", n=complaint.number,
                    t=fmt_datetime(complaint.forward_due_at, tz=tz_of(complaint.estate_id))),
                  "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("complaints/form.html", form=form, kinds=labels.kinds_table(), lookup=lookup), \
        (422 if request.method == "POST" else 200)


@bp.route("/<int:complaint_id>")
@require("complaints.view")
def detail(complaint_id):
    from plugins.complaints.views_actions import render_detail

    return render_detail(get_scoped_or_404(Complaint, complaint_id))


@bp.route("/<int:complaint_id>/print")
@require("complaints.view")
def print_record(complaint_id):
    complaint = get_scoped_or_404(Complaint, complaint_id)
    return render_template("complaints/print_record.html", c=complaint, labels=labels,
                           tz=complaint.estate.timezone)


@bp.route("/<int:complaint_id>/letter")
@require("complaints.view")
def letter(complaint_id):
    complaint = get_scoped_or_404(Complaint, complaint_id)
    if complaint.reply_text is None:
        flash(_("There is no reply to print yet."), "warning")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return render_template("complaints/letter.html", c=complaint, labels=labels, tz=complaint.estate.timezone)


from plugins.complaints import views_actions, views_stats, views_suggestions  # noqa: E402,F401
