"""Demo community activities of an estate: two held this year (sign-ups, attendance, spending —
one over its budget, one line voided — and the summary), one approved and open for sign-up, one
waiting for approval, a draft, a refused plan and a cancelled one.

Everything goes through the services; an estate without a planner and an approver among the
demo staff gets nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Resident, utcnow
from core.security import user_estate_ids
from plugins.activities import services
from plugins.activities.models import Activity

PLANS = [
    # (theme, place, days from now, hours long, budget, capacity)
    (("Spring tea party for elderly residents", "重阳敬老茶话会"), ("Clubhouse", "会所活动室"), -40, 2, "800.00", 30),
    (("Children's summer painting contest", "少儿暑期绘画比赛"), ("Central square", "中心广场"), -12, 3, "1500.00", 40),
    (("Mid-Autumn lantern evening", "中秋灯谜晚会"), ("Central square", "中心广场"), 10, 3, "3000.00", 60),
    (("Neighbourhood table tennis match", "邻里乒乓球友谊赛"), ("Clubhouse", "会所活动室"), 25, 4, "600.00", 16),
    (("Garbage sorting talk", "垃圾分类知识讲座"), ("Management office meeting room", "物业会议室"), 40, 2, "200.00", 25),
    (("New Year calligraphy: couplets for every home", "迎新春写春联送福字"), ("Main gate", "小区正门"), 55, 3, "900.00", 50),
    (("Outdoor film night", "露天电影夜"), ("Central square", "中心广场"), 5, 2, "500.00", 80),
]


def _t(pair) -> str:
    return demo_text(*pair)


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _plan(planner, estate, i, now, organisers):
    theme, place, days, hours, budget, capacity = PLANS[i]
    start = (now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return services.plan(planner, estate_id=estate.id, theme=_t(theme), place=_t(place), starts_at=start,
                         ends_at=start + timedelta(hours=hours), budget=Decimal(budget),
                         expected_participants=capacity - 5, capacity=capacity, organiser_ids=organisers,
                         description=demo_text("Sign-up at the front desk; refreshments provided.",
                                               "请到前台报名，现场提供茶点。"))


def load(estate, users) -> None:
    if db.session.scalar(select(Activity.id).where(Activity.estate_id == estate.id).limit(1)):
        return
    planner = next((users.get(r) for r in ("clerk", "frontdesk", "supervisor") if _member(users.get(r), estate)), None)
    approver = next((users.get(r) for r in ("manager", "supervisor")
                     if _member(users.get(r), estate) and users.get(r) is not planner), None)
    if planner is None or approver is None:
        return
    residents = db.session.scalars(select(Resident).where(Resident.estate_id == estate.id)
                                   .order_by(Resident.id).limit(12)).all()
    now = utcnow()
    organisers = [planner.id]
    with acting_as(planner):
        made = [_plan(planner, estate, i, now, organisers) for i in range(len(PLANS))]
        for a in made[:3] + made[4:]:
            services.submit(planner, a)
    with acting_as(approver):
        for a in made[:3] + made[6:]:
            services.decide(approver, a, approve=True)
        services.decide(approver, made[4], approve=False, note=demo_text(
            "Combine it with the community centre's talk next month.", "请与下月社区讲座合并举办。"))
    with acting_as(planner):
        for a, count in ((made[0], 6), (made[1], 8), (made[2], 4), (made[6], 3)):
            for r in residents[:count]:
                services.sign_up(planner, a, resident_id=r.id)
        services.sign_up(planner, made[1], name=demo_text("Visiting grandmother Chen", "陈奶奶（访客）"),
                         phone="13900002222")
        services.cancel(planner, made[6], demo_text("Rain forecast: postponed.", "天气预报有雨，延期举办。"))
        for a, spent in ((made[0], [("Tea and snacks", "茶点水果", "520.00"), ("Small gifts", "纪念品", "260.00")]),
                         (made[1], [("Painting materials", "绘画材料", "980.00"), ("Prizes", "奖品", "720.00")])):
            for n, (en, zh, amount) in enumerate(spent):
                services.add_expense(planner, a, item=demo_text(en, zh), amount=Decimal(amount),
                                     spent_on=(a.starts_at - timedelta(days=n + 1)).date())
        wrong = services.add_expense(planner, made[1], item=demo_text("Banner", "横幅"), amount=Decimal("1200.00"),
                                     spent_on=(made[1].starts_at - timedelta(days=3)).date())
        services.void_expense(planner, wrong, demo_text("Typed 1200 for 120; re-entered.", "金额误录为1200元，已重新登记。"))
        services.add_expense(planner, made[1], item=demo_text("Banner", "横幅"), amount=Decimal("120.00"),
                             spent_on=(made[1].starts_at - timedelta(days=3)).date())
        for a in made[:2]:
            services.mark_held(planner, a)
            came = [s.id for s in services.signups(a.id, active_only=True)][:-1]
            services.mark_attendance(planner, a, came)
        services.write_summary(planner, made[0], summary=demo_text(
            "Residents over seventy enjoyed tea, songs and a health talk by the community doctor.",
            "七十岁以上老人共度重阳，品茶听戏，社区医生现场讲解养生知识。"),
            feedback=demo_text("Asked for it again next year.", "老人们希望明年继续举办。"))
        services.write_summary(planner, made[1], summary=demo_text(
            "Forty children painted 'my home'; the works were shown at the gate for a week.",
            "四十名少儿以“我的家园”为题作画，作品在小区门口展出一周。"),
            feedback=demo_text("Parents liked it; more shade next time.", "家长反响好，下次需增加遮阳。"))
    db.session.flush()
