"""Property tests of the ledger (hypothesis): for any bills and payments — random amounts,
partial payments, prepayments, credit used, deposits and voids — the books always balance:

* the sum of a unit's live receipts = what its bills have been paid + its prepaid credit
  + the deposits it holds;
* ``balance(unit)`` = the sum of ``statement(unit)``;
* every bill's ``paid`` = its live receipt lines + the credit applied to it, and never more
  than its amount.
"""

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import DomainError
from core.models import Unit
from plugins.fees import ledger
from plugins.fees.models import Bill, CreditEntry, Deposit, Payment, PaymentLine
from tests.plugins.fees.test_desk_kit import make_bill, shop_fixture  # noqa: F401

D = Decimal
CENTS = st.integers(min_value=1, max_value=200_000)

OPS = st.lists(st.one_of(
    st.tuples(st.just("bill"), CENTS),
    st.tuples(st.just("pay"), st.lists(st.integers(0, 9), max_size=4), st.sampled_from(
        ["exact", "partial", "prepay", "over"]), CENTS),
    st.tuples(st.just("prepay"), CENTS),
    st.tuples(st.just("deposit"), CENTS),
    st.tuples(st.just("credit")),
    st.tuples(st.just("void"), st.integers(0, 9)),
), min_size=1, max_size=14)

_units = iter(range(10_000, 100_000))


def new_unit(db, estate):
    base = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id))
    unit = Unit(estate_id=estate.id, building_id=base.building_id, number=f"9-9-{next(_units)}", use="residence")
    db.session.add(unit)
    db.session.commit()
    return unit


def total(db, stmt):
    return ledger.money(db.session.scalar(stmt) or 0)


def check_books(db, unit):
    db.session.expire_all()
    receipts = total(db, select(func.sum(Payment.amount)).where(Payment.unit_id == unit.id,
                                                                Payment.voided_at.is_(None)))
    bills = list(db.session.scalars(select(Bill).where(Bill.unit_id == unit.id)))
    paid = sum((b.paid for b in bills), D("0"))
    held = total(db, select(func.sum(Deposit.amount)).where(Deposit.unit_id == unit.id, Deposit.state == "held"))
    credit = ledger.credit_balance(unit.id)
    assert credit >= 0
    assert receipts == paid + credit + held
    assert ledger.balance(unit.id) == sum((e.amount for e in ledger.statement(unit.id)), D("0"))
    for b in bills:
        lines = total(db, select(func.sum(PaymentLine.amount)).join(Payment).where(
            PaymentLine.bill_id == b.id, Payment.voided_at.is_(None)))
        applied = -total(db, select(func.sum(CreditEntry.amount)).where(
            CreditEntry.bill_id == b.id, CreditEntry.kind.in_(("applied", "unapplied"))))
        assert b.paid == lines + applied, (b.id, b.paid, lines, applied)
        assert D("0") <= b.paid <= b.amount
        assert b.state == ledger.bill_state(b.amount, b.paid)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=OPS)
@example(ops=[("bill", 411), ("pay", [0], "partial", 1), ("pay", [0], "exact", 1)])  # 2.06 + 2.05 == 4.11
def test_the_books_always_balance(db, shop, ops):
    unit = new_unit(db, shop.e1)
    month = 0
    for op in ops:
        try:
            if op[0] == "bill":
                month += 1
                make_bill(db, unit, shop.fee, (month - 1) % 12 + 1, D(op[1]) / 100, year=2020 + month // 12)
            elif op[0] == "pay":
                _pay(shop, unit, *op[1:])
            elif op[0] == "prepay":
                ledger.take_payment(estate=shop.e1, unit_id=unit.id, cashier_id=shop.cashier.id, method="wechat",
                                    amount=D(op[1]) / 100, bills=[], prepay=True)
            elif op[0] == "deposit":
                ledger.take_payment(estate=shop.e1, unit_id=unit.id, cashier_id=shop.cashier.id, method="card",
                                    amount=D(op[1]) / 100, bills=[], deposit_item_id=shop.deposit.id)
            elif op[0] == "credit":
                ledger.apply_credit(unit.id, shop.e1.id)
            elif op[0] == "void":
                live = list(db.session.scalars(select(Payment).where(
                    Payment.unit_id == unit.id, Payment.voided_at.is_(None)).order_by(Payment.id)))
                if live:
                    ledger.void_payment(live[op[1] % len(live)], "property test", shop.manager.id)
            db.session.commit()
        except DomainError:
            db.session.rollback()
        check_books(db, unit)


def _pay(shop, unit, picks, mode, cents):
    open_bills = ledger.open_bills(unit.id)
    chosen = list(dict.fromkeys(open_bills[i % len(open_bills)] for i in picks)) if open_bills else []
    parts = [(b.id, b.amount - b.paid, b.paid) for b in chosen]
    owed = sum((p[1] for p in parts), D("0"))
    extra = D(cents) / 100
    prepay = False
    if mode == "partial" and parts:
        last = parts[-1]
        part = min(last[1], max(D("0.01"), ledger.money(last[1] / 2)))
        parts[-1] = (last[0], part, last[2])
        owed = sum((p[1] for p in parts), D("0"))
    elif mode == "prepay":
        owed += extra
        prepay = True
    elif mode == "over":
        owed += extra  # without prepay: must be refused
    amount = owed if owed > 0 else extra
    ledger.take_payment(estate=shop.e1, unit_id=unit.id, cashier_id=shop.cashier.id, method="cash",
                        amount=amount, bills=parts, prepay=prepay or (not parts and mode != "over"))
