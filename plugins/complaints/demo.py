"""Demo complaints and suggestions: six months of cases in every state, some late, most satisfied."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Department, Occupancy, Unit, utcnow
from plugins.complaints import services, suggestions

# (category, kind, severity, department code, content, reply); wordings as (English, Chinese) pairs,
# see ``core.demo.demo_text``.
CASES = [
    ("repairs", "wants_fix", "normal", "maint",
     ("I reported a leak three days ago and nobody came: the bathroom leak now reaches the flat below, and the "
      "technician keeps saying I am in the queue.",
      "报修三天了还没人来修，卫生间漏水已经渗到楼下，维修工一直说在排队。"),
     ("We checked: the maintenance department was late in dispatching. A technician renewed the waterproofing and "
      "dealt with the leak below the same day; repairs will be followed up within their time limits from now on.",
      "经核实，维修部派工延误属实。已于当日安排维修工上门更换防水层并处理楼下渗水，今后报修将按时限跟进。")),
    ("noise", "venting", "normal", "security",
     ("The flat upstairs hammers away after 11 pm every night and the management does nothing. My child cannot "
      "sleep!", "楼上每天晚上十一点以后还在装修敲打，物业根本不管，孩子没法睡觉！"),
     ("Security visited the flat and explained the renovation hours (8:00–12:00, 14:00–18:00), and patrols more "
      "at night; further breaches will be dealt with under the renovation agreement.",
      "秩序部已上门告知该户装修时间规定（8:00–12:00，14:00–18:00），并加强夜间巡查，再有违规将按装修管理协议处理。")),
    ("cleaning", "wants_fix", "minor", "cleaning",
     ("The rubbish in the Block 3 lift hall has not been collected for two days and it smells.",
      "3栋电梯厅的垃圾连续两天没有清运，气味很大。"),
     ("The cleaning supervisor changed the rounds: Block 3's rubbish is now collected every morning and evening, "
      "and the lift hall was disinfected. Thank you for telling us.",
      "保洁主管已调整清运班次，3栋垃圾每日早晚各清运一次，并对电梯厅消毒。感谢您的监督。")),
    ("parking", "wants_fix", "serious", "security",
     ("A visitor's car is parked in my own space; the guard says he cannot reach its driver, so I have to park "
      "in the street.", "我的固定车位被外来车辆占用，保安说联系不上车主，我只能停在路边。"),
     ("Security now registers every visiting car; the car was moved, and any car in a private space will be "
      "dealt with and logged at once.", "秩序部已完善外来车辆登记制度，占位车辆已联系移走；今后发现占用固定车位将立即处理并登记。")),
    ("fees", "expectation", "normal", "finance",
     ("Our service fee is higher than the estate next door but the service is no better; please publish the "
      "accounts.", "物业费单价比隔壁小区高，但服务却没有比他们好，希望能公开收费明细。"),
     ("The management office has posted the service fee accounts and price list on the notice board; you can "
      "see them at the service centre at any time. We keep improving our service.",
      "管理处已在公告栏公示物业服务费收支明细及明码标价，欢迎随时到客服中心查阅，我们会持续提升服务质量。")),
    ("service_attitude", "venting", "minor", "cs",
     ("The front desk was cold on the phone and impatient when I asked twice.",
      "前台工作人员接电话态度冷淡，问了两遍都不耐烦。"),
     ("The staff on duty were trained again in service manners, and we apologise. Phone manners will be "
      "checked more closely.", "已对当班人员进行服务礼仪再培训，并向您致歉。我们将加强接听电话规范的检查。")),
    ("greening", "expectation", "minor", "cleaning",
     ("The lawn in the central garden has not been mown for ages; it used to be the nicest spot of the estate.",
      "小区中心花园的草坪好久没修剪了，以前这里是最漂亮的地方。"),
     ("The gardeners mowed and reseeded the central garden, and now mow it every two weeks.",
      "绿化组已完成中心花园草坪修剪和补种，并将修剪周期调整为每两周一次。")),
    ("security", "wants_fix", "serious", "security",
     ("The entrance door lock was broken last night and strangers walked in and out; my elderly parents are "
      "worried.", "昨晚单元门禁坏了，陌生人随意进出，家里老人很担心安全。"),
     ("The door lock was repaired the next morning, with a guard at the door until then; door locks are now on "
      "the daily patrol list.", "门禁已于次日上午修复，修复前秩序部安排专人值守；我们已将门禁列入每日巡检项目。")),
    ("facilities", "wants_fix", "normal", "maint",
     ("Half the lights in car park zone B are out; it is unsafe to fetch the car at night.",
      "地下车库B区照明灯坏了一半，晚上取车很不安全。"),
     ("Maintenance replaced every faulty light in car park zone B and added two emergency lights.",
      "维修部已更换地下车库B区全部故障灯具，并增设两处应急照明。")),
    ("repairs", "expectation", "minor", "maint",
     ("Could the technician call before coming? Last time nobody was at home.",
      "希望维修工上门前能先打个电话，上次来的时候家里没人。"),
     ("Technicians now book a time by phone before a visit and write it on the work order.",
      "已要求维修工上门前提前电话预约，并在维修任务单上注明预约时间。")),
    ("noise", "wants_fix", "normal", "security",
     ("The square dancers' speakers are far too loud and still on after 9 pm.",
      "小区广场舞音响声音太大，晚上九点以后还在放。"),
     ("We spoke with the dancers' organiser: they now dance 19:00–20:30 with the volume within limits.",
      "已与广场舞队伍负责人沟通，活动时间调整为19:00–20:30，音量控制在规定范围内。")),
    ("other", "expectation", "minor", "cs",
     ("Parcels left at the door often go missing; could the management put up parcel lockers?",
      "快递经常放在门口丢失，希望物业能设置快递柜。"),
     ("We are talking with a parcel locker provider and plan to install lockers by the north gate lodge next "
      "month.", "管理处已与快递柜服务商洽谈，计划下月在北门岗亭旁安装智能快递柜。")),
]

SUGGESTIONS = [
    (("Put up sunshades over the playground: the slide is too hot at noon in summer.",
      "建议在儿童游乐区加装遮阳棚，夏天中午滑梯太烫。"), "adopt",
     ("Two sunshades will be put up over the playground within two weeks.", "在游乐区加装遮阳棚两处，预计两周内完工。")),
    (("Publish the use of the repair fund on the notice board every month.", "建议每月在公告栏公布维修基金使用情况。"),
     "adopt", ("From next month, the repair fund's spending is posted on the notice board and in the owners' group "
               "by the 5th.", "自下月起每月5日前在公告栏及业主群公布维修基金使用明细。")),
    (("Drop the weekend waste-sorting wardens to save on the service fee.", "建议取消周末的垃圾分类督导员，节省物业费。"),
     "decline", ("The street office requires waste-sorting wardens; they cannot be dropped for now.",
                 "垃圾分类督导是街道要求的常态化工作，暂不能取消。")),
    (("Add charging points in the underground car park.", "建议在地下车库增加充电桩。"), None, None),
]
NAMES = [("Wang Jianguo", "王建国"), ("Li Xiuying", "李秀英"), ("Zhang Wei", "张伟"), ("Liu Fang", "刘芳"),
         ("Chen Jing", "陈静"), ("Yang Yang", "杨洋"), ("Huang Li", "黄丽"), ("Zhao Lei", "赵磊"), ("Wu Min", "吴敏"),
         ("Zhou Jie", "周杰"), ("Xu Juan", "徐娟"), ("Sun Tao", "孙涛")]


def _t(pair) -> str:
    return demo_text(*pair) if pair else ""


def _actor(users, role, estate):
    user = users.get(role)
    if user is not None and (user.all_estates or any(e.id == estate.id for e in user.estates)):
        return user
    return users["manager"]


def _departments() -> dict[str, Department]:
    depts = {d.code: d for d in db.session.scalars(select(Department))}
    if not depts:
        cs = Department(code="cs", name=demo_text("Customer service", "客服部"))
        db.session.add(cs)
        db.session.flush()
        depts = {"cs": cs}
    return depts


#: Where each of the newest cases stops; older ones go all the way to the return visit.
STOPS = ["recorded"] * 3 + ["forwarded"] * 2 + ["investigating"] * 2 + ["escalated", "decided"] + ["replied"] * 2 \
    + ["closed"] * 3
TOTAL = 60


def _ages(rng) -> list[timedelta]:
    """Newest first: a few hours for the open cases, then spread over six months."""
    recent = sorted(timedelta(hours=rng.uniform(0.3, 3)) for _ in range(3))
    recent += sorted(timedelta(hours=rng.uniform(3, 40)) for _ in range(6))
    recent += sorted(timedelta(days=rng.uniform(2, 6)) for _ in range(5))
    return recent + sorted(timedelta(days=rng.uniform(6, 180)) for _ in range(TOTAL - len(recent)))


def load(estate, users) -> None:
    rng = random.Random(estate.id * 101 + 7)
    clerk, handler, manager = (_actor(users, r, estate) for r in ("clerk", "supervisor", "manager"))
    depts = _departments()
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id).order_by(Unit.id)).all()
    occupied = {o.unit_id for o in db.session.scalars(select(Occupancy).where(Occupancy.estate_id == estate.id))}
    units = [u for u in units if u.id in occupied] or units
    now = utcnow()
    for i, age in enumerate(_ages(rng)):
        category, kind, severity, dept, content, answer = CASES[(i * 5 + estate.id) % len(CASES)]
        stop = STOPS[i] if i < len(STOPS) else "visited"
        unit = rng.choice(units) if units and rng.random() < 0.85 else None
        t = now - age
        with acting_as(clerk):
            c = services.record(
                clerk, estate_id=estate.id, channel=rng.choice(["phone", "phone", "visit", "written", "email",
                                                                 "forum"]),
                category=category, kind=kind, severity=severity, content=_t(content),
                contact_name="" if unit else _t(rng.choice(NAMES)),
                contact_phone="" if unit else "139" + "".join(rng.choice("0123456789") for _ in range(8)),
                unit_id=unit.id if unit else None, received_at=t)
        if stop == "recorded":
            continue
        _handle(c, stop, t, now, rng, handler, manager, (depts.get(dept) or next(iter(depts.values()))).id,
                _t(answer))
    _suggestions(estate, clerk, handler, manager, rng, now)


def _handle(c, stop, t, now, rng, handler, manager, dept_id, answer) -> None:
    """Take complaint ``c`` from recorded to ``stop``, each step a little after the last (never late for now)."""
    late = rng.random() < 0.1
    room = (now - t) / 12  # keep every step before now

    def step(hours):
        nonlocal t
        t = min(t + min(timedelta(hours=hours), room), now - timedelta(minutes=1))
        return t

    with acting_as(handler):
        services.forward(handler, c, dept_id, demo_text("Please check and deal with it soon", "请尽快核实处理"),
                          step(rng.uniform(0.2, 1.5) * (3 if late else 1)))
    if stop == "forwarded":
        return
    with acting_as(handler):
        services.add_note(handler, c, demo_text("Called the complainant and checked on site: it is so.",
                                                "已联系投诉人并现场核实，情况属实。"),
                           step(rng.uniform(0.5, 3)))
    if stop == "investigating":
        return
    if stop in ("escalated", "decided") or (c.severity == "serious" and rng.random() < 0.6):
        with acting_as(handler):
            services.escalate(handler, c, demo_text(
                "Costs or a third party's liability are involved: beyond customer service's authority.",
                "涉及费用或第三方责任，超出客服部处理权限。"),
                 step(rng.uniform(0.5, 3)))
        if stop == "escalated":
            return
        with acting_as(manager):
            services.decide(manager, c, demo_text(
                "Go ahead with the remedy; the management office pays the cost for now.",
                "同意按整改方案处理，费用由管理处先行承担。"),
                 step(rng.uniform(0.5, 2)))
        if stop == "decided":
            return
    with acting_as(handler):
        services.reply(handler, c, answer, rng.choice(["letter", "letter", "visit", "email"]),
                       step(rng.uniform(1, 6) * (6 if late else 1)))
    if stop == "replied":
        return
    with acting_as(handler):
        services.close(handler, c, step(rng.uniform(0.5, 4)))
    if stop == "closed":
        return
    satisfied = rng.random() < 0.92
    with acting_as(handler):
        services.confirm_visit(handler, c, satisfied, demo_text("The owner is satisfied", "业主表示满意") if satisfied
                               else demo_text("The owner thinks it was not fully dealt with", "业主认为处理不彻底"),
                               step(rng.uniform(24, 72)))
    if satisfied or now - t < timedelta(days=20):
        return  # a recent unhappy owner: the complaint is being handled again
    with acting_as(handler):
        services.add_note(handler, c, demo_text("Visited again and agreed the remedy with the owner.",
                                                "再次上门，与业主共同确认整改内容。"), step(24))
        services.reply(handler, c, demo_text("Put right again as you asked. ", "已按您的意见再次整改完毕。") + answer,
                       "visit", step(48))
        services.close(handler, c, step(2))
        services.confirm_visit(handler, c, True, demo_text("Satisfied at the second visit", "二次回访满意"), step(48))


def _suggestions(estate, clerk, handler, manager, rng, now) -> None:
    for k, (content, decision, text) in enumerate(SUGGESTIONS):
        content, text = _t(content), _t(text)
        t = now - timedelta(days=rng.uniform(5, 150))
        with acting_as(clerk):
            s = suggestions.record(clerk, estate_id=estate.id, suggester_name=_t(rng.choice(NAMES)),
                                   suggester_phone="138" + "".join(rng.choice("0123456789") for _ in range(8)),
                                   channel="phone", content=content, received_at=t)
        with acting_as(handler):
            suggestions.report(handler, s, t + timedelta(hours=2))
        if decision is None:
            continue
        with acting_as(manager):
            suggestions.decide(manager, s, decision, plan=text if decision == "adopt" else "",
                               reason=text if decision == "decline" else "", at=t + timedelta(days=1))
        if k == 0:
            continue
        with acting_as(handler):
            suggestions.answer(handler, s, demo_text("Thank you for your suggestion! ", "感谢您的宝贵建议！") + text, t + timedelta(days=2))
