"""Shift and attendance services. Each function takes the acting user, checks every rule and either
changes the session (the caller commits) or raises a translated :class:`DomainError` naming the
form field — and then nothing is saved (the caller rolls back).

Rules:

- a schedule is built as a draft (cells: one shift per person and day, never two overlapping
  shifts for one person — a night shift running into the next morning's shift is refused);
  publishing it withdraws the version published before (both kept); a published schedule is
  changed only through a new version;
- a holiday schedule is published at least ``holiday_notice_days`` (7) days before it starts;
- a swap or a change of shift is asked for before the day and decided by the supervisor (not by
  the one asking); a swap needs a colleague on duty on the day swapped; approving it re-publishes
  the schedule as a new version and marks the old one withdrawn;
- leave (whole days) and leaving the post (part of a day) are approved first; approved leave marks
  the scheduled days "leave";
- staff clock in and out of their own shift (late after ``late_grace_minutes``) or the supervisor
  marks the day; never a day to come;
- the monthly attendance report covers the days after the last report day up to this month's
  report day (``report_day``, 25); the job prepares it ``reminder_days`` before, the supervisor
  confirms it, and then it is frozen.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_date
from core.models import Estate, User, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids, users_with_permission
from core.settings import get_settings
from plugins.shifts.models import (
    LEAVE_KINDS,
    MARKS,
    REQUEST_KINDS,
    AttendanceMark,
    AttendanceReport,
    ChangeRequest,
    LeaveRequest,
    ReportLine,
    Roster,
    RosterEntry,
    ShiftPattern,
    ShiftPost,
)

NAMESPACE = "shifts"
DEFAULTS = {"holiday_notice_days": 7, "report_day": 25, "reminder_days": 3, "late_grace_minutes": 5}
HALF_HOUR = Decimal("0.5")


# -- helpers -------------------------------------------------------------------------------
def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def tz(estate: Estate) -> ZoneInfo:
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def estate_today(estate: Estate, now: datetime | None = None) -> date:
    """Today in the estate's time zone."""
    return (now or utcnow()).astimezone(tz(estate)).date()


def setting(estate_id: int, name: str) -> int:
    try:
        return int(get_settings(NAMESPACE, estate_id).get(name, DEFAULTS[name]))
    except (TypeError, ValueError):
        return DEFAULTS[name]


def day_text(day: date) -> str:
    return fmt_date(day)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return (month_end(day) + timedelta(days=1)).replace(day=1)


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def staff_of(estate_id: int) -> list[User]:
    """The people an estate's schedule is made for: active members who have shifts."""
    return users_with_permission(estate_id, "shifts.own")


def _staff_member(estate_id: int, user_id, field: str = "user_id") -> User:
    person = next((u for u in staff_of(estate_id) if u.id == user_id), None)
    if person is None:
        raise DomainError(_("Choose a member of this estate's staff."), field)
    return person


# -- shift patterns and posts ----------------------------------------------------------------
def add_pattern(user, *, estate_id: int, code: str, name: str, starts: time | None, ends: time | None) -> ShiftPattern:
    _require(user, "shifts.plan")
    estate = _estate(user, estate_id)
    code, name = _text(code, 10), _text(name, 50)
    if not code:
        raise DomainError(_("Enter a short code for the shift."), "code")
    if not name:
        raise DomainError(_("Enter the name of the shift."), "name")
    if starts is None:
        raise DomainError(_("Enter when the shift starts."), "starts")
    if ends is None:
        raise DomainError(_("Enter when the shift ends."), "ends")
    if ends == starts:
        raise DomainError(_("A shift cannot end when it starts."), "ends")
    if db.session.scalar(select(ShiftPattern.id).where(ShiftPattern.estate_id == estate.id,
                                                       ShiftPattern.code == code)):
        raise DomainError(_("This estate has a shift with that code already."), "code")
    row = ShiftPattern(estate_id=estate.id, code=code, name=name, starts=starts, ends=ends)
    db.session.add(row)
    db.session.flush()
    return row


def set_pattern_active(user, pattern: ShiftPattern, active: bool) -> ShiftPattern:
    _require(user, "shifts.plan")
    _estate(user, pattern.estate_id)
    pattern.active = active
    return pattern


def add_post(user, *, estate_id: int, name: str, staff_needed: int | None) -> ShiftPost:
    _require(user, "shifts.plan")
    estate = _estate(user, estate_id)
    name = _text(name, 50)
    if not name:
        raise DomainError(_("Enter the name of the post."), "name")
    if not staff_needed or staff_needed < 1:
        raise DomainError(_("A post needs at least one person."), "staff_needed")
    if db.session.scalar(select(ShiftPost.id).where(ShiftPost.estate_id == estate.id, ShiftPost.name == name)):
        raise DomainError(_("This estate has a post of that name already."), "name")
    row = ShiftPost(estate_id=estate.id, name=name, staff_needed=staff_needed)
    db.session.add(row)
    db.session.flush()
    return row


def patterns(estate_id: int, active_only: bool = True) -> list[ShiftPattern]:
    stmt = select(ShiftPattern).where(ShiftPattern.estate_id == estate_id)
    if active_only:
        stmt = stmt.where(ShiftPattern.active.is_(True))
    return list(db.session.scalars(stmt.order_by(ShiftPattern.starts, ShiftPattern.code)))


def posts(estate_id: int) -> list[ShiftPost]:
    return list(db.session.scalars(select(ShiftPost).where(ShiftPost.estate_id == estate_id,
                                                           ShiftPost.active.is_(True)).order_by(ShiftPost.name)))


def shift_times(estate: Estate, day: date, pattern: ShiftPattern) -> tuple[datetime, datetime]:
    """The shift's start and end as aware UTC instants (a night shift ends the next day)."""
    zone = tz(estate)
    start = datetime.combine(day, pattern.starts, zone)
    end_day = day + timedelta(days=1) if pattern.overnight else day
    end = datetime.combine(end_day, pattern.ends, zone)
    return start.astimezone(UTC), end.astimezone(UTC)


# -- schedules -------------------------------------------------------------------------------
def _draft_of(estate_id: int, kind: str, first_day: date) -> Roster | None:
    return db.session.scalar(select(Roster).where(Roster.estate_id == estate_id, Roster.kind == kind,
                                                  Roster.first_day == first_day, Roster.state == "draft"))


def published_of(estate_id: int, kind: str, first_day: date) -> Roster | None:
    return db.session.scalar(select(Roster).where(Roster.estate_id == estate_id, Roster.kind == kind,
                                                  Roster.first_day == first_day, Roster.state == "published"))


def _next_version(estate_id: int, kind: str, first_day: date) -> int:
    top = db.session.scalar(select(func.max(Roster.version)).where(
        Roster.estate_id == estate_id, Roster.kind == kind, Roster.first_day == first_day))
    return (top or 0) + 1


def holiday_deadline(estate: Estate, first_day: date) -> date:
    """The last day a holiday schedule starting on ``first_day`` may be published."""
    return first_day - timedelta(days=setting(estate.id, "holiday_notice_days"))


def _check_holiday_in_time(estate: Estate, first_day: date, field: str = "first_day") -> None:
    days = setting(estate.id, "holiday_notice_days")
    if estate_today(estate) > holiday_deadline(estate, first_day):
        raise DomainError(_("Too late: a holiday schedule is submitted at least %(days)d days before it starts "
                            "(by %(day)s for this one).", days=days,
                            day=day_text(holiday_deadline(estate, first_day))), field)


def create_roster(user, *, estate_id: int, kind: str = "month", first_day: date | None,
                  last_day: date | None = None, title: str = "", copy_from: Roster | None = None) -> Roster:
    """A new draft: a month's schedule (``first_day`` any day of the month) or a holiday period's."""
    _require(user, "shifts.plan")
    estate = _estate(user, estate_id)
    if kind not in ("month", "holiday"):
        raise DomainError(_("Choose a month's schedule or a holiday schedule."), "kind")
    if first_day is None:
        raise DomainError(_("Enter the first day."), "first_day")
    if kind == "month":
        first_day, last_day = month_start(first_day), month_end(first_day)
    else:
        if last_day is None:
            raise DomainError(_("Enter the last day."), "last_day")
        if last_day < first_day:
            raise DomainError(_("The last day is before the first day."), "last_day")
        if (last_day - first_day).days > 31:
            raise DomainError(_("A holiday schedule covers at most a month."), "last_day")
        _check_holiday_in_time(estate, first_day)
    if last_day < estate_today(estate):
        raise DomainError(_("That period is over already."), "first_day")
    if _draft_of(estate.id, kind, first_day) is not None:
        raise DomainError(_("A draft of this schedule is open already: finish it or publish it."), "first_day")
    row = Roster(estate_id=estate.id, kind=kind, first_day=first_day, last_day=last_day, title=_text(title, 100),
                 version=_next_version(estate.id, kind, first_day), state="draft")
    db.session.add(row)
    db.session.flush()
    source = copy_from or published_of(estate.id, kind, first_day)
    if source is not None:
        _copy_cells(source, row)
    return row


def _copy_cells(source: Roster, target: Roster) -> None:
    for e in entries(source):
        db.session.add(RosterEntry(estate_id=target.estate_id, roster_id=target.id, user_id=e.user_id, day=e.day,
                                   pattern_id=e.pattern_id, post_id=e.post_id, starts_at=e.starts_at,
                                   ends_at=e.ends_at))
    db.session.flush()


def entries(roster: Roster, user_id: int | None = None) -> list[RosterEntry]:
    stmt = select(RosterEntry).where(RosterEntry.roster_id == roster.id)
    if user_id is not None:
        stmt = stmt.where(RosterEntry.user_id == user_id)
    return list(db.session.scalars(stmt.order_by(RosterEntry.user_id, RosterEntry.day)))


def _check_overlaps(roster: Roster, user_ids: Iterable[int]) -> None:
    """Refuse when one person's shifts in the schedule overlap (a night shift into the next
    morning's, say), or overlap a shift of theirs in another published schedule (a holiday
    schedule and the month's schedule of the same days)."""
    _overlaps(_cells(roster, list(user_ids)), roster)


def _published_elsewhere(roster: Roster, user_ids) -> list[RosterEntry]:
    """The people's cells around ``roster``'s days in the other published schedules (of any
    estate): not the versions of ``roster``'s own schedule, which it replaces."""
    ids = [u for u in user_ids if u]
    if not ids:
        return []
    same = sa.and_(Roster.estate_id == roster.estate_id, Roster.kind == roster.kind,
                   Roster.first_day == roster.first_day)
    others = select(Roster.id).where(Roster.state == "published", sa.not_(same))
    return list(db.session.scalars(select(RosterEntry).where(
        RosterEntry.user_id.in_(ids), RosterEntry.roster_id.in_(others),
        RosterEntry.day >= roster.first_day - timedelta(days=1),
        RosterEntry.day <= roster.last_day + timedelta(days=1))))


def set_cells(user, roster: Roster, cells: dict[tuple[int, date], int | None],
              posts_by_cell: dict[tuple[int, date], int | None] | None = None) -> int:
    """Set a draft's cells: ``{(user_id, day): pattern_id or None (off)}``. Returns how many changed."""
    _require(user, "shifts.plan")
    estate = _estate(user, roster.estate_id)
    if roster.state != "draft":
        raise DomainError(_("Only a draft can be changed: make a new version of a published schedule."))
    staff = {u.id for u in staff_of(estate.id)}
    by_id = {p.id: p for p in patterns(estate.id, active_only=False)}
    post_ids = {p.id for p in posts(estate.id)}
    current = {(e.user_id, e.day): e for e in entries(roster)}
    changed = 0
    for (uid, day), pid in cells.items():
        field = f"c-{uid}-{day.isoformat()}"
        if uid not in staff:
            raise DomainError(_("Choose a member of this estate's staff."), field)
        if not roster.first_day <= day <= roster.last_day:
            raise DomainError(_("That day is not in this schedule."), field)
        post_id = (posts_by_cell or {}).get((uid, day))
        if post_id is not None and post_id not in post_ids:
            raise DomainError(_("Choose one of this estate's posts."), field)
        row = current.get((uid, day))
        if pid is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        pattern = by_id.get(pid)
        if pattern is None or (not pattern.active and (row is None or row.pattern_id != pid)):
            raise DomainError(_("Choose one of this estate's shifts."), field)
        starts_at, ends_at = shift_times(estate, day, pattern)
        if row is None:
            db.session.add(RosterEntry(estate_id=estate.id, roster_id=roster.id, user_id=uid, day=day,
                                       pattern_id=pid, post_id=post_id, starts_at=starts_at, ends_at=ends_at))
            changed += 1
        elif row.pattern_id != pid or (posts_by_cell is not None and row.post_id != post_id):
            row.pattern_id, row.starts_at, row.ends_at = pid, starts_at, ends_at
            if posts_by_cell is not None:
                row.post_id = post_id
            changed += 1
    db.session.flush()
    _check_overlaps(roster, {uid for uid, _day in cells})
    return changed


def fill_week(user, roster: Roster, *, user_id: int, start: date | None, week: list[int | None],
              repeat: bool = False) -> int:
    """Fill one person's week from ``start`` by a pattern of seven shifts (None = off), and with
    ``repeat`` every following week to the end of the schedule."""
    if start is None:
        raise DomainError(_("Enter the first day of the week."), "start")
    if not roster.first_day <= start <= roster.last_day:
        raise DomainError(_("That day is not in this schedule."), "start")
    if len(week) != 7:
        raise DomainError(_("Choose a shift or a day off for each day of the week."), "start")
    _staff_member(roster.estate_id, user_id)
    last = roster.last_day if repeat else min(roster.last_day, start + timedelta(days=6))
    cells = {(user_id, day): week[(day - start).days % 7] for day in days_of(start, last)}
    return set_cells(user, roster, cells)


def _notify_published(roster: Roster) -> None:
    from core.notify import notify_each

    def message():
        return (_("Schedule published: %(title)s (version %(version)d)", title=roster_title(roster),
                  version=roster.version),
                _("The schedule of %(estate)s from %(first)s to %(last)s is published; see your shifts.",
                  estate=roster.estate.name, first=day_text(roster.first_day), last=day_text(roster.last_day)))

    notify_each(staff_of(roster.estate_id), message, f"/shifts/rosters/{roster.id}", roster.estate_id)


def roster_title(roster: Roster) -> str:
    if roster.title:
        return roster.title
    if roster.kind == "month":
        return _("Schedule for %(month)s", month=f"{roster.first_day.year}-{roster.first_day.month:02d}")
    return _("Holiday schedule %(first)s – %(last)s", first=day_text(roster.first_day),
             last=day_text(roster.last_day))


def _publish(user, roster: Roster, now: datetime) -> Roster:
    old = published_of(roster.estate_id, roster.kind, roster.first_day)
    if old is not None and old.id != roster.id:
        old.state, old.withdrawn_at, old.replaced_by_id = "withdrawn", now, roster.id
        db.session.flush()  # the partial unique index: one published version at a time
    roster.state, roster.published_at, roster.published_by_id = "published", now, user.id
    db.session.flush()
    _notify_published(roster)
    return roster


def understaffed(roster: Roster) -> list[dict]:
    """Where a post is below the staff it needs: each day and shift on which somebody is posted
    there but fewer than the post's ``staff_needed``. ``[{day, post, pattern, count, needed}]``,
    by day. (A post nobody is posted to on a day is not staffed that day: not counted.)"""
    counts: dict[tuple, int] = {}
    for e in entries(roster):
        if e.post_id is not None:
            counts[(e.day, e.post_id, e.pattern_id)] = counts.get((e.day, e.post_id, e.pattern_id), 0) + 1
    out = []
    for (day, post_id, pattern_id), count in counts.items():
        post = db.session.get(ShiftPost, post_id)
        if count < post.staff_needed:
            out.append({"day": day, "post": post, "pattern": db.session.get(ShiftPattern, pattern_id),
                        "count": count, "needed": post.staff_needed})
    return sorted(out, key=lambda r: (r["day"], r["pattern"].starts, r["post"].name))


def understaffed_text(gaps: list[dict], limit: int = 3) -> str:
    parts = [_("%(post)s on %(day)s, %(shift)s: %(count)d of %(needed)d", post=g["post"].name,
               day=day_text(g["day"]), shift=g["pattern"].name, count=g["count"], needed=g["needed"])
             for g in gaps[:limit]]
    if len(gaps) > limit:
        parts.append(_("%(num)d more", num=len(gaps) - limit))
    return "; ".join(parts)


def publish(user, roster: Roster, note: str = "", understaffed_ok: bool = False) -> Roster:
    """Publish a draft to the departments; the version published before is withdrawn (kept).
    A schedule with a post below its staff needed is published only when the supervisor confirms
    it (``understaffed_ok``)."""
    _require(user, "shifts.plan")
    estate = _estate(user, roster.estate_id)
    if roster.state != "draft":
        raise DomainError(_("This schedule is published already."))
    if not db.session.scalar(select(RosterEntry.id).where(RosterEntry.roster_id == roster.id).limit(1)):
        raise DomainError(_("The schedule is empty: give people their shifts first."))
    if roster.kind == "holiday":
        _check_holiday_in_time(estate, roster.first_day, field=None)
    # another schedule of the same days may have been published since these cells were set
    _check_overlaps(roster, {e.user_id for e in entries(roster)})
    gaps = understaffed(roster)
    if gaps and not understaffed_ok:
        raise DomainError(_("Posts below their staff needed: %(gaps)s. Confirm that it is published "
                            "short-staffed, or post more people first.", gaps=understaffed_text(gaps)),
                          "understaffed_ok")
    if note:
        roster.note = _text(note, 500)
    return _publish(user, roster, utcnow())


def revise(user, roster: Roster) -> Roster:
    """A new draft version of a published schedule, with its cells (the open one if any)."""
    _require(user, "shifts.plan")
    estate = _estate(user, roster.estate_id)
    if roster.state != "published":
        raise DomainError(_("Only the published version can be revised."))
    if roster.last_day < estate_today(estate):
        raise DomainError(_("That period is over already."))
    draft = _draft_of(roster.estate_id, roster.kind, roster.first_day)
    if draft is not None:
        return draft
    row = Roster(estate_id=roster.estate_id, kind=roster.kind, first_day=roster.first_day, last_day=roster.last_day,
                 title=roster.title, version=_next_version(roster.estate_id, roster.kind, roster.first_day),
                 state="draft")
    db.session.add(row)
    db.session.flush()
    _copy_cells(roster, row)
    return row


def versions(roster: Roster) -> list[Roster]:
    return list(db.session.scalars(select(Roster).where(
        Roster.estate_id == roster.estate_id, Roster.kind == roster.kind, Roster.first_day == roster.first_day)
        .order_by(Roster.version.desc())))


def _entry_on(roster: Roster, user_id: int, day: date) -> RosterEntry | None:
    return db.session.scalar(select(RosterEntry).where(RosterEntry.roster_id == roster.id,
                                                       RosterEntry.user_id == user_id, RosterEntry.day == day))


def on_duty(estate_id: int, day: date) -> list[RosterEntry]:
    """The published cells of a day (month and holiday schedules)."""
    published = select(Roster.id).where(Roster.estate_id == estate_id, Roster.state == "published")
    return list(db.session.scalars(select(RosterEntry).where(
        RosterEntry.estate_id == estate_id, RosterEntry.day == day, RosterEntry.roster_id.in_(published))
        .order_by(RosterEntry.starts_at, RosterEntry.user_id)))


def my_entries(user_id: int, estate_ids: list[int], first: date, last: date) -> list[RosterEntry]:
    published = select(Roster.id).where(Roster.estate_id.in_(estate_ids or [0]), Roster.state == "published")
    return list(db.session.scalars(select(RosterEntry).where(
        RosterEntry.user_id == user_id, RosterEntry.day >= first, RosterEntry.day <= last,
        RosterEntry.roster_id.in_(published)).order_by(RosterEntry.starts_at)))


# -- change requests -------------------------------------------------------------------------
def request_change(user, roster: Roster, *, kind: str, day: date | None, reason: str,
                   other_user_id: int | None = None, other_day: date | None = None,
                   new_pattern_id: int | None = None) -> ChangeRequest:
    """Ask the supervisor, before the day, to swap one's shift with a colleague on duty, or to
    change it to another shift."""
    _require(user, "shifts.own")
    estate = _estate(user, roster.estate_id)
    if roster.state != "published":
        raise DomainError(_("Changes are asked for on the published schedule."))
    if kind not in REQUEST_KINDS:
        raise DomainError(_("Choose a swap or a change of shift."), "kind")
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the change is needed."), "reason")
    if day is not None and day <= estate_today(estate):
        raise DomainError(_("Changes need the supervisor's approval before the day: ask for a later day."), "day")
    if day is None or not roster.first_day <= day <= roster.last_day:
        raise DomainError(_("Choose a day of this schedule."), "day")
    mine = _entry_on(roster, user.id, day)
    if mine is None:
        raise DomainError(_("You have no shift on %(day)s.", day=day_text(day)), "day")
    row = ChangeRequest(estate_id=estate.id, roster_id=roster.id, kind=kind, day=day, user_id=user.id,
                        reason=reason, state="pending")
    if kind == "swap":
        other_day = other_day or day
        if not other_user_id:
            raise DomainError(_("Choose the colleague to swap with."), "other_user_id")
        if other_user_id == user.id:
            raise DomainError(_("Choose a colleague, not yourself."), "other_user_id")
        other = _staff_member(estate.id, other_user_id, "other_user_id")
        if not roster.first_day <= other_day <= roster.last_day or other_day <= estate_today(estate):
            raise DomainError(_("Choose a day of this schedule."), "other_day")
        if _entry_on(roster, other.id, other_day) is None:
            raise DomainError(_("%(name)s is not on duty on %(day)s: a swap needs a colleague on duty that day.",
                                name=other.full_name, day=day_text(other_day)), "other_user_id")
        row.other_user_id, row.other_day = other.id, other_day
    else:
        pattern = db.session.get(ShiftPattern, new_pattern_id) if new_pattern_id else None
        if pattern is None or pattern.estate_id != estate.id or not pattern.active:
            raise DomainError(_("Choose one of this estate's shifts."), "new_pattern_id")
        if pattern.id == mine.pattern_id:
            raise DomainError(_("That is the shift you have already."), "new_pattern_id")
        row.new_pattern_id = pattern.id
    db.session.add(row)
    db.session.flush()
    _simulate(row)  # refuse now what could never be approved (an overlap after the change)
    return row


def _cells(roster: Roster, user_ids) -> dict:
    """The cells of some people in a schedule: ``{(user_id, day): [pattern_id, post_id, starts, ends]}``."""
    rows = db.session.scalars(select(RosterEntry).where(RosterEntry.roster_id == roster.id,
                                                        RosterEntry.user_id.in_([u for u in user_ids if u])))
    return {(e.user_id, e.day): [e.pattern_id, e.post_id, e.starts_at, e.ends_at] for e in rows}


def _changed(req: ChangeRequest, roster: Roster) -> dict:
    """The people's cells once the request is applied to ``roster`` (refused when impossible)."""
    cells = _cells(roster, [req.user_id, req.other_user_id])
    mine = cells.get((req.user_id, req.day))
    if mine is None:
        raise DomainError(_("%(name)s has no shift on %(day)s any more.", name=req.user.full_name,
                            day=day_text(req.day)))
    if req.kind == "change":
        pattern = db.session.get(ShiftPattern, req.new_pattern_id)
        mine[0] = pattern.id
        mine[2], mine[3] = shift_times(roster.estate, req.day, pattern)
    else:
        theirs = cells.get((req.other_user_id, req.other_day))
        if theirs is None:
            other = db.session.get(User, req.other_user_id)
            raise DomainError(_("%(name)s is not on duty on %(day)s: a swap needs a colleague on duty that day.",
                                name=other.full_name, day=day_text(req.other_day)), "other_user_id")
        if req.day == req.other_day:
            cells[(req.user_id, req.day)], cells[(req.other_user_id, req.day)] = theirs, mine
        else:
            if (req.other_user_id, req.day) in cells or (req.user_id, req.other_day) in cells:
                raise DomainError(_("Both of you already work on the other's day: swap shifts on one day "
                                    "instead."), "other_day")
            del cells[(req.user_id, req.day)], cells[(req.other_user_id, req.other_day)]
            cells[(req.other_user_id, req.day)], cells[(req.user_id, req.other_day)] = mine, theirs
    _overlaps(cells, roster)
    return cells


def _overlaps(cells: dict, roster: Roster | None = None) -> None:
    by_person: dict[int, list] = {}
    for (uid, day), (pid, _post, starts, ends) in cells.items():
        by_person.setdefault(uid, []).append((starts, ends, day, pid))
    for uid, rows in by_person.items():
        rows.sort()
        for a, b in zip(rows, rows[1:], strict=False):
            if b[0] < a[1]:
                raise DomainError(_("%(name)s would work overlapping shifts: %(first)s on %(day)s runs into "
                                    "%(second)s on %(next)s.", name=db.session.get(User, uid).full_name,
                                    first=db.session.get(ShiftPattern, a[3]).name, day=day_text(a[2]),
                                    second=db.session.get(ShiftPattern, b[3]).name, next=day_text(b[2])),
                                  f"c-{uid}-{b[2].isoformat()}")
    if roster is None:
        return
    for e in _published_elsewhere(roster, by_person):
        for starts, ends, day, pid in by_person[e.user_id]:
            if starts < e.ends_at and e.starts_at < ends:
                raise DomainError(_("%(name)s would work overlapping shifts: %(first)s on %(day)s here and "
                                    "%(second)s on %(next)s in the published %(schedule)s (%(estate)s).",
                                    name=db.session.get(User, e.user_id).full_name,
                                    first=db.session.get(ShiftPattern, pid).name, day=day_text(day),
                                    second=e.pattern.name, next=day_text(e.day),
                                    schedule=roster_title(db.session.get(Roster, e.roster_id)),
                                    estate=db.session.get(Estate, e.estate_id).name),
                                  f"c-{e.user_id}-{day.isoformat()}")


def _apply(req: ChangeRequest, roster: Roster) -> None:
    """Write the request into ``roster``'s cells (a draft)."""
    cells = _changed(req, roster)
    for e in entries(roster):
        if e.user_id in (req.user_id, req.other_user_id):
            db.session.delete(e)
    db.session.flush()
    for (uid, day), (pid, post_id, starts, ends) in cells.items():
        db.session.add(RosterEntry(estate_id=roster.estate_id, roster_id=roster.id, user_id=uid, day=day,
                                   pattern_id=pid, post_id=post_id, starts_at=starts, ends_at=ends))
    db.session.flush()


def _simulate(req: ChangeRequest) -> None:
    """Refuse at once a request that could never be approved (it would make shifts overlap)."""
    _changed(req, req.roster)


def decide_change(user, req: ChangeRequest, *, approve: bool, note: str = "") -> ChangeRequest:
    """The supervisor's decision. Approving re-publishes the schedule as a new version with the
    change, and withdraws the version it was asked on (both kept)."""
    _require(user, "shifts.approve")
    _estate(user, req.estate_id)
    if req.state != "pending":
        raise DomainError(_("This request has been decided already."))
    if req.user_id == user.id:
        raise DomainError(_("You may not decide your own request."))
    note = _text(note, 500)
    if not approve and not note:
        raise DomainError(_("Give the reason for refusing."), "note")
    now = utcnow()
    req.decided_by_id, req.decided_at, req.decision_note = user.id, now, note
    if not approve:
        req.state = "refused"
        _notify_decision(req)
        return req
    roster = published_of(req.estate_id, req.roster.kind, req.roster.first_day)
    if roster is None:
        raise DomainError(_("This schedule is no longer published."))
    if req.day <= estate_today(roster.estate):
        raise DomainError(_("Changes need the supervisor's approval before the day: this day has come."))
    draft = _draft_of(roster.estate_id, roster.kind, roster.first_day)
    new = Roster(estate_id=roster.estate_id, kind=roster.kind, first_day=roster.first_day,
                 last_day=roster.last_day, title=roster.title, state="draft",
                 version=_next_version(roster.estate_id, roster.kind, roster.first_day),
                 note=_text(_("Changed: %(what)s", what=change_text(req)), 500))
    db.session.add(new)
    db.session.flush()
    _copy_cells(roster, new)
    _apply(req, new)
    _publish(user, new, now)
    if draft is not None:  # a revision being prepared gets the change too (when it still fits), and comes after
        try:
            _apply(req, draft)
        except DomainError:
            pass  # the supervisor has changed those cells in the draft already: theirs stand
        draft.version = new.version + 1
    req.state, req.new_roster_id = "approved", new.id
    _notify_decision(req)
    return req


def change_text(req: ChangeRequest) -> str:
    if req.kind == "swap":
        other = req.other_user or db.session.get(User, req.other_user_id)
        if req.other_day and req.other_day != req.day:
            return _("%(name)s (%(day)s) swaps with %(other)s (%(other_day)s)", name=req.user.full_name,
                     day=day_text(req.day), other=other.full_name, other_day=day_text(req.other_day))
        return _("%(name)s swaps shifts with %(other)s on %(day)s", name=req.user.full_name, other=other.full_name,
                 day=day_text(req.day))
    pattern = req.new_pattern or db.session.get(ShiftPattern, req.new_pattern_id)
    return _("%(name)s works %(shift)s on %(day)s", name=req.user.full_name, shift=pattern.name,
             day=day_text(req.day))


def _notify_decision(req: ChangeRequest) -> None:
    from core.notify import notify_each

    people = [req.user] + ([req.other_user] if req.other_user_id else [])

    def message():
        return (_("Change approved: %(what)s", what=change_text(req)) if req.state == "approved"
                else _("Change refused: %(what)s", what=change_text(req)), req.decision_note)

    notify_each(people, message, "/shifts/mine", req.estate_id)


def pending_count_query(estate_ids: list[int]):
    """Requests waiting for a decision (changes and leave): a count query for a menu badge."""
    ids = estate_ids or [0]
    changes = select(func.count()).select_from(ChangeRequest).where(
        ChangeRequest.estate_id.in_(ids), ChangeRequest.state == "pending").scalar_subquery()
    leave = select(func.count()).select_from(LeaveRequest).where(
        LeaveRequest.estate_id.in_(ids), LeaveRequest.state == "pending").scalar_subquery()
    return select(changes + leave)


# -- leave and leaving the post ----------------------------------------------------------------
def request_leave(user, *, estate_id: int, kind: str, first_day: date | None, last_day: date | None,
                  reason: str, leaves_at: time | None = None, back_at: time | None = None) -> LeaveRequest:
    _require(user, "shifts.own")
    estate = _estate(user, estate_id)
    if kind not in LEAVE_KINDS:
        raise DomainError(_("Choose the kind of leave."), "kind")
    if first_day is None:
        raise DomainError(_("Enter the first day."), "first_day")
    if kind == "off_post":
        last_day = first_day
        if leaves_at is None or back_at is None:
            raise DomainError(_("Enter when you leave the post and when you are back."), "leaves_at")
        if back_at <= leaves_at:
            raise DomainError(_("The time back is before the time you leave."), "back_at")
    else:
        leaves_at = back_at = None
        if last_day is None:
            raise DomainError(_("Enter the last day."), "last_day")
        if last_day < first_day:
            raise DomainError(_("The last day is before the first day."), "last_day")
        if (last_day - first_day).days > 90:
            raise DomainError(_("Leave is asked for at most 90 days at a time."), "last_day")
    if kind != "sick" and first_day < estate_today(estate):
        raise DomainError(_("Leave is approved before it starts: only sick leave may be recorded afterwards."),
                          "first_day")
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why."), "reason")
    row = LeaveRequest(estate_id=estate.id, user_id=user.id, kind=kind, first_day=first_day, last_day=last_day,
                       leaves_at=leaves_at, back_at=back_at, reason=reason, state="pending")
    db.session.add(row)
    db.session.flush()
    return row


def decide_leave(user, leave: LeaveRequest, *, approve: bool, note: str = "") -> LeaveRequest:
    _require(user, "shifts.approve")
    estate = _estate(user, leave.estate_id)
    if leave.state != "pending":
        raise DomainError(_("This request has been decided already."))
    if leave.user_id == user.id:
        raise DomainError(_("You may not decide your own request."))
    note = _text(note, 500)
    if not approve and not note:
        raise DomainError(_("Give the reason for refusing."), "note")
    leave.state = "approved" if approve else "refused"
    leave.decided_by_id, leave.decided_at, leave.decision_note = user.id, utcnow(), note
    if approve and leave.kind != "off_post":
        scheduled = {e.day for e in my_entries(leave.user_id, [estate.id], leave.first_day, leave.last_day)}
        for day in sorted(scheduled):
            mark = _mark_of(estate.id, leave.user_id, day)
            if mark is None:
                db.session.add(AttendanceMark(estate_id=estate.id, user_id=leave.user_id, day=day, mark="leave",
                                              note=_text(_("Approved leave"), 200)))
            elif mark.mark == "absent":
                mark.mark = "leave"
    db.session.flush()
    return leave


# -- attendance ------------------------------------------------------------------------------
def _mark_of(estate_id: int, user_id: int, day: date) -> AttendanceMark | None:
    return db.session.scalar(select(AttendanceMark).where(AttendanceMark.estate_id == estate_id,
                                                          AttendanceMark.user_id == user_id,
                                                          AttendanceMark.day == day))


def current_shift(user_id: int, estate_id: int, now: datetime) -> RosterEntry | None:
    """The person's published shift one can clock into now: from an hour before its start to its end."""
    published = select(Roster.id).where(Roster.estate_id == estate_id, Roster.state == "published")
    return db.session.scalar(select(RosterEntry).where(
        RosterEntry.user_id == user_id, RosterEntry.estate_id == estate_id, RosterEntry.roster_id.in_(published),
        RosterEntry.starts_at <= now + timedelta(hours=1), RosterEntry.ends_at > now)
        .order_by(RosterEntry.starts_at).limit(1))


def clock_in(user, *, estate_id: int, now: datetime | None = None) -> AttendanceMark:
    _require(user, "shifts.own")
    estate = _estate(user, estate_id)
    now = now or utcnow()
    entry = current_shift(user.id, estate.id, now)
    if entry is None:
        raise DomainError(_("You have no shift starting within the hour."))
    mark = _mark_of(estate.id, user.id, entry.day)
    if mark is not None and mark.clock_in is not None:
        raise DomainError(_("You have clocked in already."))
    late = now > entry.starts_at + timedelta(minutes=setting(estate.id, "late_grace_minutes"))
    if mark is None:
        mark = AttendanceMark(estate_id=estate.id, user_id=user.id, day=entry.day, mark="present")
        db.session.add(mark)
    mark.clock_in, mark.mark = now, "late" if late else "present"
    db.session.flush()
    return mark


def clock_out(user, *, estate_id: int, now: datetime | None = None) -> AttendanceMark:
    _require(user, "shifts.own")
    estate = _estate(user, estate_id)
    now = now or utcnow()
    mark = db.session.scalar(select(AttendanceMark).where(
        AttendanceMark.estate_id == estate.id, AttendanceMark.user_id == user.id,
        AttendanceMark.clock_in.is_not(None), AttendanceMark.clock_out.is_(None))
        .order_by(AttendanceMark.day.desc()).limit(1))
    if mark is None:
        raise DomainError(_("You have not clocked in."))
    mark.clock_out = now
    entry = db.session.scalar(select(RosterEntry).where(
        RosterEntry.user_id == user.id, RosterEntry.estate_id == estate.id, RosterEntry.day == mark.day,
        RosterEntry.roster_id.in_(select(Roster.id).where(Roster.state == "published"))))
    if entry is not None and now > entry.ends_at + timedelta(minutes=30):
        hours = Decimal((now - entry.ends_at).total_seconds()) / Decimal(3600)
        mark.overtime_hours = (hours / HALF_HOUR).to_integral_value(rounding="ROUND_FLOOR") * HALF_HOUR
    db.session.flush()
    return mark


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        hours = Decimal("-1")
    if not hours.is_finite() or hours < 0 or hours > 24:
        raise DomainError(_("Overtime is between 0 and 24 hours."), "overtime_hours")
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_mark(user, *, estate_id: int, user_id: int, day: date | None, mark: str, overtime_hours=None,
             note: str = "") -> AttendanceMark:
    """The supervisor marks a person's day (present, late, leave, absent, overtime)."""
    _require(user, "shifts.plan")
    estate = _estate(user, estate_id)
    if mark not in MARKS:
        raise DomainError(_("Choose a mark."), "mark")
    if day is None:
        raise DomainError(_("Enter the day."), "day")
    if day > estate_today(estate):
        raise DomainError(_("A day to come cannot be marked yet."), "day")
    _staff_member(estate.id, user_id)
    hours = _hours(overtime_hours)
    if mark == "overtime" and hours <= 0:
        raise DomainError(_("Enter the hours of overtime."), "overtime_hours")
    row = _mark_of(estate.id, user_id, day)
    if row is None:
        row = AttendanceMark(estate_id=estate.id, user_id=user_id, day=day, mark=mark)
        db.session.add(row)
    row.mark, row.overtime_hours, row.note = mark, hours, _text(note, 200)
    db.session.flush()
    return row


def marks_between(estate_ids: list[int], first: date, last: date, user_id: int | None = None) -> list[AttendanceMark]:
    stmt = select(AttendanceMark).where(AttendanceMark.estate_id.in_(estate_ids or [0]),
                                        AttendanceMark.day >= first, AttendanceMark.day <= last)
    if user_id is not None:
        stmt = stmt.where(AttendanceMark.user_id == user_id)
    return list(db.session.scalars(stmt.order_by(AttendanceMark.day, AttendanceMark.user_id)))


# -- the monthly attendance report -------------------------------------------------------------
def report_due(estate_id: int, month: date) -> date:
    """The report day of ``month`` (the setting, or the month's last day in a short month)."""
    day = min(max(setting(estate_id, "report_day"), 1), calendar.monthrange(month.year, month.month)[1])
    return month.replace(day=day)


def report_period(estate_id: int, month: date) -> tuple[date, date, date]:
    """``(first day, last day, due)`` of the report due in ``month``: the days after the previous
    month's report day up to this month's."""
    month = month_start(month)
    due = report_due(estate_id, month)
    previous = report_due(estate_id, month_start(month - timedelta(days=1)))
    return previous + timedelta(days=1), due, due


def report_figures(estate_id: int, first: date, last: date) -> list[dict]:
    people: dict[int, dict] = {}

    def line(uid: int) -> dict:
        if uid not in people:
            person = db.session.get(User, uid)
            people[uid] = {"user_id": uid, "name": person.full_name if person else str(uid), "shifts": 0,
                           "present": 0, "late": 0, "leave": 0, "absent": 0, "unmarked": 0,
                           "overtime_hours": Decimal("0"), "days": set()}
        return people[uid]

    published = select(Roster.id).where(Roster.estate_id == estate_id, Roster.state == "published")
    for e in db.session.scalars(select(RosterEntry).where(
            RosterEntry.estate_id == estate_id, RosterEntry.roster_id.in_(published),
            RosterEntry.day >= first, RosterEntry.day <= last)):
        row = line(e.user_id)
        row["shifts"] += 1
        row["days"].add(e.day)
    for m in marks_between([estate_id], first, last):
        row = line(m.user_id)
        if m.mark in ("present", "late", "leave", "absent"):
            row[m.mark] += 1
        row["overtime_hours"] += m.overtime_hours or Decimal("0")
        row["days"].discard(m.day)
    for row in people.values():
        row["unmarked"] = len(row.pop("days"))
    return sorted(people.values(), key=lambda r: r["name"])


def _fill(report: AttendanceReport) -> None:
    for old in db.session.scalars(select(ReportLine).where(ReportLine.report_id == report.id)):
        db.session.delete(old)
    db.session.flush()
    for row in report_figures(report.estate_id, report.first_day, report.last_day):
        db.session.add(ReportLine(estate_id=report.estate_id, report_id=report.id, **row))
    report.prepared_at = utcnow()
    db.session.flush()


def prepare_report(estate: Estate, month: date) -> AttendanceReport:
    """Make (or, while not confirmed, recompute) the report due in ``month``. Used by the job."""
    month = month_start(month)
    report = db.session.scalar(select(AttendanceReport).where(AttendanceReport.estate_id == estate.id,
                                                              AttendanceReport.month == month))
    if report is not None and report.state == "confirmed":
        raise DomainError(_("This report is confirmed and frozen."))
    first, last, due = report_period(estate.id, month)
    if report is None:
        report = AttendanceReport(estate_id=estate.id, month=month, first_day=first, last_day=last, due_on=due,
                                  state="prepared", prepared_at=utcnow())
        db.session.add(report)
        db.session.flush()
    _fill(report)
    return report


def recompute(user, report: AttendanceReport) -> AttendanceReport:
    _require(user, "shifts.approve")
    _estate(user, report.estate_id)
    return prepare_report(report.estate, report.month)


def confirm_report(user, report: AttendanceReport, note: str = "") -> AttendanceReport:
    """The supervisor confirms the report: recomputed a last time, then frozen and sent on to
    administration and HR (those who receive attendance reports)."""
    from core.notify import notify_each

    _require(user, "shifts.approve")
    estate = _estate(user, report.estate_id)
    if report.state == "confirmed":
        raise DomainError(_("This report is confirmed and frozen."))
    if estate_today(estate) < report.last_day:
        raise DomainError(_("The period ends on %(day)s: confirm the report after it.", day=day_text(report.last_day)))
    _fill(report)
    report.state, report.confirmed_by_id, report.confirmed_at = "confirmed", user.id, utcnow()
    report.note = _text(note, 500)
    db.session.flush()

    def message():
        return (_("Attendance report %(month)s of %(estate)s", month=report.month.strftime("%Y-%m"),
                  estate=estate.name),
                _("The attendance report from %(first)s to %(last)s is confirmed.", first=day_text(report.first_day),
                  last=day_text(report.last_day)))

    notify_each([u for u in users_with_permission(estate.id, "shifts.reports") if u.id != user.id], message,
                f"/shifts/reports/{report.id}", estate.id)
    return report


def report_reminder(estate_ids: list[int], today: date) -> list[dict]:
    """For the dashboard: estates whose report is due within ``reminder_days`` (or overdue) and
    not confirmed yet."""
    out = []
    for estate_id in estate_ids:
        due = report_due(estate_id, today)
        if not today >= due - timedelta(days=setting(estate_id, "reminder_days")):
            continue
        report = db.session.scalar(select(AttendanceReport).where(AttendanceReport.estate_id == estate_id,
                                                                  AttendanceReport.month == month_start(today)))
        if report is None or report.state != "confirmed":
            out.append({"estate": db.session.get(Estate, estate_id), "due": due, "report": report})
    return out
