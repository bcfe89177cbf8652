"""Demo return visits: six months of routine owner visits, and results for the visits that the
repairs and complaints demo data (when those plugins ran first) left planned."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Occupancy, Unit, utcnow
from core.security import user_estate_ids
from plugins.visits import services
from plugins.visits.batches import _contact
from plugins.visits.models import ReturnVisit, VisitBatch, Visitor

#: (English, Chinese): see ``core.demo.demo_text``.
UNHAPPY = [
    ("The stairwell light is still out; please fix it soon.", "楼道灯还是不亮，希望尽快处理。"),
    ("The floor was not cleaned after the repair.", "维修后地面没有清理干净。"),
    ("They came two hours later than agreed.", "上门时间比约定晚了两个小时。"),
    ("The lift still makes the noise.", "电梯异响问题依旧存在。"),
    ("Lots of weeds in the planting strips; please look after them better.", "绿化带杂草较多，希望加强养护。"),
    ("Parking at the gate is chaotic at night.", "夜间小区门口停车混乱。"),
]
HAPPY = [("Very friendly service, satisfied.", "服务态度很好，满意。"), ("Solved, thank you.", "问题已解决，谢谢。"),
         ("", ""), ("Repaired promptly, satisfied.", "维修及时，满意。"), ("", ""), ("Keep it up.", "希望继续保持。")]
MISSED = [("No answer on the phone, three tries.", "电话无人接听，三次未联系上。"),
          ("The owner is away, nobody at home.", "业主外出，家中无人。"), ("Number out of service.", "号码已停机。")]


def _visitors(estate, users) -> list[int]:
    ids = []
    for role in ("clerk", "frontdesk"):
        user = users.get(role)
        if user is None or estate.id not in user_estate_ids(user):
            continue
        row = db.session.scalar(select(Visitor).where(Visitor.estate_id == estate.id, Visitor.user_id == user.id))
        if row is None:
            db.session.add(Visitor(estate_id=estate.id, user_id=user.id, active=True, note=demo_text("Return visits", "客服回访专员")))
        ids.append(user.id)
    db.session.flush()
    return ids


def _month_start(today: date, back: int) -> date:
    y, m = today.year, today.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def _record(visit, user, rng, visited_at, satisfied, now):
    with db.session.begin_nested():
        services.record_result(user, visit, method=rng.choice(["phone", "phone", "door"]), satisfied=satisfied,
                               remarks=demo_text(*rng.choice(HAPPY if satisfied else UNHAPPY)), visited_at=visited_at, now=now)


def _routine(estate, users, visitors, rng, now, tz):
    units = db.session.scalars(select(Unit).where(
        Unit.estate_id == estate.id,
        Unit.id.in_(select(Occupancy.unit_id).where(Occupancy.estate_id == estate.id))).order_by(Unit.sort_key)).all()
    if not units:
        return
    today = now.astimezone(tz).date()
    by_id = {u.id: u for u in [users["clerk"], users["frontdesk"]] if u.id in visitors}
    for back in range(5, -1, -1):
        first = _month_start(today, back)
        due_day = first + timedelta(days=19)
        if back == 0:
            due_day = today + timedelta(days=10)
        batch = VisitBatch(estate_id=estate.id, title=demo_text(f"Routine owner visits {first.year}-{first.month:02d}",
                                                                     f"{first.year}年{first.month}月 定期回访业主"), due_date=due_day)
        db.session.add(batch)
        db.session.flush()
        due_at = datetime.combine(due_day, time(23, 59, 59), tz).astimezone(UTC)
        chosen = rng.sample(units, min(len(units), 12))
        for n, unit in enumerate(chosen):
            resident = _contact(unit, today)
            if resident is None:
                continue
            visitor = visitors[n % len(visitors)]
            visit = services._new_visit(
                estate.id, unit_id=unit.id, source_type="routine", source_id=None, source_number="",
                batch_id=batch.id, contact_name=resident.name, contact_phone=resident.phone or "",
                event_at=None, due_at=due_at, assigned_to_id=visitor)
            batch.planned_count += 1
            db.session.flush()
            if back == 0:
                continue  # this month's batch is still being worked on
            roll = rng.random()
            if back == 1 and roll < 0.25:
                continue  # left planned: overdue
            if roll < 0.05:
                services.mark_missed(by_id[visitor], visit, demo_text(*rng.choice(MISSED)))
                continue
            late = roll > 0.9
            visited_at = due_at + timedelta(days=rng.randint(1, 4)) if late else \
                due_at - timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 8))
            _record(visit, by_id[visitor], rng, min(visited_at, now), rng.random() > 0.12, now)


def _follow_up_cases(estate, users, visitors, rng, now):
    """Results for visits planned by the repairs/complaints demo data, if it ran before us."""
    open_visits = db.session.scalars(select(ReturnVisit).where(
        ReturnVisit.estate_id == estate.id, ReturnVisit.state == "planned",
        ReturnVisit.source_type.in_(["repair", "complaint"])).order_by(ReturnVisit.due_at)).all()
    by_id = {u.id: u for u in [users["clerk"], users["frontdesk"]] if u.id in visitors}
    for n, visit in enumerate(open_visits):
        if visit.assigned_to_id is None:
            visit.assigned_to_id = visitors[n % len(visitors)]
        if visit.due_at > now or rng.random() < 0.15:
            continue  # still to do, or overdue
        event = visit.event_at or visit.due_at - timedelta(days=2)
        visited_at = min(now, event + timedelta(hours=rng.randint(2, 60)))
        try:
            _record(visit, by_id.get(visit.assigned_to_id, users["supervisor"]), rng, visited_at, True, now)
        except Exception:  # the source plugin refused (its case moved on): leave the visit planned
            continue


def load(estate, users) -> None:
    if db.session.scalar(select(VisitBatch.id).where(VisitBatch.estate_id == estate.id).limit(1)):
        return
    visitors = _visitors(estate, users)
    if not visitors:
        return
    rng = random.Random(estate.id * 7919)
    now = utcnow()
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    with acting_as(users["clerk"]):
        _routine(estate, users, visitors, rng, now, tz)
        _follow_up_cases(estate, users, visitors, rng, now)
    db.session.flush()
