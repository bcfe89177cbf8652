"""The money rules (plugins.fees.ledger): paying, refusing, voiding, credit, balances."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.models import AuditLog, utcnow
from core.testing import refused
from plugins.fees import ledger
from plugins.fees.models import Bill, CreditEntry, Deposit, Payment, PaymentLine
from tests.plugins.fees.test_desk_kit import count, make_bill, pay, shop_fixture  # noqa: F401

D = Decimal

def nothing_saved(db):
    assert count(db, Payment) == 0 and count(db, PaymentLine) == 0 and count(db, CreditEntry) == 0
    assert all(b.paid == 0 and b.state == "open" for b in db.session.scalars(select(Bill)))


def test_money_rounds_half_up_and_refuses_float():
    assert ledger.money("1.005") == D("1.01") and ledger.money(D("2.344")) == D("2.34")
    with pytest.raises(TypeError):
        ledger.money(0.1)


def test_allocate_always_sums_to_the_total():
    assert ledger.allocate(D("100.00"), [D(1)] * 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(ledger.allocate(D("10.01"), [D("98.5"), D("120.3"), D("0")])) == D("10.01")


def test_a_payment_issues_a_numbered_receipt_and_pays_the_bills(db, shop):
    b1 = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    b2 = make_bill(db, shop.unit, shop.fee, 2, "256.10")
    p = pay(shop, [b1, b2], payer="王芳")
    db.session.commit()
    year = p.received_at.astimezone(ledger.ZoneInfo("Asia/Shanghai")).year
    assert p.number == f"SJ-E01-{year}-000001" and p.seq == 1 and p.amount == D("512.20")
    assert p.stamp == "cash" and p.payer == "王芳"
    assert [(ln.kind, ln.bill_id, ln.amount) for ln in p.lines] == [("bill", b1.id, D("256.10")),
                                                                     ("bill", b2.id, D("256.10"))]
    db.session.expire_all()
    assert {b.state for b in db.session.scalars(select(Bill))} == {"paid"}
    assert ledger.balance(shop.unit.id) == 0
    p2 = pay(shop, [], amount=D("100"), prepay=True)
    assert p2.number.endswith("-000002") and ledger.credit_balance(shop.unit.id) == D("100.00")
    assert p2.stamp == "cash"


def test_partial_payment_leaves_the_bill_partly_paid(db, shop):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    pay(shop, [(b.id, D("100.00"), D("0"))])
    db.session.expire_all()
    b = db.session.get(Bill, b.id)
    assert b.paid == D("100.00") and b.state == "partial" and ledger.outstanding(shop.unit.id) == D("156.10")


@pytest.mark.parametrize("amount,message", [
    (D("-5"), "The amount must be more than zero."),
    (D("0"), "The amount must be more than zero."),
    (D("12.345"), "Use at most 2 decimal places."),
    ("abc", "Enter an amount such as 1280.50."),
    (D("NaN"), "Enter an amount such as 1280.50."),
    (D("99999999"), "The amount is too large."),
])
def test_bad_amounts_are_refused_and_nothing_is_saved(db, shop, amount, message):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    exc = refused(message, ledger.take_payment, estate=shop.e1, unit_id=shop.unit.id,
                  cashier_id=shop.cashier.id, method="cash", amount=amount, bills=[(b.id, D("256.10"), D("0"))])
    assert exc.field == "amount"
    nothing_saved(db)


def test_more_than_owed_needs_prepayment(db, shop):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    refused("Tick “keep the rest as prepaid credit”", pay, shop, [b], amount=D("300"))
    nothing_saved(db)
    p = pay(shop, [b], amount=D("300"), prepay=True)
    assert [ln.kind for ln in p.lines] == ["bill", "prepayment"] and ledger.credit_balance(shop.unit.id) == D("43.90")


def test_more_on_a_bill_than_it_owes_is_refused(db, shop):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    refused("is more than bill", pay, shop, [(b.id, D("300.00"), D("0"))])
    nothing_saved(db)


def test_bills_of_another_unit_or_estate_or_voided_are_refused(db, shop):
    other_unit = make_bill(db, shop.unit2, shop.fee, 1, "100")
    other_estate = make_bill(db, shop.unit_e2, shop.fee_e2, 1, "100")
    voided = make_bill(db, shop.unit, shop.fee, 2, "100")
    voided.voided_at = utcnow()
    voided.void_reason = "wrong area"
    voided.state = "void"
    db.session.commit()
    refused("That bill does not belong to this unit.", pay, shop, [other_unit])
    refused("That bill does not belong to this unit.", pay, shop, [other_estate])
    refused("has been voided", pay, shop, [(voided.id, D("100"), D("0"))])
    refused("A bill was chosen twice.", pay, shop, [other_unit, other_unit], unit=shop.unit2)
    refused("Choose how the money was paid.", pay, shop, [other_unit], unit=shop.unit2, method="cheque")
    assert count(db, Payment) == 0


def test_a_stale_view_of_the_bill_is_refused(db, shop):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    pay(shop, [(b.id, D("100.00"), D("0"))], cashier=shop.cashier2)
    db.session.commit()
    refused("Another cashier has just taken a payment for this bill.", pay, shop, [(b.id, D("156.10"), D("0"))])
    assert count(db, Payment) == 1


def test_a_closed_day_refuses_payments(db, shop):
    from plugins.fees.models import DailyClose

    b = make_bill(db, shop.unit, shop.fee, 1, "100")
    day = ledger.business_date_of(shop.e1)
    db.session.add(DailyClose(estate_id=shop.e1.id, number="JJ-x", cashier_id=shop.cashier.id, business_date=day))
    db.session.commit()
    refused("You have closed this day's takings already.", pay, shop, [b])
    assert count(db, Payment) == 0
    pay(shop, [b], cashier=shop.cashier2)  # another cashier's day is still open


def test_a_deposit_is_held_and_needs_a_deposit_item(db, shop):
    p = pay(shop, [], amount=D("2000"), deposit_item_id=shop.deposit.id, deposit_ref="ZX-001")
    dep = db.session.scalar(select(Deposit))
    assert dep.amount == D("2000.00") and dep.state == "held" and dep.source_ref == "ZX-001"
    assert p.lines[0].kind == "deposit" and p.lines[0].deposit_id == dep.id
    assert ledger.balance(shop.unit.id) == 0  # deposits are held money, not fees
    refused("Choose a deposit item of this estate.", pay, shop, [], amount=D("10"), deposit_item_id=shop.fee.id)


def test_void_gives_the_bills_back_and_keeps_the_number(db, shop):
    b = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    p = pay(shop, [b], amount=D("300"), prepay=True)
    db.session.commit()
    refused("Give the reason for voiding", ledger.void_payment, p, " x ", shop.manager.id)
    ledger.void_payment(db.session.get(Payment, p.id), "wrong unit", shop.manager.id)
    db.session.commit()
    db.session.expire_all()
    p = db.session.get(Payment, p.id)
    assert p.voided_at is not None and p.void_reason == "wrong unit" and p.number.endswith("000001")
    b = db.session.get(Bill, b.id)
    assert b.paid == 0 and b.state == "open"
    assert ledger.credit_balance(shop.unit.id) == 0 and ledger.balance(shop.unit.id) == D("256.10")
    refused("is void already", ledger.void_payment, p, "again please", shop.manager.id)
    nxt = pay(shop, [b])
    assert nxt.number.endswith("000002")
    actions = list(db.session.scalars(select(AuditLog.action).where(
        AuditLog.table_name == "fees_payment", AuditLog.record_id == str(p.id)).order_by(AuditLog.id)))
    assert actions[0] == "insert" and actions[-1] == "void", actions
    # The bill's paid amount moves by SQL; each move still has its audit row (pay, void, pay).
    paid = [a.changes["paid"] for a in db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "fees_bill", AuditLog.record_id == str(b.id), AuditLog.action == "update")
        .order_by(AuditLog.id))]
    assert paid == [["0.00", "256.10"], ["256.10", "0.00"], ["0.00", "256.10"]], paid


def test_void_of_a_prepayment_takes_back_credit_already_used(db, shop):
    b1 = make_bill(db, shop.unit, shop.fee, 1, "100")
    b2 = make_bill(db, shop.unit, shop.fee, 2, "100")
    prepaid = pay(shop, [], amount=D("150"), prepay=True)
    db.session.commit()
    assert ledger.apply_credit(shop.unit.id, shop.e1.id) == D("150.00")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Bill, b1.id).state == "paid" and db.session.get(Bill, b2.id).paid == D("50.00")
    ledger.void_payment(db.session.get(Payment, prepaid.id), "counterfeit note", shop.manager.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Bill, b1.id).paid == 0 and db.session.get(Bill, b2.id).paid == 0
    assert ledger.credit_balance(shop.unit.id) == 0 and ledger.balance(shop.unit.id) == D("200.00")
    assert sum(e.amount for e in ledger.statement(shop.unit.id)) == ledger.balance(shop.unit.id)


def test_void_is_refused_after_the_close_and_for_a_refunded_deposit(db, shop):
    from plugins.fees.models import DailyClose

    p = pay(shop, [], amount=D("500"), deposit_item_id=shop.deposit.id)
    dep = db.session.scalar(select(Deposit))
    dep.state = "refunding"
    db.session.commit()
    refused("cannot be voided", ledger.void_payment, p, "mistake here", shop.manager.id)
    dep = db.session.scalar(select(Deposit))
    dep.state = "held"
    db.session.add(DailyClose(estate_id=shop.e1.id, number="JJ-y", cashier_id=shop.cashier.id,
                              business_date=p.business_date))
    db.session.commit()
    refused("locks this receipt", ledger.void_payment, db.session.get(Payment, p.id), "mistake here",
            shop.manager.id)
    assert db.session.get(Payment, p.id).voided_at is None


def test_receipt_hooks_fire_inside_the_transaction(db, shop, monkeypatch):
    calls = []
    monkeypatch.setattr(ledger, "hook", lambda name: lambda **kw: calls.append((name, kw)))
    b = make_bill(db, shop.unit, shop.fee, 1, "100")
    p = pay(shop, [b])
    ledger.void_payment(p, "wrong payer", shop.manager.id)
    assert [c[0] for c in calls] == ["fees_receipt_issued", "fees_receipt_voided"]
    assert calls[0][1]["payment"].number == p.number and calls[1][1]["reason"] == "wrong payer"


def test_statement_sums_to_the_balance(db, shop):
    b1 = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    make_bill(db, shop.unit, shop.fee, 2, "256.10")
    pay(shop, [(b1.id, D("56.10"), D("0"))])
    pay(shop, [], amount=D("20"), prepay=True)
    db.session.commit()
    entries = ledger.statement(shop.unit.id)
    assert sum(e.amount for e in entries) == ledger.balance(shop.unit.id) == D("436.10")
    assert [e.kind for e in entries].count("charge") == 2
