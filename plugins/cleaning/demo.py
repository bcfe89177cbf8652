"""Demo cleaning: five areas with their work plans, four weeks of daily inspections (a few
shortcomings sent to rework and verified, one still open, one overdue; the newest one sent to the
vendor when the vendors plugin holds a cleaning contract), a four-pests plan and a disinfection
plan with their records, two training sessions.

Everything goes through the services, back-dated; wording through ``core.demo.demo_text``.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text as t
from core.errors import DomainError
from core.extensions import db
from core.security import user_estate_ids
from plugins.cleaning import services
from plugins.cleaning.models import CleanArea


def _areas(user, estate) -> list[CleanArea]:
    vendor = t("Jiemei Cleaning Services Co., Ltd.", "洁美保洁服务有限公司")
    specs = [
        (t("Lobby of block 1", "1栋大堂"), t("Ground floor, block 1", "1栋首层"), vendor, [
            ("daily", t("Mop the floor", "地面湿拖"), t("No stains, no footprints", "无污渍、无脚印")),
            ("daily", t("Wipe the mailboxes and doors", "擦拭信报箱及门扇"), t("No dust", "无积尘")),
            ("weekly", t("Clean the glass of the entrance", "清洁入口玻璃"), t("No smears", "无水痕")),
            ("monthly", t("Polish the floor", "地面打蜡抛光"), "")]),
        (t("Stairs of block 2", "2栋楼梯间"), t("All floors", "各楼层"), vendor, [
            ("daily", t("Sweep the stairs", "清扫楼梯"), t("No litter", "无垃圾杂物")),
            ("weekly", t("Wipe the handrails", "擦拭扶手"), t("No dust", "无积尘"))]),
        (t("Refuse points", "垃圾收集点"), t("North gate and car park", "北门及停车场"), vendor, [
            ("daily", t("Empty and wash the bins", "清运并冲洗垃圾桶"), t("Emptied daily, no odour", "日产日清、无异味")),
            ("weekly", t("Disinfect the refuse room", "垃圾房消毒"), "")]),
        (t("Roads and square", "道路及广场"), t("Whole estate", "小区全域"), vendor, [
            ("daily", t("Sweep the roads twice", "道路每日清扫两次"), t("No litter, no leaves", "无垃圾、无落叶"))]),
        (t("Management office", "管理处办公室"), t("Block 1, 2nd floor", "1栋二层"), "", [
            ("daily", t("Tidy the reception desk", "整理接待台"), ""),
            ("weekly", t("Clean the windows", "擦拭窗户"), "")]),
    ]
    areas = []
    for name, where, who, tasks in specs:
        area = services.add_area(user, estate_id=estate.id, name=name, location=where, vendor=who)
        db.session.flush()
        for freq, title, standard in tasks:
            services.add_task(user, area, frequency=freq, title=title, standard=standard)
        areas.append(area)
    return areas


def load(estate, users) -> None:
    if db.session.scalar(select(CleanArea.id).where(CleanArea.estate_id == estate.id).limit(1)):
        return
    user = next((u for u in (users.get("cleaning"), users.get("supervisor"), users.get("manager"))
                 if u is not None and estate.id in user_estate_ids(u)), None)
    if user is None:
        return
    rng = random.Random(estate.id * 104729)
    today = services.estate_today(estate)
    with acting_as(user):
        areas = _areas(user, estate)
        wrong = t("Not up to standard", "未达标准")
        for back in range(27, -1, -1):
            day = today - timedelta(days=back)
            for area in areas:
                if back and rng.random() < 0.15:
                    continue  # a missed inspection
                tasks = services.plan_of(area.id)
                bad = back in (20, 11, 4, 2, 0) and area is areas[(back // 2) % len(areas)]
                results = {tk.id: (not (bad and n == 0), wrong if bad and n == 0 else "") for n, tk in enumerate(tasks)}
                remedy, deadline = ("rework", day + timedelta(days=2)) if bad else ("", None)
                if bad and back == 0 and area.vendor:
                    try:
                        with db.session.begin_nested():
                            services.record_inspection(user, area, inspected_on=day, results=results,
                                                       remedy="vendor", deadline=day + timedelta(days=2),
                                                       note=t("Sent to the vendor", "已通知外包方整改"))
                        continue
                    except DomainError:
                        pass  # no vendors plugin or no cleaning contract: rework
                check = services.record_inspection(user, area, inspected_on=day, results=results, remedy=remedy,
                                                   deadline=deadline)
                if bad and back >= 4 and back != 11:
                    services.verify(user, check, verified_on=day + timedelta(days=1), passed=True,
                                    note=t("Put right", "已整改到位"))
        plan = services.add_pest_plan(
            user, estate_id=estate.id, kind="pest_control", title=t("Four pests control this year", "本年度除四害计划"),
            pests=["rats", "cockroaches", "mosquitoes", "flies"],
            scope=t("Refuse points, basement, green belts, drains", "垃圾收集点、地下室、绿化带、排水沟"),
            method=t("Bait stations, residual spraying", "投放毒饵站、滞留喷洒"), every_days=14,
            start_on=today - timedelta(days=120), end_on=today + timedelta(days=240))
        for back in (42, 28, 14):
            services.add_pest_record(user, plan, done_on=today - timedelta(days=back),
                                     done_by=t("Anjie Pest Control", "安洁消杀公司"),
                                     chemicals=t("Brodifacoum bait, cypermethrin", "溴敌隆毒饵、氯氰菊酯"),
                                     areas=t("As planned", "按计划区域"))
        dis = services.add_pest_plan(
            user, estate_id=estate.id, kind="disinfection", title=t("Weekly disinfection of lifts and lobbies",
                                                                    "电梯及大堂每周消毒"),
            pests=[], scope=t("Lift cars, lobby door handles, refuse rooms", "电梯轿厢、大堂门把手、垃圾房"),
            method=t("Chlorine solution 500 mg/L", "含氯消毒液（有效氯 500 毫克/升）"), every_days=7,
            start_on=today - timedelta(days=60), end_on=today + timedelta(days=300))
        for back in (21, 14, 7):
            services.add_pest_record(user, dis, done_on=today - timedelta(days=back),
                                     done_by=t("Cleaning team", "保洁班组"), chemicals=t("Chlorine", "含氯消毒液"))
        services.add_training(user, estate_id=estate.id, held_on=today - timedelta(days=20),
                              topic=t("Safe use of cleaning chemicals", "清洁剂的安全使用"),
                              trainer=t("Supervisor Wang", "王主管"),
                              attendees=t("Li Mei\nZhang Hua\nZhao Qiang", "李梅\n张华\n赵强"), hours="2")
        services.add_training(user, estate_id=estate.id, held_on=today - timedelta(days=6),
                              topic=t("Lobby service manners", "大堂服务礼仪"), trainer=t("Ms Liu", "刘老师"),
                              attendees=t("Li Mei\nZhang Hua", "李梅\n张华"), hours="1.5")
    db.session.flush()
