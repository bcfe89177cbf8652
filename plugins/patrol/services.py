"""Patrol services. Each function takes the acting user, checks every rule, and either changes
the session (the caller commits) or raises a translated :class:`DomainError` naming the form
field — and then nothing is saved (the caller rolls back).

Rules: routes, checkpoints and plans belong to one estate; a checkpoint code is unique in its
estate; a plan's end is not before its start; a visit is of a checkpoint of the patrol's own
estate and route, once per patrol (database constraint), by the patrol's patroller; a problem
has a description, becomes a repair order (channel "patrol") when the repairs plugin is
enabled, or — the patroller's choice when the vendors plugin is enabled — a rectification notice
to the vendor holding the estate's contract of a service kind (vendors' documented
``raise_rectification``), else is followed up here (open → in hand → resolved); a patrol is
finished once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, TypeDecorator, and_, case, func, literal_column, select, type_coerce
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.extensions import db
from core.models import Estate, User, utcnow
from core.numbering import next_number
from core.permissions import has_permission
from core.plugins import hook, is_enabled
from core.security import user_estate_ids
from plugins.patrol.models import (
    CHECKS,
    FOLLOW_UP_STATES,
    FREQUENCIES,
    PLAN_KINDS,
    RESULTS,
    SEND_TO,
    Patrol,
    PatrolCheckpoint,
    PatrolLogEntry,
    PatrolPlan,
    PatrolProblem,
    PatrolRoute,
    PatrolVisit,
)

#: An on-the-spot patrol (no plan) is to be finished within this time.
DEFAULT_WINDOW = timedelta(hours=2)
#: A planned patrol may be started this long before it is due.
EARLY = timedelta(hours=2)
#: The repairs category a problem of each kind is recorded under (the repairs plugin's codes).
REPAIR_CATEGORY = {"facilities": "public_area", "signs": "public_area", "cleaning": "public_area",
                   "greening": "public_area", "fire": "public_area", "parking": "public_area",
                   "renovation": "public_area", "people": "other"}
PHOTO_MAX_BYTES = 8 * 1024 * 1024
#: The vendors' service kind a problem of each kind is offered to first (the form's default).
VENDOR_KIND = {"cleaning": "cleaning", "greening": "greening", "people": "security", "parking": "security"}


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def tz_of(estate: Estate) -> ZoneInfo:
    return ZoneInfo(estate.timezone or "Asia/Shanghai")


def local_day(estate: Estate, at: datetime) -> date:
    return at.astimezone(tz_of(estate)).date()


def day_bounds(day: date, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends at (DST-safe)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# -- routes and checkpoints -----------------------------------------------------------------
def add_route(user, *, estate_id: int, name: str, description: str = "") -> PatrolRoute:
    _require(user, "patrol.manage")
    _check_estate(user, estate_id)
    name = _text(name, 100)
    if not name:
        raise DomainError(_("Name the route."), "name")
    if db.session.scalar(select(PatrolRoute.id).where(PatrolRoute.estate_id == estate_id, PatrolRoute.name == name)):
        raise DomainError(_("This estate already has a route named %(name)s.", name=name), "name")
    route = PatrolRoute(estate_id=estate_id, name=name, description=_text(description, 500), active=True)
    db.session.add(route)
    db.session.flush()
    return route


def _checks(values) -> str:
    chosen = [c for c in CHECKS if c in set(values or [])]
    if not chosen:
        raise DomainError(_("Choose at least one thing to check here."), "checks")
    return ",".join(chosen)


def add_checkpoint(user, route: PatrolRoute, *, code: str, name: str, checks, instructions: str = "",
                   sequence: int | None = None) -> PatrolCheckpoint:
    """A checkpoint on ``route``; its code is unique in the estate (database constraint)."""
    _require(user, "patrol.manage")
    _check_estate(user, route.estate_id)
    code, name = _text(code, 30), _text(name, 100)
    if not code:
        raise DomainError(_("Enter the checkpoint's code."), "code")
    if not name:
        raise DomainError(_("Name the checkpoint."), "name")
    taken = _("Checkpoint code %(code)s is already used in this estate.", code=code)
    if db.session.scalar(select(PatrolCheckpoint.id).where(PatrolCheckpoint.estate_id == route.estate_id,
                                                           PatrolCheckpoint.code == code)):
        raise DomainError(taken, "code")
    if sequence is None:
        sequence = (db.session.scalar(select(func.max(PatrolCheckpoint.sequence))
                                      .where(PatrolCheckpoint.route_id == route.id)) or 0) + 10
    point = PatrolCheckpoint(estate_id=route.estate_id, route_id=route.id, code=code, name=name,
                             sequence=sequence, checks=_checks(checks), instructions=_text(instructions, 500),
                             active=True)
    try:
        with db.session.begin_nested():
            db.session.add(point)
    except IntegrityError:
        raise DomainError(taken, "code") from None
    return point


def route_checkpoints(route_id: int) -> list[PatrolCheckpoint]:
    return list(db.session.scalars(select(PatrolCheckpoint).where(
        PatrolCheckpoint.route_id == route_id, PatrolCheckpoint.active.is_(True))
        .order_by(PatrolCheckpoint.sequence, PatrolCheckpoint.id)))


# -- plans and due patrols ------------------------------------------------------------------------
def _parse_time(value: str) -> str:
    try:
        parsed = datetime.strptime(_text(value, 5), "%H:%M")
    except ValueError:
        raise DomainError(_("Enter the start time as HH:MM."), "start_time") from None
    return parsed.strftime("%H:%M")


def may_patrol(user, estate_id: int) -> bool:
    return has_permission("patrol.patrol", user) and estate_id in user_estate_ids(user)


def add_plan(user, *, estate_id: int, route_id: int, patroller_id: int, kind: str, frequency: str,
             start_time: str, window_minutes: int, starts_on: date, ends_on: date | None = None) -> PatrolPlan:
    _require(user, "patrol.manage")
    _check_estate(user, estate_id)
    route = db.session.get(PatrolRoute, route_id) if route_id else None
    if route is None or route.estate_id != estate_id:
        raise DomainError(_("Choose a route of this estate."), "route_id")
    staff = db.session.get(User, patroller_id) if patroller_id else None
    if staff is None or not staff.active or not may_patrol(staff, estate_id):
        raise DomainError(_("Choose a patroller of this estate."), "patroller_id")
    if kind not in PLAN_KINDS:
        raise DomainError(_("Choose who patrols."), "kind")
    if frequency not in FREQUENCIES:
        raise DomainError(_("Choose how often."), "frequency")
    if window_minutes is None or not 10 <= window_minutes <= 24 * 60:
        raise DomainError(_("A patrol takes between 10 minutes and 24 hours."), "window_minutes")
    if starts_on is None:
        raise DomainError(_("Enter the first day."), "starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("The last day is before the first day."), "ends_on")
    plan = PatrolPlan(estate_id=estate_id, route_id=route.id, patroller_id=staff.id, kind=kind, frequency=frequency,
                      start_time=_parse_time(start_time), window_minutes=window_minutes, starts_on=starts_on,
                      ends_on=ends_on, active=True)
    db.session.add(plan)
    db.session.flush()
    return plan


def end_plan(user, plan: PatrolPlan) -> PatrolPlan:
    _require(user, "patrol.manage")
    _check_estate(user, plan.estate_id)
    if not plan.active:
        raise DomainError(_("This plan has already ended."))
    plan.active = False
    return plan


def plan_due_on(plan: PatrolPlan, day: date) -> bool:
    if not plan.active or day < plan.starts_on or (plan.ends_on is not None and day > plan.ends_on):
        return False
    if plan.frequency == "weekly":
        return day.weekday() == plan.starts_on.weekday()
    if plan.frequency == "monthly":
        return day.day == plan.starts_on.day
    return True


def _due_instant(plan: PatrolPlan, day: date, estate: Estate) -> datetime:
    hh, mm = (int(x) for x in plan.start_time.split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=tz_of(estate)).astimezone(UTC)


def generate_due(now: datetime | None = None, days: int = 2) -> int:
    """Make the patrols of every active plan due today and the next ``days - 1`` days (local
    time of each estate), once: a patrol already made for a plan and instant is left alone
    (``uq_patrol_patrol_plan_due``), so the job may run as often as it likes."""
    now = now or utcnow()
    made = 0
    plans = db.session.scalars(select(PatrolPlan).where(PatrolPlan.active.is_(True)).order_by(PatrolPlan.id)).all()
    for plan in plans:
        estate = plan.estate
        today = local_day(estate, now)
        for offset in range(days):
            day = today + timedelta(days=offset)
            if not plan_due_on(plan, day):
                continue
            due_at = _due_instant(plan, day, estate)
            if db.session.scalar(select(Patrol.id).where(Patrol.plan_id == plan.id, Patrol.due_at == due_at)):
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(Patrol(
                        estate_id=plan.estate_id, number=next_number("XS", estate, due_at), route_id=plan.route_id,
                        plan_id=plan.id, patroller_id=plan.patroller_id, kind=plan.kind, due_at=due_at,
                        due_by=due_at + timedelta(minutes=plan.window_minutes), state="due"))
                made += 1
            except IntegrityError:  # another worker made it meanwhile
                continue
    return made


# -- visits ----------------------------------------------------------------------------------------
def current_patrol(user, checkpoint: PatrolCheckpoint, now: datetime | None = None) -> Patrol | None:
    """The user's unfinished patrol of the checkpoint's route that is due now (or soon, or was
    due within the last day): the one a scan of the checkpoint adds its visit to."""
    now = now or utcnow()
    return db.session.scalar(select(Patrol).where(
        Patrol.estate_id == checkpoint.estate_id, Patrol.route_id == checkpoint.route_id,
        Patrol.patroller_id == user.id, Patrol.state != "done", Patrol.due_at <= now + EARLY,
        Patrol.due_at >= now - timedelta(days=1)).order_by(Patrol.due_at, Patrol.id).limit(1))


def visit_of(patrol_id: int, checkpoint_id: int) -> PatrolVisit | None:
    return db.session.scalar(select(PatrolVisit).where(PatrolVisit.patrol_id == patrol_id,
                                                       PatrolVisit.checkpoint_id == checkpoint_id))


def _check_photos(files) -> list:
    from core.attachments import check_upload

    fit = []
    for storage in files or []:
        if storage is None or not getattr(storage, "filename", ""):
            continue
        check_upload(storage, max_bytes=PHOTO_MAX_BYTES)
        storage.stream.seek(0)
        fit.append(storage)
    return fit


def start_patrol(user, checkpoint: PatrolCheckpoint, now: datetime) -> Patrol:
    """An on-the-spot patrol of the checkpoint's route, started by scanning it."""
    estate = db.session.get(Estate, checkpoint.estate_id)
    patrol = Patrol(estate_id=estate.id, number=next_number("XS", estate, now), route_id=checkpoint.route_id,
                    plan_id=None, patroller_id=user.id, kind="staff", due_at=now, due_by=now + DEFAULT_WINDOW,
                    state="in_progress", started_at=now)
    db.session.add(patrol)
    db.session.flush()
    return patrol


def default_send_to() -> str:
    """Where a problem goes when the patroller does not choose: a repair order when repairs is
    enabled, else followed up here."""
    return "repair" if is_enabled("repairs") else "here"


def vendor_kinds(user, estate_id: int) -> list:
    """The service kinds the estate has a vendor's contract in force for today (vendors'
    documented ``contracts_in_force``); empty when vendors is disabled."""
    if not is_enabled("vendors"):
        return []
    from plugins.vendors.services import contracts_in_force

    return contracts_in_force(user, estate_id)


def _check_send_to(user, estate: Estate, send_to: str, service_kind: str, deadline: date | None,
                   now: datetime) -> str:
    """Where the problem goes, checked before anything is saved (every refusal names its field)."""
    send_to = send_to or default_send_to()
    if send_to not in SEND_TO:
        raise DomainError(_("Choose where the problem goes."), "send_to")
    if send_to == "repair" and not is_enabled("repairs"):
        raise DomainError(_("The repairs plugin is not enabled: no repair order can be made."), "send_to")
    if send_to == "here" and is_enabled("repairs"):
        raise DomainError(_("Choose a repair order or a rectification by the vendor."), "send_to")
    if send_to != "vendor":
        return send_to
    if not is_enabled("vendors"):
        raise DomainError(_("The vendors plugin is not enabled: no rectification can be sent to a vendor."),
                          "send_to")
    if not service_kind:
        raise DomainError(_("Choose the vendor's service."), "service_kind")
    if service_kind not in {c.service_kind for c in vendor_kinds(user, estate.id)}:
        raise DomainError(_("No vendor's contract of this service is in force at %(estate)s today: nothing was "
                            "recorded. Send the problem to repairs, or have the contract registered.",
                            estate=estate.name), "service_kind")
    if deadline is None:
        raise DomainError(_("Enter the day the vendor must put it right by."), "deadline")
    if deadline <= local_day(estate, now):
        raise DomainError(_("The vendor's deadline must be after today."), "deadline")
    return send_to


def record_visit(user, checkpoint: PatrolCheckpoint, *, patrol: Patrol | None = None, result: str, note: str = "",
                 category: str = "", contact_phone: str = "", photos=None, send_to: str = "",
                 service_kind: str = "", deadline: date | None = None,
                 now: datetime | None = None) -> PatrolVisit:
    """The patroller checked ``checkpoint`` on ``patrol`` (or, without one, on an on-the-spot
    patrol started now). A problem is recorded with its description and goes where ``send_to``
    says: ``"repair"`` a repair order (channel "patrol", repairs enabled; the default then),
    ``"vendor"`` a rectification notice with ``deadline`` to the vendor holding the estate's
    contract of ``service_kind`` in force today (vendors enabled), ``"here"`` followed up in
    patrol (only when repairs is disabled; the default then). Photos are checked before anything
    is saved, attached to the visit and copied onto the notice."""
    now = now or utcnow()
    _require(user, "patrol.patrol")
    if checkpoint.estate_id not in user_estate_ids(user):
        raise DomainError(_("This checkpoint is not one of your estates': nothing was recorded."))
    if not checkpoint.active or not checkpoint.route.active:
        raise DomainError(_("Checkpoint %(code)s is no longer patrolled.", code=checkpoint.code))
    if patrol is not None:
        if patrol.estate_id != checkpoint.estate_id:
            raise DomainError(_("Checkpoint %(code)s belongs to another estate than patrol %(number)s: "
                                "nothing was recorded.", code=checkpoint.code, number=patrol.number))
        if patrol.route_id != checkpoint.route_id:
            raise DomainError(_("Checkpoint %(code)s is not on route %(route)s of patrol %(number)s: "
                                "nothing was recorded.", code=checkpoint.code, route=patrol.route.name,
                                number=patrol.number))
        if patrol.patroller_id != user.id and not has_permission("patrol.manage", user):
            raise DomainError(_("Patrol %(number)s is another patroller's.", number=patrol.number))
        if patrol.state == "done":
            raise DomainError(_("Patrol %(number)s is already finished.", number=patrol.number))
    if result not in RESULTS:
        raise DomainError(_("Choose OK or problem."), "result")
    note = _text(note, 500)
    if result == "problem":
        if len(note) < 4:
            raise DomainError(_("Describe the problem (at least 4 characters)."), "note")
        if category not in CHECKS:
            raise DomainError(_("Choose what the problem is about."), "category")
        send_to = _check_send_to(user, checkpoint.estate, send_to, service_kind, deadline, now)
    fit_photos = _check_photos(photos)
    if patrol is not None:
        done = visit_of(patrol.id, checkpoint.id)
        if done is not None:
            from core.i18n import fmt_datetime

            raise DomainError(_("Checkpoint %(code)s was already checked on patrol %(number)s (%(at)s): "
                                "nothing was recorded again.", code=checkpoint.code, number=patrol.number,
                                at=fmt_datetime(done.visited_at, tz=patrol.estate.timezone)))
    else:
        patrol = start_patrol(user, checkpoint, now)
    visit = PatrolVisit(estate_id=checkpoint.estate_id, patrol_id=patrol.id, checkpoint_id=checkpoint.id,
                        visited_at=now, visited_by_id=user.id, result=result, note=note)
    try:
        with db.session.begin_nested():
            db.session.add(visit)
    except IntegrityError:  # the same checkpoint sent twice at the same moment
        raise DomainError(_("Checkpoint %(code)s was already checked on patrol %(number)s: nothing was "
                            "recorded again.", code=checkpoint.code, number=patrol.number)) from None
    if patrol.state == "due":
        patrol.state, patrol.started_at = "in_progress", now
    from core.attachments import save_upload

    saved = []
    for storage in fit_photos:
        storage.stream.seek(0)
        saved.append(save_upload(storage, visit))
    if result == "problem":
        db.session.flush()
        _problem(user, patrol, checkpoint, visit, category, note, contact_phone, now, send_to=send_to,
                 service_kind=service_kind, deadline=deadline, photo_ids=[a.id for a in saved])
    visited = db.session.scalar(select(func.count()).select_from(PatrolVisit).where(PatrolVisit.patrol_id == patrol.id))
    if visited >= len(route_checkpoints(patrol.route_id)):
        patrol.state, patrol.finished_at = "done", now
    db.session.flush()
    return visit


def _problem(user, patrol, checkpoint, visit, category, note, contact_phone, now, *, send_to="repair",
             service_kind="", deadline=None, photo_ids=()) -> PatrolProblem:
    problem = PatrolProblem(estate_id=checkpoint.estate_id, visit_id=visit.id, patrol_id=patrol.id,
                            checkpoint_id=checkpoint.id, category=category, description=note, found_at=now,
                            state="open")
    db.session.add(problem)
    db.session.flush()
    if send_to == "vendor":
        from plugins.vendors.services import raise_rectification

        notice = raise_rectification(
            user, estate_id=checkpoint.estate_id, service_kind=service_kind,
            title=_("Patrol %(number)s, checkpoint %(code)s %(name)s", number=patrol.number, code=checkpoint.code,
                    name=checkpoint.name),
            detail=note, deadline=deadline, source="patrol", source_ref=f"{patrol.number}/{checkpoint.code}",
            attachment_ids=list(photo_ids))
        problem.rectification_id, problem.rectification_number = notice.id, notice.number
        problem.service_kind, problem.state = service_kind, "vendor"
    elif send_to == "repair":
        from plugins.repairs import services as repairs

        estate = db.session.get(Estate, checkpoint.estate_id)
        repair = repairs.record(
            user, estate_id=checkpoint.estate_id, unit_id=None,
            address=f"{checkpoint.route.name} · {checkpoint.code} {checkpoint.name}"[:200],
            contact_name=user.full_name, contact_phone=contact_phone or user.phone or estate.phone,
            category=REPAIR_CATEGORY[category], area="common", channel="patrol", now=now,
            description=_("Patrol %(number)s, checkpoint %(code)s %(name)s: %(problem)s", number=patrol.number,
                          code=checkpoint.code, name=checkpoint.name, problem=note))
        problem.repair_id, problem.repair_number, problem.state = repair.id, repair.number, "repair"
    hook("patrol_problem_found")(problem=problem)
    return problem


def finish(user, patrol: Patrol, note: str = "", now: datetime | None = None) -> Patrol:
    """The patroller ends the patrol; checkpoints not visited stay missed."""
    now = now or utcnow()
    _require(user, "patrol.patrol")
    if patrol.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."))
    if patrol.patroller_id != user.id and not has_permission("patrol.manage", user):
        raise DomainError(_("Patrol %(number)s is another patroller's.", number=patrol.number))
    db.session.flush()
    state = db.session.execute(select(Patrol.state).where(Patrol.id == patrol.id).with_for_update()).scalar_one()
    if state == "done":
        raise DomainError(_("Patrol %(number)s is already finished.", number=patrol.number))
    if state == "due":
        raise DomainError(_("Patrol %(number)s has no checkpoint visited yet: scan the first checkpoint.",
                            number=patrol.number))
    patrol.state, patrol.finished_at = "done", now
    if note:
        patrol.note = _text(note, 500)
    return patrol


def missed_checkpoints(patrol: Patrol, now: datetime | None = None) -> list[PatrolCheckpoint]:
    """The route's checkpoints not visited on a finished or late patrol (nothing is missed yet
    while a patrol is within its time)."""
    if patrol.state != "done" and not patrol.is_late(now):
        return []
    seen = set(db.session.scalars(select(PatrolVisit.checkpoint_id).where(PatrolVisit.patrol_id == patrol.id)))
    return [c for c in route_checkpoints(patrol.route_id) if c.id not in seen]


# -- problems -----------------------------------------------------------------------------------
def follow_up(user, problem: PatrolProblem, *, state: str, note: str, now: datetime | None = None) -> PatrolProblem:
    """A problem without a repair order moves on: in hand, then resolved (with what was done)."""
    _require(user, "patrol.manage")
    if problem.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."))
    if problem.repair_number:
        raise DomainError(_("This problem is followed up by repair order %(number)s.", number=problem.repair_number))
    if problem.rectification_number:
        raise DomainError(_("This problem is followed up by rectification notice %(number)s.",
                            number=problem.rectification_number))
    if state not in FOLLOW_UP_STATES:
        raise DomainError(_("Choose in hand or resolved."), "state")
    if problem.state == "resolved":
        raise DomainError(_("This problem is already resolved."))
    note = _text(note, 500)
    if len(note) < 2:
        raise DomainError(_("Say what was done."), "note")
    problem.state = state
    problem.follow_up = note
    if state == "resolved":
        problem.resolved_at, problem.resolved_by_id = now or utcnow(), user.id
    return problem


def repair_progress(user, problems) -> dict[int, str]:
    """``{repair id: state code}`` of the problems' repair orders, read through the repairs
    plugin's documented service (``{}`` when repairs is disabled)."""
    ids = [p.repair_id for p in problems if p.repair_id]
    if not ids or not is_enabled("repairs"):
        return {}
    from plugins.repairs import services as repairs

    return {rid: state for rid, (_number, state) in repairs.repair_states_by_id(user, ids).items()}


def rectification_progress(user, problems) -> dict:
    """``{notice id: RectificationState}`` (number, state, label, deadline, overdue) of the
    problems' rectification notices, read through the vendors plugin's documented
    ``rectification_states`` (``{}`` when vendors is disabled; another estate's left out)."""
    ids = [p.rectification_id for p in problems if p.rectification_id]
    if not ids or not is_enabled("vendors"):
        return {}
    from plugins.vendors.services import rectification_states

    return rectification_states(user, ids)


def open_problems_filter():
    """Problems still open: followed up here and not resolved, sent to repairs (the repair's
    own state says how far it is) or to the vendor (the notice's state says)."""
    return PatrolProblem.state.in_(("open", "in_hand", "repair", "vendor"))


def on_rectification_closed(rectification) -> None:
    """Listener of ``vendors_rectification_closed``: the problem carried by that notice is done with."""
    for problem in db.session.scalars(select(PatrolProblem).where(
            PatrolProblem.rectification_id == rectification.id, PatrolProblem.estate_id == rectification.estate_id)):
        problem.state = "rectified"
        problem.resolved_at = getattr(rectification, "closed_at", None) or utcnow()


def on_repair_done(repair) -> None:
    """Listener of ``repairs_completed``: the problem carried by that repair is done with."""
    for problem in db.session.scalars(select(PatrolProblem).where(PatrolProblem.repair_id == repair.id,
                                                                  PatrolProblem.estate_id == repair.estate_id)):
        problem.state = "repaired"
        problem.resolved_at = getattr(repair, "completed_at", None) or utcnow()


def on_repair_reopened(repair) -> None:
    for problem in db.session.scalars(select(PatrolProblem).where(PatrolProblem.repair_id == repair.id,
                                                                  PatrolProblem.estate_id == repair.estate_id)):
        problem.state, problem.resolved_at = "repair", None


# -- the building log ------------------------------------------------------------------------------
def add_log_entry(user, *, estate_id: int, at: datetime, text: str, now: datetime | None = None) -> PatrolLogEntry:
    _require(user, "patrol.patrol")
    _check_estate(user, estate_id)
    now = now or utcnow()
    if at is None:
        raise DomainError(_("Enter the time."), "at")
    if at > now + timedelta(minutes=5):
        raise DomainError(_("The time is in the future."), "at")
    text = _text(text, 1000)
    if len(text) < 2:
        raise DomainError(_("Write what happened."), "text")
    entry = PatrolLogEntry(estate_id=estate_id, at=at, text=text, written_by_id=user.id)
    db.session.add(entry)
    db.session.flush()
    return entry


def building_log(estate: Estate, day: date) -> dict:
    """A day's patrols, visits with problems, problems and log entries of one estate."""
    start, end = day_bounds(day, tz_of(estate))
    patrols = db.session.scalars(select(Patrol).where(Patrol.estate_id == estate.id, Patrol.due_at >= start,
                                                      Patrol.due_at < end).order_by(Patrol.due_at, Patrol.id)).all()
    counts = visit_counts([p.id for p in patrols])
    problems = db.session.scalars(select(PatrolProblem).where(
        PatrolProblem.estate_id == estate.id, PatrolProblem.found_at >= start, PatrolProblem.found_at < end)
        .order_by(PatrolProblem.found_at, PatrolProblem.id)).all()
    entries = db.session.scalars(select(PatrolLogEntry).where(
        PatrolLogEntry.estate_id == estate.id, PatrolLogEntry.at >= start, PatrolLogEntry.at < end)
        .order_by(PatrolLogEntry.at, PatrolLogEntry.id)).all()
    totals = checkpoint_totals({p.route_id for p in patrols})
    return {"patrols": patrols, "counts": counts, "totals": totals, "problems": problems, "entries": entries,
            "missed": missed_of(patrols)}


def missed_of(patrols, now: datetime | None = None) -> dict[int, list[PatrolCheckpoint]]:
    """:func:`missed_checkpoints` of many patrols at once (a query for the visits, one per route)."""
    now = now or utcnow()
    ended = [p for p in patrols if p.state == "done" or p.is_late(now)]
    out: dict[int, list[PatrolCheckpoint]] = {p.id: [] for p in patrols}
    if not ended:
        return out
    seen = {(pid, cid) for pid, cid in db.session.execute(select(PatrolVisit.patrol_id, PatrolVisit.checkpoint_id)
                                                          .where(PatrolVisit.patrol_id.in_([p.id for p in ended])))}
    points = {rid: route_checkpoints(rid) for rid in {p.route_id for p in ended}}
    for p in ended:
        out[p.id] = [c for c in points[p.route_id] if (p.id, c.id) not in seen]
    return out


# -- today's board -----------------------------------------------------------------------------------
def visit_counts(patrol_ids) -> dict[int, tuple[int, int]]:
    """``{patrol id: (checkpoints visited, problems)}`` (one grouped query on the visits' index)."""
    ids = list(patrol_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(
        PatrolVisit.patrol_id, func.count(), func.sum(case((PatrolVisit.result == "problem", 1), else_=0)))
        .where(PatrolVisit.patrol_id.in_(ids)).group_by(PatrolVisit.patrol_id))
    return {pid: (n, int(p or 0)) for pid, n, p in rows}


def checkpoint_totals(route_ids) -> dict[int, int]:
    ids = list(route_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(PatrolCheckpoint.route_id, func.count()).where(
        PatrolCheckpoint.route_id.in_(ids), PatrolCheckpoint.active.is_(True)).group_by(PatrolCheckpoint.route_id))
    return dict(rows.all())


class _UTCText(TypeDecorator):
    """A NOT NULL UTC date-time SQLite hands over as ISO text with its zone (``… || '+00:00'``),
    read by ``datetime.fromisoformat`` — one C call, where ``UTCDateTime`` on SQLite parses the
    text and then sets the zone in Python, value by value."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect, coltype):
        return datetime.fromisoformat


def _utc_text(col):
    return type_coerce(type_coerce(col, String) + literal_column("'+00:00'"), _UTCText()).label(col.name)


def _board_statement(one_estate: bool, dialect: str = ""):
    """Today's board as one statement, built once: each patrol due in the window with its route,
    patroller, checkpoints visited and problems (counted on ``uq_patrol_visit_patrol_checkpoint``),
    the route's active checkpoints, and whether it is late. On SQLite ``due_at``/``due_by`` come
    as ISO text with the zone (``_UTCText``): the same aware date-times, a third of the cost."""
    from sqlalchemy import bindparam

    from core.models import UTCDateTime

    p, v, c = Patrol.__table__.c, PatrolVisit.__table__, PatrolCheckpoint.__table__
    r, u = PatrolRoute.__table__.c, User.__table__.c
    now = bindparam("now", type_=UTCDateTime())
    visited = select(func.count()).select_from(v).where(v.c.patrol_id == p.id).scalar_subquery()
    problems = (select(func.count()).select_from(v).where(v.c.patrol_id == p.id, v.c.result == "problem")
                .scalar_subquery())
    total = (select(func.count()).select_from(c).where(c.c.route_id == p.route_id, c.c.active.is_(True))
             .scalar_subquery())
    late = case((p.finished_at.is_not(None), p.finished_at > p.due_by), else_=p.due_by < now)
    due_at, due_by = (_utc_text(p.due_at), _utc_text(p.due_by)) if dialect == "sqlite" else (p.due_at, p.due_by)
    return (select(p.id, p.number, due_at, due_by, p.state,
                   r.name.label("route"), u.full_name.label("patroller"), visited.label("visited"),
                   total.label("total"), problems.label("problems"), late.label("late"))
            .select_from(Patrol.__table__.join(PatrolRoute.__table__, r.id == p.route_id)
                         .join(User.__table__, u.id == p.patroller_id))
            .where(p.estate_id == bindparam("id") if one_estate else p.estate_id.in_(bindparam("ids", expanding=True)),
                   p.due_at >= bindparam("start", type_=UTCDateTime()),
                   p.due_at < bindparam("end", type_=UTCDateTime()))
            .order_by(p.due_at, p.id))


#: The statement for one estate (the estate switcher on one: no list of ids to expand) and for several.
_BOARD: dict[tuple[bool, str], object] = {}


def board(estate_ids, start: datetime, end: datetime, now: datetime | None = None) -> list:
    """Today's patrol board: every patrol due between ``start`` and ``end`` in the estates, with
    its route, patroller, checkpoints visited of the route's (``visited``, ``total``), problems,
    and ``late`` — rows of one statement (attributes ``id, number, due_at,
    due_by, state, route, patroller, visited, total, problems, late``)."""
    ids = list(estate_ids) or [0]
    one = len(ids) == 1
    conn = db.session.connection()
    key = (one, conn.dialect.name)
    if key not in _BOARD:
        _BOARD[key] = _board_statement(*key)
    params = {"id": ids[0]} if one else {"ids": ids}
    return conn.execute(_BOARD[key], {**params, "start": start, "end": end, "now": now or utcnow()}).all()


def today_figures(estate_ids, now: datetime | None = None, tz: str = "Asia/Shanghai") -> dict:
    """Patrols done vs due today and open problems, for the dashboard."""
    now = now or utcnow()
    start, end = day_bounds(now.astimezone(ZoneInfo(tz)).date(), tz)
    ids = list(estate_ids) or [0]
    due, done, late = db.session.execute(select(
        func.count(), func.sum(case((Patrol.state == "done", 1), else_=0)),
        func.sum(case((and_(Patrol.state != "done", Patrol.due_by < now), 1), else_=0)))
        .where(Patrol.estate_id.in_(ids), Patrol.due_at >= start, Patrol.due_at < end)).one()
    problems = db.session.scalar(select(func.count()).select_from(PatrolProblem).where(
        PatrolProblem.estate_id.in_(ids), open_problems_filter()))
    return {"due": due or 0, "done": int(done or 0), "late": int(late or 0), "problems": problems or 0}
