"""Billing services: items, prices by date and use, cycles, amounts, runs (idempotent, chunked,
concurrent), shared allocation, one-off bills, repair bills, voiding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.models import AuditLog, Building, Unit, utcnow
from plugins.fees import billing, ledger
from plugins.fees.models import Bill, BillingRun, CreditEntry, FeeItem, Meter, MeterReading

NOV = date(2026, 11, 1)
D = Decimal


def unit(db, estate, number):
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def item(estate, code, kind="area", price="2.80", valid_from=date(2026, 1, 1), **kw):
    data = dict(code=code, name=kw.pop("name", code.title()), kind=kind, cycle=kw.pop("cycle", "monthly"))
    data.update(kw)
    it = billing.create_item(estate, data)
    if price is not None:
        billing.add_price(it, price=D(price), valid_from=valid_from)
    return it


def reading(db, meter, period, previous, value):
    r = MeterReading(estate_id=meter.estate_id, meter_id=meter.id, period=period, previous=D(previous),
                     value=D(value), usage=D(value) - D(previous), read_on=period)
    db.session.add(r)
    db.session.flush()
    return r


def bills_of(db, estate, **kw):
    stmt = select(Bill).where(Bill.estate_id == estate.id, Bill.voided_at.is_(None))
    for k, v in kw.items():
        stmt = stmt.where(getattr(Bill, k) == v)
    return list(db.session.scalars(stmt.order_by(Bill.unit_id)))


@pytest.fixture
def e1(db, estates):
    return estates[0]


@pytest.fixture
def mgr(make_user, estates):
    return make_user("manager", [estates[0]], username="mgr1")


# --- periods and prices -------------------------------------------------------------------

def test_period_start_and_cycles(db, e1):
    assert billing.period_start(date(2026, 11, 17)) == NOV
    heat = item(e1, "HEAT", cycle="yearly", cycle_start_month=11)
    quarter = item(e1, "QTR", kind="fixed", cycle="quarterly", price="30")
    from plugins.fees.periods import billed_in, period_end

    assert [m for m in range(1, 13) if billed_in(heat, date(2026, m, 1))] == [11]
    assert [m for m in range(1, 13) if billed_in(quarter, date(2026, m, 1))] == [1, 4, 7, 10]
    assert period_end(heat, NOV) == date(2027, 10, 31)
    assert period_end(quarter, date(2026, 4, 1)) == date(2026, 6, 30)


def test_price_for_by_date_and_use(db, e1):
    prop = item(e1, "PROP", price="2.50", valid_from=date(2025, 1, 1))
    billing.add_price(prop, price=D("2.80"), valid_from=date(2026, 7, 1))
    billing.add_price(prop, price=D("5.5000"), valid_from=date(2026, 1, 1), unit_use="shop")
    assert billing.price_for(prop, "residence", date(2024, 12, 31)) is None
    assert billing.price_for(prop, "residence", date(2026, 6, 30)).price == D("2.50")
    assert billing.price_for(prop, "residence", date(2026, 7, 1)).price == D("2.80")
    assert billing.price_for(prop, "shop", date(2026, 7, 1)).price == D("5.5")
    assert billing.price_for(prop, "shop", date(2025, 12, 1)).price == D("2.50")  # general one before
    first = [p for p in billing.item_prices(prop.id) if p.valid_from == date(2025, 1, 1)][0]
    assert first.valid_to == date(2026, 6, 30)  # the new price closed it


def test_prices_never_overlap_and_are_checked(db, e1):
    prop = item(e1, "PROP")
    with pytest.raises(DomainError) as exc:
        billing.add_price(prop, price=D("3.00"), valid_from=date(2026, 1, 1))
    assert exc.value.field == "valid_from"
    with pytest.raises(DomainError):
        billing.add_price(prop, price=D("3.00"), valid_from=date(2025, 6, 1))  # before the current one
    for bad, field in ((D("-1"), "price"), (D("0"), "price"), (D("1.23456"), "price")):
        with pytest.raises(DomainError) as exc:
            billing.add_price(prop, price=bad, valid_from=date(2027, 1, 1))
        assert exc.value.field == field
    with pytest.raises(DomainError):
        billing.add_price(prop, price=D("3"), valid_from=date(2027, 1, 1), unit_use="castle")
    assert len(billing.item_prices(prop.id)) == 1


def test_used_price_is_never_edited_and_not_closed_under_bills(db, e1, mgr):
    prop = item(e1, "PROP")
    price = billing.item_prices(prop.id)[0]
    billing.update_price(price, price=D("2.90"), valid_from=date(2026, 1, 1), valid_to=None)  # unused: fine
    billing.run_billing(e1, NOV, mgr.id)
    with pytest.raises(DomainError) as exc:
        billing.update_price(price, price=D("3.10"), valid_from=date(2026, 1, 1), valid_to=None)
    assert "cannot change" in exc.value.message
    with pytest.raises(DomainError):  # November was billed at 2.90
        billing.add_price(prop, price=D("3.10"), valid_from=date(2026, 10, 1))
    billing.add_price(prop, price=D("3.10"), valid_from=date(2026, 12, 1))
    assert billing.price_for(prop, "", NOV).price == D("2.90")
    assert billing.price_for(prop, "", date(2026, 12, 1)).price == D("3.10")


# --- items ----------------------------------------------------------------------------------

def test_item_codes_unique_per_estate_and_validated(db, estates):
    e1, e2 = estates
    item(e1, "PROP")
    with pytest.raises(DomainError) as exc:
        item(e1, "prop")
    assert exc.value.field == "code"
    item(e2, "PROP")  # another estate may use the code
    bad = [
        (dict(code="X Y", name="n", kind="area"), "code"),
        (dict(code="SH", name="n", kind="shared", meter_kind="electricity"), "allocation"),
        (dict(code="SH", name="n", kind="meter"), "meter_kind"),
        (dict(code="SH", name="n", kind="area", cycle="weekly"), "cycle"),
        (dict(code="SH", name="n", kind="area", cycle="yearly", cycle_start_month=13), "cycle_start_month"),
        (dict(code="SH", name="n", kind="area", due_days=-1), "due_days"),
        (dict(code="SH", name="", kind="area"), "name"),
        (dict(code="SH", name="n", kind="area", unit_uses=["castle"]), "unit_uses"),
    ]
    for data, field in bad:
        with pytest.raises(DomainError) as exc:
            billing.create_item(e1, data)
        assert exc.value.field == field, data
    assert db.session.scalar(select(func.count(FeeItem.id)).where(FeeItem.estate_id == e1.id)) == 1


def test_deactivated_item_is_not_billed_and_kind_is_kept(db, e1, mgr):
    prop = item(e1, "PROP")
    billing.run_billing(e1, NOV, mgr.id)
    with pytest.raises(DomainError) as exc:
        billing.update_item(prop, dict(code="PROP", name="Prop", kind="fixed"))
    assert exc.value.field == "kind"
    billing.set_item_active(prop, False)
    run = billing.run_billing(e1, date(2026, 12, 1), mgr.id)
    assert run.bills_created == 0
    assert db.session.get(FeeItem, prop.id) is not None  # kept


# --- amounts --------------------------------------------------------------------------------

def test_area_fixed_and_yearly_amounts(db, e1, mgr):
    item(e1, "PROP", price="2.80", due_days=15)
    item(e1, "PARK", kind="fixed", price="150", unit_uses=["residence"])
    item(e1, "HEAT", price="3.3333", cycle="yearly", cycle_start_month=11)
    item(e1, "SHOP", price="9", unit_uses=["shop"])  # no shop in E01
    run = billing.run_billing(e1, NOV, mgr.id)
    assert run.state == "done" and run.progress == 100
    assert run.bills_created == 9
    u = unit(db, e1, "1-1-101")
    by_code = {b.item.code: b for b in bills_of(db, e1, unit_id=u.id)}
    assert set(by_code) == {"PROP", "PARK", "HEAT"}
    prop = by_code["PROP"]
    assert (prop.quantity, prop.unit_price, prop.amount) == (D("98.50"), D("2.80"), D("275.80"))
    assert prop.due_date == date(2026, 11, 16) and prop.period_end == date(2026, 11, 30)
    assert prop.dedupe_key == f"run:{prop.item_id}:{u.id}:2026-11" and prop.run_id == run.id
    assert abs((prop.created_at - utcnow()).total_seconds()) < 60 and prop.created_by_id == mgr.id
    assert by_code["PARK"].amount == D("150.00")
    heat = by_code["HEAT"]
    assert heat.quantity == D("1182.00") and heat.amount == D("3939.96")  # 98.50 × 12 × 3.3333, half up
    assert heat.period_end == date(2027, 10, 31)
    assert run.amount == 3 * (D("275.80") + D("150.00") + D("3939.96"))
    dec = billing.run_billing(e1, date(2026, 12, 1), mgr.id)
    assert dec.bills_created == 6  # no heating in December


def test_rounding_half_up(db, e1, mgr):
    item(e1, "PROP", price="0.0050")
    u = unit(db, e1, "1-1-101")
    u.area = D("1.00")
    db.session.flush()
    billing.run_billing(e1, NOV, mgr.id)
    assert bills_of(db, e1, unit_id=u.id)[0].amount == D("0.01")


def test_meter_item_bills_usage_and_skips_missing(db, e1, mgr):
    water = item(e1, "WATER", kind="meter", meter_kind="water", price="4.10")
    u1, u2 = unit(db, e1, "1-1-101"), unit(db, e1, "1-1-102")
    m1 = billing.save_meter(e1, dict(code="W101", kind="water", unit_id=u1.id))
    billing.save_meter(e1, dict(code="W102", kind="water", unit_id=u2.id))
    r = reading(db, m1, NOV, "100.00", "112.50")
    run = billing.run_billing(e1, NOV, mgr.id)
    bill = bills_of(db, e1, item_id=water.id)
    assert len(bill) == 1
    assert (bill[0].quantity, bill[0].amount, bill[0].reading_id) == (D("12.50"), D("51.25"), r.id)
    assert run.skipped == 2
    assert "1-1-102" in run.messages and "no meter reading" in run.messages
    assert "3-2-1201" in run.messages and "no meter of this kind" in run.messages


def test_shared_meter_allocation_sums_exactly(db, e1, mgr):
    share = item(e1, "SHARE", kind="shared", meter_kind="electricity", allocation="equal", price="1.00")
    m = billing.save_meter(e1, dict(code="COMMON", kind="electricity", item_id=share.id))
    reading(db, m, NOV, "0", "100.00")
    billing.run_billing(e1, NOV, mgr.id)
    amounts = [b.amount for b in bills_of(db, e1, item_id=share.id)]
    assert amounts == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(amounts) == D("100.00")


def test_shared_by_area_within_a_building(db, e1, mgr):
    share = item(e1, "SHARE", kind="shared", meter_kind="electricity", allocation="area", price="0.5283")
    b1 = db.session.scalar(select(Building).where(Building.estate_id == e1.id, Building.code == "1"))
    unit(db, e1, "1-1-102").area = D("50.00")
    m = billing.save_meter(e1, dict(code="B1", kind="electricity", item_id=share.id, building_id=b1.id))
    reading(db, m, NOV, "1000", "1777.77")
    billing.run_billing(e1, NOV, mgr.id)
    bills = bills_of(db, e1, item_id=share.id)
    total = ledger.money(D("777.77") * D("0.5283"))
    assert len(bills) == 2  # only building 1 shares it
    assert sum(b.amount for b in bills) == total
    assert bills[0].amount > bills[1].amount  # 98.50 m² vs 50 m²


def test_skips_no_area_and_no_price(db, e1, mgr):
    item(e1, "PROP", price=None)
    item(e1, "PARK", kind="fixed", price="100")
    unit(db, e1, "1-1-102").area = None
    p = billing.create_item(e1, dict(code="AREA2", name="Area 2", kind="area"))
    billing.add_price(p, price=D("1"), valid_from=date(2026, 1, 1))
    preview = billing.preview_run(e1, NOV)
    lines = {x.item.code: x for x in preview.lines}
    assert lines["PROP"].to_create == 0 and lines["PROP"].skipped == {"no_price": 3}
    assert lines["AREA2"].to_create == 2 and lines["AREA2"].skipped == {"no_area": 1}
    assert lines["PARK"].to_create == 3 and lines["PARK"].amount == D("300.00")
    assert db.session.scalar(select(func.count(Bill.id))) == 0  # preview changes nothing
    run = billing.run_billing(e1, NOV, mgr.id)
    assert run.bills_created == preview.to_create == 5
    assert run.skipped == preview.skipped == 4


# --- idempotency and concurrency -----------------------------------------------------------

def test_run_twice_creates_nothing_new(db, e1, mgr):
    item(e1, "PROP")
    first = billing.run_billing(e1, NOV, mgr.id)
    db.session.commit()
    second = billing.run_billing(e1, NOV, mgr.id)
    db.session.commit()
    assert (first.bills_created, second.bills_created, second.bills_existing) == (3, 0, 3)
    assert len(bills_of(db, e1)) == 3
    preview = billing.preview_run(e1, NOV)
    assert (preview.to_create, preview.existing) == (0, 3)


def test_interleaved_runs_cannot_double_bill(db, e1, mgr):
    item(e1, "PROP")
    item(e1, "PARK", kind="fixed", price="100")
    a = billing.start_run(e1, NOV, mgr.id)
    b = BillingRun(estate_id=e1.id, period=NOV, state="running", unit_count=3)  # a second run of the month
    db.session.add(b)
    db.session.flush()
    billing.run_step(a, mgr.id, chunk=1)
    billing.run_step(b, mgr.id, chunk=2)
    while a.state == "running" or b.state == "running":
        billing.run_step(a, mgr.id, chunk=1)
        billing.run_step(b, mgr.id, chunk=1)
    assert len(bills_of(db, e1)) == 6
    assert a.bills_created + b.bills_created == 6
    assert db.session.scalar(select(func.count(func.distinct(Bill.dedupe_key)))) == 6


def test_unique_index_refuses_a_second_live_bill(db, e1, mgr):
    item(e1, "PROP")
    billing.run_billing(e1, NOV, mgr.id)
    db.session.commit()
    row = {c: getattr(bills_of(db, e1)[0], c) for c in (
        "estate_id", "unit_id", "item_id", "period_start", "period_end", "due_date", "quantity", "unit_price",
        "amount", "paid", "state", "source", "dedupe_key")}
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Bill), [row])
    db.session.rollback()
    db.session.execute(billing._insert_stmt(), [row])  # the run's insert skips it silently
    assert len(bills_of(db, e1)) == 3


def test_running_run_is_resumed_and_progress_moves(db, e1, mgr):
    item(e1, "PROP")
    run = billing.start_run(e1, NOV, mgr.id)
    assert billing.start_run(e1, NOV, mgr.id).id == run.id
    seen = []
    while run.state == "running":
        run = billing.run_step(run, mgr.id, chunk=1)
        seen.append(run.progress)
    assert seen == [33, 66, 99, 100]
    assert run.bills_created == 3 and run.finished_at is not None


def test_voided_bill_is_billed_again_by_the_next_run(db, e1, mgr):
    item(e1, "PROP")
    billing.run_billing(e1, NOV, mgr.id)
    bill = bills_of(db, e1)[0]
    billing.void_bill(bill, "wrong area on file", mgr.id)
    assert bill.state == "void" and bill.void_reason == "wrong area on file"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "fees_bill",
                                                     AuditLog.record_id == str(bill.id)))
    assert audit.action == "void" and audit.estate_id == e1.id
    assert audit.changes["void_reason"] == [None, "wrong area on file"]
    assert audit.changes["state"] == ["open", "void"]
    run = billing.run_billing(e1, NOV, mgr.id)
    assert run.bills_created == 1 and len(bills_of(db, e1)) == 3


def test_run_applies_prepaid_credit(db, e1, mgr):
    item(e1, "PROP")
    u = unit(db, e1, "1-1-101")
    db.session.add(CreditEntry(estate_id=e1.id, unit_id=u.id, kind="prepaid", amount=D("300.00")))
    db.session.flush()
    billing.run_billing(e1, NOV, mgr.id)
    bill = bills_of(db, e1, unit_id=u.id)[0]
    assert (bill.paid, bill.state) == (D("275.80"), "paid")
    assert ledger.credit_balance(u.id) == D("24.20")


def test_period_must_be_a_date(db, e1, mgr):
    with pytest.raises(DomainError) as exc:
        billing.run_billing(e1, "2026-11", mgr.id)
    assert exc.value.field == "period"


# --- one-off bills, repairs, voiding ----------------------------------------------------------

def test_add_bill_validates_and_dedupes(db, estates, mgr):
    e1, e2 = estates
    fee = item(e1, "DECO", kind="oneoff", price=None, due_days=10)
    u = unit(db, e1, "3-2-1201")
    bill = billing.add_bill(e1, u, fee, D("300.00"), "Decoration management fee", source="decoration",
                            source_ref="ZX-2026-0001", user_id=mgr.id, on=date(2026, 11, 20))
    assert (bill.amount, bill.period_start, bill.due_date, bill.dedupe_key) == (
        D("300.00"), NOV, date(2026, 11, 30), "decoration:ZX-2026-0001")
    again = billing.add_bill(e1, u, fee, D("300.00"), "again", source="decoration", source_ref="ZX-2026-0001")
    assert again.id == bill.id
    for amount in (D("-1"), D("0"), D("1.234")):
        with pytest.raises(DomainError) as exc:
            billing.add_bill(e1, u, fee, amount, "x")
        assert exc.value.field == "amount"
    with pytest.raises(DomainError):
        billing.add_bill(e1, unit(db, e2, "1-1-101"), fee, D("1"), "other estate's unit")
    with pytest.raises(DomainError):
        billing.add_bill(e1, u, fee, D("1"), "x", source="gift")
    assert len(bills_of(db, e1)) == 1


def test_bill_repair_is_idempotent_and_only_for_paid_repairs(db, e1):
    u = unit(db, e1, "1-1-101")
    repair = SimpleNamespace(id=7, number="BX-2026-0007", estate_id=e1.id, unit_id=u.id, paid=True, fee=D("50.00"))
    bill = billing.bill_repair(repair)
    assert billing.bill_repair(repair).id == bill.id
    assert (bill.amount, bill.source, bill.dedupe_key, bill.item.code) == (D("50.00"), "repair", "repair:7", "REPAIR")
    assert billing.bill_repair(SimpleNamespace(id=8, number="x", estate_id=e1.id, unit_id=u.id, paid=False,
                                               fee=None)) is None
    assert billing.bill_repair(SimpleNamespace(id=9, number="x", estate_id=e1.id, unit_id=None, paid=True,
                                               fee=D("5"))) is None
    assert len(bills_of(db, e1)) == 1


def test_void_bill_rules(db, e1, mgr, make_user):
    item(e1, "PROP")
    billing.run_billing(e1, NOV, mgr.id)
    bill = bills_of(db, e1)[0]
    with pytest.raises(DomainError) as exc:
        billing.void_bill(bill, "no", mgr.id)
    assert exc.value.field == "reason"
    cashier = make_user("cashier", [e1])
    ledger.take_payment(estate=e1, unit_id=bill.unit_id, cashier_id=cashier.id, method="cash",
                        amount=D("100.00"), bills=[(bill.id, D("100.00"), D("0.00"))])
    bill = db.session.get(Bill, bill.id)
    with pytest.raises(DomainError) as exc:
        billing.void_bill(bill, "wrong area on file", mgr.id)
    assert "100.00" in exc.value.message
    assert bill.voided_at is None and bill.state == "partial"


def test_meters_are_validated(db, estates):
    e1, e2 = estates
    share = item(e1, "SHARE", kind="shared", meter_kind="electricity", allocation="equal")
    water = item(e1, "WATER", kind="meter", meter_kind="water")
    billing.save_meter(e1, dict(code="M1", kind="water", unit_id=unit(db, e1, "1-1-101").id))
    cases = [
        (dict(code="M1", kind="water", unit_id=unit(db, e1, "1-1-102").id), "code"),
        (dict(code="M2", kind="steam"), "kind"),
        (dict(code="M2", kind="water", unit_id=unit(db, e2, "1-1-101").id), "unit"),
        (dict(code="M2", kind="electricity"), "item_id"),
        (dict(code="M2", kind="electricity", item_id=water.id), "item_id"),
        (dict(code="M2", kind="water", item_id=share.id), "item_id"),
    ]
    for data, field in cases:
        with pytest.raises(DomainError) as exc:
            billing.save_meter(e1, data)
        assert exc.value.field == field, data
    assert db.session.scalar(select(func.count(Meter.id))) == 1


def test_concurrent_runs_in_two_sessions_cannot_double_bill(app, db, e1, mgr):
    """Two runs of the same month working at the same time, each in its own session and
    transactions (two office computers, as POST requests: SQLite writes BEGIN IMMEDIATE):
    every bill exists once."""
    import threading

    from core.db import immediate

    item(e1, "PROP")
    item(e1, "PARK", kind="fixed", price="100")
    db.session.commit()
    estate_id, user_id = e1.id, mgr.id
    errors = []
    barrier = threading.Barrier(2)

    def work():
        try:
            with app.app_context(), immediate():
                run = BillingRun(estate_id=estate_id, period=NOV, state="running", unit_count=3)
                db.session.add(run)
                db.session.commit()
                barrier.wait(timeout=10)
                while run.state == "running":
                    run = billing.run_step(run, user_id, chunk=1)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    db.session.rollback()  # end this session's read snapshot: see what the threads committed
    runs = db.session.scalars(select(BillingRun)).all()
    assert len(bills_of(db, e1)) == 6
    assert sum(r.bills_created for r in runs) == 6 and {r.state for r in runs} == {"done"}


def test_void_refused_when_a_payment_lands_meanwhile(db, e1, mgr):
    from sqlalchemy import update

    item(e1, "PROP")
    billing.run_billing(e1, NOV, mgr.id)
    bill = bills_of(db, e1)[0]
    assert bill.paid == 0  # what the manager's page showed
    db.session.execute(update(Bill).where(Bill.id == bill.id).values(paid=D("10.00"), state="partial")
                       .execution_options(synchronize_session=False))  # a cashier, meanwhile
    with pytest.raises(DomainError) as exc:
        billing.void_bill(bill, "wrong area on file", mgr.id)
    assert "just taken" in exc.value.message
    db.session.expire_all()
    assert db.session.get(Bill, bill.id).voided_at is None


def test_completing_a_paid_repair_bills_the_unit_through_the_hook(db, e1, make_user):
    from core.audit import acting_as
    from plugins.repairs import services

    clerk, sup, tech = make_user("clerk", [e1]), make_user("supervisor", [e1]), make_user("technician", [e1])
    u = unit(db, e1, "3-2-1201")
    with acting_as(clerk):
        repair = services.record(clerk, estate_id=e1.id, unit_id=u.id, contact_name="王芳", contact_phone="13800001234",
                                 category="water", description="厨房水龙头漏水", channel="phone", paid=True)
    with acting_as(sup):
        services.dispatch(sup, repair, tech.id)
    with acting_as(tech):
        services.accept(tech, repair)
        services.complete(tech, repair, work_done="更换阀芯", minutes_spent=30, fee=D("80.00"))
    db.session.commit()
    bills = bills_of(db, e1, unit_id=u.id)
    assert [(b.amount, b.source, b.dedupe_key) for b in bills] == [(D("80.00"), "repair", f"repair:{repair.id}")]
    assert repair.number in bills[0].description


def test_quarterly_item_is_billed_only_in_its_months_for_three_months(db, e1, mgr):
    qtr = item(e1, "QTR", kind="fixed", cycle="quarterly", cycle_start_month=1, price="40")
    feb = billing.run_billing(e1, date(2026, 2, 1), mgr.id)
    apr = billing.run_billing(e1, date(2026, 4, 1), mgr.id)
    assert (feb.bills_created, apr.bills_created) == (0, 3)
    bill = bills_of(db, e1, item_id=qtr.id)[0]
    assert (bill.quantity, bill.amount, bill.period_start, bill.period_end) == (
        D("3"), D("120.00"), date(2026, 4, 1), date(2026, 6, 30))
