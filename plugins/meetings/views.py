"""Meetings and handover pages: handover records (write, acknowledge, sign, print), meetings
(call, minutes, action items, circulate, sign, print) and the action items followed up.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.meetings.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import Once, record_action
from core.extensions import db
from core.i18n import estate_timezone, to_local, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, User, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from plugins.meetings import services
from plugins.meetings.forms import (
    HANDOVER_STATE_LABELS,
    ITEM_STATE_LABELS,
    KIND_LABELS,
    MEETING_STATE_LABELS,
    SHIFT_LABELS,
    ActionItemForm,
    EmptyForm,
    HandoverFilter,
    HandoverForm,
    ItemFilter,
    MeetingFilter,
    MeetingForm,
    MinutesForm,
    NoteForm,
)
from plugins.meetings.models import (
    MEETING_KINDS,
    MEETING_STATES,
    ActionItem,
    Meeting,
    ShiftHandover,
)

bp = Blueprint("meetings", __name__, template_folder="templates")

LABELS = dict(shifts=SHIFT_LABELS, handover_states=HANDOVER_STATE_LABELS, kinds=KIND_LABELS,
              meeting_states=MEETING_STATE_LABELS, item_states=ITEM_STATE_LABELS)


def local_to_utc(value: datetime | None, estate: Estate) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(estate.timezone or "Asia/Shanghai")).astimezone(UTC)


def _form_estate() -> Estate | None:
    """The estate a new record is for: ``?estate=`` among the user's estates, else the first of
    the current view."""
    raw = request.args.get("estate", "")
    ids = current_estate_ids()
    if raw.isdigit() and int(raw) in user_estate_ids(current_user):
        return db.session.get(Estate, int(raw))
    return db.session.get(Estate, ids[0]) if ids else None


def _posted_estate() -> Estate:
    raw = request.form.get("estate_id", "")
    if raw.isdigit() and int(raw) < 2**31 and int(raw) in user_estate_ids(current_user):
        return db.session.get(Estate, int(raw))
    abort(404)


def _people(estate_id: int) -> list[tuple[str, str]]:
    return [(str(u.id), u.full_name or u.username) for u in services.staff(estate_id)]


def _estates():
    return db.session.scalars(select(Estate).where(Estate.id.in_(current_estate_ids() or [0]))
                              .order_by(Estate.code)).all()


def _dates_in_order(filters) -> bool:
    if filters.start.data and filters.end.data and filters.end.data < filters.start.data:
        filters.end.errors = list(filters.end.errors or []) + [_("The end date is before the start date.")]
        return False
    return True


def _day_start(day, tz):
    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)


# == shift handovers ================================================================================
def _handover_form(estate, formdata=True):
    form = HandoverForm() if formdata else HandoverForm(formdata=None)
    form.incoming_id.choices = [("", _("Choose…"))] + [p for p in _people(estate.id) if p[0] != str(current_user.id)]
    matters = services.open_matters(current_user, estate.id)
    form.references.choices = [(m["reference"], m["label"]) for m in matters]
    if not formdata:
        form.estate_id.data = str(estate.id)
        hour = to_local(utcnow(), estate.timezone).hour
        form.shift.data = "night" if hour < 9 else ("day" if hour < 17 else "evening")
    return form, matters


def _new_handover_page(estate, form, matters, status=200):
    return render_template("meetings/handover_form.html", form=form, estate=estate, estates=_estates(),
                           matters=matters, **LABELS), status


@bp.route("/handovers/new")
@require("meetings.hand_over")
def new_handover():
    estate = _form_estate()
    if estate is None:
        abort(404)
    form, matters = _handover_form(estate, formdata=False)
    return _new_handover_page(estate, form, matters)


@bp.route("/handovers/new", methods=["POST"])
@require("meetings.hand_over")
def create_handover():
    estate = _posted_estate()
    estate_id = estate.id
    form, _matters = _handover_form(estate)
    made = {}

    def act():
        made["h"] = services.hand_over(
            current_user, estate_id=estate_id, shift=form.shift.data, incoming_id=form.incoming_id.data,
            references=form.references.data or [], other_matters=form.other_matters.data or "",
            handed_over=form.handed_over.data or "", note=form.note.data or "")
        return _("Handover %(number)s recorded: %(name)s is asked to acknowledge it.", number=made["h"].number,
                 name=made["h"].incoming.full_name)

    def page(hid):
        return url_for("meetings.handover", shift_handover_id=hid)

    def rerender(f):
        est = db.session.get(Estate, estate_id)
        return _new_handover_page(est, f, services.open_matters(current_user, est.id), 422)

    return record_action(form, act, redirect_to=lambda: page(made["h"].id), rerender=rerender,
                         once=Once("meetings_shift_handover", lambda: made["h"].id, page, estate_id))


def _handover_page(row, status=200, ack_form=None, sign_form=None):
    still_open = {m["reference"] for m in services.open_matters(current_user, row.estate_id)}
    return render_template(
        "meetings/handover.html", h=row, still_open=still_open,
        ack_form=ack_form or NoteForm(formdata=None, prefix="ack"),
        sign_form=sign_form or NoteForm(formdata=None, prefix="sign"),
        may_ack=row.incoming_id == current_user.id and row.acknowledged_at is None,
        may_sign=has_permission("meetings.sign") and row.signed_at is None, **LABELS), status


@bp.route("/handovers/<int:shift_handover_id>")
@require("meetings.view")
def handover(shift_handover_id):
    return _handover_page(get_scoped_or_404(ShiftHandover, shift_handover_id))


@bp.route("/handovers/<int:shift_handover_id>/acknowledge", methods=["POST"])
@require("meetings.hand_over")
def acknowledge(shift_handover_id):
    row = get_scoped_or_404(ShiftHandover, shift_handover_id)
    form = NoteForm(prefix="ack")

    def act():
        services.acknowledge_handover(current_user, row, form.note.data or "")
        return _("Handover %(number)s acknowledged.", number=row.number)

    return record_action(form, act, redirect_to=url_for("meetings.handover", shift_handover_id=shift_handover_id),
                         flash_unplaced=True,
                         rerender=lambda f: _handover_page(get_scoped_or_404(ShiftHandover, shift_handover_id),
                                                           422, ack_form=f))


@bp.route("/handovers/<int:shift_handover_id>/sign", methods=["POST"])
@require("meetings.sign")
def sign(shift_handover_id):
    row = get_scoped_or_404(ShiftHandover, shift_handover_id)
    form = NoteForm(prefix="sign")

    def act():
        services.sign_handover(current_user, row, form.note.data or "")
        return _("Handover %(number)s signed.", number=row.number)

    return record_action(form, act, redirect_to=url_for("meetings.handover", shift_handover_id=shift_handover_id),
                         flash_unplaced=True,
                         rerender=lambda f: _handover_page(get_scoped_or_404(ShiftHandover, shift_handover_id),
                                                           422, sign_form=f))


@bp.route("/handovers/<int:shift_handover_id>/print")
@require("meetings.view")
def handover_print(shift_handover_id):
    return render_template("meetings/handover_print.html", h=get_scoped_or_404(ShiftHandover, shift_handover_id),
                           **LABELS)


def handovers_page(filters: HandoverFilter) -> ListPage:
    stmt = scoped(ShiftHandover, estate_ids=current_estate_ids())
    tz = ZoneInfo(estate_timezone())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        people = select(User.id).where(User.full_name.like(pat, escape="\\"))
        stmt = stmt.where(or_(ShiftHandover.number.like(pat, escape="\\"), ShiftHandover.outgoing_id.in_(people),
                              ShiftHandover.incoming_id.in_(people)))
    state = filters.state.data
    if state == "signed":
        stmt = stmt.where(ShiftHandover.signed_at.is_not(None))
    elif state == "unsigned":
        stmt = stmt.where(ShiftHandover.signed_at.is_(None))
    elif state == "acknowledged":
        stmt = stmt.where(ShiftHandover.signed_at.is_(None), ShiftHandover.acknowledged_at.is_not(None))
    elif state == "handed_over":
        stmt = stmt.where(ShiftHandover.acknowledged_at.is_(None))
    if filters.start.data:
        stmt = stmt.where(ShiftHandover.handed_at >= _day_start(filters.start.data, tz))
    if filters.end.data:
        stmt = stmt.where(ShiftHandover.handed_at < _day_start(filters.end.data + timedelta(days=1), tz))
    return ListPage(stmt, [
        Column("number", _l("Number"), lambda h: h.number, ShiftHandover.number,
               link=lambda h: url_for("meetings.handover", shift_handover_id=h.id)),
        Column("handed_at", _l("Handover time"), lambda h: h.handed_at, ShiftHandover.handed_at, fmt="datetime"),
        Column("shift", _l("Shift"), lambda h: SHIFT_LABELS.get(h.shift, h.shift), ShiftHandover.shift),
        Column("outgoing", _l("Outgoing staff"), lambda h: h.outgoing.full_name),
        Column("incoming", _l("Incoming staff"), lambda h: h.incoming.full_name),
        Column("matters", _l("Open matters"), lambda h: len(h.matters), fmt="number", css="d-none d-md-table-cell"),
        Column("state", _l("State"), lambda h: HANDOVER_STATE_LABELS[h.state]),
        Column("signed_by", _l("Signed by"), lambda h: h.signed_by.full_name if h.signed_by else "",
               css="d-none d-md-table-cell"),
        Column("estate", _l("Estate"), lambda h: h.estate.name, ShiftHandover.estate_id, css="d-none d-lg-table-cell"),
    ], "-handed_at", _("Shift handovers"), "handovers")


@bp.route("/handovers")
@require("meetings.view")
def handovers():
    filters = HandoverFilter(request.args)
    if not _dates_in_order(filters):
        return render_template("meetings/list.html", title=_("Shift handovers"), filters=filters, page=None,
                               result=None, endpoint="meetings.handovers"), 400
    page = handovers_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("meetings/list.html", title=_("Shift handovers"), filters=filters, page=page,
                           result=page.page(), endpoint="meetings.handovers")


# == meetings =======================================================================================
def meetings_page(filters: MeetingFilter) -> ListPage:
    stmt = scoped(Meeting, estate_ids=current_estate_ids())
    tz = ZoneInfo(estate_timezone())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        stmt = stmt.where(or_(Meeting.number.like(pat, escape="\\"), Meeting.title.like(pat, escape="\\")))
    if filters.kind.data in MEETING_KINDS:
        stmt = stmt.where(Meeting.kind == filters.kind.data)
    if filters.state.data in MEETING_STATES:
        stmt = stmt.where(Meeting.state == filters.state.data)
    if filters.start.data:
        stmt = stmt.where(Meeting.starts_at >= _day_start(filters.start.data, tz))
    if filters.end.data:
        stmt = stmt.where(Meeting.starts_at < _day_start(filters.end.data + timedelta(days=1), tz))
    return ListPage(stmt, [
        Column("number", _l("Number"), lambda m: m.number, Meeting.number,
               link=lambda m: url_for("meetings.meeting", meeting_id=m.id)),
        Column("starts_at", _l("Starts at"), lambda m: m.starts_at, Meeting.starts_at, fmt="datetime"),
        Column("kind", _l("Kind of meeting"), lambda m: KIND_LABELS.get(m.kind, m.kind), Meeting.kind),
        Column("title", _l("Meeting title"), lambda m: m.title, Meeting.title, css="wrap"),
        Column("minute_taker", _l("Minute-taker"), lambda m: m.minute_taker.full_name, css="d-none d-md-table-cell"),
        Column("state", _l("State"), lambda m: MEETING_STATE_LABELS.get(m.state, m.state), Meeting.state),
        Column("signed", _l("Signed"), lambda m: f"{sum(1 for a in m.attendees if a.acknowledged_at)}"
                                                 f"/{len(m.attendees)}", css="d-none d-md-table-cell"),
        Column("estate", _l("Estate"), lambda m: m.estate.name, Meeting.estate_id, css="d-none d-lg-table-cell"),
    ], "-starts_at", _("Meetings"), "meetings")


@bp.route("/")
@require("meetings.view")
def index():
    filters = MeetingFilter(request.args)
    if not _dates_in_order(filters):
        return render_template("meetings/list.html", title=_("Meetings"), filters=filters, page=None,
                               result=None, endpoint="meetings.index"), 400
    page = meetings_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("meetings/list.html", title=_("Meetings"), filters=filters, page=page,
                           result=page.page(), endpoint="meetings.index")


def _meeting_form(estate, formdata=True):
    form = MeetingForm() if formdata else MeetingForm(formdata=None)
    people = _people(estate.id)
    form.attendee_ids.choices = people
    form.minute_taker_id.choices = [("", _("Choose…"))] + people
    form.chair_id.choices = [("", _("None"))] + people
    if not formdata:
        kind = request.args.get("kind", "")
        form.kind.data = kind if kind in MEETING_KINDS else "weekly"
        form.estate_id.data = str(estate.id)
        if form.kind.data == "weekly":
            slot = services.next_weekly_slot(estate, utcnow())
            form.title.data = _("Weekly meeting")
        else:
            slot = utcnow() + timedelta(hours=1)
            form.title.data = str(KIND_LABELS[form.kind.data])
        form.starts_at.data = to_local(slot, estate.timezone).replace(tzinfo=None, second=0, microsecond=0)
    return form


def _new_meeting_page(estate, form, status=200):
    return render_template("meetings/meeting_form.html", form=form, estate=estate, estates=_estates(),
                           **LABELS), status


@bp.route("/new")
@require("meetings.manage")
def new_meeting():
    estate = _form_estate()
    if estate is None:
        abort(404)
    return _new_meeting_page(estate, _meeting_form(estate, formdata=False))


@bp.route("/new", methods=["POST"])
@require("meetings.manage")
def create_meeting():
    estate = _posted_estate()
    estate_id = estate.id
    form = _meeting_form(estate)
    made = {}

    def act():
        est = db.session.get(Estate, estate_id)
        made["m"] = services.plan_meeting(
            current_user, estate_id=estate_id, kind=form.kind.data, title=form.title.data,
            starts_at=local_to_utc(form.starts_at.data, est), place=form.place.data or "",
            agenda=form.agenda.data or "", attendee_ids=form.attendee_ids.data or [],
            minute_taker_id=form.minute_taker_id.data, chair_id=form.chair_id.data)
        return _("Meeting %(number)s called.", number=made["m"].number)

    def page(mid):
        return url_for("meetings.meeting", meeting_id=mid)

    return record_action(form, act, redirect_to=lambda: page(made["m"].id),
                         rerender=lambda f: _new_meeting_page(db.session.get(Estate, estate_id), f, 422),
                         once=Once("meetings_meeting", lambda: made["m"].id, page, estate_id))


def _meeting_page(m, status=200, minutes_form=None, item_form=None):
    people = _people(m.estate_id)
    if minutes_form is None:
        minutes_form = MinutesForm(formdata=None, prefix="min")
        minutes_form.minutes.data = m.minutes
        minutes_form.decisions.data = m.decisions
        minutes_form.present_ids.data = [str(a.user_id) for a in m.attendees if a.present is not False]
    minutes_form.present_ids.choices = [(str(a.user_id), a.user.full_name) for a in m.attendees]
    if item_form is None:
        item_form = ActionItemForm(formdata=None, prefix="item")
        item_form.due_on.data = services.local_day(m.starts_at, m.estate) + timedelta(days=7)
    item_form.owner_id.choices = [("", _("Choose…"))] + people
    keeper = m.minute_taker_id == current_user.id or has_permission("meetings.manage")
    me = next((a for a in m.attendees if a.user_id == current_user.id), None)
    return render_template(
        "meetings/meeting.html", m=m, minutes_form=minutes_form, item_form=item_form, keeper=keeper,
        me=me, empty=EmptyForm(formdata=None), today=services.local_day(utcnow(), m.estate),
        may_sign=me is not None and me.acknowledged_at is None and m.state in ("circulated", "filed"),
        **LABELS), status


@bp.route("/m/<int:meeting_id>")
@require("meetings.view")
def meeting(meeting_id):
    return _meeting_page(get_scoped_or_404(Meeting, meeting_id))


@bp.route("/m/<int:meeting_id>/minutes", methods=["POST"])
@require("meetings.view")
def minutes(meeting_id):
    m = get_scoped_or_404(Meeting, meeting_id)
    form = MinutesForm(prefix="min")
    form.present_ids.choices = [(str(a.user_id), a.user.full_name) for a in m.attendees]

    def act():
        services.record_minutes(current_user, m, minutes=form.minutes.data or "", decisions=form.decisions.data or "",
                                present_ids=form.present_ids.data or [])
        return _("Minutes of %(number)s saved.", number=m.number)

    return record_action(form, act, redirect_to=url_for("meetings.meeting", meeting_id=meeting_id),
                         flash_unplaced=True,
                         rerender=lambda f: _meeting_page(get_scoped_or_404(Meeting, meeting_id), 422, minutes_form=f))


@bp.route("/m/<int:meeting_id>/items", methods=["POST"])
@require("meetings.view")
def add_item(meeting_id):
    m = get_scoped_or_404(Meeting, meeting_id)
    form = ActionItemForm(prefix="item")
    made = {}

    def act():
        made["i"] = services.add_action_item(current_user, m, text=form.text.data or "",
                                             owner_id=form.owner_id.data, due_on=form.due_on.data)
        return _("Action item added for %(name)s.", name=made["i"].owner.full_name)

    return record_action(form, act, redirect_to=url_for("meetings.meeting", meeting_id=meeting_id),
                         flash_unplaced=True,
                         rerender=lambda f: _meeting_page(get_scoped_or_404(Meeting, meeting_id), 422, item_form=f),
                         once=Once("meetings_action_item", lambda: made["i"].id,
                                   lambda _i: url_for("meetings.meeting", meeting_id=meeting_id), m.estate_id))


@bp.route("/m/<int:meeting_id>/circulate", methods=["POST"])
@require("meetings.view")
def circulate(meeting_id):
    m = get_scoped_or_404(Meeting, meeting_id)
    form = EmptyForm()

    def act():
        services.circulate(current_user, m)
        return _("Minutes of %(number)s circulated for signature.", number=m.number)

    return record_action(form, act, redirect_to=url_for("meetings.meeting", meeting_id=meeting_id),
                         flash_unplaced=True,
                         rerender=lambda f: _meeting_page(get_scoped_or_404(Meeting, meeting_id), 422))


@bp.route("/m/<int:meeting_id>/sign", methods=["POST"])
@require("meetings.view")
def sign_minutes(meeting_id):
    m = get_scoped_or_404(Meeting, meeting_id)
    form = EmptyForm()

    def act():
        was = m.state
        services.acknowledge_minutes(current_user, m)
        if was == "circulated" and m.state == "filed":
            return _("You signed the minutes of %(number)s: every participant has signed, they were sent on and "
                     "filed.", number=m.number)
        return _("You signed the minutes of %(number)s.", number=m.number)

    return record_action(form, act, redirect_to=url_for("meetings.meeting", meeting_id=meeting_id),
                         flash_unplaced=True,
                         rerender=lambda f: _meeting_page(get_scoped_or_404(Meeting, meeting_id), 422))


@bp.route("/m/<int:meeting_id>/print")
@require("meetings.view")
def meeting_print(meeting_id):
    m = get_scoped_or_404(Meeting, meeting_id)
    return render_template("meetings/meeting_print.html", m=m, **LABELS)


# == action items ===================================================================================
def items_page(filters: ItemFilter) -> ListPage:
    stmt = scoped(ActionItem, estate_ids=current_estate_ids())
    today = today_local()
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        people = select(User.id).where(User.full_name.like(pat, escape="\\"))
        stmt = stmt.where(or_(ActionItem.text.like(pat, escape="\\"), ActionItem.owner_id.in_(people)))
    if filters.state.data in ("open", "done"):
        stmt = stmt.where(ActionItem.state == filters.state.data)
    elif filters.state.data == "overdue":
        stmt = stmt.where(services.overdue_filter(today))
    if filters.mine.data == "1":
        stmt = stmt.where(ActionItem.owner_id == current_user.id)
    return ListPage(stmt, [
        Column("text", _l("Action to take"), lambda i: i.text, ActionItem.text, css="wrap",
               link=lambda i: url_for("meetings.item", action_item_id=i.id)),
        Column("owner", _l("Responsible person"), lambda i: i.owner.full_name),
        Column("due_on", _l("Due on"), lambda i: i.due_on, ActionItem.due_on, fmt="date"),
        Column("state", _l("State"), lambda i: _("Overdue") if services.item_is_overdue(i, today)
               else ITEM_STATE_LABELS[i.state], ActionItem.state),
        Column("meeting", _l("Meeting"), lambda i: i.meeting.number, css="d-none d-md-table-cell",
               link=lambda i: url_for("meetings.meeting", meeting_id=i.meeting_id)),
        Column("done_at", _l("Done at"), lambda i: i.done_at, ActionItem.done_at, fmt="datetime",
               css="d-none d-md-table-cell"),
        Column("estate", _l("Estate"), lambda i: i.estate.name, ActionItem.estate_id, css="d-none d-lg-table-cell"),
    ], "due_on", _("Action items"), "action-items")


@bp.route("/items")
@require("meetings.view")
def items():
    filters = ItemFilter(request.args)
    page = items_page(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("meetings/list.html", title=_("Action items"), filters=filters, page=page,
                           result=page.page(), endpoint="meetings.items")


def _item_page(i, status=200, form=None):
    return render_template("meetings/item.html", i=i, form=form or NoteForm(formdata=None, prefix="done"),
                           overdue=services.item_is_overdue(i, services.local_day(utcnow(), i.estate)),
                           may_close=i.state == "open" and (i.owner_id == current_user.id
                                                            or has_permission("meetings.manage")),
                           **LABELS), status


@bp.route("/items/<int:action_item_id>")
@require("meetings.view")
def item(action_item_id):
    return _item_page(get_scoped_or_404(ActionItem, action_item_id))


@bp.route("/items/<int:action_item_id>/done", methods=["POST"])
@require("meetings.view")
def close_item(action_item_id):
    i = get_scoped_or_404(ActionItem, action_item_id)
    form = NoteForm(prefix="done")

    def act():
        services.close_item(current_user, i, form.note.data or "")
        return _("Action item done.")

    return record_action(form, act, redirect_to=url_for("meetings.item", action_item_id=action_item_id),
                         flash_unplaced=True,
                         rerender=lambda f: _item_page(get_scoped_or_404(ActionItem, action_item_id), 422, f))

