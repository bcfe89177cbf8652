"""Community activity services. Each function takes the acting user, checks every rule, and
either changes the session (the caller commits) or raises a translated :class:`DomainError`
naming the form field — and then nothing is saved (the caller rolls back).

The life of an activity: ``draft`` → ``submitted`` → ``approved`` or ``refused`` (a refusal
states its reason; a refused plan may be corrected and submitted again) → ``held`` (then the
attendance, the summary) or ``cancelled`` with a reason. Nothing is deleted.

Sign-ups are taken only while the activity is approved, one per resident (partial unique
index), never beyond the capacity: the count of places taken is raised with a conditional
``UPDATE … WHERE signed_up < capacity`` and a check constraint keeps it there, so of two
sign-ups for the last place one is refused, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record_sql_change
from core.errors import DomainError
from core.extensions import db
from core.models import Estate, Resident, User, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.activities.models import EDITABLE, Activity, ActivityOrganiser, Expense, Signup

NUMBER_PREFIX = "HD"  # 活动
#: A change typed a little ahead of the server's clock is still "now".
CLOCK_SKEW = timedelta(minutes=5)
MAX_CAPACITY = 10_000
MAX_BUDGET = Decimal("10000000")


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def local_year(at: datetime, estate: Estate) -> int:
    return at.astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).year


def check_money(value, field: str, *, positive: bool = False) -> Decimal:
    """An exact amount of money: a finite Decimal, not negative (or above zero), at most two
    decimal places, written without an exponent."""
    if value is None or value == "":
        raise DomainError(_("Enter an amount such as 1280.50."), field)
    if isinstance(value, float):
        raise DomainError(_("Enter an amount such as 1280.50."), field)
    try:
        value = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(_("Enter an amount such as 1280.50."), field) from None
    if not value.is_finite() or value.as_tuple().exponent > 0:
        raise DomainError(_("Enter an amount such as 1280.50."), field)
    if -value.as_tuple().exponent > 2:
        raise DomainError(_("Use at most %(n)s decimal places.", n=2), field)
    if value < 0 or (positive and value == 0):
        raise DomainError(_("The amount must be more than zero.") if positive
                          else _("The budget cannot be negative."), field)
    if value >= MAX_BUDGET:
        raise DomainError(_("The amount is too large."), field)
    return value.quantize(Decimal("0.01"))


def _organisers(estate_id: int, organiser_ids) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in (organiser_ids or []) if i))
    if not ids:
        raise DomainError(_("Choose at least one organiser."), "organiser_ids")
    for uid in ids:
        staff = db.session.get(User, uid)
        if staff is None or not staff.active or estate_id not in user_estate_ids(staff):
            raise DomainError(_("Choose organisers among the staff of this estate."), "organiser_ids")
    return ids


def _plan_fields(estate: Estate, *, theme, description, starts_at, ends_at, place, budget, expected_participants,
                 capacity) -> dict:
    theme = _text(theme, 200)
    if not theme:
        raise DomainError(_("Enter the theme of the activity."), "theme")
    if starts_at is None:
        raise DomainError(_("Enter when the activity starts."), "starts_at")
    if ends_at is None:
        raise DomainError(_("Enter when the activity ends."), "ends_at")
    if ends_at <= starts_at:
        raise DomainError(_("The activity must end after it starts."), "ends_at")
    if ends_at - starts_at > timedelta(days=31):
        raise DomainError(_("An activity lasts at most 31 days."), "ends_at")
    place = _text(place, 200)
    if not place:
        raise DomainError(_("Enter where the activity takes place."), "place")
    budget = check_money(budget, "budget")
    if expected_participants is None or not 0 <= expected_participants <= MAX_CAPACITY:
        raise DomainError(_("Enter the expected number of participants (0 to %(max)s).", max=MAX_CAPACITY),
                          "expected_participants")
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(_("Enter how many residents may sign up (1 to %(max)s).", max=MAX_CAPACITY), "capacity")
    return dict(theme=theme, description=_text(description, 2000), starts_at=starts_at, ends_at=ends_at,
                place=place, budget=budget, expected_participants=expected_participants, capacity=capacity,
                year=local_year(starts_at, estate))


def _set_organisers(activity: Activity, ids: list[int]) -> None:
    current = {o.user_id: o for o in db.session.scalars(
        select(ActivityOrganiser).where(ActivityOrganiser.activity_id == activity.id))}
    for uid, row in current.items():
        if uid not in ids:
            db.session.delete(row)  # the organiser list of a plan being drafted, not a record
    for uid in ids:
        if uid not in current:
            db.session.add(ActivityOrganiser(activity_id=activity.id, user_id=uid))
    db.session.flush()
    db.session.expire(activity, ["organisers"])


def plan(user, *, estate_id: int, theme: str, starts_at: datetime | None, ends_at: datetime | None, place: str,
         budget, expected_participants: int | None, capacity: int | None, organiser_ids, description: str = "",
         ) -> Activity:
    """A new activity plan (a draft) of one of the user's estates."""
    from core.numbering import next_number

    _require(user, "activities.manage")
    estate = _check_estate(user, estate_id)
    fields = _plan_fields(estate, theme=theme, description=description, starts_at=starts_at, ends_at=ends_at,
                          place=place, budget=budget, expected_participants=expected_participants,
                          capacity=capacity)
    ids = _organisers(estate.id, organiser_ids)
    activity = Activity(estate_id=estate.id, number=next_number(NUMBER_PREFIX, estate, starts_at), state="draft",
                        signed_up=0, **fields)
    db.session.add(activity)
    db.session.flush()
    _set_organisers(activity, ids)
    return activity


def edit(user, activity: Activity, *, theme: str, starts_at, ends_at, place: str, budget, expected_participants,
         capacity, organiser_ids, description: str = "") -> Activity:
    """Correct a draft or refused plan (an approved plan is final: cancel it instead)."""
    _require(user, "activities.manage")
    estate = _check_estate(user, activity.estate_id)
    if activity.state not in EDITABLE:
        raise DomainError(_("Only a draft or a refused plan can be changed."))
    fields = _plan_fields(estate, theme=theme, description=description, starts_at=starts_at, ends_at=ends_at,
                          place=place, budget=budget, expected_participants=expected_participants,
                          capacity=capacity)
    ids = _organisers(estate.id, organiser_ids)
    for name, value in fields.items():
        setattr(activity, name, value)
    _set_organisers(activity, ids)
    return activity


def submit(user, activity: Activity) -> Activity:
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state not in EDITABLE:
        raise DomainError(_("Only a draft or a refused plan can be submitted for approval."))
    activity.state = "submitted"
    activity.submitted_at = utcnow()
    activity.submitted_by_id = user.id
    activity.decided_at = None
    activity.decided_by_id = None
    activity.decision_note = ""
    return activity


def decide(user, activity: Activity, *, approve: bool, note: str = "") -> Activity:
    """The supervisor or manager approves the plan, or refuses it with the reason."""
    _require(user, "activities.approve")
    _check_estate(user, activity.estate_id)
    if activity.state != "submitted":
        raise DomainError(_("Only a plan submitted for approval can be approved or refused."))
    if activity.submitted_by_id == user.id:
        raise DomainError(_("You cannot decide on a plan you submitted: another supervisor or the manager must."))
    note = _text(note, 500)
    if not approve and not note:
        raise DomainError(_("Say why the plan is refused."), "note")
    activity.state = "approved" if approve else "refused"
    activity.decided_at = utcnow()
    activity.decided_by_id = user.id
    activity.decision_note = note
    return activity


def cancel(user, activity: Activity, reason: str) -> Activity:
    """Call the activity off, with the reason (a held activity stays held)."""
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state in ("held", "cancelled"):
        raise DomainError(_("A held or cancelled activity cannot be cancelled."))
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the activity is cancelled."), "reason")
    activity.state = "cancelled"
    activity.cancelled_at = utcnow()
    activity.cancelled_by_id = user.id
    activity.cancel_reason = reason
    return activity


def mark_held(user, activity: Activity) -> Activity:
    """The approved activity took place (recorded once it has started)."""
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state != "approved":
        raise DomainError(_("Only an approved activity can be marked as held."))
    now = utcnow()
    if activity.starts_at > now + CLOCK_SKEW:
        raise DomainError(_("The activity has not started yet: it can be marked as held once it has begun."))
    activity.state = "held"
    activity.held_at = now
    return activity


def write_summary(user, activity: Activity, *, summary: str, feedback: str = "") -> Activity:
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state != "held":
        raise DomainError(_("The summary is written after the activity is held."))
    summary = _text(summary, 4000)
    if not summary:
        raise DomainError(_("Say what happened at the activity."), "summary")
    activity.summary = summary
    activity.feedback = _text(feedback, 2000)
    activity.summary_by_id = user.id
    return activity


# -- sign-up -----------------------------------------------------------------------------
def _check_open(activity: Activity) -> None:
    if activity.state == "cancelled":
        raise DomainError(_("The activity was cancelled: no more sign-ups."))
    if activity.state == "held":
        raise DomainError(_("The activity has been held: no more sign-ups."))
    if activity.state != "approved":
        raise DomainError(_("Residents sign up once the plan is approved."))


def _full(activity: Activity) -> DomainError:
    return DomainError(_("The activity is full: all %(num)s places are taken.", num=activity.capacity))


def active_signup(activity_id: int, resident_id: int) -> Signup | None:
    return db.session.scalar(select(Signup).where(Signup.activity_id == activity_id, Signup.resident_id == resident_id,
                                                  Signup.cancelled_at.is_(None)))


def sign_up(user, activity: Activity, *, resident_id: int | None = None, name: str = "", phone: str = "",
            note: str = "") -> Signup:
    """Sign up a resident of the activity's estate (or a walk-in by name and phone)."""
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    _check_open(activity)
    resident = None
    if resident_id:
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.estate_id != activity.estate_id:
            raise DomainError(_("Choose a resident of this estate."), "resident_id")
        name, phone = resident.name, resident.phone or ""
        if active_signup(activity.id, resident.id) is not None:
            raise DomainError(_("%(name)s has already signed up for this activity.", name=resident.name),
                              "resident_id")
    else:
        name, phone = _text(name, 100), _text(phone, 30)
        if not name:
            raise DomainError(_("Choose a resident, or enter the name of a walk-in participant."), "name")
        if not phone:
            raise DomainError(_("Enter the walk-in participant's phone."), "phone")
    now = utcnow()
    taken = db.session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.state == "approved",
                               Activity.signed_up < Activity.capacity)
        .values(signed_up=Activity.signed_up + 1, updated_at=now, updated_by_id=user.id)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        db.session.expire(activity)
        _check_open(activity)
        raise _full(activity)
    row = Signup(estate_id=activity.estate_id, activity_id=activity.id, resident_id=resident.id if resident else None,
                 name=name, phone=phone, note=_text(note, 200), signed_up_at=now, signed_up_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise DomainError(_("%(name)s has already signed up for this activity.", name=name), "resident_id") from None
    db.session.expire(activity)
    return row


def cancel_signup(user, signup: Signup, reason: str = "") -> Signup:
    """The resident no longer comes: the sign-up is kept, marked cancelled, the place freed."""
    _require(user, "activities.manage")
    _check_estate(user, signup.estate_id)
    activity = db.session.get(Activity, signup.activity_id)
    if activity.state != "approved":
        raise DomainError(_("Sign-ups can be cancelled only before the activity is held."))
    now = utcnow()
    done = db.session.execute(
        update(Signup).where(Signup.id == signup.id, Signup.cancelled_at.is_(None))
        .values(cancelled_at=now, cancelled_by_id=user.id, cancel_reason=_text(reason, 200), updated_at=now,
                updated_by_id=user.id).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("This sign-up was already cancelled."))
    db.session.execute(update(Activity).where(Activity.id == activity.id)
                       .values(signed_up=Activity.signed_up - 1).execution_options(synchronize_session=False))
    record_sql_change("activities_signup", signup.id, signup.estate_id, {"cancelled_at": (None, now)})
    db.session.expire(signup)
    db.session.expire(activity)
    return signup


def mark_attendance(user, activity: Activity, attended_ids) -> int:
    """After the event: the sign-ups in ``attended_ids`` came, the other active ones did not."""
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state != "held":
        raise DomainError(_("Attendance is marked after the activity is held."))
    ids = {int(i) for i in (attended_ids or [])}
    rows = db.session.scalars(select(Signup).where(Signup.activity_id == activity.id,
                                                   Signup.cancelled_at.is_(None))).all()
    if ids - {r.id for r in rows}:
        raise DomainError(_("Mark only this activity's sign-ups."))
    for r in rows:
        r.attended = r.id in ids
    db.session.flush()
    db.session.expire(activity)
    return len(ids)


# -- spending ----------------------------------------------------------------------------
def add_expense(user, activity: Activity, *, item: str, amount, spent_on: date | None) -> Expense:
    _require(user, "activities.manage")
    _check_estate(user, activity.estate_id)
    if activity.state not in ("approved", "held"):
        raise DomainError(_("Spending is recorded against an approved or held activity."))
    item = _text(item, 200)
    if not item:
        raise DomainError(_("Say what was bought or paid for."), "item")
    amount = check_money(amount, "amount", positive=True)
    if spent_on is None:
        raise DomainError(_("Enter the date of the expense."), "spent_on")
    from core.i18n import today_local

    if spent_on > today_local():
        raise DomainError(_("An expense cannot be dated in the future."), "spent_on")
    row = Expense(estate_id=activity.estate_id, activity_id=activity.id, item=item, amount=amount, spent_on=spent_on,
                  recorded_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    db.session.expire(activity)
    return row


def void_expense(user, expense: Expense, reason: str) -> Expense:
    """A line recorded wrongly is voided with the reason; it stays on record, out of the total."""
    _require(user, "activities.manage")
    _check_estate(user, expense.estate_id)
    if expense.voided_at is not None:
        raise DomainError(_("This expense line was already voided."))
    reason = _text(reason, 500)
    if not reason:
        raise DomainError(_("Say why the expense line is voided."), "reason")
    expense.voided_at = utcnow()
    expense.voided_by_id = user.id
    expense.void_reason = reason
    db.session.flush()
    db.session.expire(db.session.get(Activity, expense.activity_id))
    return expense


# -- read models -------------------------------------------------------------------------
def signups(activity_id: int, *, active_only: bool = False) -> list[Signup]:
    stmt = select(Signup).where(Signup.activity_id == activity_id)
    if active_only:
        stmt = stmt.where(Signup.cancelled_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Signup.cancelled_at.is_not(None), Signup.id)))


def expenses(activity_id: int) -> list[Expense]:
    return list(db.session.scalars(select(Expense).where(Expense.activity_id == activity_id)
                                   .order_by(Expense.spent_on, Expense.id)))


def year_activities(estate_ids, year: int) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(Activity.estate_id.in_(estate_ids or [0]),
                                                          Activity.year == year)
                                   .order_by(Activity.starts_at, Activity.id)))


def year_totals(rows: list[Activity]) -> dict:
    held = [a for a in rows if a.state == "held"]
    return {"planned": len([a for a in rows if a.state != "cancelled"]), "held": len(held),
            "cancelled": len([a for a in rows if a.state == "cancelled"]),
            "participants": sum(a.attended_count or 0 for a in held),
            "budget": sum((a.budget for a in rows if a.state != "cancelled"), Decimal("0.00")),
            "spent": sum((Decimal(a.spent or 0) for a in rows), Decimal("0.00")).quantize(Decimal("0.01"))}


def awaiting_count_query(estate_ids):
    return select(func.count()).select_from(Activity).where(Activity.estate_id.in_(estate_ids or [0]),
                                                          Activity.state == "submitted")


def resident_signups(resident_id: int, estate_ids) -> list[Signup]:
    return list(db.session.scalars(select(Signup).where(Signup.resident_id == resident_id,
                                                        Signup.estate_id.in_(estate_ids or [0]))
                                   .order_by(Signup.signed_up_at.desc()).limit(20)))
