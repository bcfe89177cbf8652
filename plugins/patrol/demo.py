"""Demo patrols: two routes of an estate with their checkpoints, a daily staff patrol, an evening
patrol and the supervisor's weekly patrol, three weeks of patrols through the services (most
complete, a few late or with a checkpoint missed, some problems sent to repairs or followed up
here), today's patrols due, and a few lines of the building log. When the vendors plugin holds a
cleaning (or greening) contract in force at the estate, one problem found half an hour ago is sent to
that vendor as a rectification notice: patrol's ``sequence`` (91) puts its demo after vendors'
(90), so the vendors demo's contracts exist by then.

Every text is in the site's language (``core.demo.demo_text``). An estate where no supervisor
works gets nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import utcnow
from core.security import user_estate_ids
from plugins.patrol import services
from plugins.patrol.models import Patrol, PatrolCheckpoint, PatrolRoute

T = demo_text

ROUTES = [
    (("Daily public areas", "公共区域日常巡视"), ("Lobby to roof, every morning", "大堂至屋面，每日上午"), [
        ("P-01", ("Lobby", "一楼大堂"), "facilities,signs,cleaning,people"),
        ("P-02", ("Car park B1", "地下车库B1"), "parking,fire,cleaning"),
        ("P-03", ("Pump room", "水泵房"), "facilities,fire"),
        ("P-04", ("Fire escape, building 1", "1栋消防通道"), "fire,signs"),
        ("P-05", ("Roof", "屋面"), "facilities,renovation"),
        ("P-06", ("Garden and paths", "中心花园及道路"), "greening,cleaning,signs"),
    ]),
    (("Evening perimeter", "夜间周界巡视"), ("Gates, fences, bin room, power room", "大门、围墙、垃圾房、配电房"), [
        ("N-01", ("Main gate", "小区正门"), "people,parking,signs"),
        ("N-02", ("East fence", "东侧围墙"), "facilities,greening"),
        ("N-03", ("Bin room", "垃圾房"), "cleaning,fire"),
        ("N-04", ("Power room", "配电房"), "facilities,fire"),
    ]),
]
PROBLEMS = [
    ("fire", ("Fire extinguisher pressure low, needs replacing", "灭火器压力不足，需更换")),
    ("facilities", ("Emergency light not working", "应急照明灯不亮")),
    ("signs", ("Exit sign fallen off the wall", "安全出口指示牌脱落")),
    ("cleaning", ("Rubbish piled in the stairwell", "楼梯间堆放垃圾")),
    ("parking", ("Car parked in the fire lane", "车辆占用消防通道")),
    ("facilities", ("Water leaking from a pipe joint", "水管接头渗水")),
    ("greening", ("Broken branch over the path", "树枝折断悬于路面")),
]
NOTES = [("Handed the night shift over, nothing special", "与夜班交接，无异常"),
         ("Fire drill notice posted in every lobby", "各楼大堂张贴消防演练通知"),
         ("Lift maintenance team on site 14:00–16:00", "电梯维保单位14:00—16:00进场")]
PHONE = "13800138000"  # the call-back number of demo repairs when the patroller has none


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _setup(estate, sup) -> list[PatrolRoute]:
    routes = []
    for name, description, points in ROUTES:
        route = services.add_route(sup, estate_id=estate.id, name=T(*name), description=T(*description))
        for code, point, checks in points:
            services.add_checkpoint(sup, route, code=code, name=T(*point), checks=checks.split(","),
                                    instructions=T("Look, then scan the label", "查看后扫描标签"))
        routes.append(route)
    return routes


def _walk(patrol, rng, now, skip_one: bool, problem_rate: float, problem_at: int = -1) -> None:
    user = patrol.patroller
    points = services.route_checkpoints(patrol.route_id)
    late = rng.random() < 0.1
    at = patrol.due_at + timedelta(minutes=rng.randint(0, 20))
    for n, point in enumerate(points):
        if skip_one and n == len(points) - 2:
            continue
        at += timedelta(minutes=rng.randint(4, 12) + (30 if late else 0))
        if at > now:
            return
        if n == problem_at or rng.random() < problem_rate:
            category, text = rng.choice(PROBLEMS)
            services.record_visit(user, point, patrol=patrol, result="problem", note=T(*text), category=category,
                                  contact_phone=user.phone or PHONE, now=at)
        else:
            services.record_visit(user, point, patrol=patrol, result="ok", now=at)
    if patrol.state != "done":
        services.finish(user, patrol, now=at + timedelta(minutes=3))


def _send_one_to_a_vendor(estate, user, now, today) -> None:
    """A problem found half an hour ago at the lobby goes to the cleaning vendor (else the greening
    one at the garden) as a rectification notice, through the vendors plugin's documented
    services; nothing when vendors is disabled or holds no such contract."""
    kinds = {c.service_kind for c in services.vendor_kinds(user, estate.id)}
    pick = next(((kind, code, problem) for kind, code, problem in (
        ("cleaning", "P-01", ("Rubbish left by the lobby lift, floor not mopped", "大堂电梯口垃圾未清，地面未拖")),
        ("greening", "P-06", ("Lawn by the path dried out and not watered", "路边草坪枯黄，未按时浇水")))
        if kind in kinds), None)
    if pick is None:
        return
    kind, code, problem = pick
    point = db.session.scalar(select(PatrolCheckpoint).where(PatrolCheckpoint.estate_id == estate.id,
                                                             PatrolCheckpoint.code == code))
    at = now - timedelta(minutes=30)
    with acting_as(user):
        services.record_visit(user, point, result="problem", note=T(*problem), category=kind,
                              contact_phone=user.phone or PHONE, send_to="vendor", service_kind=kind,
                              deadline=today + timedelta(days=3), now=at)


def load(estate, users) -> None:
    if db.session.scalar(select(PatrolRoute.id).where(PatrolRoute.estate_id == estate.id).limit(1)):
        return
    sup = users.get("supervisor") if _member(users.get("supervisor"), estate) else None
    if sup is None:
        return
    staff = next((users[r] for r in ("frontdesk", "clerk", "technician") if _member(users.get(r), estate)), sup)
    night = next((users[r] for r in ("technician", "clerk", "frontdesk") if _member(users.get(r), estate)), staff)
    rng = random.Random(estate.id * 7919)
    now = utcnow()
    today = services.local_day(estate, now)
    start = today - timedelta(days=21)
    with acting_as(sup):
        day_route, night_route = _setup(estate, sup)
        services.add_plan(sup, estate_id=estate.id, route_id=day_route.id, patroller_id=staff.id, kind="staff",
                          frequency="daily", start_time="09:00", window_minutes=120, starts_on=start)
        services.add_plan(sup, estate_id=estate.id, route_id=night_route.id, patroller_id=night.id, kind="staff",
                          frequency="daily", start_time="20:00", window_minutes=60, starts_on=start)
        services.add_plan(sup, estate_id=estate.id, route_id=day_route.id, patroller_id=sup.id, kind="supervisor",
                          frequency="weekly", start_time="15:00", window_minutes=90, starts_on=start)
        for back in range(21, -1, -1):
            services.generate_due(now - timedelta(days=back), days=1)
        db.session.flush()
        patrols = db.session.scalars(select(Patrol).where(Patrol.estate_id == estate.id, Patrol.due_at <= now)
                                     .order_by(Patrol.due_at)).all()
        for n, patrol in enumerate(patrols):
            if patrol.due_at > now - timedelta(hours=3) and n % 2:
                continue  # today's latest patrols are still due
            if n % 17 == 5:
                continue  # never walked: late, every checkpoint missed
            with acting_as(patrol.patroller):
                _walk(patrol, rng, now, skip_one=n % 11 == 3, problem_rate=0.06, problem_at=1 if n == 2 else -1)
        problems = [p for p in services.building_log(estate, today - timedelta(days=2))["problems"]
                    if not p.repair_number]
        for p in problems[:1]:
            services.follow_up(sup, p, state="resolved", note=T("Put right by the caretaker", "已由维修工处理"))
        _send_one_to_a_vendor(estate, staff, now, today)
        for n, (en, zh) in enumerate(NOTES):
            at = now - timedelta(days=n, hours=2)
            services.add_log_entry(staff, estate_id=estate.id, at=at, text=T(en, zh), now=now)
    db.session.flush()
