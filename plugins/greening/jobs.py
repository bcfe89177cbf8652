"""Scheduled jobs: inspections whose shortcomings are not verified as put right by their deadline,
each reported once per deadline to the estate's greening inspectors and the inspector; areas whose
inspections were missed, each day reported once (catching up on days the job did not run, up to
:data:`CATCH_UP_DAYS` back)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.daystats import local_midnight
from core.extensions import db
from core.notify import notify_each
from core.security import users_with_permission
from plugins.greening.models import GreenArea, GreenCheck, GreenTask, season_of
from plugins.greening.services import checks_per_day, estate_today


def notify_overdue(now=None) -> str:
    rows = db.session.scalars(select(GreenCheck).where(GreenCheck.state == "open").order_by(GreenCheck.id)).all()
    done = 0
    for c in rows:
        today = estate_today(c.estate)
        if c.deadline is None or c.deadline >= today or c.overdue_notified_on == c.deadline:
            continue
        recipients = {u.id: u for u in users_with_permission(c.estate_id, "greening.inspect")}
        if c.inspector is not None and c.inspector.active:
            recipients[c.inspector.id] = c.inspector

        def message(c=c):
            return (_("Greening shortcomings of %(number)s are overdue", number=c.number),
                    _("%(area)s was to be put right by %(day)s.", area=c.area.name, day=c.deadline.isoformat()))

        notify_each(recipients.values(), message, f"/greening/checks/{c.id}", c.estate_id)
        c.overdue_notified_on = c.deadline
        done += 1
    return f"{done} overdue greening inspections notified"


#: How far back the missed-inspection job looks: yesterday and the six days before. Days missed
#: while the job did not run are caught up within this window; older ones are not told any more.
CATCH_UP_DAYS = 7


def first_whole_day(moment: datetime, tz: str) -> date:
    """The first local day that ``moment`` (a UTC time) precedes entirely: the day itself when it
    is local midnight, else the next one. An area (or its plan) made during a day was not due
    that day — an area added in the evening is not reported missed for that evening."""
    day = moment.astimezone(ZoneInfo(tz)).date()
    return day if moment <= local_midnight(day, tz) else day + timedelta(days=1)


def notify_missed(now=None) -> str:
    """Each active area with a work plan for the day's season (or all year) that got fewer
    inspections than the estate's ``checks_per_day`` on a day is reported to the estate's greening
    inspectors — one notice per area listing its missed days (the estate's local days), so that
    an inspector coming back after days the job did not run reads one notice per area, not one
    per area and day.

    The days looked at run from the day after the area's ``missed_notified_on`` (the last day
    told) up to yesterday, within the last :data:`CATCH_UP_DAYS` days, and never a day the area or
    its plan did not exist for whole (:func:`first_whole_day`); every area's mark then moves to
    yesterday (a retired one's too, so that days it was retired are not told once it is back),
    so running again tells nothing new. Per estate one grouped statement reads the inspections
    per area and day, and one the areas' plans."""
    from itertools import groupby

    areas = db.session.scalars(select(GreenArea).order_by(GreenArea.estate_id, GreenArea.id)).all()
    told = 0
    for estate_id, group in groupby(areas, key=lambda a: a.estate_id):
        group = list(group)
        estate = group[0].estate
        tz = estate.timezone or "Asia/Shanghai"
        yesterday = estate_today(estate) - timedelta(days=1)
        oldest = yesterday - timedelta(days=CATCH_UP_DAYS - 1)
        starts = {}
        for a in group:
            told_up_to = a.missed_notified_on
            if told_up_to is not None and told_up_to >= yesterday:
                continue
            a.missed_notified_on = yesterday
            if not a.active:
                continue
            start = max(oldest, first_whole_day(a.created_at, tz))
            if told_up_to is not None:
                start = max(start, told_up_to + timedelta(days=1))
            if start <= yesterday:
                starts[a.id] = start
        if not starts:
            continue
        plans = _plans(estate_id, list(starts))
        counts = {(area_id, day): n for area_id, day, n in db.session.execute(
            select(GreenCheck.area_id, GreenCheck.inspected_on, func.count())
            .where(GreenCheck.estate_id == estate_id, GreenCheck.area_id.in_(list(starts)),
                   GreenCheck.inspected_on >= min(starts.values()), GreenCheck.inspected_on <= yesterday)
            .group_by(GreenCheck.area_id, GreenCheck.inspected_on))}
        due = checks_per_day(estate_id)
        inspectors = None
        for a in group:
            if a.id not in starts or a.id not in plans:
                continue
            seasons, since = plans[a.id]
            day, missed = max(starts[a.id], first_whole_day(since, tz)), []
            while day <= yesterday:
                done = counts.get((a.id, day), 0)
                if done < due and seasons & {"all", season_of(day)}:
                    missed.append((day, done))
                day += timedelta(days=1)
            if not missed:
                continue
            if inspectors is None:
                inspectors = users_with_permission(estate_id, "greening.inspect")
            notify_each(inspectors, partial(_missed_message, a.name, missed, due), f"/greening/areas/{a.id}",
                        estate_id)
            told += 1
    return f"{told} missed greening inspections notified"


def _plans(estate_id: int, area_ids: list[int]) -> dict[int, tuple[set[str], datetime]]:
    """``{area id: (the seasons of its active tasks, when its plan began)}`` (the first task's
    creation, retired tasks included) of the areas that have an active task — one grouped
    statement."""
    plans: dict[int, tuple[set[str], datetime]] = {}
    for area_id, season, active, since in db.session.execute(
            select(GreenTask.area_id, GreenTask.season, GreenTask.active, func.min(GreenTask.created_at))
            .where(GreenTask.estate_id == estate_id, GreenTask.area_id.in_(area_ids))
            .group_by(GreenTask.area_id, GreenTask.season, GreenTask.active)):
        seasons, first = plans.get(area_id, (set(), since))
        if active:
            seasons.add(season)
        plans[area_id] = (seasons, min(first, since))
    return {area_id: plan for area_id, plan in plans.items() if plan[0]}


def _missed_message(area: str, missed: list[tuple[date, int]], due: int):
    """The notice of an area's missed days, in the recipient's language (called under it)."""
    if len(missed) == 1:
        (day, done), = missed
        return (_("Greening inspection of %(area)s missed on %(day)s", area=area, day=day.isoformat()),
                _("%(done)d of %(due)d inspections were recorded that day.", done=done, due=due))
    days = format_list([_("%(day)s: %(done)d of %(due)d", day=day.isoformat(), done=done, due=due)
                        for day, done in missed], locale=get_locale())
    return (_("Greening inspections of %(area)s missed on %(num)d days", area=area, num=len(missed)),
            _("Inspections recorded of those due, each day: %(days)s.", days=days))
