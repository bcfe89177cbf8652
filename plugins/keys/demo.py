"""Demo key board: a residential estate's keys on their hooks, two designated keepers, two months
of loans (most returned, a few out now, one overdue), an emergency spare lent on a supervisor's
approval, a key returned damaged and re-cut, and one recorded lost.

Everything goes through the services (with back-dated times, which they accept for the past);
an estate where no supervisor and clerk work gets only its register.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Building, Occupancy, Unit, utcnow
from core.security import user_estate_ids
from plugins.keys import services
from plugins.keys.models import Key

ROOMS = [("S-001", ("Pump room", "水泵房"), "A-01"), ("S-002", ("Switch room", "配电房"), "A-02"),
         ("S-003", ("Fire control room", "消防控制室"), "A-03"), ("S-004", ("CCTV room", "监控室"), "A-04"),
         ("S-005", ("Lift machine room", "电梯机房"), "A-05"), ("S-006", ("Roof tank room", "屋面水箱间"), "A-06")]
BORROWERS = [("contractor", ("Li Jianguo", "李建国"), "13912345678"), ("staff", ("Zhang Wei", "张伟"), "13800138001"),
             ("contractor", ("Wang Haitao", "王海涛"), "13700001234"), ("staff", ("Liu Yang", "刘洋"), "13600005678")]
# No "repair" reason: with repairs enabled a repair loan names a real work order.
REASONS = [("emergency", ("Pump making a noise: first look", "水泵异响，先行查看")),
           ("inspection", ("Monthly fire equipment check", "消防设施月度检查")),
           ("emergency", ("Switchboard tripped: repair", "配电柜跳闸检修")),
           ("decoration", ("Renovation contractor surveys the shared shaft", "装修单位进场勘察公共管井")),
           ("inspection", ("Routine lift machine room service", "电梯机房例行保养"))]


def _t(pair) -> str:
    return demo_text(*pair)


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _register(estate, sup) -> list[Key]:
    keys = []
    for tag, room, pos in ROOMS:
        keys.append(services.add_key(sup, estate_id=estate.id, kind="equipment_room", tag=tag, location=_t(room),
                                     position=pos, copies=2))
    keys.append(services.add_key(sup, estate_id=estate.id, kind="equipment_room", tag="JB-001",
                                 location=demo_text("Switch room", "配电房"),
                                 position=demo_text("Emergency box 1", "应急柜-1"), copies=1, emergency_spare=True,
                                 note=demo_text("Emergency spare key", "紧急备用钥匙")))
    buildings = db.session.scalars(select(Building).where(Building.estate_id == estate.id)
                                   .order_by(Building.code)).all()
    for b in buildings:
        services.add_key(sup, estate_id=estate.id, kind="public_door", tag=f"G-{b.code}-01", building_id=b.id,
                         floor=1, position=f"C-{b.code}1", copies=3, note=demo_text("Entrance door", "单元门"))
        services.add_key(sup, estate_id=estate.id, kind="public_window", tag=f"W-{b.code}-{b.floors or 1:02d}",
                         building_id=b.id, floor=b.floors or 1, position=f"C-{b.code}2", copies=2,
                         note=demo_text("Roof hatch", "屋面天窗"))
        services.add_key(sup, estate_id=estate.id, kind="meter_box", tag=f"M-{b.code}", building_id=b.id,
                         location=demo_text(f"{b.name} meter box", f"{b.name}电表箱"), position=f"D-{b.code}", copies=2)
    # Owner keys of units nobody has moved into yet: received from the developer, on the board.
    empty = db.session.scalars(select(Unit).where(
        Unit.estate_id == estate.id, Unit.use == "residence",
        Unit.id.not_in(select(Occupancy.unit_id).where(Occupancy.estate_id == estate.id)))
        .order_by(Unit.sort_key).limit(8)).all()
    for n, unit in enumerate(empty):
        for kind, suffix, copies in (("security_door", "FD", 3), ("mailbox", "XX", 2)):
            services.add_key(sup, estate_id=estate.id, kind=kind, tag=f"H-{unit.number}-{suffix}",
                             unit_number=unit.number, position=f"B-{n + 1:02d}", copies=copies,
                             note=demo_text("From the developer", "开发商移交"))
    db.session.flush()
    return keys


def _lend(keeper, key, rng, lent_at, hours, **kw):
    kind, name, phone = rng.choice(BORROWERS)
    reason_kind, reason = rng.choice(REASONS)
    args = dict(borrower_kind=kind, borrower_name=_t(name), borrower_phone=phone, reason_kind=reason_kind,
                reason=_t(reason), lent_at=lent_at, expected_return=lent_at + timedelta(hours=hours))
    args.update(kw)
    return services.lend(keeper, key, **args)


def _loans(estate, keys, keepers, sup, approver, rng, now):
    rooms = [k for k in keys if not k.emergency_spare]
    # Two months of loans, each returned within its day.
    for day in range(60, 1, -3):
        key = rng.choice(rooms)
        keeper = keepers[day % len(keepers)]
        lent_at = now - timedelta(days=day, hours=rng.randint(0, 5))
        loan = _lend(keeper, key, rng, lent_at, 4)
        back = lent_at + timedelta(hours=rng.randint(1, 5))
        services.take_back(keepers[(day + 1) % len(keepers)], loan, condition="good", returned_at=back)
    # One came back damaged and was re-cut.
    damaged = rooms[1]
    loan = _lend(keepers[0], damaged, rng, now - timedelta(days=20), 3)
    services.take_back(keepers[0], loan, condition="damaged", note=demo_text("Bent teeth, hard to turn", "钥匙齿口变形，开锁困难"),
                       returned_at=now - timedelta(days=20) + timedelta(hours=2))
    services.record_event(sup, damaged, kind="recut", note=demo_text("Two cut from the original; the old key destroyed",
                                                                   "按原钥匙重配两把，旧钥匙销毁"), copies=2,
                          at=now - timedelta(days=19))
    # One recorded lost (not out now).
    services.record_event(sup, rooms[5], kind="lost", note=demo_text("One missing at the count; supervisor told",
                                                                  "清点时发现少一把，已报主管"), at=now - timedelta(days=9))
    # The emergency spare, lent once on a recorded approval, and returned.
    spare = next(k for k in keys if k.emergency_spare)
    request = services.request_spare(keepers[0], spare, demo_text(
        "Switch room tripped at night; the electrician on duty has no key with him", "夜间配电房跳闸，值班电工的钥匙不在现场"))
    services.decide_spare(approver, request, approve=True, note=demo_text("Approved; return it at once", "同意，用后即还"))
    loan = _lend(keepers[0], spare, rng, now - timedelta(days=5), 2, borrower_kind="staff",
                 borrower_name=demo_text("Zhang Wei", "张伟"),
                 borrower_phone="13800138001", reason_kind="emergency",
                 reason=demo_text("Switch room tripped: emergency repair", "配电房跳闸抢修"))
    services.take_back(keepers[1], loan, condition="good", returned_at=now - timedelta(days=5, hours=-1))
    # Out now: two within their time, one overdue.
    _lend(keepers[0], rooms[0], rng, now - timedelta(hours=2), 6)
    _lend(keepers[1], rooms[4], rng, now - timedelta(hours=1), 8)
    _lend(keepers[1], rooms[2], rng, now - timedelta(days=2), 5, borrower_kind="contractor",
          borrower_name=demo_text("Wang Haitao", "王海涛"), borrower_phone="13700001234", reason_kind="inspection",
          reason=demo_text("Yearly fire equipment test", "消防设施年度检测"))


def load(estate, users) -> None:
    if db.session.scalar(select(Key.id).where(Key.estate_id == estate.id).limit(1)):
        return
    sup = users.get("supervisor") if _member(users.get("supervisor"), estate) else users.get("manager")
    if not _member(sup, estate):
        return
    rng = random.Random(estate.id * 104729)
    now = utcnow()
    with acting_as(sup):
        keys = _register(estate, sup)
        keepers = []
        for role in ("clerk", "frontdesk"):
            user = users.get(role)
            if _member(user, estate):
                services.designate_keeper(sup, estate_id=estate.id, user_id=user.id, note=demo_text("Key keeper", "钥匙管理员"))
                keepers.append(user)
    approver = users.get("manager")
    if len(keepers) < 2 or not _member(approver, estate) or approver.id == sup.id:
        return
    with acting_as(keepers[0]):
        _loans(estate, keys, keepers, sup, approver, rng, now)
    db.session.flush()
