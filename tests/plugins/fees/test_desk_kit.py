"""Shared set-up of the desk, ledger, refund, close and concurrency tests (no tests here):
E01's cashiers and manager, fee items and bills made as plain rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.forms import new_once_key
from core.models import Unit
from core.testing import TEST_PASSWORD

D = Decimal


def unit_of(db, estate, number="3-2-1201") -> Unit:
    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def once(data=None) -> dict:
    """Form data as sent from a freshly rendered money form: with a new one-time key."""
    return {**(data or {}), "once_key": new_once_key()}


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def make_item(db, estate, code="WY", name="Property service fee", kind="area", **kw):
    from plugins.fees.models import FeeItem

    item = FeeItem(estate_id=estate.id, code=code, name=name, kind=kind, **kw)
    db.session.add(item)
    db.session.flush()
    return item


def make_bill(db, unit, item, month: int, amount, year: int = 2026, due: date | None = None, commit=True):
    """A plain bill row for ``unit``: one month of ``item``."""
    from plugins.fees.models import Bill

    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    bill = Bill(estate_id=unit.estate_id, unit_id=unit.id, item_id=item.id, period_start=start,
                period_end=end, due_date=due or start, quantity=D("1"), unit_price=D(amount),
                amount=D(amount), dedupe_key=f"t:{item.id}:{unit.id}:{start}")
    db.session.add(bill)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return bill


@pytest.fixture(name="shop")
def shop_fixture(db, estates, make_user):
    """Estate E01 with two cashiers, a manager and a finance cashier, fee items and E02's people."""
    e1, e2 = estates
    s = SimpleNamespace(e1=e1, e2=e2)
    s.cashier = make_user("cashier", [e1], username="cash1", full_name="刘出纳")
    s.cashier2 = make_user("cashier", [e1], username="cash2", full_name="孙出纳")
    s.manager = make_user("manager", [e1], username="mgr1", full_name="王经理")
    s.finance = make_user("manager", [e1], username="fin1", full_name="财务陈")
    s.clerk = make_user("clerk", [e1], username="clerk1")
    s.cashier_e2 = make_user("cashier", [e2], username="cash9")
    s.fee = make_item(db, e1)
    s.water = make_item(db, e1, "SF", "Water", "meter")
    s.deposit = make_item(db, e1, "ZXYJ", "Decoration deposit", "deposit", cycle="oneoff")
    s.fee_e2 = make_item(db, e2)
    db.session.commit()
    s.unit = unit_of(db, e1)
    s.unit2 = unit_of(db, e1, "1-1-101")
    s.unit_e2 = unit_of(db, e2)
    return s


def pay(shop, bills=(), amount=None, cashier=None, unit=None, method="cash", **kw):
    """Take a payment through the ledger for ``bills`` (paid in full unless parts are given)."""
    from plugins.fees import ledger

    parts = [(b.id, b.amount - b.paid, b.paid) if not isinstance(b, tuple) else b for b in bills]
    total = amount if amount is not None else sum((p[1] for p in parts), D("0"))
    return ledger.take_payment(estate=shop.e1, unit_id=(unit or shop.unit).id,
                               cashier_id=(cashier or shop.cashier).id, method=method, amount=D(total),
                               bills=parts, **kw)
