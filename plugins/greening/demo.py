"""Demo greening: four green areas with their seasonal work plans, four weeks of daily inspections
(a few shortcomings sent to rework and verified, one still open; the newest one sent to the vendor
when the vendors plugin holds a greening contract), two businesses' indoor plant services with
their visits.

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
from plugins.greening import services
from plugins.greening.models import GreenArea, season_of


def _areas(user, estate) -> list[GreenArea]:
    vendor = t("Lvyuan Landscaping Co., Ltd.", "绿源园林绿化工程有限公司")
    specs = [
        (t("Central lawn", "中心草坪"), t("Between blocks 1 and 3", "1栋与3栋之间"), vendor, [
            ("watering", "all", t("Every morning in dry weather", "干旱天气每日早晨"), t("Water the lawn", "草坪浇水"),
             t("Soil moist, no dry patches", "土壤湿润，无干枯斑块")),
            ("pruning", "summer", t("Every 10 days", "每10天"), t("Mow the lawn", "草坪修剪"), t("Height 4–6 cm", "草高4–6厘米")),
            ("fertilising", "spring", t("Once a month", "每月一次"), t("Feed the lawn", "草坪施肥"), ""),
            ("pest_control", "summer", "", t("Check for grubs and fungus", "检查地下害虫及病害"), t("No visible pests", "无明显病虫害")),
            ("other", "all", "", t("Pick up litter and leaves", "捡拾垃圾落叶"), t("No litter", "无垃圾"))]),
        (t("Hedges along the main road", "主干道绿篱"), t("Main gate to block 5", "大门至5栋"), vendor, [
            ("pruning", "all", t("Every month", "每月"), t("Trim the hedges", "绿篱修剪"), t("Even, to shape", "平整、造型到位")),
            ("watering", "summer", "", t("Water the hedges", "绿篱浇水"), ""),
            ("pest_control", "spring", "", t("Spray against aphids", "喷药防治蚜虫"), "")]),
        (t("Trees of the square", "广场乔木"), t("Central square", "中心广场"), vendor, [
            ("pruning", "winter", "", t("Prune dead branches", "修剪枯枝"), t("No dead branches", "无枯枝")),
            ("other", "all", "", t("Check the tree supports", "检查树木支撑"), t("Supports sound", "支撑牢固"))]),
        (t("Office planters", "管理处花箱"), t("Block 1, 2nd floor", "1栋二层"), "", [
            ("watering", "all", t("Twice a week", "每周两次"), t("Water the planters", "花箱浇水"), "")]),
    ]
    areas = []
    for name, where, who, tasks in specs:
        area = services.add_area(user, estate_id=estate.id, name=name, location=where, vendor=who)
        db.session.flush()
        for kind, season, freq, title, standard in tasks:
            services.add_task(user, area, kind=kind, season=season, frequency=freq, title=title, standard=standard)
        areas.append(area)
    return areas


def load(estate, users) -> None:
    if db.session.scalar(select(GreenArea.id).where(GreenArea.estate_id == estate.id).limit(1)):
        return
    user = next((u for u in (users.get("cleaning"), users.get("supervisor"), users.get("manager"))
                 if u is not None and estate.id in user_estate_ids(u)), None)
    if user is None:
        return
    rng = random.Random(estate.id * 130363)
    today = services.estate_today(estate)
    with acting_as(user):
        areas = _areas(user, estate)
        wrong = t("Not up to standard", "未达标准")
        for back in range(27, -1, -1):
            day = today - timedelta(days=back)
            for area in areas:
                if back and rng.random() < 0.3:
                    continue
                tasks = services.plan_of(area.id, season_of(day))
                if not tasks:
                    continue
                bad = back in (19, 9, 3, 0) and area is areas[back % len(areas)]
                results = {tk.id: (not (bad and n == 0), wrong if bad and n == 0 else "") for n, tk in enumerate(tasks)}
                if bad and back == 0 and area.vendor:
                    try:
                        with db.session.begin_nested():
                            services.record_inspection(user, area, inspected_on=day, results=results, remedy="vendor",
                                                       deadline=day + timedelta(days=3),
                                                       note=t("Sent to the vendor", "已通知外包方整改"))
                        continue
                    except DomainError:
                        pass
                check = services.record_inspection(user, area, inspected_on=day, results=results,
                                                   remedy="rework" if bad else "",
                                                   deadline=day + timedelta(days=3) if bad else None)
                if bad and back >= 9:
                    services.verify(user, check, verified_on=day + timedelta(days=2), passed=True,
                                    note=t("Put right", "已整改到位"))
        for business, place, plants, visits in (
                (t("Huaxin Trading Co.", "华信贸易公司"), t("Block 2, unit 1201", "2栋1201"),
                 t("6 pots of money trees, 4 of pothos", "发财树6盆、绿萝4盆"), 2),
                (t("Starlight Café", "星光咖啡"), t("Shop 3, ground floor", "首层3号商铺"),
                 t("2 large monstera, 8 desk plants", "龟背竹2盆、桌面绿植8盆"), 4)):
            req = services.add_request(user, estate_id=estate.id, business=business, place=place,
                                       contact_name=t("Ms Chen", "陈女士"), contact_phone="13912345678", plants=plants,
                                       visits_per_month=visits, start_on=today - timedelta(days=40))
            for back in range(35, -1, -30 // visits):
                services.add_visit(user, req, visited_on=today - timedelta(days=back),
                                   gardener=t("Gardener Wu", "吴师傅"),
                                   work=t("Watered, leaves wiped", "浇水、擦拭叶面"), replaced=1 if back == 35 else 0)
    db.session.flush()
