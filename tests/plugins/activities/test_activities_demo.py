"""The activities demo: held activities with attendance, spending (one over budget, a voided
line) and a summary; one open for sign-up, one waiting, a draft, a refused and a cancelled plan."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.testing import make_estate
from plugins.activities import demo
from plugins.activities.models import Activity, Expense, Signup


def test_demo_activities(app, db, make_user):
    estate = make_estate("D01", "Demo Garden", units=("1-1-101", "1-1-102", "2-1-201", "2-1-202"))
    users = {role: make_user(role, [estate], username=f"d{role}")
             for role in ("manager", "supervisor", "clerk", "frontdesk")}
    demo.load(estate, users)
    db.session.commit()
    rows = {a.state: a for a in db.session.scalars(select(Activity).where(Activity.estate_id == estate.id))}
    assert {"held", "approved", "submitted", "draft", "refused", "cancelled"} <= set(rows)
    held = db.session.scalars(select(Activity).where(Activity.state == "held").order_by(Activity.starts_at)).all()
    assert len(held) == 2 and all(a.summary for a in held)
    assert all(a.attended_count >= 1 for a in held)
    assert any(a.over_budget for a in held) and not all(a.over_budget for a in held)
    assert db.session.scalar(select(func.count()).select_from(Expense).where(Expense.voided_at.is_not(None))) == 1
    assert Decimal(held[1].spent) == Decimal("1820.00")
    assert rows["refused"].decision_note and rows["cancelled"].cancel_reason
    assert db.session.scalar(select(func.count()).select_from(Signup).where(Signup.resident_id.is_(None))) == 1
    # Loading again adds nothing.
    before = db.session.scalar(select(func.count()).select_from(Activity))
    demo.load(estate, users)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == before


def test_no_demo_without_an_approver(app, db, make_user):
    estate = make_estate("D02", "Quiet Garden")
    demo.load(estate, {"clerk": make_user("clerk", [estate], username="only-clerk")})
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
