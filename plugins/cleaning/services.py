"""Cleaning services. Each function takes the acting user, checks every rule, and either changes
the session (the caller commits) or raises a translated :class:`DomainError` naming the form
field — and then nothing is saved (the caller rolls back).

Rules: an area's name is unique in its estate; an inspection is of an area of the user's estates,
on a day not in the future, every item OK or a shortcoming (a shortcoming needs a remark);
shortcomings need a remedy — rework by the cleaners or, with the vendors plugin enabled, a
rectification notice to the vendor (:func:`plugins.vendors.services.raise_rectification`) — and a
deadline after the inspection day; the inspection then stays open until verified (not before the
inspection, not in the future; failed again: a new deadline after the verification; while the
vendor's notice is open, only its re-check at the vendor verifies it). A pest
control or disinfection plan ends on or after its start; its records fall within its period and
not in the future. A training lasts more than 0 and at most 24 hours and has attendees.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.extensions import db
from core.models import Estate, utcnow
from core.permissions import has_permission
from core.security import user_estate_ids
from plugins.cleaning.models import (
    FREQUENCIES,
    PEST_KINDS,
    PESTS,
    REMEDIES,
    CleanArea,
    CleanCheck,
    CleanLine,
    CleanStep,
    CleanTask,
    CleanTraining,
    PestPlan,
    PestRecord,
)

NAMESPACE = "cleaning"
#: How many inspections each area gets a day (the estate's setting).
DEFAULTS = {"checks_per_day": 1}
PHOTO_MAX_BYTES = 8 * 1024 * 1024


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _require(user, code: str) -> None:
    if not has_permission(code, user):
        raise DomainError(_("Your role may not do this."))


def _check_estate(user, estate_id) -> Estate:
    if not estate_id or estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    return db.session.get(Estate, estate_id)


def estate_today(estate: Estate) -> date:
    """Today in the estate's time zone."""
    return utcnow().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()


def checks_per_day(estate_id: int | None) -> int:
    from core.settings import get_settings

    try:
        value = int(get_settings(NAMESPACE, estate_id).get("checks_per_day", 1))
    except (TypeError, ValueError):
        value = 1
    return min(max(value, 1), 6)


# -- areas and their work plan ----------------------------------------------------------------
def add_area(user, *, estate_id: int, name: str, location: str = "", vendor: str = "", note: str = "") -> CleanArea:
    _require(user, "cleaning.manage")
    _check_estate(user, estate_id)
    name = _text(name, 100)
    if not name:
        raise DomainError(_("Enter the area's name."), "name")
    taken = _("An area named %(name)s already exists at this estate.", name=name)
    if db.session.scalar(select(CleanArea.id).where(CleanArea.estate_id == estate_id, CleanArea.name == name)):
        raise DomainError(taken, "name")
    area = CleanArea(estate_id=estate_id, name=name, location=_text(location, 200), vendor=_text(vendor, 200),
                     note=_text(note, 500))
    try:
        with db.session.begin_nested():
            db.session.add(area)
    except IntegrityError:
        raise DomainError(taken, "name") from None
    return area


def update_area(user, area: CleanArea, *, location: str, vendor: str, note: str, active: bool) -> CleanArea:
    _require(user, "cleaning.manage")
    _check_estate(user, area.estate_id)
    area.location, area.vendor, area.note = _text(location, 200), _text(vendor, 200), _text(note, 500)
    area.active = bool(active)
    return area


def add_task(user, area: CleanArea, *, frequency: str, title: str, standard: str = "") -> CleanTask:
    _require(user, "cleaning.manage")
    _check_estate(user, area.estate_id)
    if frequency not in FREQUENCIES:
        raise DomainError(_("Choose daily, weekly or monthly."), "frequency")
    title = _text(title, 200)
    if not title:
        raise DomainError(_("Enter the task."), "title")
    task = CleanTask(estate_id=area.estate_id, area_id=area.id, frequency=frequency, title=title,
                     standard=_text(standard, 500))
    db.session.add(task)
    db.session.flush()
    return task


def retire_task(user, task: CleanTask) -> CleanTask:
    _require(user, "cleaning.manage")
    _check_estate(user, task.estate_id)
    task.active = False
    return task


def plan_of(area_id: int) -> list[CleanTask]:
    """The area's active tasks: daily first, then weekly, then monthly."""
    order = case({f: n for n, f in enumerate(FREQUENCIES)}, value=CleanTask.frequency)
    return db.session.scalars(select(CleanTask).where(CleanTask.area_id == area_id, CleanTask.active.is_(True))
                              .order_by(order, CleanTask.id)).all()


# -- inspections ----------------------------------------------------------------------------
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


def record_inspection(user, area: CleanArea, *, inspected_on: date | None, results: dict[int, tuple[bool, str]],
                      note: str = "", remedy: str = "", deadline: date | None = None, photos=None,
                      now: datetime | None = None) -> CleanCheck:
    """Inspect ``area``: ``results`` gives each active task of its plan (by id) OK or not and a
    remark. Shortcomings go to ``remedy`` (``rework`` or ``vendor``) with a deadline. Photos are
    checked before anything is saved and attached to the inspection (and copied onto the vendor's
    notice)."""
    from core.numbering import next_number

    _require(user, "cleaning.inspect")
    if area.estate_id not in user_estate_ids(user):
        raise DomainError(_("This area is not one of your estates': nothing was recorded."))
    if not area.active:
        raise DomainError(_("Area %(name)s is no longer inspected.", name=area.name))
    estate = db.session.get(Estate, area.estate_id)
    today = estate_today(estate)
    if inspected_on is None:
        raise DomainError(_("Enter the day of the inspection."), "inspected_on")
    if inspected_on > today:
        raise DomainError(_("An inspection cannot be recorded in the future."), "inspected_on")
    tasks = plan_of(area.id)
    if not tasks:
        raise DomainError(_("Area %(name)s has no work plan yet: add its tasks first.", name=area.name))
    lines, failing = [], []
    for task in tasks:
        if task.id not in results:
            raise DomainError(_("Mark every item OK or shortcoming."), f"r_{task.id}")
        ok, remark = results[task.id]
        remark = _text(remark, 500)
        if not ok and not remark:
            raise DomainError(_("Say what the shortcoming is."), f"m_{task.id}")
        lines.append((task, bool(ok), remark))
        if not ok:
            failing.append((task, remark))
    remedy = remedy or ""
    if failing:
        if remedy not in REMEDIES:
            raise DomainError(_("Choose rework or a rectification by the vendor for the shortcomings."), "remedy")
        if remedy == "vendor":
            from core.plugins import is_enabled

            if not is_enabled("vendors"):
                raise DomainError(_("The vendors plugin is not enabled: send the shortcomings to rework."), "remedy")
        if deadline is None:
            raise DomainError(_("Enter the deadline for putting the shortcomings right."), "deadline")
        if deadline <= inspected_on:
            raise DomainError(_("The deadline must be after the day of the inspection."), "deadline")
        if remedy == "vendor" and deadline <= today:
            raise DomainError(_("The deadline must be after today."), "deadline")
    else:
        remedy, deadline = "", None
    fit_photos = _check_photos(photos)
    now = now or utcnow()
    check = CleanCheck(estate_id=area.estate_id, number=next_number("BJ", estate, now), area_id=area.id,
                       inspected_on=inspected_on, inspected_at=now, inspector_id=user.id, vendor=area.vendor,
                       passed=not failing, shortcomings=len(failing), note=_text(note, 1000), remedy=remedy,
                       deadline=deadline, state="open" if failing else "passed")
    db.session.add(check)
    db.session.flush()
    for task, ok, remark in lines:
        db.session.add(CleanLine(check_id=check.id, task_id=task.id, title=task.title, ok=ok, remark=remark))
    from core.attachments import save_upload

    saved = []
    for storage in fit_photos:
        storage.stream.seek(0)
        saved.append(save_upload(storage, check))
    db.session.flush()
    if failing:
        detail = "\n".join(f"{t.title}: {r}" for t, r in failing)
        if remedy == "vendor":
            from plugins.vendors.services import raise_rectification

            notice = raise_rectification(
                user, estate_id=area.estate_id, service_kind="cleaning",
                title=_("Cleaning of %(area)s: %(num)d shortcomings", area=area.name, num=len(failing)),
                detail=detail, deadline=deadline, source="cleaning", source_ref=check.number,
                attachment_ids=[a.id for a in saved])
            check.rectification_id, check.rectification_number = notice.id, notice.number
        db.session.add(CleanStep(estate_id=check.estate_id, check_id=check.id, kind=remedy, happened_on=inspected_on,
                                 note=detail[:1000], new_deadline=deadline, by_id=user.id))
    db.session.flush()
    return check


def verify(user, check: CleanCheck, *, verified_on: date | None, passed: bool, note: str = "",
           new_deadline: date | None = None) -> CleanStep:
    """Verify that the shortcomings were put right: passed closes the inspection (``verified``);
    still failing needs what fails and a new deadline after the verification. Refused while the
    shortcomings are in the vendor's hands (:func:`awaits_vendor`): the vendor's re-check closes
    the inspection then (:func:`on_rectification_closed`)."""
    _require(user, "cleaning.inspect")
    _check_estate(user, check.estate_id)
    if check.state != "open":
        raise DomainError(_("This inspection has nothing waiting for verification."))
    if awaits_vendor(user, check):
        raise DomainError(_("Rectification notice %(number)s is still open at the vendor: the inspection is "
                            "verified when the vendor's re-check closes it.", number=check.rectification_number))
    if verified_on is None:
        raise DomainError(_("Enter the day of the verification."), "verified_on")
    if verified_on > estate_today(check.estate):
        raise DomainError(_("A verification cannot be recorded in the future."), "verified_on")
    last = max([check.inspected_on] + [s.happened_on for s in check.steps])
    if verified_on < last:
        raise DomainError(_("The verification cannot be before %(day)s.", day=last.isoformat()), "verified_on")
    note = _text(note, 1000)
    if passed:
        check.state, check.verified_on, new_deadline = "verified", verified_on, None
    else:
        if not note:
            raise DomainError(_("Say what still fails."), "note")
        if new_deadline is None:
            raise DomainError(_("Still failing: give a new deadline."), "new_deadline")
        if new_deadline <= verified_on:
            raise DomainError(_("The new deadline must be after the verification."), "new_deadline")
        check.deadline = new_deadline
    step = CleanStep(estate_id=check.estate_id, check_id=check.id, kind="passed" if passed else "failed",
                     happened_on=verified_on, note=note, new_deadline=new_deadline, by_id=user.id)
    db.session.add(step)
    db.session.flush()
    return step


#: The vendors notice's states in which the vendor still has to act (the notice's own flow closes
#: the inspection; see :func:`awaits_vendor`).
VENDOR_PENDING = ("open", "responded")


def vendor_notice(user, check: CleanCheck):
    """The inspection's rectification notice as the vendors plugin's documented
    ``rectification_states`` reads it (a ``RectificationState``), or ``None`` when vendors is
    disabled, there is no notice, or it is not the inspection's estate's (nor the user's)."""
    from core.plugins import is_enabled

    if not check.rectification_id or not is_enabled("vendors"):
        return None
    from plugins.vendors.services import rectification_states

    state = rectification_states(user, [check.rectification_id]).get(check.rectification_id)
    if state is None or state.estate_id != check.estate_id:
        return None
    return state


def awaits_vendor(user, check: CleanCheck) -> bool:
    """Whether the inspection's shortcomings wait for the vendor: vendors is enabled and the
    notice is still open or answered (not closed). Then the inspection is verified by the
    vendor's re-check (``vendors_rectification_closed``), not by hand. With vendors disabled, or a
    notice no longer in the vendor's hands (closed, or any state but open / responded), the
    inspection is verified by hand as any other."""
    return notice_pending(vendor_notice(user, check))


def notice_pending(notice) -> bool:
    """Whether a notice read by :func:`vendor_notice` is still in the vendor's hands."""
    return notice is not None and notice.state in VENDOR_PENDING


def rectification_state(user, check: CleanCheck) -> str | None:
    """The vendor's notice's state label (see :func:`vendor_notice`; ``None`` when there is none)."""
    notice = vendor_notice(user, check)
    return notice.label if notice is not None else None


def on_rectification_closed(rectification, user=None, checked_on: date | None = None) -> None:
    """Listener of the vendors plugin's ``vendors_rectification_closed``: the vendor's re-check
    passed, so the open inspection whose shortcomings that notice carried is verified — a
    ``rectified`` step records who re-checked (``user``; else the acting user, else the inspector)
    and when (the re-check's day ``checked_on``; else the day the notice closed in the estate's
    time zone; never before the inspection's last step), and the change is audited like any
    other. An inspection verified by hand meanwhile is left alone."""
    from core.audit import acting_user_id

    rows = db.session.scalars(select(CleanCheck).where(CleanCheck.rectification_id == rectification.id,
                                                CleanCheck.estate_id == rectification.estate_id,
                                                CleanCheck.state == "open")).all()
    for check in rows:
        day = checked_on
        if day is None:
            closed_at = getattr(rectification, "closed_at", None) or utcnow()
            day = closed_at.astimezone(ZoneInfo(check.estate.timezone or "Asia/Shanghai")).date()
        day = max([day, check.inspected_on] + [s.happened_on for s in check.steps])
        check.state, check.verified_on = "verified", day
        db.session.add(CleanStep(estate_id=check.estate_id, check_id=check.id, kind="rectified", happened_on=day,
                                 note=rectification.number,
                                 by_id=getattr(user, "id", None) or acting_user_id() or check.inspector_id))
    db.session.flush()


def open_filter():
    return CleanCheck.state == "open"


def overdue_filter(today: date):
    return (CleanCheck.state == "open") & (CleanCheck.deadline < today)


def overdue_count_query(estate_ids, today: date):
    return select(func.count()).select_from(CleanCheck).where(CleanCheck.estate_id.in_(estate_ids or [0]),
                                                              overdue_filter(today))


def today_board(estate_ids, day: date) -> list[dict]:
    """Each active area of these estates with the day's inspections against the estate's
    frequency (``checks_per_day``): the areas still due come first."""
    areas = db.session.scalars(select(CleanArea).where(CleanArea.estate_id.in_(estate_ids or [0]),
                                                       CleanArea.active.is_(True))
                               .order_by(CleanArea.estate_id, CleanArea.name)).all()
    done = dict(db.session.execute(select(CleanCheck.area_id, func.count()).where(
        CleanCheck.estate_id.in_(estate_ids or [0]), CleanCheck.inspected_on == day)
        .group_by(CleanCheck.area_id)).all())
    per_day = {e: checks_per_day(e) for e in {a.estate_id for a in areas}}
    rows = [{"area": a, "done": done.get(a.id, 0), "due": per_day[a.estate_id]} for a in areas]
    rows.sort(key=lambda r: (r["done"] >= r["due"], r["area"].estate_id, r["area"].name))
    return rows


# -- figures --------------------------------------------------------------------------------
def month_firsts(today: date, months: int) -> list[date]:
    firsts, y, m = [], today.year, today.month
    for _i in range(months):
        firsts.append(date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(firsts))


def pass_rates(estate_ids, today: date, months: int = 6, by: str = "area") -> dict:
    """Inspections and the share passed, per ``by`` (``area`` or ``vendor``) and month, over the
    last ``months`` months up to ``today``. Rates are Decimal percentages (one decimal)."""
    firsts = month_firsts(today, months)
    start = firsts[0]
    key = CleanArea.name if by == "area" else CleanCheck.vendor
    stmt = (select(key.label("key"), CleanCheck.inspected_on.label("day"), func.count().label("n"),
                   func.sum(case((CleanCheck.passed.is_(True), 1), else_=0)).label("ok"))
            .join(CleanArea, CleanArea.id == CleanCheck.area_id)
            .where(CleanCheck.estate_id.in_(estate_ids or [0]), CleanCheck.inspected_on >= start,
                   CleanCheck.inspected_on <= today)
            .group_by(key, CleanCheck.inspected_on))
    labels = [f.strftime("%Y-%m") for f in firsts]
    table: dict[str, dict[str, list[int]]] = {}
    totals = {lab: [0, 0] for lab in labels}
    for row in db.session.execute(stmt):
        lab = row.day.strftime("%Y-%m")
        cell = table.setdefault(row.key or "", {}).setdefault(lab, [0, 0])
        cell[0] += row.n
        cell[1] += int(row.ok or 0)
        totals[lab][0] += row.n
        totals[lab][1] += int(row.ok or 0)

    def rate(n, ok):
        return (Decimal(ok * 100) / Decimal(n)).quantize(Decimal("0.1")) if n else None

    rows = [{"key": k, "cells": [(v.get(lab, (0, 0))[0], rate(*v.get(lab, (0, 0)))) for lab in labels]}
            for k, v in sorted(table.items())]
    return {"labels": labels, "rows": rows, "total": [(totals[lab][0], rate(*totals[lab])) for lab in labels]}


# -- pest control and disinfection ----------------------------------------------------------
def add_pest_plan(user, *, estate_id: int, kind: str, title: str, pests: Sequence[str], scope: str, method: str,
                  every_days: int | None, start_on: date | None, end_on: date | None) -> PestPlan:
    _require(user, "cleaning.manage")
    _check_estate(user, estate_id)
    if kind not in PEST_KINDS:
        raise DomainError(_("Choose pest control or disinfection."), "kind")
    title, scope = _text(title, 200), _text(scope, 500)
    if not title:
        raise DomainError(_("Enter the plan's title."), "title")
    chosen = [p for p in PESTS if p in set(pests or ())]
    if set(pests or ()) - set(PESTS):
        raise DomainError(_("Choose among the four pests."), "pests")
    if kind == "pest_control" and not chosen:
        raise DomainError(_("Choose the pests the plan controls."), "pests")
    if not scope:
        raise DomainError(_("Say where the plan applies."), "scope")
    if every_days is None or not 1 <= every_days <= 366:
        raise DomainError(_("Enter how many days apart (1 to 366)."), "every_days")
    if start_on is None:
        raise DomainError(_("Enter the first day of the plan."), "start_on")
    if end_on is None:
        raise DomainError(_("Enter the last day of the plan."), "end_on")
    if end_on < start_on:
        raise DomainError(_("The last day is before the first day."), "end_on")
    plan = PestPlan(estate_id=estate_id, kind=kind, title=title, pests=",".join(chosen), scope=scope,
                    method=_text(method, 500), every_days=every_days, start_on=start_on, end_on=end_on)
    db.session.add(plan)
    db.session.flush()
    return plan


def add_pest_record(user, plan: PestPlan, *, done_on: date | None, done_by: str, chemicals: str = "",
                    areas: str = "", note: str = "") -> PestRecord:
    _require(user, "cleaning.inspect")
    _check_estate(user, plan.estate_id)
    if done_on is None:
        raise DomainError(_("Enter the day of the treatment."), "done_on")
    if done_on > estate_today(plan.estate):
        raise DomainError(_("A treatment cannot be recorded in the future."), "done_on")
    if not plan.start_on <= done_on <= plan.end_on:
        raise DomainError(_("The day is outside the plan's period (%(start)s to %(end)s).",
                            start=plan.start_on.isoformat(), end=plan.end_on.isoformat()), "done_on")
    done_by = _text(done_by, 100)
    if not done_by:
        raise DomainError(_("Enter who did the treatment."), "done_by")
    rec = PestRecord(estate_id=plan.estate_id, plan_id=plan.id, done_on=done_on, done_by=done_by,
                     chemicals=_text(chemicals, 300), areas=_text(areas, 500), note=_text(note, 500),
                     recorded_by_id=user.id)
    db.session.add(rec)
    db.session.flush()
    return rec


def next_treatment(plan: PestPlan, last: date | None) -> date | None:
    """When the plan's next treatment is due (``None`` once past its period)."""
    from datetime import timedelta

    due = plan.start_on if last is None else last + timedelta(days=plan.every_days)
    return due if due <= plan.end_on else None


def last_treatments(plan_ids) -> dict[int, date]:
    return dict(db.session.execute(select(PestRecord.plan_id, func.max(PestRecord.done_on))
                                   .where(PestRecord.plan_id.in_(list(plan_ids) or [0]))
                                   .group_by(PestRecord.plan_id)).all())


# -- training -------------------------------------------------------------------------------
def add_training(user, *, estate_id: int, held_on: date | None, topic: str, trainer: str, attendees: str,
                 hours, note: str = "") -> CleanTraining:
    _require(user, "cleaning.manage")
    estate = _check_estate(user, estate_id)
    if held_on is None:
        raise DomainError(_("Enter the day of the training."), "held_on")
    if held_on > estate_today(estate):
        raise DomainError(_("A training cannot be recorded before it is held."), "held_on")
    topic, trainer = _text(topic, 200), _text(trainer, 100)
    if not topic:
        raise DomainError(_("Enter the topic of the training."), "topic")
    if not trainer:
        raise DomainError(_("Enter who gave the training."), "trainer")
    names = [a.strip() for a in (attendees or "").splitlines() if a.strip()]
    if not names:
        raise DomainError(_("List who attended, one a line."), "attendees")
    try:
        hours = Decimal(str(hours)) if hours is not None and str(hours).strip() else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or not Decimal(0) < hours <= Decimal(24):
        raise DomainError(_("Enter the hours: more than 0, at most 24."), "hours")
    rec = CleanTraining(estate_id=estate_id, held_on=held_on, topic=topic, trainer=trainer,
                        attendees="\n".join(names)[:2000], hours=hours.quantize(Decimal("0.1")),
                        note=_text(note, 500))
    db.session.add(rec)
    db.session.flush()
    return rec
