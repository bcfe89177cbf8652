"""Meetings and handover services. Each function takes the acting user, checks every rule, and
either changes the session (the caller commits) or raises a translated :class:`DomainError`
naming the form field — and then nothing is saved (the caller rolls back).

Rules: a handover names an incoming member of the estate's staff other than the writer, picks
its case matters among the open matters the ``meetings_open_matters`` hook offers, and says what
was handed over; only the named incoming staff acknowledges it, once; the manager signs it once,
and only after the acknowledgement. A meeting's minute-taker is one of its attendees; action
items are not due before the meeting; only participants sign the minutes, each once; when every
participant who was present has signed, the minutes are sent on (to the estate's managers) and
filed (into the archives plugin's estate file when it is on); absentees sign later.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_datetime
from core.models import Estate, User, utcnow
from core.notify import notify_each
from core.numbering import next_number
from core.permissions import has_permission
from core.plugins import is_enabled, plugins
from core.security import user_estate_ids, users_with_permission
from core.settings import get_settings
from plugins.meetings.models import (
    MEETING_KINDS,
    SHIFTS,
    ActionItem,
    HandoverMatter,
    Meeting,
    MeetingAttendee,
    ShiftHandover,
)

log = logging.getLogger(__name__)

HANDOVER_PREFIX = "JB"
MEETING_PREFIX = "HY"
NAMESPACE = "meetings"
DEFAULTS = {"weekly_weekday": 4, "weekly_time": "16:00"}
#: Free-text matter lines on one handover at most.
MAX_MATTERS = 50


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def tz_of(estate) -> ZoneInfo:
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def local_day(moment: datetime, estate) -> date:
    return moment.astimezone(tz_of(estate)).date()


def staff(estate_id: int) -> list[User]:
    """The estate's staff who may take part (members with ``meetings.view``)."""
    return users_with_permission(estate_id, "meetings.view")


def _staff_member(estate_id: int, user_id, field: str, message: str) -> User:
    if isinstance(user_id, str):
        user_id = int(user_id) if user_id.isdigit() else None
    ids = {u.id: u for u in staff(estate_id)}
    if user_id not in ids:
        raise DomainError(message, field)
    return ids[user_id]


# -- settings --------------------------------------------------------------------------------------
def weekly_setting(estate_id: int) -> tuple[int, time]:
    """The estate's weekly meeting slot: weekday (0 = Monday) and local time (default Friday 16:00)."""
    values = get_settings(NAMESPACE, estate_id)
    try:
        weekday = int(values.get("weekly_weekday", 4))
        hh, mm = (int(x) for x in str(values.get("weekly_time", "16:00")).split(":"))
        return weekday % 7, time(hh, mm)
    except (TypeError, ValueError):
        return 4, time(16, 0)


def next_weekly_slot(estate, after: datetime) -> datetime:
    """The next weekly meeting at or after ``after`` (aware UTC), in the estate's local time."""
    weekday, at = weekly_setting(estate.id)
    tz = tz_of(estate)
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    slot = datetime.combine(day, at, tzinfo=tz)
    if slot < local:
        slot += timedelta(days=7)
    return slot.astimezone(ZoneInfo("UTC"))


# -- open matters from other plugins -----------------------------------------------------------------
def open_matters(user, estate_id: int) -> list[dict]:
    """The open matters every enabled plugin offers for this estate (``meetings_open_matters``);
    an answer that is not a list of dicts with a reference and a label is logged and left out."""
    out, seen = [], set()
    for code, result, err in plugins().call_each("meetings_open_matters", user=user, estate_id=estate_id):
        if err is not None or not result:
            continue
        if not isinstance(result, list | tuple):
            log.error("hook meetings_open_matters of plugin %s returned %s, not a list", code, type(result).__name__)
            continue
        for item in result:
            if not isinstance(item, dict) or not item.get("reference") or not item.get("label"):
                log.error("hook meetings_open_matters of plugin %s returned a bad item %r", code, item)
                continue
            ref = str(item["reference"])[:50]
            if ref in seen:
                continue
            seen.add(ref)
            out.append({"reference": ref, "label": str(item["label"])[:300], "url": str(item.get("url") or "")[:300],
                        "kind": str(item.get("kind") or "")[:50]})
    return out


# -- shift handovers ---------------------------------------------------------------------------------
def hand_over(user, *, estate_id: int, shift: str, incoming_id, references=(), other_matters: str = "",
              handed_over: str = "", note: str = "", handed_at: datetime | None = None) -> ShiftHandover:
    """The outgoing shift's handover record: its open matters and what was handed over."""
    _require(user, "meetings.hand_over")
    estate = _check_estate(user, estate_id)
    if shift not in SHIFTS:
        raise DomainError(_("Choose the shift being handed over."), "shift")
    incoming = _staff_member(estate.id, incoming_id, "incoming_id",
                             _("Choose the incoming staff member among the estate's staff."))
    if incoming.id == user.id:
        raise DomainError(_("The incoming staff member must be someone else."), "incoming_id")
    offered = {m["reference"]: m for m in open_matters(user, estate.id)}
    picked = []
    for ref in dict.fromkeys(r.strip() for r in references if r and r.strip()):
        if ref not in offered:
            raise DomainError(_("%(ref)s is not an open matter of this estate: nothing was saved.", ref=ref[:50]),
                              "references")
        picked.append(offered[ref])
    lines = [x for x in (_text(line, 300) for line in (other_matters or "").splitlines()) if x]
    if len(lines) > MAX_MATTERS:
        raise DomainError(_("At most %(num)d other matters on one handover.", num=MAX_MATTERS), "other_matters")
    handed_over = _text(handed_over, 5000)
    if not handed_over:
        raise DomainError(_("Say what was handed over (keys, radios, logs, cash…)."), "handed_over")
    now = handed_at or utcnow()
    row = ShiftHandover(estate_id=estate.id, number=next_number(HANDOVER_PREFIX, estate, now), shift=shift,
                        handed_at=now, outgoing_id=user.id, incoming_id=incoming.id, handed_over=handed_over,
                        note=_text(note, 500))
    db.session.add(row)
    db.session.flush()
    for m in picked:
        db.session.add(HandoverMatter(estate_id=estate.id, handover_id=row.id, kind=m["kind"],
                                      reference=m["reference"], label=m["label"], url=m["url"]))
    for line in lines:
        db.session.add(HandoverMatter(estate_id=estate.id, handover_id=row.id, label=line))
    db.session.flush()
    return row


def acknowledge_handover(user, handover: ShiftHandover, note: str = "", at: datetime | None = None) -> None:
    """The incoming staff named on the record acknowledges it — once."""
    if handover.incoming_id != user.id:
        raise DomainError(_("Only the incoming staff member named on the record acknowledges it."))
    if handover.acknowledged_at is not None:
        raise DomainError(_("This handover was already acknowledged at %(when)s.",
                            when=fmt_datetime(handover.acknowledged_at)))
    handover.acknowledged_at = at or utcnow()
    handover.acknowledge_note = _text(note, 500)
    db.session.flush()


def sign_handover(user, handover: ShiftHandover, note: str = "", at: datetime | None = None) -> None:
    """The manager reads and signs the acknowledged record — once."""
    _require(user, "meetings.sign")
    if handover.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."))
    if handover.signed_at is not None:
        raise DomainError(_("This handover was already signed by %(name)s.",
                            name=handover.signed_by.full_name if handover.signed_by else "—"))
    if handover.acknowledged_at is None:
        raise DomainError(_("The incoming staff has not acknowledged this handover yet: it cannot be signed."))
    handover.signed_at = at or utcnow()
    handover.signed_by_id = user.id
    handover.sign_note = _text(note, 500)
    db.session.flush()


def unsigned_query(estate_ids):
    """A count of the handovers not signed yet (menu badge, widget)."""
    return (select(func.count()).select_from(ShiftHandover)
            .where(ShiftHandover.estate_id.in_(estate_ids or [0]), ShiftHandover.signed_at.is_(None)))


# -- meetings ----------------------------------------------------------------------------------------
def _may_keep_minutes(user, meeting: Meeting) -> bool:
    return meeting.minute_taker_id == user.id or has_permission("meetings.manage", user)


def plan_meeting(user, *, estate_id: int, kind: str, title: str, starts_at: datetime | None, place: str = "",
                 agenda: str = "", attendee_ids=(), minute_taker_id=None, chair_id=None) -> Meeting:
    """Call a meeting: its attendees, one of them the named minute-taker."""
    _require(user, "meetings.manage")
    estate = _check_estate(user, estate_id)
    if kind not in MEETING_KINDS:
        raise DomainError(_("Choose the kind of meeting."), "kind")
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Name the meeting."), "title")
    if starts_at is None:
        raise DomainError(_("Enter when the meeting starts."), "starts_at")
    members = {u.id: u for u in staff(estate.id)}
    ids = []
    for raw in attendee_ids or ():
        uid = int(raw) if str(raw).isdigit() and int(raw) < 2**31 else None
        if uid not in members:
            raise DomainError(_("Choose the attendees among the estate's staff."), "attendee_ids")
        if uid not in ids:
            ids.append(uid)
    if not ids:
        raise DomainError(_("Choose the attendees."), "attendee_ids")
    taker = int(minute_taker_id) if str(minute_taker_id or "").isdigit() and int(minute_taker_id) < 2**31 else None
    if taker is None:
        raise DomainError(_("Name the minute-taker."), "minute_taker_id")
    if taker not in ids:
        raise DomainError(_("The minute-taker must be one of the attendees."), "minute_taker_id")
    chair = int(chair_id) if str(chair_id or "").isdigit() and int(chair_id) < 2**31 else None
    if chair is not None and chair not in ids:
        raise DomainError(_("The chair must be one of the attendees."), "chair_id")
    meeting = Meeting(estate_id=estate.id, number=next_number(MEETING_PREFIX, estate, starts_at), kind=kind,
                      title=title, starts_at=starts_at, place=_text(place, 100), agenda=_text(agenda, 10000),
                      minute_taker_id=taker, chair_id=chair, state="planned")
    db.session.add(meeting)
    db.session.flush()
    for uid in ids:
        db.session.add(MeetingAttendee(estate_id=estate.id, meeting_id=meeting.id, user_id=uid))
    db.session.flush()
    return meeting


def next_week(estate, now: datetime) -> tuple[datetime, datetime]:
    """Next week in the estate's local time, Monday 00:00 to the Monday after, as aware UTC."""
    tz = tz_of(estate)
    today = local_day(now, estate)
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), (start + timedelta(days=7)).astimezone(ZoneInfo("UTC"))


def plan_next_weekly(estate, now: datetime) -> Meeting | None:
    """Call next week's weekly meeting of ``estate`` at its slot, unless a weekly meeting of that
    week exists already (whatever its state) or the estate has nobody to hold it; used by the job
    ``meetings.plan_weekly``. The attendees are the estate's staff (``meetings.view``); the
    minute-taker and chair, place and title follow the last weekly meeting (the minute-taker
    otherwise the first with ``meetings.manage``). The title is in the site's language."""
    first, last = next_week(estate, now)
    if db.session.scalar(select(Meeting.id).where(
            Meeting.estate_id == estate.id, Meeting.kind == "weekly", Meeting.starts_at >= first,
            Meeting.starts_at < last).limit(1)) is not None:
        return None
    members = staff(estate.id)
    if not members:
        return None
    ids = [u.id for u in members]
    previous = db.session.scalar(select(Meeting).where(Meeting.estate_id == estate.id, Meeting.kind == "weekly")
                                 .order_by(Meeting.starts_at.desc()).limit(1))
    managers = [u.id for u in users_with_permission(estate.id, "meetings.manage") if u.id in ids]
    taker = (previous.minute_taker_id if previous is not None and previous.minute_taker_id in ids
             else (managers[0] if managers else ids[0]))
    chair = previous.chair_id if previous is not None and previous.chair_id in ids else None
    starts_at = next_weekly_slot(estate, first)
    meeting = Meeting(estate_id=estate.id, number=next_number(MEETING_PREFIX, estate, starts_at), kind="weekly",
                      title=_text(_("Weekly meeting %(day)s", day=local_day(starts_at, estate).isoformat()), 200),
                      starts_at=starts_at, place=previous.place if previous is not None else "",
                      minute_taker_id=taker, chair_id=chair, state="planned")
    db.session.add(meeting)
    db.session.flush()
    for uid in ids:
        db.session.add(MeetingAttendee(estate_id=estate.id, meeting_id=meeting.id, user_id=uid))
    db.session.flush()
    return meeting


def record_minutes(user, meeting: Meeting, *, minutes: str, decisions: str = "", present_ids=(),
                   at: datetime | None = None) -> None:
    """The minute-taker (or a manager) records who came, the minutes and the decisions."""
    if not _may_keep_minutes(user, meeting):
        raise DomainError(_("Only the minute-taker or a manager records the minutes."))
    if meeting.state not in ("planned", "held"):
        raise DomainError(_("The minutes were circulated: they can no longer be changed."))
    minutes = _text(minutes, 20000)
    if not minutes:
        raise DomainError(_("Write the minutes."), "minutes")
    attendees = {a.user_id: a for a in meeting.attendees}
    present = set()
    for raw in present_ids or ():
        uid = int(raw) if str(raw).isdigit() and int(raw) < 2**31 else None
        if uid not in attendees:
            raise DomainError(_("Only the meeting's attendees can be marked present."), "present_ids")
        present.add(uid)
    if not present:
        raise DomainError(_("Mark who was present."), "present_ids")
    for uid, row in attendees.items():
        row.present = uid in present
    meeting.minutes = minutes
    meeting.decisions = _text(decisions, 10000)
    meeting.state = "held"
    meeting.held_at = meeting.held_at or at or utcnow()
    db.session.flush()


def add_action_item(user, meeting: Meeting, *, text: str, owner_id, due_on: date | None) -> ActionItem:
    """An action item of the meeting: what, who (one of the estate's staff), by when."""
    if not _may_keep_minutes(user, meeting):
        raise DomainError(_("Only the minute-taker or a manager records action items."))
    if meeting.state != "held":
        raise DomainError(_("Action items are recorded with the minutes, before they are circulated."))
    text = _text(text, 500)
    if not text:
        raise DomainError(_("Say what is to be done."), "text")
    owner = _staff_member(meeting.estate_id, owner_id, "owner_id", _("Choose the owner among the estate's staff."))
    if due_on is None:
        raise DomainError(_("Enter the due date."), "due_on")
    if due_on < local_day(meeting.starts_at, meeting.estate):
        raise DomainError(_("The action item is due before the meeting (%(day)s).",
                            day=local_day(meeting.starts_at, meeting.estate).isoformat()), "due_on")
    item = ActionItem(estate_id=meeting.estate_id, meeting_id=meeting.id, text=text, owner_id=owner.id,
                      due_on=due_on, state="open")
    db.session.add(item)
    db.session.flush()
    return item


def close_item(user, item: ActionItem, note: str = "", at: datetime | None = None) -> None:
    """The owner (or a manager) marks the action item done — once."""
    if item.owner_id != user.id and not has_permission("meetings.manage", user):
        raise DomainError(_("Only the owner of the action item or a manager marks it done."))
    if item.state == "done":
        raise DomainError(_("This action item is already done."))
    item.state = "done"
    item.done_at = at or utcnow()
    item.done_by_id = user.id
    item.done_note = _text(note, 500)
    db.session.flush()


def circulate(user, meeting: Meeting, at: datetime | None = None) -> int:
    """Send the minutes round for every participant to sign; returns how many were told."""
    if not _may_keep_minutes(user, meeting):
        raise DomainError(_("Only the minute-taker or a manager circulates the minutes."))
    if meeting.state == "planned":
        raise DomainError(_("Record the minutes before circulating them."))
    if meeting.state != "held":
        raise DomainError(_("These minutes were already circulated."))
    meeting.state = "circulated"
    meeting.circulated_at = at or utcnow()
    db.session.flush()
    people = [a.user for a in meeting.attendees if a.user is not None and a.user.active]

    def message():
        return (_("Minutes %(number)s to sign", number=meeting.number),
                _("Read and sign the minutes of %(title)s.", title=meeting.title))

    return notify_each(people, message, f"/meetings/m/{meeting.id}", meeting.estate_id)


def acknowledge_minutes(user, meeting: Meeting, at: datetime | None = None) -> MeetingAttendee:
    """A participant signs the circulated minutes — once. An absentee signs later, also after
    filing. When every participant who was present has signed, the minutes are sent on and filed."""
    row = next((a for a in meeting.attendees if a.user_id == user.id), None)
    if row is None:
        raise DomainError(_("You are not a participant of this meeting."))
    if meeting.state not in ("circulated", "filed"):
        raise DomainError(_("The minutes have not been circulated yet."))
    if row.acknowledged_at is not None:
        raise DomainError(_("You already signed these minutes at %(when)s.", when=fmt_datetime(row.acknowledged_at)))
    row.acknowledged_at = at or utcnow()
    db.session.flush()
    waiting = db.session.scalar(select(func.count()).select_from(MeetingAttendee).where(
        MeetingAttendee.meeting_id == meeting.id, MeetingAttendee.present.is_(True),
        MeetingAttendee.acknowledged_at.is_(None)))
    if meeting.state == "circulated" and not waiting:
        file_minutes(user, meeting, at=at)
    return row


def file_minutes(user, meeting: Meeting, at: datetime | None = None) -> None:
    """Send the signed minutes on (to the estate's managers) and file them: into the archives
    plugin's estate file of "other" documents when it is on."""
    meeting.state = "filed"
    meeting.filed_at = at or utcnow()
    if is_enabled("archives"):
        from plugins.archives.services import file_document

        entry = file_document(user, estate_id=meeting.estate_id, kind="other",
                              title=f"{meeting.number} {meeting.title}"[:200], source="meetings",
                              source_ref=meeting.number)
        meeting.archive_ref = (entry.file.number if entry.file is not None else "")[:50]
    db.session.flush()
    managers = [u for u in users_with_permission(meeting.estate_id, "meetings.sign")]

    def message():
        return (_("Minutes %(number)s signed and filed", number=meeting.number),
                _("Every participant present has signed the minutes of %(title)s.", title=meeting.title))

    notify_each(managers, message, f"/meetings/m/{meeting.id}", meeting.estate_id)


# -- action items: overdue ---------------------------------------------------------------------------
def overdue_filter(today: date):
    return (ActionItem.state == "open") & (ActionItem.due_on < today)


def item_is_overdue(item: ActionItem, today: date) -> bool:
    return item.state == "open" and item.due_on < today


def open_items_query(estate_ids):
    return (select(func.count()).select_from(ActionItem)
            .where(ActionItem.estate_id.in_(estate_ids or [0]), ActionItem.state == "open"))


def widget_figures(user, estate_ids, today: date) -> dict:
    """The dashboard's figures: unsigned handovers (the oldest few) and open action items."""
    ids = estate_ids or [0]
    unsigned = db.session.scalar(unsigned_query(ids))
    oldest = db.session.scalars(select(ShiftHandover).where(
        ShiftHandover.estate_id.in_(ids), ShiftHandover.signed_at.is_(None))
        .order_by(ShiftHandover.handed_at).limit(5)).all()
    open_items = db.session.scalar(open_items_query(ids))
    overdue = db.session.scalar(select(func.count()).select_from(ActionItem).where(
        ActionItem.estate_id.in_(ids), overdue_filter(today)))
    mine = db.session.scalars(select(ActionItem).where(
        ActionItem.estate_id.in_(ids), ActionItem.state == "open", ActionItem.owner_id == user.id)
        .order_by(ActionItem.due_on).limit(5)).all()
    return {"unsigned": unsigned, "oldest": oldest, "open": open_items, "overdue": overdue, "mine": mine,
            "today": today}
