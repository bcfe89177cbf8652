"""Demo store rooms: an engineering store room with its materials, tools and equipment and a
cleaning supplies room; two months of receipts from suppliers, issues to the departments, a
return, a transfer, a wrong issue reversed, a stock count posted with a shortage, and a few items
now below their minimum (the low-stock widget and the purchase plan show them).

Everything goes through the services (back-dated times, which they accept for the past); an
estate where no supervisor works gets nothing. Every text is ``demo_text(en, zh)``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text as t
from core.extensions import db
from core.models import Department, utcnow
from core.security import user_estate_ids
from plugins.inventory import services
from plugins.inventory.models import StoreRoom

# code, (en, zh) name, kind, (en, zh) unit, spec, minimum, receipts (quantity, unit cost)
ITEMS = [
    ("WJ-001", ("Basin tap", "水龙头"), "material", ("piece", "个"), "DN15", 10, (30, "28.50")),
    ("WJ-002", ("Angle valve", "角阀"), "material", ("piece", "个"), "DN15", 10, (40, "12.00")),
    ("DQ-001", ("LED bulb 9 W", "LED灯泡 9W"), "material", ("piece", "个"), "E27", 20, (60, "8.80")),
    ("DQ-002", ("Electric wire 2.5 mm²", "电线 2.5平方"), "material", ("metre", "米"), "BV2.5", 100, (300, "2.10")),
    ("DQ-003", ("Circuit breaker 32 A", "空气开关 32A"), "material", ("piece", "个"), "C32", 5, (12, "35.00")),
    ("GS-001", ("PVC pipe 50", "PVC管 50"), "material", ("metre", "米"), "DN50", 20, (24, "9.60")),
    ("GJ-001", ("Pipe wrench", "管钳"), "tool", ("piece", "把"), "14\"", 2, (3, "65.00")),
    ("SB-001", ("Submersible pump", "潜水泵"), "equipment", ("set", "台"), "1.5 kW", 1, (2, "860.00")),
]
CLEANING = [
    ("BJ-001", ("Floor cleaner", "地面清洁剂"), "material", ("bottle", "瓶"), "5 L", 10, (24, "36.00")),
    ("BJ-002", ("Rubbish bags", "垃圾袋"), "material", ("roll", "卷"), "80×100", 50, (120, "6.50")),
]
SUPPLIERS = [("Huaxin Hardware", "华信五金"), ("Mingliang Electrical", "明亮电器"), ("Jiejing Cleaning Supplies", "洁净保洁用品")]


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def load(estate, users) -> None:
    if db.session.scalar(select(StoreRoom.id).where(StoreRoom.estate_id == estate.id).limit(1)):
        return
    # The supervisor both keeps the store and manages it (adds items, posts the count, reverses);
    # an estate without a demo supervisor gets no store room.
    sup = users.get("supervisor")
    if not _member(sup, estate):
        return
    now = utcnow()
    with acting_as(sup):
        main = services.add_store(sup, estate_id=estate.id, code="KF-1", name=t("Engineering store room", "工程库房"),
                                  location=t("Basement of building 1", "1号楼地下室"),
                                  note=t("Materials and tools of the maintenance team", "维修班组物料及工具"))
        clean = services.add_store(sup, estate_id=estate.id, code="KF-2", name=t("Cleaning supplies room", "保洁物料间"),
                                   location=t("Beside the management office", "管理处旁"))
        db.session.flush()
        items = {}
        for store, rows, supplier in ((main, ITEMS, 0), (clean, CLEANING, 2)):
            for code, name, kind, unit, spec, minimum, (qty, cost) in rows:
                item = services.add_item(sup, store, code=code, name=t(*name), kind=kind, unit=t(*unit), spec=spec,
                                         min_stock=Decimal(minimum))
                db.session.flush()
                services.receive(sup, item, quantity=Decimal(qty), unit_cost=Decimal(cost),
                                 supplier=t(*SUPPLIERS[supplier + (code.startswith("DQ"))]),
                                 invoice=f"FP{estate.id:02d}{len(items) + 1:04d}",
                                 moved_at=now - timedelta(days=60, hours=len(items)))
                items[code] = item
        depts = {d.code: d for d in db.session.scalars(select(Department))}
        maint = depts.get("maint") or next(iter(depts.values()), None)
        cleaning = depts.get("cleaning") or maint
        keeper = users.get("clerk") if _member(users.get("clerk"), estate) else sup
        if maint is not None:
            # Eight weeks of issues: taps, bulbs, wire to maintenance; bags and cleaner to cleaning.
            for week in range(8, 0, -1):
                at = now - timedelta(days=week * 7, hours=3)
                for code, qty, dept in (("WJ-001", 3, maint), ("DQ-001", 6, maint), ("DQ-002", 30, maint),
                                        ("WJ-002", 4, maint), ("BJ-002", 12, cleaning), ("BJ-001", 2, cleaning)):
                    services.issue(keeper, items[code], quantity=Decimal(qty), department_id=dept.id,
                                   received_by=t("Zhang Wei", "张伟"), note=t("Weekly issue", "每周领用"), moved_at=at)
                    at += timedelta(minutes=5)
            services.return_stock(keeper, items["DQ-002"], quantity=Decimal(12), department_id=maint.id,
                                  received_by=t("Zhang Wei", "张伟"), note=t("Left over after the job", "施工剩余退库"),
                                  moved_at=now - timedelta(days=6))
            wrong = services.issue(keeper, items["GS-001"], quantity=Decimal(10), department_id=maint.id,
                                   received_by=t("Liu Yang", "刘洋"), note=t("Typed the wrong item", "错选物料"),
                                   moved_at=now - timedelta(days=5))
            services.reverse(sup, wrong, reason=t("Wrong item: the pipe was not taken", "选错物料，实际未领用"))
        services.transfer(sup, items["WJ-002"], to_store_id=clean.id, quantity=Decimal(2),
                          note=t("For the cleaning room's sink", "保洁间水池维修备用"), moved_at=now - timedelta(days=4))
        count = services.start_count(sup, main, note=t("Monthly count", "月度盘点"))
        entries = {}
        for line in count.lines:
            short = line.item.code == "DQ-003"
            entries[line.id] = (line.book - 1 if short and line.book > 0 else line.book,
                                t("One breaker missing: not recorded when used", "缺一个空开，领用未登记") if short else "")
        services.post_count(sup, count, entries)
        db.session.flush()
