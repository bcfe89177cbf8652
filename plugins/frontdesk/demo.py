"""Demo front desk: a desk with parcels and passes — goods-out passes in every state (an owner's
waiting, a tenant business's waiting with the owner's consent, approved, used at the gate,
refused), parcels waiting (one long enough to be flagged) and collected, a day of enquiries and
calls, visitors, dog licences (one expiring soon), vehicle passes, a certificate and the log.

Everything goes through the services (with back-dated times, which they accept for the past);
an estate where no front desk or clerk and no supervisor work gets nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.i18n import today_local
from core.models import Occupancy, Unit, utcnow
from core.security import user_estate_ids
from plugins.frontdesk import services
from plugins.frontdesk.models import GoodsPass


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _t(pair) -> str:
    return demo_text(*pair)


def load(estate, users) -> None:
    if db.session.scalar(select(GoodsPass.id).where(GoodsPass.estate_id == estate.id).limit(1)):
        return
    desk = next((users.get(r) for r in ("frontdesk", "clerk") if _member(users.get(r), estate)), None)
    sup = next((users.get(r) for r in ("supervisor", "manager") if _member(users.get(r), estate)), None)
    if desk is None or sup is None:
        return
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id).order_by(Unit.sort_key)
                               .limit(12)).all()
    if not units:
        return
    occupied = db.session.scalars(select(Occupancy).where(Occupancy.estate_id == estate.id,
                                                          Occupancy.end_date.is_(None))
                                  .order_by(Occupancy.id).limit(6)).all()
    now = utcnow()
    today = today_local()

    def unit(i):
        return units[i % len(units)].number

    with acting_as(desk):
        passes = [
            ("owner", ("Chen Jianhua", "陈建华"), ("Old sofa and two chairs", "旧沙发一套、椅子两把"), ""),
            ("business", ("Hengxin Trading (tenant)", "恒信商贸（租户）"),
             ("Ten boxes of stock, one display rack", "货物十箱、展示架一个"), ("Wang Lihua", "王丽华")),
            ("tenant", ("Li Na (tenant)", "李娜（租户）"), ("Moving out: furniture and appliances", "退租搬出：家具、电器"),
             ("Zhao Guoqiang", "赵国强")),
            ("owner", ("Sun Ming", "孙明"), ("Bicycle and a refrigerator", "自行车一辆、冰箱一台"), ""),
            ("tenant", ("Zhou Qiang (tenant)", "周强（租户）"), ("Air conditioner", "空调一台"), ("Liu Fang", "刘芳")),
        ]
        made = []
        for i, (kind, name, goods, consent) in enumerate(passes):
            made.append(services.apply_pass(
                desk, estate_id=estate.id, unit_number=unit(i), applicant_kind=kind, applicant_name=_t(name),
                applicant_phone=f"1380013{i:04d}", goods=_t(goods), vehicle_plate=demo_text("SH-A1234", "沪A1234") + str(i) if i % 2 else "",
                valid_from=today, valid_until=today + timedelta(days=2),
                owner_consent_name=_t(consent) if consent else "",
                owner_consent_note=demo_text("Consent by phone", "电话确认同意") if consent else "",
                applied_at=now - timedelta(hours=6 - i)))
    with acting_as(sup):
        services.decide_pass(sup, made[2], approve=True, at=now - timedelta(hours=3))
        services.decide_pass(sup, made[3], approve=True, at=now - timedelta(hours=2))
        services.decide_pass(sup, made[4], approve=False, note=demo_text(
            "The owner's consent could not be confirmed", "业主同意未能确认"), at=now - timedelta(hours=1))
    with acting_as(desk):
        if _member(users.get("frontdesk"), estate) or _member(users.get("supervisor"), estate):
            guard = users.get("frontdesk") if _member(users.get("frontdesk"), estate) else sup
            with acting_as(guard):
                services.use_pass(guard, made[3], gate=demo_text("North gate", "北门"), at=now - timedelta(hours=1))
        # Parcels: waiting (one flagged), collected.
        carriers = [("SF Express", "顺丰速运"), ("JD Logistics", "京东物流"), ("China Post", "中国邮政"),
                    ("ZTO Express", "中通快递")]
        names = [("Chen Jianhua", "陈建华"), ("Wang Lihua", "王丽华"), ("Sun Ming", "孙明"), ("Liu Fang", "刘芳"),
                 ("Zhao Guoqiang", "赵国强"), ("Li Na", "李娜")]
        for i in range(8):
            parcel = services.receive_parcel(
                desk, estate_id=estate.id, unit_number=unit(i + 1), recipient_name=_t(names[i % len(names)]),
                recipient_phone=f"1390013{i:04d}", kind="letter" if i == 5 else ("registered" if i == 6 else "parcel"),
                carrier=_t(carriers[i % len(carriers)]), tracking_number=f"SF{estate.id:02d}{1000 + i:06d}",
                shelf=f"A-{i + 1:02d}", received_at=now - timedelta(days=6 if i == 0 else i % 3, hours=i))
            if i in (3, 4, 7):
                services.collect_parcel(desk, parcel, collector_name=_t(names[i % len(names)]),
                                        at=min(parcel.received_at + timedelta(hours=5), now))
            elif i < 3:
                services.notify_parcel(desk, parcel)
        services.flag_uncollected(now)
        # Enquiries and calls.
        calls = [("fees", ("How much is the property fee per month?", "物业费每月多少？"),
                  ("2.80 yuan per m² a month; told the amount for the unit", "每月每平方米2.80元，已告知本户金额"), "answered"),
                 ("decoration", ("What is needed to start decorating?", "装修需要办理什么手续？"),
                  ("Apply at the desk with the plans and the contractor's licence", "携带图纸和装修公司资质到前台申请"),
                  "answered"),
                 ("parking", ("Is there a monthly parking space free?", "还有月租车位吗？"), "", "message"),
                 ("other", ("When is the water cut on Friday?", "周五停水是什么时间？"),
                  ("09:00 to 15:00, notice posted in the lobby", "9点到15点，通知已张贴在大堂"), "answered")]
        for i, (topic, question, answer, outcome) in enumerate(calls):
            services.record_enquiry(desk, estate_id=estate.id, channel="phone" if i % 2 else "walk_in", topic=topic,
                                    question=_t(question), answer=_t(answer) if answer else "", outcome=outcome,
                                    contact_name=_t(names[i]), contact_phone=f"1370013{i:04d}",
                                    unit_number=unit(i), received_at=now - timedelta(hours=8 - i))
        services.register_visitor(desk, estate_id=estate.id, visitor_name=demo_text("Huang Lei", "黄磊"),
                                  visitor_phone="13600010001", unit_number=unit(2),
                                  host_name=_t(names[2]), purpose=demo_text("Visiting family", "探亲"),
                                  arrived_at=now - timedelta(hours=2))
        left = services.register_visitor(desk, estate_id=estate.id, visitor_name=demo_text("Xu Jing", "徐静"),
                                         unit_number=unit(4), purpose=demo_text("Delivering furniture", "送家具"),
                                         vehicle_plate=demo_text("SH-B56789", "沪B56789"), arrived_at=now - timedelta(hours=5))
        services.visitor_left(desk, left, at=now - timedelta(hours=4))
        for i, (breed, days) in enumerate(((("Poodle", "泰迪"), 20), (("Shiba Inu", "柴犬"), 200))):
            services.register_licence(desk, estate_id=estate.id, unit_number=unit(i + 3),
                                      licence_number=f"QZ{estate.id:02d}-{2026000 + i}", owner_name=_t(names[i + 3]),
                                      owner_phone=f"1350013{i:04d}", dog_name=demo_text("Lucky", "旺财"),
                                      breed=_t(breed), colour=demo_text("Brown", "棕色"),
                                      vaccinated_on=today - timedelta(days=300), valid_from=today - timedelta(days=345),
                                      valid_until=today + timedelta(days=days))
        for i in range(3):
            services.issue_vehicle_pass(desk, estate_id=estate.id, unit_number=unit(i), holder_name=_t(names[i]),
                                        holder_phone=f"1360013{i:04d}", plate=demo_text("SH-A", "沪A") + f"{estate.id:02d}{i:03d}",
                                        card_number=f"IC-{estate.id:02d}{i:04d}",
                                        valid_until=today + timedelta(days=365))
        if occupied:
            occ = occupied[0]
            services.issue_certificate(desk, estate_id=estate.id, unit_number=occ.unit.number, kind="residence",
                                       applicant_name=occ.resident.name,
                                       purpose=demo_text("School enrolment", "子女入学"))
        services.write_log(desk, estate_id=estate.id, day=today, shift="day", text=demo_text(
            "Five goods-out applications; eight parcels logged, three collected; water cut notice answered.",
            "受理出门条申请五份；登记快递八件，已领取三件；答复停水咨询。"))
    db.session.flush()
