"""Return visit pages: the list, one visit (record, miss, cancel, reassign), the printed record."""

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, or_, select

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import mask_phone, to_local, today_local
from core.listing import Column, ListPage
from core.models import Estate, Unit, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.visits import services
from plugins.visits.forms import (
    METHOD_LABELS,
    SATISFIED_LABELS,
    STATE_LABELS,
    CancelForm,
    MissForm,
    PlanForm,
    ReassignForm,
    RecordForm,
    VisitFilter,
)
from plugins.visits.models import KINDS, STATES, ReturnVisit, Visitor
from plugins.visits.rules import KIND_LABELS

bp = Blueprint("visits", __name__, template_folder="templates")


def local_to_utc(value: datetime | None, estate: Estate) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(estate.timezone or "Asia/Shanghai")).astimezone(UTC)


def visitor_choices(estate_ids) -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Visitor).where(
        Visitor.estate_id.in_(estate_ids or [0]), Visitor.active.is_(True)).order_by(Visitor.user_id)).all()
    seen, out = set(), []
    for v in rows:
        if v.user_id not in seen:
            seen.add(v.user_id)
            out.append((v.user_id, v.user.full_name))
    return out


def _phone(value: str) -> str:
    return value if has_permission("core.residents.private") else mask_phone(value)


def _state_text(v: ReturnVisit) -> str:
    text = str(STATE_LABELS.get(v.state, v.state))
    return _("%(state)s · overdue", state=text) if v.is_overdue() else text


def filtered_visits(filters: VisitFilter):
    stmt = scoped(ReturnVisit, estate_ids=current_estate_ids())
    if filters.scope.data == "mine":
        stmt = stmt.where(ReturnVisit.assigned_to_id == current_user.id)
    if filters.q.data:
        from core.hooks import _like

        pat = _like(filters.q.data.strip())
        units = select(Unit.id).where(Unit.number.like(pat, escape="\\"))
        stmt = stmt.where(or_(ReturnVisit.number.like(pat, escape="\\"),
                              ReturnVisit.contact_phone.like(pat, escape="\\"),
                              ReturnVisit.contact_name.like(pat, escape="\\"),
                              ReturnVisit.source_number.like(pat, escape="\\"),
                              ReturnVisit.unit_id.in_(units)))
    if filters.state.data in STATES:
        stmt = stmt.where(ReturnVisit.state == filters.state.data)
    if filters.kind.data in KINDS:
        stmt = stmt.where(ReturnVisit.source_type == filters.kind.data)
    if filters.overdue.data == "1":
        stmt = stmt.where(services.overdue_filter())
    from core.i18n import estate_timezone

    tz = ZoneInfo(estate_timezone())
    if filters.due_from.data and not filters.due_from.errors:
        stmt = stmt.where(ReturnVisit.due_at >= datetime.combine(filters.due_from.data, datetime.min.time(), tz))
    if filters.due_to.data and not filters.due_to.errors:
        stmt = stmt.where(ReturnVisit.due_at <= datetime.combine(filters.due_to.data, datetime.max.time(), tz))
    if filters.visitor.data and filters.visitor.data.isdigit():
        stmt = stmt.where(ReturnVisit.assigned_to_id == int(filters.visitor.data))
    return stmt


class VisitList(ListPage):
    """The visits list: by default (and when sorted by state) the planned visits come first,
    the overdue ones at the top (earliest due first), then the closed ones, latest due first."""

    def sorted_stmt(self):
        if self.sort_key != "state":
            return super().sorted_stmt()
        open_first = case((ReturnVisit.state == "planned", 0), else_=1)
        closed_due = case((ReturnVisit.state == "planned", None), else_=ReturnVisit.due_at)
        planned_due = case((ReturnVisit.state == "planned", ReturnVisit.due_at), else_=None)
        order = [open_first, planned_due.asc(), closed_due.desc(), ReturnVisit.id.desc()]
        if self.sort_desc:  # closed first, then planned
            order[0] = open_first.desc()
        return self.stmt.order_by(*order)


@bp.route("/")
@require("visits.view")
def index():
    filters = VisitFilter(request.args)
    filters.visitor.choices = [("", _("All visitors"))] + [
        (str(i), n) for i, n in visitor_choices(current_estate_ids())]
    page = VisitList(filtered_visits(filters), [
        Column("number", _l("Number"), lambda v: v.number, ReturnVisit.number,
               link=lambda v: url_for("visits.detail", visit_id=v.id)),
        Column("kind", _l("Kind"), lambda v: KIND_LABELS.get(v.source_type, v.source_type),
               ReturnVisit.source_type),
        Column("source", _l("Case"), lambda v: v.source_number or "", ReturnVisit.source_number),
        Column("unit", _l("Unit"), lambda v: v.unit.number if v.unit else ""),
        Column("contact", _l("Contact"), lambda v: v.contact_name, ReturnVisit.contact_name),
        Column("phone", _l("Phone"), lambda v: _phone(v.contact_phone), show="xxl"),  # 1366 px fits without it
        Column("due", _l("Due"), lambda v: v.due_at, ReturnVisit.due_at, fmt="datetime"),
        Column("visitor", _l("Visitor"), lambda v: v.assigned_to.full_name if v.assigned_to else "",
               ReturnVisit.assigned_to_id),
        Column("state", _l("State"), _state_text, ReturnVisit.state),
        Column("result", _l("Result"), lambda v: SATISFIED_LABELS.get(v.satisfied, "")),
        Column("visited", _l("Visited at"), lambda v: v.visited_at, ReturnVisit.visited_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda v: v.estate.name, ReturnVisit.estate_id),
    ], "state", _("Return visits"), "return-visits")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("visits/index.html", page=page, result=page.page(), filters=filters,
                           overdue=services.overdue_count(current_estate_ids()))


log = logging.getLogger(__name__)

#: The plugin whose ``search`` hook finds a visit's source case.
SOURCE_PLUGINS = {"repair": "repairs", "complaint": "complaints"}


def source_hit(visit):
    """The search hit of the visit's source case (its page's link), found by its number through
    the ``search`` hook of that case's plugin alone (not the whole site's search, every plugin's
    queries, on every view): ``None`` when the plugin is off, fails, or the reader may not see it."""
    code = SOURCE_PLUGINS.get(visit.source_type)
    if code is None or not visit.source_number:
        return None
    from core.plugins import plugins
    from core.ui import SearchHit, hook_items

    number, estates = visit.source_number, current_estate_ids()
    for impl in plugins().implementations("search"):
        if impl.plugin_name != code:
            continue
        kwargs = {"query": number, "user": current_user, "estates": estates, "limit": 5}
        try:
            result = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
        except Exception:
            log.exception("search of plugin %s failed for visit %s", code, visit.id)
            return None
        hits = hook_items("search", code, result, SearchHit) or []
        return next((h for h in hits if (h.estate_id is None or h.estate_id in estates)
                     and (h.title == number or h.title.startswith(number + " "))), None)
    return None


def _detail(visit, status=200, **forms):
    record_form = forms.get("record_form") or RecordForm()
    if not record_form.visited_at.data and request.method == "GET":
        record_form.visited_at.data = to_local(utcnow(), visit.estate.timezone).replace(
            tzinfo=None, second=0, microsecond=0)
    reassign_form = forms.get("reassign_form") or ReassignForm(assigned_to_id=visit.assigned_to_id or 0)
    reassign_form.assigned_to_id.choices = visitor_choices([visit.estate_id])
    return render_template(
        "visits/detail.html", visit=visit, record_form=record_form,
        miss_form=forms.get("miss_form") or MissForm(prefix="miss"),
        cancel_form=forms.get("cancel_form") or CancelForm(prefix="cancel"), reassign_form=reassign_form,
        may_record=services.may_record(current_user, visit), kinds=KIND_LABELS, states=STATE_LABELS,
        methods=METHOD_LABELS, satisfied_labels=SATISFIED_LABELS,
        # The visitor is meant to call this number: whoever may record the visit sees it whole.
        phone=visit.contact_phone if services.may_record(current_user, visit) else _phone(visit.contact_phone),
        overdue=visit.is_overdue(), case=source_hit(visit)), status


@bp.route("/<int:visit_id>")
@require("visits.view")
def detail(visit_id):
    return _detail(get_scoped_or_404(ReturnVisit, visit_id))


def _fail(form, exc):
    db.session.rollback()
    form.add_error(exc.field, exc.message)


@bp.route("/<int:visit_id>/record", methods=["POST"])
@require("visits.record")
def record(visit_id):
    visit = get_scoped_or_404(ReturnVisit, visit_id)
    if not services.may_record(current_user, visit):
        abort(403)
    form = RecordForm()

    def act():
        services.record_result(
            current_user, visit, method=form.method.data, satisfied=form.satisfied.data == "yes",
            remarks=form.remarks.data or "", visited_at=local_to_utc(form.visited_at.data, visit.estate))
        return _("Return visit %(n)s recorded.", n=visit.number)

    return record_action(form, act, redirect_to=url_for("visits.detail", visit_id=visit_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ReturnVisit, visit_id), 422, record_form=f))


@bp.route("/<int:visit_id>/miss", methods=["POST"])
@require("visits.record")
def miss(visit_id):
    visit = get_scoped_or_404(ReturnVisit, visit_id)
    if not services.may_record(current_user, visit):
        abort(403)
    form = MissForm(prefix="miss")

    def act():
        services.mark_missed(current_user, visit, form.reason.data)
        return _("Visit %(n)s marked as missed.", n=visit.number)

    return record_action(form, act, redirect_to=url_for("visits.detail", visit_id=visit_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ReturnVisit, visit_id), 422, miss_form=f))


@bp.route("/<int:visit_id>/cancel", methods=["POST"])
@require("visits.manage")
def cancel(visit_id):
    visit = get_scoped_or_404(ReturnVisit, visit_id)
    form = CancelForm(prefix="cancel")

    def act():
        services.cancel(current_user, visit, form.reason.data)
        return _("Visit %(n)s cancelled.", n=visit.number)

    return record_action(form, act, redirect_to=url_for("visits.detail", visit_id=visit_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ReturnVisit, visit_id), 422, cancel_form=f))


@bp.route("/<int:visit_id>/reassign", methods=["POST"])
@require("visits.manage")
def reassign(visit_id):
    visit = get_scoped_or_404(ReturnVisit, visit_id)
    form = ReassignForm()
    form.assigned_to_id.choices = visitor_choices([visit.estate_id])

    def act():
        services.reassign(current_user, visit, form.assigned_to_id.data)
        return _("Visit %(n)s reassigned.", n=visit.number)

    return record_action(form, act, redirect_to=url_for("visits.detail", visit_id=visit_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ReturnVisit, visit_id), 422, reassign_form=f))


@bp.route("/<int:visit_id>/print")
@require("visits.view")
def print_visit(visit_id):
    visit = get_scoped_or_404(ReturnVisit, visit_id)
    return render_template("visits/print.html", visits=[visit], kinds=KIND_LABELS, methods=METHOD_LABELS,
                           satisfied_labels=SATISFIED_LABELS, title=_("Return Visit Record"),
                           number=visit.number)


@bp.route("/new", methods=["GET", "POST"])
@require("visits.manage")
def plan():
    form = PlanForm()
    form.estate_id.choices = estate_choices()
    estate_id = form.estate_id.data or (current_estate_ids() or [0])[0]
    form.assigned_to_id.choices = [(0, _("Automatic (fewest open visits)"))] + visitor_choices(
        current_estate_ids())
    if request.method == "GET":
        form.estate_id.data = estate_id
        form.kind.data = request.args.get("kind", "decoration")
    if form.validate_on_submit():
        try:
            visit = services.plan_single(
                current_user, estate_id=form.estate_id.data, kind=form.kind.data,
                unit_number=form.unit_number.data or "", contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data or "", source_number=form.source_number.data or "",
                due_date=form.due_date.data, assigned_to_id=form.assigned_to_id.data or None,
                today=today_local())
            db.session.commit()
            flash(_("Return visit %(n)s planned.", n=visit.number), "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
        except DomainError as exc:
            _fail(form, exc)
    return render_template("visits/form.html", form=form, title=_("Plan a return visit"))
