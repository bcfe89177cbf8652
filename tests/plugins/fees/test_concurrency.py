"""Payments under concurrency, on SQLite and PostgreSQL: many cashiers at once never produce a
duplicate or missing receipt number, never apply a payment twice, and of two cashiers paying
the same bill at once one succeeds and the other gets the clear message."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.testing import HttpSession
from plugins.fees import ledger
from plugins.fees.models import Bill, Payment, PaymentLine
from tests.plugins.fees.test_desk_kit import make_bill, once, shop_fixture  # noqa: F401

D = Decimal
STALE = "Another cashier has just taken a payment for this bill."


def form(bill, seen="0.00"):
    """The pay form as one cashier's page sends it (each page its own one-time key)."""
    return once({"method": "cash", "amount": str(bill["amount"]), "bill": [str(bill["id"])],
                 f"seen_{bill['id']}": seen})


def numbers_are_gapless(db):
    db.session.rollback()  # end the test's own read transaction: see what the others committed
    seqs = sorted(db.session.scalars(select(Payment.seq)))
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert len(set(db.session.scalars(select(Payment.number)))) == len(seqs)
    return len(seqs)


def no_bill_paid_twice(db):
    for bill in db.session.scalars(select(Bill)):
        lines = db.session.scalar(select(func.coalesce(func.sum(PaymentLine.amount), 0)).join(Payment).where(
            PaymentLine.bill_id == bill.id, Payment.voided_at.is_(None)))
        assert bill.paid == lines <= bill.amount, (bill.id, bill.paid, lines)


@pytest.mark.slow
def test_many_parallel_payments_over_http(live_server, db, shop):
    """40 bills paid at once by 8 cashier sessions, plus every bill attacked a second time."""
    from core.models import Unit

    units = list(db.session.scalars(select(Unit).where(Unit.estate_id == shop.e1.id)))
    bills = [make_bill(db, units[i % len(units)], shop.fee, i // len(units) + 1, f"{100 + i}.10", commit=False)
             for i in range(36)]
    db.session.commit()
    targets = [{"id": b.id, "unit": b.unit_id, "amount": b.amount} for b in bills]
    server = live_server()
    sessions = [HttpSession(server.url).login(u.username) for u in (shop.cashier, shop.cashier2) for _ in range(4)]
    work = targets + random.Random(4).sample(targets, 12)  # 12 bills paid twice at the same time

    def go(i):
        bill = work[i]
        status, body = sessions[i % len(sessions)].request("POST", f"/fees/desk/units/{bill['unit']}/pay",
                                                           form(bill))
        return status, STALE in body

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(go, range(len(work))))
    assert sum(1 for s, _ in results if s == 302) == 36
    assert all(stale for s, stale in results if s != 302) and sum(1 for s, _ in results if s == 422) == 12
    assert numbers_are_gapless(db) == 36
    no_bill_paid_twice(db)
    assert all(b.state == "paid" for b in db.session.scalars(select(Bill)))


def test_two_cashiers_paying_the_same_bill_at_once(app, db, shop):
    """Two threads, each with its own app context and session, pay one bill at the same moment."""
    from core.db import immediate

    bill = make_bill(db, shop.unit, shop.fee, 1, "256.10")
    ids = dict(estate=shop.e1.id, unit=shop.unit.id, bill=bill.id)
    cashiers = [shop.cashier.id, shop.cashier2.id]
    start = threading.Barrier(2)
    outcome = {}

    def cashier(n):
        from core.errors import DomainError
        from core.extensions import db as tdb
        from core.models import Estate

        with app.app_context(), immediate():
            start.wait(30)
            try:
                estate = tdb.session.get(Estate, ids["estate"])
                p = ledger.take_payment(estate=estate, unit_id=ids["unit"], cashier_id=cashiers[n], method="cash",
                                        amount=D("256.10"), bills=[(ids["bill"], D("256.10"), D("0.00"))])
                tdb.session.commit()
                outcome[n] = p.number
            except DomainError as exc:
                tdb.session.rollback()
                outcome[n] = str(exc.message)
            finally:
                tdb.session.remove()

    threads = [threading.Thread(target=cashier, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    results = sorted(outcome.values())
    assert len(results) == 2
    assert results[0].startswith(STALE) and results[1].startswith("SJ-E01-"), results
    assert numbers_are_gapless(db) == 1
    no_bill_paid_twice(db)


def test_many_threads_on_few_bills_apply_each_payment_once(app, db, shop):
    """12 threads (own app context each) race for 4 bills: 4 receipts, numbers 1..4."""
    from core.db import immediate

    bills = [make_bill(db, shop.unit2, shop.fee, m, "88.80") for m in range(1, 5)]
    ids = [b.id for b in bills]
    estate_id, unit_id, cashier_id = shop.e1.id, shop.unit2.id, shop.cashier.id
    start = threading.Barrier(12)
    done = []

    def worker(n):
        from core.errors import DomainError
        from core.extensions import db as tdb
        from core.models import Estate

        with app.app_context(), immediate():
            start.wait(30)
            try:
                ledger.take_payment(estate=tdb.session.get(Estate, estate_id), unit_id=unit_id,
                                    cashier_id=cashier_id, method="cash", amount=D("88.80"),
                                    bills=[(ids[n % 4], D("88.80"), D("0.00"))])
                tdb.session.commit()
                done.append(n)
            except DomainError:
                tdb.session.rollback()
            finally:
                tdb.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(done) == 4 and sorted(n % 4 for n in done) == [0, 1, 2, 3]
    assert numbers_are_gapless(db) == 4
    no_bill_paid_twice(db)
