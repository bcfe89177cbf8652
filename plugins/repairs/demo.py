"""Demo repairs: six months of cases per estate in every state, some overdue right now.

History is written directly with back-dated times (the services refuse the past, rightly);
the clerk records, the supervisor dispatches, the demo technician does the work.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Occupancy, Unit, utcnow
from core.numbering import next_number
from plugins.repairs import sla
from plugins.repairs.models import Repair, WorkOrder

#: Demo wordings as (English, Chinese) pairs: see ``core.demo.demo_text``.
PROBLEMS = {
    "water": [("Kitchen tap keeps dripping", "厨房水龙头滴水不止"), ("Bathroom angle valve leaks", "卫生间角阀漏水"),
              ("Water heater inlet pipe seeps", "热水器进水管渗水"),
              ("Valve before the water meter does not close", "水表前阀门关不严")],
    "electricity": [("Living room socket dead", "客厅插座没电"),
                    ("Bathroom heater switch trips", "卫生间浴霸开关跳闸"),
                    ("Main breaker's RCD trips again and again", "入户配电箱漏电保护器频繁跳闸"),
                    ("Balcony light out", "阳台灯不亮")],
    "gas": [("Gas hob does not light, pipe may be blocked", "燃气灶点不着火，怀疑管道堵塞"),
            ("Smell near the gas meter", "燃气表附近有异味")],
    "doors_windows": [("Front door lock cylinder stuck", "入户防盗门锁芯卡住"),
                      ("Bedroom window does not shut, draughty", "卧室窗户关不严，漏风"),
                      ("Balcony sliding door track bent", "阳台推拉门滑轨变形")],
    "lift": [("Lift 2 makes a noise while running", "2号电梯运行时有异响"), ("Lift button dead", "电梯按钮失灵"),
             ("Lift doors close slowly", "电梯门关闭缓慢")],
    "public_area": [("Stairwell sound-activated light out", "楼道声控灯不亮"),
                    ("Entrance card reader not working", "单元门禁读卡器失灵"),
                    ("Car park lights broken", "地下车库照明损坏"), ("Loose paving on the estate road", "小区路面砖松动")],
    "drainage": [("Kitchen drain blocked", "厨房下水道堵塞"), ("Bathroom floor drain smells", "卫生间地漏反味"),
                 ("Sewage manhole overflowing", "楼下污水井冒水")],
    "other": [("Air conditioner condensate pipe came off", "空调冷凝水管脱落"),
              ("Clothes airer will not go up or down", "晾衣架升降失灵")],
}
COMMON_PLACES = [("Block {b} lobby", "{b}栋大堂"), ("Block {b} lift hall", "{b}栋电梯厅"),
                 ("Block {b} stairwell", "{b}栋楼梯间"), ("Car park, zone B", "地下车库B区"),
                 ("By the south gate lodge", "南门岗亭旁")]
WORK = {
    "water": (("Replaced the tap cartridge, tested: no leak", "更换水龙头阀芯，试水正常"),
              ("1 ceramic cartridge, 1 roll of PTFE tape", "陶瓷阀芯 1 个、生料带 1 卷")),
    "electricity": (("Replaced the socket and checked the wiring: insulation good", "更换插座并检查线路，绝缘良好"),
                    ("1 five-hole socket", "五孔插座 1 个")),
    "gas": (("Cleaned the burner nozzles; no leak found", "清理灶具喷嘴，检测无泄漏"), ("None", "无")),
    "doors_windows": (("Replaced the lock cylinder, adjusted the hinges", "更换锁芯、调整合页"),
                      ("1 lock cylinder", "锁芯 1 个")),
    "lift": (("Lift maintenance contractor called; running again", "通知电梯维保单位检修，已恢复运行"),
             ("None", "无")),
    "public_area": (("Replaced the light and its sensor switch", "更换灯具及感应开关"),
                    ("2 LED lights, 1 sound-activated switch", "LED 灯 2 个、声控开关 1 个")),
    "drainage": (("Cleared the pipe", "疏通管道，清理杂物"), ("None", "无")),
    "other": (("Fixed and sealed again", "重新固定并密封"), ("Cable ties, sealant", "扎带、密封胶")),
}


def _t(pair) -> str:
    return demo_text(*pair)


def _local(rng: random.Random, day: datetime, tz: ZoneInfo) -> datetime:
    local = datetime(day.year, day.month, day.day, rng.randint(8, 19), rng.choice((0, 10, 20, 30, 40, 50)),
                     tzinfo=tz)
    return local.astimezone(UTC)


def _addresses(estate) -> list[tuple]:
    rows = db.session.execute(
        select(Unit.id, Unit.number, Occupancy.resident_id)
        .join(Occupancy, Occupancy.unit_id == Unit.id, isouter=True)
        .where(Unit.estate_id == estate.id).order_by(Unit.id)).all()
    return [(r.id, r.number, r.resident_id) for r in rows]


def _new_repair(rng, estate, when, units, users, priority: str | None = None) -> Repair:
    from core.models import Resident

    category = rng.choice(list(PROBLEMS))
    common = category in ("lift", "public_area") or rng.random() < 0.08
    unit_id = resident = None
    address = ""
    if common:
        address = _t(rng.choice(COMMON_PLACES)).format(b=rng.randint(1, 4))
        contact, phone = (users["clerk"].full_name.rsplit(" (", 1)[0], users["clerk"].phone or "0755-88880001")
    else:
        unit_id, _number, resident_id = rng.choice(units)
        resident = db.session.get(Resident, resident_id) if resident_id else None
        contact = resident.name if resident else demo_text("Mr Li", "李先生")
        phone = resident.phone if resident else "139" + "".join(rng.choice("0123456789") for _ in range(8))
    priority = priority or ("urgent" if category == "gas" or rng.random() < 0.12 else "normal")
    paid = not common and rng.random() < 0.35
    channel = "patrol" if common and rng.random() < 0.6 else rng.choice(("phone", "phone", "hotline", "walk_in", "web"))
    r = Repair(estate_id=estate.id, unit_id=unit_id, address=address,
               resident_id=resident.id if resident else None, contact_name=contact, contact_phone=phone,
               category=category, description=_t(rng.choice(PROBLEMS[category])), channel=channel,
               area="common" if common else "private", paid=paid, priority=priority, state="recorded",
               reported_at=when, reopen_count=0,
               appointment_at=None if common else when + timedelta(hours=rng.choice((1, 2, 3))),
               dispatch_due_at=sla.deadline("repair.dispatch", estate, priority, when),
               due_at=sla.deadline("repair", estate, priority, when))
    r.number = next_number("BX", estate, when)
    db.session.add(r)
    db.session.flush()
    return r


def _dispatch(rng, repair, at, users) -> WorkOrder:
    order = WorkOrder(estate_id=repair.estate_id, repair=repair, technician_id=users["technician"].id,
                      state="issued", issued_at=at, due_at=repair.due_at,
                      notes=_t(rng.choice((("", ""), ("Bring spare parts", "请带好备用配件"),
                                            ("The owner is in this afternoon", "业主下午在家"),
                                            ("Call the owner first", "先电话联系业主")))))
    order.number = next_number("WX", repair.estate_id, at)
    db.session.add(order)
    repair.state, repair.dispatched_at = "dispatched", at
    return order


def _complete(rng, repair, order, at) -> None:
    order.state, order.accepted_at = "completed", order.accepted_at or at - timedelta(minutes=40)
    order.work_done, order.materials = (_t(text) for text in WORK[repair.category])
    order.minutes_spent = rng.choice((20, 30, 45, 60, 90, 120))
    order.fee = Decimal(rng.choice(("30.00", "50.00", "80.00", "120.00", "260.00"))) if repair.paid else None
    order.completed_at = at
    repair.state, repair.started_at, repair.completed_at = "completed", order.accepted_at, at
    repair.fee = order.fee


def _life(rng, repair, users, now, fate: str) -> None:
    """Move a back-dated repair along to ``fate``, never into the future."""
    t = repair.reported_at
    if fate == "cancelled":
        with acting_as(users["supervisor"]):
            repair.state, repair.cancelled_at = "cancelled", t + timedelta(minutes=25)
            repair.cancel_reason = _t(rng.choice((("The owner fixed it", "业主自行修好"), ("Reported twice", "重复报修"),
                                                   ("The owner cancelled the appointment", "业主取消预约"))))
        return
    if fate == "recorded":
        return
    with acting_as(users["supervisor"]):
        order = _dispatch(rng, repair, min(now, t + timedelta(minutes=rng.randint(5, 50))), users)
        db.session.flush()
    if fate == "dispatched":
        return
    with acting_as(users["technician"]):
        order.state, order.accepted_at = "accepted", min(now, order.issued_at + timedelta(minutes=rng.randint(10, 90)))
        repair.state, repair.started_at = "in_progress", order.accepted_at
        if fate == "in_progress":
            return
        hours = rng.choice((2, 3, 5, 8, 12, 18, 22, 30, 40)) if repair.priority == "normal" else rng.choice((1, 2, 3, 6))
        done = t + timedelta(hours=hours)
        if repair.appointment_at is not None:
            done = max(done, repair.appointment_at + timedelta(minutes=rng.choice((40, 60, 90))))
        _complete(rng, repair, order, min(now - timedelta(minutes=5), done))
    if fate == "completed":
        return
    with acting_as(users["supervisor"]):
        repair.state = "closed"
        repair.closed_at = min(now, repair.completed_at + timedelta(days=rng.randint(1, 3)))
        if repair.area == "common":
            repair.closed_via, repair.close_note = "supervisor", demo_text("Common area: no return visit",
                                                                           "公共区域维修，无需回访")
        else:
            repair.closed_via, repair.close_note = "visit", _t(rng.choice((
                ("Satisfied at the return visit", "回访满意"), ("The owner is satisfied", "业主表示满意"),
                ("Satisfied on the phone", "电话回访满意"))))


def create_demo(estate, users, months: int = 6, seed: int = 3) -> int:
    rng = random.Random(seed * 1000 + estate.id)
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    units = [u for u in _addresses(estate) if u[2]] or _addresses(estate)
    if not units:
        return 0
    now = utcnow()
    made = 0
    with acting_as(users["clerk"]):
        for days_ago in range(months * 30, 3, -1):
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
                repair = _new_repair(rng, estate, _local(rng, now - timedelta(days=days_ago), tz), units, users)
                roll = rng.random()
                fate = "cancelled" if roll < 0.05 else "completed" if roll < 0.12 else "closed"
                _life(rng, repair, users, now, fate)
                if fate == "closed" and rng.random() < 0.05:  # a bad visit: done again
                    repair.reopen_count, repair.reopen_reason = 1, demo_text("Unhappy at the visit: still seeping",
                                                                              "回访不满意：仍有渗水")
                made += 1
        # The last days: open work; the first three are overdue by now.
        for fate, hours_ago in (("recorded", 74), ("dispatched", 51), ("in_progress", 30), ("recorded", 0.5),
                                ("dispatched", 3), ("in_progress", 6), ("completed", 20), ("completed", 5),
                                ("recorded", 1.5), ("dispatched", 9)):
            repair = _new_repair(rng, estate, now - timedelta(hours=hours_ago), units, users,
                                 priority=None if hours_ago > 24 else "normal")
            _life(rng, repair, users, now, fate)
            made += 1
        db.session.flush()
    return made
