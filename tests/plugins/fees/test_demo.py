"""The demo data of the fees plugin: items and prices, fourteen months of runs and receipts,
arrears of several ages, reminders, a voided receipt and one confirmed daily close — all
consistent with the ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.extensions import db as _db
from core.models import Unit
from core.testing import make_estate
from plugins.fees import arrears, demo, ledger
from plugins.fees.models import BillingRun, DailyClose, FeeItem, FeePrice, Payment, Reminder


def _count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_loads_items_bills_payments_arrears_and_a_close(app, db, make_user):
    numbers = [f"{b}-1-{f}0{r}" for b in (1, 2) for f in range(1, 8) for r in (1, 2)]
    estate = make_estate("D01", "Demo Garden", units=numbers)
    for unit in db.session.scalars(select(Unit).where(Unit.estate_id == estate.id, Unit.floor == 1)):
        unit.use = "shop"
    db.session.commit()
    users = {"manager": make_user("manager", [estate], username="dmgr"),
             "cashier": make_user("cashier", [estate], username="dcash")}
    demo.load(estate, users)
    db.session.commit()

    codes = set(db.session.scalars(select(FeeItem.code).where(FeeItem.estate_id == estate.id)))
    assert codes == {"PSF", "WATER", "SHARED-E", "PARK", "DECO-DEP"}
    psf_uses = set(db.session.scalars(select(FeePrice.unit_use).join(FeeItem).where(FeeItem.code == "PSF")))
    assert psf_uses == {"residence", "shop"}
    runs = db.session.scalars(select(BillingRun).where(BillingRun.estate_id == estate.id)).all()
    assert len(runs) == demo.MONTHS and {r.state for r in runs} == {"done"}
    assert _count(Payment, Payment.estate_id == estate.id) > 50
    assert _count(Payment, Payment.voided_at.is_not(None)) == 1
    today = ledger.business_date_of(estate)
    summary = arrears.summary([estate.id], today)
    assert sum(1 for b in (1, 3, 6, 12) if summary.units_by_bucket[b]) >= 3, summary.units_by_bucket
    assert isinstance(summary.total, Decimal) and summary.total > 0
    notices = db.session.scalars(select(Reminder).where(Reminder.method == "notice")).all()
    assert notices and len({r.batch for r in notices}) == 1
    assert _count(Reminder, Reminder.method == "phone") == 1
    close = db.session.scalar(select(DailyClose).where(DailyClose.estate_id == estate.id))
    assert close.state == "confirmed" and close.receipt_count >= 1
    for unit_id in db.session.scalars(select(Unit.id).where(Unit.estate_id == estate.id)):
        assert ledger.balance(unit_id) == sum((e.amount for e in ledger.statement(unit_id)), Decimal(0))
