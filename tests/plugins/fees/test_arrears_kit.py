"""Shared set-up for the arrears, reports and widget tests (no tests here): the office's staff,
fee items and bills written as plain rows with chosen due dates, and payments through the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.models import Unit
from core.testing import TEST_PASSWORD
from plugins.fees.models import Bill, FeeItem

SHANGHAI = ZoneInfo("Asia/Shanghai")


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def unit_of(db, estate, number="1-1-101") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def make_item(db, estate, code="PSF", name="物业服务费", kind="area", on_behalf=False, sequence=10) -> FeeItem:
    item = FeeItem(estate_id=estate.id, code=code, name=name, kind=kind,
                   cycle="oneoff" if kind in ("deposit", "oneoff") else "monthly", on_behalf=on_behalf,
                   sequence=sequence)
    db.session.add(item)
    db.session.flush()
    return item


def make_bill(db, unit, item, period: date, amount: str, due: date | None = None, paid: str = "0.00",
              void: bool = False) -> Bill:
    """A bill row with the due date the test needs (state follows ``paid``)."""
    amount, paid_d = Decimal(amount), Decimal(paid)
    state = "void" if void else ("open" if paid_d <= 0 else "paid" if paid_d >= amount else "partial")
    bill = Bill(estate_id=unit.estate_id, unit_id=unit.id, item_id=item.id, period_start=period,
                period_end=period, due_date=due or period, quantity=Decimal(1), unit_price=amount, amount=amount,
                paid=paid_d, state=state, source="manual", dedupe_key=f"t:{item.id}:{unit.id}:{period}:{amount}",
                voided_at=datetime.now(UTC) if void else None, void_reason="test" if void else None)
    db.session.add(bill)
    db.session.flush()
    return bill


def at(day: date, hour: int = 10) -> datetime:
    """10:00 Shanghai time on ``day``, as UTC (a business day of the estates)."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def pay(db, estate, unit, cashier, amount: str, bills=(), method="cash", day: date | None = None,
        prepay=False, deposit_item=None):
    """A receipt through the ledger; ``bills`` = [(bill, part)]."""
    from plugins.fees import ledger

    with acting_as(cashier):
        payment = ledger.take_payment(
            estate=estate, unit_id=unit.id, cashier_id=cashier.id, method=method, amount=Decimal(amount),
            bills=[(b.id, Decimal(part), b.paid) for b, part in bills], prepay=prepay,
            deposit_item_id=deposit_item.id if deposit_item else None, now=at(day) if day else None)
        db.session.commit()
    return payment


@pytest.fixture(name="staff")
def staff_fixture(make_user, estates):
    """E01's office and E02's: roles with and without the fees permissions."""
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        manager=make_user("manager", [e1], username="fmgr1", full_name="王经理"),
        sup=make_user("supervisor", [e1], username="fsup1"),
        clerk=make_user("clerk", [e1], username="fclerk1", full_name="周静"),
        cashier=make_user("cashier", [e1], username="fcash1", full_name="李出纳"),
        front=make_user("frontdesk", [e1], username="ffront1"),
        clerk_e2=make_user("clerk", [e2], username="fclerk2"),
        manager_e2=make_user("manager", [e2], username="fmgr2"),
    )
