"""Demo fees (``make run``): fee items and published prices, meters and readings, fourteen
months of billing runs, payments by owners who pay monthly, quarterly, in advance or have
stopped paying (arrears of every age), decoration deposits, a voided receipt, reminders and
one daily close.

Everything goes through the plugin's services (``billing.run_billing``,
``ledger.take_payment``, ``close.close_day``…) with back-dated times; only meter readings are
written as rows (the reading checks are about people typing, not about generated data).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Building, Unit, utcnow
from plugins.fees import arrears, billing, ledger
from plugins.fees.models import MeterReading, Payment
from plugins.fees.periods import add_months

MONTHS = 14
METHOD_WEIGHTS = (("cash", 30), ("wechat", 30), ("alipay", 15), ("card", 15), ("transfer", 10))
AREA_PRICES = {"residence": "2.80", "shop": "5.50", "office": "4.20", "plant": "1.60"}
START = "2020-01-01"


def _items(estate, first: date) -> dict:
    """Property service fee per m² by use, water by meter, shared electricity, parking, deposit."""
    since = first - timedelta(days=31)
    uses = sorted({u for (u,) in db.session.execute(select(Unit.use).where(Unit.estate_id == estate.id)).all()})
    items = {}
    items["psf"] = billing.create_item(estate, {"code": "PSF", "name": demo_text("Property service fee", "物业服务费"),
                                                "kind": "area", "cycle": "monthly", "due_days": 30, "sequence": 1})
    for use in uses:
        billing.add_price(items["psf"], price=Decimal(AREA_PRICES.get(use, "3.00")), valid_from=since,
                          unit_use=use, basis=demo_text("Price bureau notice 2019-12", "市发改委物业服务收费标准（2019年12月）"))
    items["water"] = billing.create_item(estate, {"code": "WATER", "name": demo_text("Water", "水费"),
                                                  "kind": "meter", "meter_kind": "water", "on_behalf": True,
                                                  "due_days": 30, "sequence": 2})
    billing.add_price(items["water"], price=Decimal("4.10"), valid_from=since, basis=demo_text("Water company tariff", "自来水公司水价"))
    items["elec"] = billing.create_item(estate, {"code": "SHARED-E", "name": demo_text("Shared electricity", "公摊电费"),
                                                 "kind": "shared", "meter_kind": "electricity",
                                                 "allocation": "area", "due_days": 30, "sequence": 3})
    billing.add_price(items["elec"], price=Decimal("0.9800"), valid_from=since, basis=demo_text("Power company tariff", "供电局电价"))
    parking_uses = [u for u in uses if u in ("shop", "plant")]
    if parking_uses:
        items["parking"] = billing.create_item(estate, {"code": "PARK", "name": demo_text("Parking", "车位管理费"),
                                                        "kind": "fixed", "unit_uses": parking_uses,
                                                        "due_days": 30, "sequence": 4})
        billing.add_price(items["parking"], price=Decimal("150.00"), valid_from=since, basis=demo_text("Parking charges notice", "停车收费公示"))
    items["deposit"] = billing.create_item(estate, {"code": "DECO-DEP", "name": demo_text("Decoration deposit", "装修押金"),
                                                    "kind": "deposit", "sequence": 9})
    return items


def _meters(estate, items, units) -> tuple[list, list]:
    own = [billing.save_meter(estate, {"code": f"W-{u.number}", "kind": "water", "unit_id": u.id,
                                       "location": demo_text("Meter box", "水表井")}) for u in units]
    common = [billing.save_meter(estate, {"code": f"E-{b.code}", "kind": "electricity", "item_id": items["elec"].id,
                                          "building_id": b.id, "location": demo_text(f"{b.name} switch room", f"{b.name}配电房")})
              for b in db.session.scalars(select(Building).where(Building.estate_id == estate.id)
                                          .order_by(Building.code))]
    return own, common


def _read(rng, estate, meters, period: date, last: dict, common: bool) -> None:
    read_on = add_months(period, 1) - timedelta(days=3)
    for (meter_id,) in meters:
        usage = Decimal(rng.randint(600, 1400) if common else rng.randint(6, 22))
        previous = last.get(meter_id, Decimal(rng.randint(100, 900)))
        db.session.add(MeterReading(estate_id=estate.id, meter_id=meter_id, period=period, previous=previous,
                                    value=previous + usage, usage=usage, read_on=read_on))
        last[meter_id] = previous + usage
    db.session.flush()


def _when(rng, day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(9, 17), rng.randint(0, 59), tzinfo=tz).astimezone(UTC)


def _pay(rng, estate, unit_id: int, cashier, when: datetime, upto: date, share: Decimal = Decimal(1)):
    """Pay the unit's open bills of periods up to ``upto`` (all of them, or about ``share`` of them)."""
    bills = [b for b in ledger.open_bills(unit_id) if b.period_start <= upto]
    if share < 1:
        bills = bills[:max(1, int(len(bills) * share))]
    if not bills:
        return None
    parts = [(b.id, b.amount - b.paid, b.paid) for b in bills]
    total = sum((p[1] for p in parts), Decimal("0.00"))
    method = rng.choices([m for m, _w in METHOD_WEIGHTS], [w for _m, w in METHOD_WEIGHTS])[0]
    return ledger.take_payment(estate=estate, unit_id=unit_id, cashier_id=cashier.id, method=method, amount=total,
                               bills=parts, payer="", reference="" if method == "cash" else f"T{rng.randint(10**9, 10**10)}",
                               now=when)


def _profiles(rng, units) -> dict[int, tuple]:
    """How each unit pays: monthly, quarterly, in advance, or stopped some months ago."""
    out = {}
    forced = dict(zip((u.id for u in units[1:5]), (MONTHS, 10, 5, 3), strict=False))
    for u in units:
        if u.id in forced:  # every age of arrears shows, whatever the dice say
            out[u.id] = ("stopped", forced[u.id])
            continue
        roll = rng.randrange(100)
        if roll < 60:
            out[u.id] = ("monthly", None)
        elif roll < 80:
            out[u.id] = ("quarterly", None)
        elif roll < 86:
            out[u.id] = ("prepay", None)
        else:
            out[u.id] = ("stopped", rng.choice((MONTHS, 10, 8, 5, 3, 3, 2, 1)))
    return out


def load(estate, users) -> None:
    if not users.get("cashier") or not users.get("manager"):
        return
    rng = random.Random(4000 + estate.id)
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    today = ledger.business_date_of(estate)
    this_month = today.replace(day=1)
    months = [add_months(this_month, -i) for i in range(MONTHS - 1, -1, -1)]
    units = [SimpleNamespace(id=i, number=n) for i, n in db.session.execute(
        select(Unit.id, Unit.number).where(Unit.estate_id == estate.id).order_by(Unit.id)).all()]
    if not units:
        return
    manager, cashier = users["manager"], users["cashier"]
    with acting_as(manager):
        items = _items(estate, months[0])
        own, common = _meters(estate, items, units)
    own, common = [(m.id,) for m in own], [(m.id,) for m in common]
    profiles = _profiles(rng, units)
    last: dict = {}
    payments = []
    for index, period in enumerate(months):
        with acting_as(manager):
            _read(rng, estate, own, period, last, common=False)
            _read(rng, estate, common, period, last, common=True)
            billing.run_billing(estate, period, manager.id)
        months_ago = len(months) - 1 - index
        events = []
        for u in units:
            kind, stop = profiles[u.id]
            day = period + timedelta(days=rng.randint(4, 26))
            if kind == "stopped" and months_ago < stop:
                continue
            if (kind == "quarterly" or months_ago >= 4) and period.month % 3:
                continue  # older history: paid quarterly, or half-yearly before that (fewer receipts)
            if months_ago >= 7 and period.month % 6:
                continue
            if kind == "prepay" and index == 0:
                events.append((_when(rng, day, tz), u.id, "prepay"))
                continue
            if kind == "prepay":
                continue  # the runs use the credit
            events.append((_when(rng, day, tz), u.id, "pay"))
        with acting_as(cashier):
            for when, unit_id, what in sorted(events):
                if when >= utcnow() - timedelta(days=1):
                    continue  # yesterday and today: see below
                if what == "prepay":
                    p = ledger.take_payment(
                        estate=estate, unit_id=unit_id, cashier_id=cashier.id, method="transfer",
                        amount=Decimal("6000.00"), bills=[], prepay=True, note=demo_text("Paid in advance", "预存物业费"), now=when)
                else:
                    p = _pay(rng, estate, unit_id, cashier, when, period)
                if p is not None:  # keep ids, not objects: a small session stays fast
                    payments.append((p.id, p.business_date, p.method))
        db.session.flush()
    _deposits_voids_reminders(rng, estate, units, profiles, users, items, payments, today, tz)


def _deposits_voids_reminders(rng, estate, units, profiles, users, items, payments, today, tz) -> None:
    manager, cashier = users["manager"], users["cashier"]
    with acting_as(cashier):
        for u in units[5:8]:
            ledger.take_payment(estate=estate, unit_id=u.id, cashier_id=cashier.id, method="card",
                                amount=Decimal("2000.00"), bills=[], deposit_item_id=items["deposit"].id,
                                deposit_ref="ZX-demo", note=demo_text("Decoration deposit", "装修押金"),
                                now=_when(rng, today - timedelta(days=rng.randint(10, 40)), tz))
    recent = [pid for pid, day, method in payments if day < today - timedelta(days=2) and method == "cash"]
    if recent:
        with acting_as(manager):
            ledger.void_payment(db.session.get(Payment, recent[-1]), demo_text("Amount keyed in wrongly", "收款金额录入错误"),
                                manager.id, now=utcnow() - timedelta(days=2))
    with acting_as(manager):
        late = arrears.arrears_rows([estate.id], today, min_age=3, limit=6)
        chosen = [db.session.get(Unit, r.unit_id) for r in late]
        if chosen:
            arrears.print_notices(manager, chosen, today, today + timedelta(days=15), today,
                                  now=utcnow() - timedelta(days=40))
            arrears.log_reminder(manager, chosen[0], method="phone", sent_at=utcnow() - timedelta(days=20),
                                 note=demo_text("Called about the arrears", "电话提醒缴费"),
                                 response=demo_text("The owner promised to pay by the end of the month",
                                                    "业主称月底前缴清"),
                                 as_of=today)
    _daily_close(rng, estate, units, profiles, users, today, tz)


def _daily_close(rng, estate, units, profiles, users, today, tz) -> None:
    """Yesterday: a few payments at the desk, then the cashier's handover form, confirmed."""
    from core.security import users_with_permission
    from plugins.fees import close

    cashier = users["cashier"]
    if cashier.id not in {u.id for u in users_with_permission(estate.id, "fees.close")}:
        return
    receivers = close.receivers(estate.id, cashier.id)
    if not receivers:
        return
    yesterday = today - timedelta(days=1)
    payers = [u for u in units if profiles[u.id][0] in ("monthly", "quarterly")
              and ledger.open_bills(u.id)][:4]
    with acting_as(cashier):
        for u in payers:
            _pay(rng, estate, u.id, cashier, _when(rng, yesterday, tz), today)
        form = close.close_day(cashier, estate, yesterday, receivers[0].id, note=demo_text("Cash banked", "现金已存入银行"))
    with acting_as(receivers[0]):
        close.confirm(receivers[0], form, note=demo_text("Checked", "已核对"))
