"""The activity services: the life of a plan, sign-ups within the capacity, attendance,
spending against the budget — and every refusal, with nothing saved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.errors import DomainError
from core.models import utcnow
from plugins.activities import services
from plugins.activities.models import Activity, Expense, Signup
from tests.plugins.activities.conftest import plan_args, residents_of


def refused(db, fn, *args, match: str, field: str | None = None, **kw):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    db.session.rollback()
    assert match in str(exc.value.message), exc.value.message
    if field is not None:
        assert exc.value.field == field
    return exc.value


def test_plan_submit_approve_hold_summary(db, staff, make_activity, clock):
    a = make_activity("draft")
    assert a.state == "draft" and a.number.startswith("HD-E01-") and a.budget == Decimal("1000.00")
    assert a.year == a.starts_at.year or a.year == a.starts_at.year + 1  # local (Shanghai) year
    assert [o.user_id for o in a.organisers] == [staff.clerk.id]
    with acting_as(staff.clerk):
        services.submit(staff.clerk, a)
        db.session.commit()
    # The one who submitted it does not approve it.
    refused(db, services.decide, staff.clerk, a, approve=True, match="Your role may not do this")
    with acting_as(staff.sup):
        services.decide(staff.sup, a, approve=True)
        db.session.commit()
    assert a.state == "approved" and a.decided_by_id == staff.sup.id
    # Not held before it starts.
    refused(db, services.mark_held, staff.clerk, a, match="has not started yet")
    clock.move_to(a.starts_at + timedelta(minutes=30))
    with acting_as(staff.clerk):
        services.mark_held(staff.clerk, a)
        services.write_summary(staff.clerk, a, summary="三十位居民参加", feedback="希望多办")
        db.session.commit()
    db.session.expire_all()
    a = db.session.get(Activity, a.id)
    assert (a.state, a.summary, a.feedback) == ("held", "三十位居民参加", "希望多办")
    refused(db, services.cancel, staff.clerk, a, "下雨", match="cannot be cancelled")


def test_refusal_needs_a_reason_and_a_refused_plan_is_corrected(db, staff, make_activity):
    a = make_activity("submitted")
    refused(db, services.decide, staff.sup, a, approve=False, note="  ", match="Say why the plan is refused",
            field="note")
    assert db.session.get(Activity, a.id).state == "submitted"
    supervisor_of_own = make_activity("draft")
    with acting_as(staff.sup):
        services.submit(staff.sup, supervisor_of_own)
        db.session.commit()
    refused(db, services.decide, staff.sup, supervisor_of_own, approve=True, match="cannot decide on a plan you submitted")
    with acting_as(staff.manager):
        services.decide(staff.manager, a, approve=False, note="预算过高")
        db.session.commit()
    assert (a.state, a.decision_note) == ("refused", "预算过高")
    with acting_as(staff.clerk):
        services.edit(staff.clerk, a, **{k: v for k, v in plan_args(staff, budget=Decimal("600")).items()
                                          if k != "estate_id"})
        services.submit(staff.clerk, a)
        db.session.commit()
    assert (a.state, a.budget, a.decision_note) == ("submitted", Decimal("600.00"), "")


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"ends_at": "same"}, "ends_at", "must end after it starts"),
    ({"budget": Decimal("-1")}, "budget", "cannot be negative"),
    ({"budget": Decimal("1E+3")}, "budget", "Enter an amount such as 1280.50"),
    ({"budget": Decimal("12.345")}, "budget", "at most 2 decimal places"),
    ({"budget": Decimal("NaN")}, "budget", "Enter an amount such as 1280.50"),
    ({"budget": 12.5}, "budget", "Enter an amount such as 1280.50"),
    ({"theme": "  "}, "theme", "Enter the theme"),
    ({"capacity": 0}, "capacity", "how many residents may sign up"),
    ({"organiser_ids": []}, "organiser_ids", "at least one organiser"),
])
def test_bad_plans_are_refused_and_nothing_saved(db, staff, change, field, message):
    args = plan_args(staff)
    if change.get("ends_at") == "same":
        change = {"ends_at": args["starts_at"] - timedelta(hours=1)}
    args.update(change)
    refused(db, services.plan, staff.clerk, **args, match=message, field=field)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_organisers_and_estate_of_another_office_are_refused(db, staff):
    refused(db, services.plan, staff.clerk, **plan_args(staff, organiser_ids=[staff.clerk_e2.id]),
            match="organisers among the staff", field="organiser_ids")
    refused(db, services.plan, staff.clerk, **plan_args(staff, estate_id=staff.e2.id), match="one of your estates",
            field="estate_id")
    refused(db, services.plan, staff.tech, **plan_args(staff), match="Your role may not do this")
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_sign_up_within_capacity_once_per_resident(db, staff, make_activity):
    a = make_activity("approved", capacity=2)
    r1, r2, r3 = residents_of(db, staff.e1)
    with acting_as(staff.clerk):
        services.sign_up(staff.clerk, a, resident_id=r1.id)
        db.session.commit()
    refused(db, services.sign_up, staff.clerk, a, resident_id=r1.id, match="has already signed up",
            field="resident_id")
    other = residents_of(db, staff.e2)[0]
    refused(db, services.sign_up, staff.clerk, a, resident_id=other.id, match="resident of this estate",
            field="resident_id")
    refused(db, services.sign_up, staff.clerk, a, name="路人", phone="", match="walk-in participant's phone")
    with acting_as(staff.clerk):
        walk_in = services.sign_up(staff.clerk, a, name="陈奶奶", phone="13900002222")
        db.session.commit()
    assert walk_in.resident_id is None and walk_in.name == "陈奶奶"
    refused(db, services.sign_up, staff.clerk, a, resident_id=r2.id, match="The activity is full: all 2 places")
    assert db.session.get(Activity, a.id).signed_up == 2
    # Cancelling a sign-up frees its place; the row stays, marked cancelled.
    with acting_as(staff.clerk):
        services.cancel_signup(staff.clerk, walk_in, "临时有事")
        services.sign_up(staff.clerk, a, resident_id=r2.id)
        db.session.commit()
    refused(db, services.cancel_signup, staff.clerk, walk_in, match="already cancelled")
    db.session.expire_all()
    assert db.session.get(Activity, a.id).signed_up == 2
    rows = db.session.scalars(select(Signup).order_by(Signup.id)).all()
    assert [(s.name, s.cancelled_at is not None) for s in rows] == [(r1.name, False), ("陈奶奶", True),
                                                                    (r2.name, False)]
    assert rows[1].cancel_reason == "临时有事"
    assert r3  # the third resident is left out: the activity is full again


def test_the_database_keeps_the_capacity(db, staff, make_activity):
    """Even a direct write cannot take more places than there are (check constraint)."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    a = make_activity("approved", capacity=1)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Activity).where(Activity.id == a.id).values(signed_up=2))
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("state", "message"), [("draft", "once the plan is approved"),
                                               ("submitted", "once the plan is approved"),
                                               ("cancelled", "was cancelled"), ("held", "has been held")])
def test_no_sign_up_unless_approved(db, staff, make_activity, clock, state, message):
    a = make_activity("approved" if state in ("cancelled", "held") else state)
    if state == "cancelled":
        with acting_as(staff.clerk):
            services.cancel(staff.clerk, a, "下雨")
            db.session.commit()
    if state == "held":
        clock.move_to(a.starts_at + timedelta(hours=1))
        with acting_as(staff.clerk):
            services.mark_held(staff.clerk, a)
            db.session.commit()
    r1 = residents_of(db, staff.e1)[0]
    refused(db, services.sign_up, staff.clerk, a, resident_id=r1.id, match=message)
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 0


def test_attendance_and_spending_against_the_budget(db, staff, make_activity, clock):
    a = make_activity("approved", capacity=3, budget=Decimal("500.00"))
    r1, r2, r3 = residents_of(db, staff.e1)
    with acting_as(staff.clerk):
        s1 = services.sign_up(staff.clerk, a, resident_id=r1.id)
        s2 = services.sign_up(staff.clerk, a, resident_id=r2.id)
        db.session.commit()
    refused(db, services.mark_attendance, staff.clerk, a, [s1.id], match="after the activity is held")
    clock.move_to(a.starts_at + timedelta(hours=4))
    with acting_as(staff.clerk):
        services.mark_held(staff.clerk, a)
        services.mark_attendance(staff.clerk, a, [s1.id])
        db.session.commit()
    db.session.expire_all()
    assert (db.session.get(Signup, s1.id).attended, db.session.get(Signup, s2.id).attended) == (True, False)
    assert db.session.get(Activity, a.id).attended_count == 1
    today = a.starts_at.date()
    for amount, message in ((Decimal("0"), "more than zero"), (Decimal("-5"), "more than zero"),
                            (Decimal("2E+2"), "such as 1280.50"), (Decimal("1.001"), "decimal places")):
        refused(db, services.add_expense, staff.clerk, a, item="茶点", amount=amount, spent_on=today,
                match=message, field="amount")
    refused(db, services.add_expense, staff.clerk, a, item="茶点", amount=Decimal("10"),
            spent_on=today + timedelta(days=30), match="in the future", field="spent_on")
    with acting_as(staff.clerk):
        e1 = services.add_expense(staff.clerk, a, item="茶点", amount=Decimal("320.50"), spent_on=today)
        wrong = services.add_expense(staff.clerk, a, item="奖品", amount=Decimal("3000"), spent_on=today)
        services.add_expense(staff.clerk, a, item="奖品", amount=Decimal("300"), spent_on=today)
        db.session.commit()
    db.session.expire_all()
    a = db.session.get(Activity, a.id)
    assert Decimal(a.spent) == Decimal("3620.50") and a.over_budget
    refused(db, services.void_expense, staff.clerk, wrong, " ", match="Say why", field="reason")
    with acting_as(staff.clerk):
        services.void_expense(staff.clerk, wrong, "金额录错")
        db.session.commit()
    db.session.expire_all()
    a = db.session.get(Activity, a.id)
    assert Decimal(a.spent) == Decimal("620.50") and a.over_budget
    assert db.session.scalar(select(func.count()).select_from(Expense)) == 3  # voided, never deleted
    assert db.session.get(Expense, wrong.id).void_reason == "金额录错"
    assert e1.amount == Decimal("320.50")
    refused(db, services.void_expense, staff.clerk, db.session.get(Expense, wrong.id), "再次", match="already voided")


def test_year_totals(db, staff, make_activity, clock):
    a = make_activity("approved", budget=Decimal("100"))
    b = make_activity("approved", budget=Decimal("50.50"))
    with acting_as(staff.clerk):
        services.cancel(staff.clerk, b, "取消")
        db.session.commit()
    clock.move_to(a.starts_at + timedelta(hours=1))
    with acting_as(staff.clerk):
        s = services.sign_up(staff.clerk, a, resident_id=residents_of(db, staff.e1)[0].id)
        services.mark_held(staff.clerk, a)
        services.mark_attendance(staff.clerk, a, [s.id])
        services.add_expense(staff.clerk, a, item="茶点", amount=Decimal("80"), spent_on=a.starts_at.date())
        db.session.commit()
    rows = services.year_activities([staff.e1.id], a.year)
    totals = services.year_totals(rows)
    assert totals == {"planned": 1, "held": 1, "cancelled": 1, "participants": 1, "budget": Decimal("100.00"),
                      "spent": Decimal("80.00")}
    assert utcnow() > a.starts_at
