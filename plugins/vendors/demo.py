"""Demo vendors: the scoring sheets of cleaning and greening, two vendors (a cleaning company and
a greening company) each with a contract at every demo estate — so one vendor serves two estates
and each estate sees only its own — eight weeks of weekly inspections, the rectification notices
of the failing items (answered and re-checked, one still failing, one overdue), last month's
evaluation confirmed and this month's draft. The greening contract ends soon (the expiry warning).

Everything goes through the services, back-dated; wording through ``core.demo.demo_text``.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text as t
from core.errors import DomainError
from core.extensions import db
from core.security import user_estate_ids
from plugins.vendors import services
from plugins.vendors.models import Contract, Rectification, Vendor


def _sheets(user) -> None:
    if not services.sheet("cleaning"):
        services.save_sheet(user, "cleaning", [
            (t("Lobby and corridors", "大堂及楼道"), t("Floors clean, no litter, no stains", "地面洁净，无垃圾、无污渍"), "30"),
            (t("Lifts", "电梯轿厢"), t("Walls and buttons wiped daily", "轿厢四壁、按钮每日擦拭"), "20"),
            (t("Refuse points", "垃圾收集点"), t("Emptied daily, no odour", "日产日清，无异味"), "25"),
            (t("Outdoor roads", "室外道路"), t("Swept twice a day", "每日清扫两次"), "15"),
            (t("Staff on duty and uniforms", "在岗及着装"), t("On post, in uniform", "按时在岗、统一着装"), "10")])
    if not services.sheet("greening"):
        services.save_sheet(user, "greening", [
            (t("Lawns", "草坪"), t("Mown, no bare patches, no weeds", "修剪整齐，无斑秃、无杂草"), "30"),
            (t("Shrubs and hedges", "灌木绿篱"), t("Pruned to shape", "造型修剪到位"), "25"),
            (t("Trees", "乔木"), t("No dead branches, supports sound", "无枯枝，支撑牢固"), "20"),
            (t("Pest control", "病虫害防治"), t("No visible pests", "无明显病虫害"), "15"),
            (t("Watering and tools", "浇灌及工具"), t("Watered on schedule, tools put away", "按时浇灌，工具归位"), "10")])


def _vendor(user, name, **kw) -> Vendor:
    found = db.session.scalar(select(Vendor).where(Vendor.name == name))
    return found or services.add_vendor(user, name=name, **kw)


def _inspect(user, contract, day, rng, fail: bool, deadline_days: int = 3):
    points, remarks = {}, {}
    items = services.sheet(contract.service_kind)
    failing = rng.randrange(len(items)) if fail else None
    for n, item in enumerate(items):
        share = Decimal("0.5") if n == failing else rng.choice([Decimal("1"), Decimal("0.9"), Decimal("0.8")])
        points[item.id] = (item.weight * share).quantize(Decimal("0.5"))
        if n == failing:
            remarks[item.id] = t("Not up to standard on the day", "当日检查未达标")
    return services.record_inspection(user, contract, inspected_on=day, points=points, remarks=remarks,
                                      deadline=day + timedelta(days=deadline_days) if fail else None)


def load(estate, users) -> None:
    if db.session.scalar(select(Contract.id).where(Contract.estate_id == estate.id).limit(1)):
        return
    sup = next((u for u in (users.get("supervisor"), users.get("manager"))
                if u is not None and estate.id in user_estate_ids(u)), None)
    if sup is None:
        return
    rng = random.Random(estate.id * 7919)
    today = services.estate_today(estate)
    with acting_as(sup):
        _sheets(sup)
        clean = _vendor(sup, t("Jiemei Cleaning Services Co., Ltd.", "洁美保洁服务有限公司"),
                        credit_code="91310000MA1FL0XX1A", contact_name=t("Manager Zhou", "周经理"),
                        contact_phone="13811112222", address=t("88 Changning Road", "长宁路88号"),
                        contacts=t("Site foreman Li 13933334444", "现场领班 李师傅 13933334444"))
        green = _vendor(sup, t("Lvyuan Landscaping Co., Ltd.", "绿源园林绿化工程有限公司"),
                        credit_code="91310000MA1FL0YY2B", contact_name=t("Mr Chen", "陈工"),
                        contact_phone="13755556666")
        c1 = services.add_contract(
            sup, estate_id=estate.id, vendor_id=clean.id, number=f"WB-{estate.code}-BJ-01", service_kind="cleaning",
            scope=t("Daily cleaning of lobbies, corridors, lifts, refuse points and outdoor roads",
                    "大堂、楼道、电梯、垃圾收集点及室外道路日常保洁"),
            start_on=today - timedelta(days=300), end_on=today + timedelta(days=400), amount=Decimal("486000.00"),
            standards=t("As the cleaning standards annexed to the contract", "按合同附件《保洁服务标准》执行"),
            note=t("Paid monthly after the evaluation", "按月考核后付款"))
        c2 = services.add_contract(
            sup, estate_id=estate.id, vendor_id=green.id, number=f"WB-{estate.code}-LH-01", service_kind="greening",
            scope=t("Upkeep of the lawns, shrubs and trees of the estate", "小区草坪、灌木及乔木养护"),
            start_on=today - timedelta(days=345), end_on=today + timedelta(days=20), amount=Decimal("128800.00"),
            standards=t("Level-two greening upkeep standard", "二级绿化养护标准"))
        rects = []
        for contract in (c1, c2):
            for week in range(8, 0, -1):
                day = today - timedelta(days=week * 7 - rng.randint(0, 2))
                inspection = _inspect(sup, contract, day, rng, fail=week in (7, 4, 1))
                rects.extend(db.session.scalars(select(Rectification).where(
                    Rectification.inspection_id == inspection.id)))
        # Answered and re-checked, except the newest (waiting) and one still failing, then overdue.
        for n, r in enumerate(rects):
            if r.issued_on >= today - timedelta(days=3):
                continue
            respond_on = min(r.deadline, today)
            services.record_response(sup, r, responded_on=respond_on,
                                     responder=t("Site foreman", "现场领班"),
                                     note=t("Cleaned again and staff reminded", "已重新整改并对员工进行提醒"))
            if n == 1 and respond_on + timedelta(days=1) < today:
                services.recheck(sup, r, checked_on=respond_on + timedelta(days=1), passed=False,
                                 note=t("Still stained in places", "局部仍有污渍"),
                                 new_deadline=respond_on + timedelta(days=2))
            elif respond_on < today:
                services.recheck(sup, r, checked_on=respond_on + timedelta(days=1), passed=True,
                                 note=t("Rectified", "已整改到位"))
        manager = users.get("manager")
        evaluator = manager if manager is not None and estate.id in user_estate_ids(manager) else sup
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        for contract in (c1, c2):
            for month, confirm in ((last_month, True), (today.replace(day=1), False)):
                try:
                    ev = services.evaluate_month(evaluator, contract, month)
                except DomainError:
                    continue
                if confirm:
                    services.confirm(evaluator, ev, note=t("Paid in full", "足额支付"))
    db.session.flush()

