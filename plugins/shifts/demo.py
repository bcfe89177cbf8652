"""Demo shifts: an estate's three shifts and a lunch cover, two posts (everyone on shift posted to
one, each post staffed as it needs), this month's schedule
published (with attendance marked for the days gone by and this month's report prepared), next
month's schedule published and re-published as version 2 after an approved swap (version 1
withdrawn), a change request and a leave request waiting for the supervisor.

Everything goes through the services; an estate where no supervisor works gets only its shifts.
"""

from __future__ import annotations

import random
from datetime import time, timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.security import user_estate_ids
from plugins.shifts import services
from plugins.shifts.models import ShiftPattern

PATTERNS = [("A", ("Morning", "早班"), time(7), time(15)), ("B", ("Afternoon", "中班"), time(15), time(23)),
            ("C", ("Night", "夜班"), time(23), time(7)), ("L", ("Lunch cover", "午间补位"), time(11, 30), time(13, 30))]
POSTS = [(("Front desk", "前台"), 2), (("Hotline", "客服热线"), 1)]
REASONS = [("Family matter", "家中有事"), ("Doctor's appointment", "去医院复查"), ("Child's school meeting", "孩子学校开家长会")]


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _rotation(people, pats, first, last, skip_past=None):
    """Each person in turn: morning, afternoon, night, a day off; the lunch cover on weekdays for
    the last person."""
    cells = {}
    rotating = people[:-1] if len(people) > 2 else people
    for n, day in enumerate(services.days_of(first, last)):
        if skip_past and day < skip_past:
            continue
        for i, u in enumerate(rotating):
            k = (i + n) % 4
            cells[(u.id, day)] = pats[k].id if k < 3 else None
        if len(people) > 2:
            cells[(people[-1].id, day)] = pats[3].id if day.weekday() < 5 else None
    return cells


def _posting(cells, pats, front_desk, hotline):
    """Where each person on shift works: the front desk takes the day shifts' pairs (it needs
    two), the hotline the night, the lunch cover and whoever is alone on a day shift — so the
    published schedule has every post staffed as it needs."""
    on: dict[tuple, list[int]] = {}
    for (uid, day), pid in cells.items():
        if pid is not None:
            on.setdefault((day, pid), []).append(uid)
    posting = {}
    for (day, pid), uids in on.items():
        desk = pid in (pats[0].id, pats[1].id) and len(uids) >= front_desk.staff_needed
        for uid in uids:
            posting[(uid, day)] = front_desk.id if desk else hotline.id
    return posting


def load(estate, users) -> None:
    if db.session.scalar(select(ShiftPattern.id).where(ShiftPattern.estate_id == estate.id).limit(1)):
        return
    sup = users.get("supervisor") if _member(users.get("supervisor"), estate) else users.get("manager")
    if not _member(sup, estate):
        return
    rng = random.Random(estate.id * 7919)
    with acting_as(sup):
        pats = [services.add_pattern(sup, estate_id=estate.id, code=code, name=demo_text(*name), starts=s, ends=e)
                for code, name, s, e in PATTERNS]
        front_desk, hotline = (services.add_post(sup, estate_id=estate.id, name=demo_text(*name), staff_needed=needed)
                               for name, needed in POSTS)
        people = sorted((u for u in services.staff_of(estate.id) if u.id != sup.id), key=lambda u: u.id)[:8]
        if len(people) < 2:
            return
        today = services.estate_today(estate)
        # This month: published, marks for the days gone by.
        this = services.create_roster(sup, estate_id=estate.id, first_day=today)
        cells = _rotation(people, pats, this.first_day, this.last_day)
        services.set_cells(sup, this, cells, _posting(cells, pats, front_desk, hotline))
        services.publish(sup, this, note=demo_text("Monthly schedule", "月度排班"))
        for e in services.entries(this):
            if e.day >= today:
                continue
            roll = rng.random()
            mark = "present" if roll < 0.85 else ("late" if roll < 0.93 else ("leave" if roll < 0.97 else "absent"))
            hours = "2" if rng.random() < 0.05 else None
            services.set_mark(sup, estate_id=estate.id, user_id=e.user_id, day=e.day, mark=mark, overtime_hours=hours,
                              note=demo_text("Stayed for the handover", "交接延时") if hours else "")
        services.prepare_report(estate, today)
        # Next month: published, then a swap approved → version 2, version 1 withdrawn.
        nxt = services.create_roster(sup, estate_id=estate.id, first_day=services.next_month(today))
        cells = _rotation(people, pats, nxt.first_day, nxt.last_day)
        services.set_cells(sup, nxt, cells, _posting(cells, pats, front_desk, hotline))
        services.publish(sup, nxt, note=demo_text("Monthly schedule", "月度排班"))
    a, b = people[0], people[1]
    day = nxt.first_day + timedelta(days=4)
    with acting_as(a):
        swap = services.request_change(a, nxt, kind="swap", day=day, other_user_id=b.id,
                                       reason=demo_text(*rng.choice(REASONS)))
    with acting_as(sup):
        services.decide_change(sup, swap, approve=True, note=demo_text("Agreed", "同意"))
    published = services.published_of(estate.id, "month", nxt.first_day)
    with acting_as(b):
        later = nxt.first_day + timedelta(days=9)
        if services._entry_on(published, b.id, later) is not None:
            mine = services._entry_on(published, b.id, later)
            other = next((p for p in pats[:3] if p.id != mine.pattern_id), None)
            try:
                with db.session.begin_nested():
                    services.request_change(b, published, kind="change", day=later, new_pattern_id=other.id,
                                            reason=demo_text(*rng.choice(REASONS)))
            except services.DomainError:
                pass  # the rotation does not allow that change: no pending request then
        services.request_leave(b, estate_id=estate.id, kind="annual", first_day=nxt.first_day + timedelta(days=14),
                               last_day=nxt.first_day + timedelta(days=16),
                               reason=demo_text("Going home for a wedding", "回老家参加婚礼"))
    db.session.flush()
