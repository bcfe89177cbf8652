"""The vendors services: contracts, sheets, inspections, notices, re-checks, evaluations, and
every refusal leaving nothing saved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.errors import DomainError
from plugins.vendors import services
from plugins.vendors.models import (
    Contract,
    Evaluation,
    Inspection,
    InspectionLine,
    Rectification,
    RectificationStep,
    SheetItem,
)
from tests.plugins.vendors.conftest import full


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(db, fn, *args, field=None, text=None, **kw):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    db.session.rollback()
    if field is not None:
        assert exc.value.field == field
    if text is not None:
        assert text in exc.value.message
    return exc.value


def inspect(db, s, contract=None, day=None, deadline=None, **changes):
    contract = contract or s.c1
    with acting_as(s.sup):
        i = services.record_inspection(s.sup, db.session.get(Contract, contract.id),
                                       inspected_on=day or s.today - timedelta(days=1),
                                       points=full(services.sheet("cleaning"), **changes), deadline=deadline)
        db.session.commit()
    return i


def test_a_contract_is_saved_with_its_decimal_amount_and_a_bad_period_is_refused(db, staff):
    c = db.session.get(Contract, staff.c1.id)
    assert c.amount == Decimal("360000.00") and isinstance(c.amount, Decimal)
    assert c.vendor.name == "洁美保洁服务有限公司"
    before = count(db, Contract)
    refused(db, services.add_contract, staff.sup, estate_id=staff.e1.id, vendor_id=staff.vendor.id, number="X-1",
            service_kind="cleaning", scope="保洁", start_on=date(2026, 6, 1), end_on=date(2026, 5, 31),
            amount="1000", field="end_on", text="cannot end before it starts")
    refused(db, services.add_contract, staff.sup, estate_id=staff.e1.id, vendor_id=staff.vendor.id, number="X-1",
            service_kind="cleaning", scope="保洁", start_on=date(2026, 6, 1), end_on=date(2026, 7, 1),
            amount="-5", field="amount")
    refused(db, services.add_contract, staff.sup, estate_id=staff.e1.id, vendor_id=staff.vendor.id,
            number="BJ-E01-01", service_kind="cleaning", scope="保洁", start_on=date(2026, 6, 1),
            end_on=date(2026, 7, 1), amount="1", field="number")
    # Another estate's contract is not the user's to make.
    refused(db, services.add_contract, staff.sup, estate_id=staff.e2.id, vendor_id=staff.vendor.id, number="X-2",
            service_kind="cleaning", scope="保洁", start_on=date(2026, 6, 1), end_on=date(2026, 7, 1),
            amount="1", field="estate_id")
    assert count(db, Contract) == before


def test_sheet_weights_must_add_up_to_100_and_a_refused_sheet_keeps_the_old_one(db, staff):
    old = [(i.title, i.weight) for i in services.sheet("cleaning")]
    err = refused(db, services.save_sheet, staff.sup, "cleaning", [("地面", "", "40"), ("电梯", "", "30")],
                  field="items")
    assert "70" in err.message
    refused(db, services.save_sheet, staff.sup, "cleaning", [("地面", "", "abc"), ("电梯", "", "100")],
            field="items")
    refused(db, services.save_sheet, staff.sup, "cleaning", [("", "", "100")], field="items")
    refused(db, services.save_sheet, staff.sup, "cleaning", [("", "", "")], field="items")
    refused(db, services.save_sheet, staff.clerk, "cleaning", [("地面", "", "100")], text="role")
    assert [(i.title, i.weight) for i in services.sheet("cleaning")] == old
    # A good sheet replaces it; the old items are retired, not deleted.
    with acting_as(staff.sup):
        services.save_sheet(staff.sup, "cleaning", [("地面", "", "60.5"), ("电梯", "", "39.5")])
        db.session.commit()
    assert [(i.title, i.weight) for i in services.sheet("cleaning")] == [("地面", Decimal("60.5")),
                                                                          ("电梯", Decimal("39.5"))]
    assert count(db, SheetItem) == 5


def test_an_inspection_scores_the_sheet_and_failing_items_raise_a_numbered_notice(db, staff):
    i = inspect(db, staff, deadline=staff.today + timedelta(days=3), **{"电梯轿厢": "10"})
    assert i.score == Decimal("80.00") and i.failing == 1
    assert [(line.title, line.points, line.failed) for line in i.lines] == [
        ("大堂及楼道", Decimal("40.00"), False), ("电梯轿厢", Decimal("10.00"), True),
        ("垃圾收集点", Decimal("30.00"), False)]
    r = db.session.scalar(select(Rectification))
    assert r.number == "WZ-E01-2026-000001" and r.inspection_id == i.id and r.state == "open"
    assert "电梯轿厢: 10.00/30.00" in r.detail and r.deadline == staff.today + timedelta(days=3)
    assert r.issued_on == staff.today - timedelta(days=1)
    # 60% of the weight passes: 18 of 30.
    ok = inspect(db, staff, **{"电梯轿厢": "18"})
    assert ok.failing == 0 and count(db, Rectification) == 1


def test_inspection_refusals_save_nothing(db, staff):
    items = services.sheet("cleaning")
    c = db.session.get(Contract, staff.c1.id)
    base = dict(inspected_on=staff.today, points=full(items))
    refused(db, services.record_inspection, staff.sup, c, **dict(base, inspected_on=staff.today + timedelta(days=1)),
            field="inspected_on")
    refused(db, services.record_inspection, staff.sup, c, **dict(base, inspected_on=date(2025, 12, 31)),
            field="inspected_on", text="within the contract")
    refused(db, services.record_inspection, staff.sup, c, **dict(base, points=full(items, 电梯轿厢="31")),
            field=f"p_{items[1].id}")
    refused(db, services.record_inspection, staff.sup, c, **dict(base, points={items[0].id: Decimal("40")}),
            field=f"p_{items[1].id}")
    # A failing item needs a deadline after the inspection day.
    refused(db, services.record_inspection, staff.sup, c, **dict(base, points=full(items, 电梯轿厢="0")),
            field="deadline")
    refused(db, services.record_inspection, staff.sup, c, **dict(base, points=full(items, 电梯轿厢="0")),
            deadline=staff.today, field="deadline")
    refused(db, services.record_inspection, staff.tech, c, **base, text="role")
    assert count(db, Inspection) == count(db, InspectionLine) == count(db, Rectification) == 0


def test_response_then_recheck_still_failing_then_passed(db, staff):
    inspect(db, staff, day=staff.today - timedelta(days=5), deadline=staff.today - timedelta(days=2),
            **{"大堂及楼道": "0"})
    r = db.session.scalar(select(Rectification))
    assert r.is_overdue(staff.today)
    # Re-check before the response is refused.
    refused(db, services.recheck, staff.sup, r, checked_on=staff.today, passed=True, text="response before")
    # A response before the notice was issued, or in the future, is refused.
    refused(db, services.record_response, staff.sup, db.session.get(Rectification, r.id),
            responded_on=staff.today - timedelta(days=6), responder="领班", note="已清洁", field="responded_on")
    refused(db, services.record_response, staff.sup, db.session.get(Rectification, r.id),
            responded_on=staff.today + timedelta(days=1), responder="领班", note="已清洁", field="responded_on")
    assert count(db, RectificationStep) == 1
    with acting_as(staff.clerk):
        r = db.session.get(Rectification, r.id)
        services.record_response(staff.clerk, r, responded_on=staff.today - timedelta(days=3), responder="领班李",
                                 note="已重新清洁")
        db.session.commit()
    assert r.state == "responded" and not r.is_overdue(staff.today)
    # Re-check before the response day; still failing without a new deadline: refused.
    refused(db, services.recheck, staff.sup, db.session.get(Rectification, r.id),
            checked_on=staff.today - timedelta(days=4), passed=True, field="checked_on")
    refused(db, services.recheck, staff.sup, db.session.get(Rectification, r.id), checked_on=staff.today,
            passed=False, note="仍有污渍", field="new_deadline")
    with acting_as(staff.sup):
        r = db.session.get(Rectification, r.id)
        services.recheck(staff.sup, r, checked_on=staff.today - timedelta(days=2), passed=False, note="仍有污渍",
                         new_deadline=staff.today + timedelta(days=2))
        db.session.commit()
    assert (r.state, r.deadline) == ("open", staff.today + timedelta(days=2))
    with acting_as(staff.sup):
        services.record_response(staff.sup, r, responded_on=staff.today, responder="领班李", note="再次清洁")
        services.recheck(staff.sup, r, checked_on=staff.today, passed=True, note="合格")
        db.session.commit()
    r = db.session.get(Rectification, r.id)
    assert r.state == "closed" and r.closed_at is not None
    assert [s.kind for s in r.steps] == ["issued", "response", "failed", "response", "passed"]
    refused(db, services.recheck, staff.sup, r, checked_on=staff.today, passed=True, text="closed")


def test_monthly_evaluation_is_computed_refuses_a_second_month_and_freezes_when_confirmed(db, staff):
    feb = date(2026, 2, 1)
    inspect(db, staff, day=date(2026, 2, 10), **{"大堂及楼道": "30"})  # 90
    inspect(db, staff, day=date(2026, 2, 20), **{"大堂及楼道": "25", "电梯轿厢": "20"})  # 75
    inspect(db, staff, day=date(2026, 3, 2))  # March: not counted
    with acting_as(staff.manager):
        ev = services.evaluate_month(staff.manager, db.session.get(Contract, staff.c1.id), feb)
        db.session.commit()
    assert (ev.inspections, ev.score, ev.lowest, ev.state) == (2, Decimal("82.50"), Decimal("75.00"), "draft")
    before = count(db, Evaluation)
    refused(db, services.evaluate_month, staff.manager, db.session.get(Contract, staff.c1.id), date(2026, 2, 15),
            field="month", text="already evaluated")
    refused(db, services.evaluate_month, staff.manager, db.session.get(Contract, staff.c1.id), date(2025, 12, 1),
            field="month")
    refused(db, services.evaluate_month, staff.manager, db.session.get(Contract, staff.c1.id), date(2026, 4, 1),
            field="month")
    refused(db, services.evaluate_month, staff.clerk, db.session.get(Contract, staff.c1.id), date(2026, 3, 1),
            text="role")
    assert count(db, Evaluation) == before
    # March is not over: its evaluation cannot be confirmed yet.
    with acting_as(staff.manager):
        mar = services.evaluate_month(staff.manager, db.session.get(Contract, staff.c1.id), date(2026, 3, 1))
        db.session.commit()
    refused(db, services.confirm, staff.manager, db.session.get(Evaluation, mar.id), text="not over")
    # A late inspection is taken into a draft, not into a confirmed evaluation.
    inspect(db, staff, day=date(2026, 2, 25))  # 100
    with acting_as(staff.manager):
        ev = db.session.get(Evaluation, ev.id)
        services.confirm(staff.manager, ev, note="按考核结果付款")
        db.session.commit()
    assert (ev.state, ev.inspections, ev.score) == ("confirmed", 3, Decimal("88.33"))
    inspect(db, staff, day=date(2026, 2, 26), **{"大堂及楼道": "0"}, deadline=staff.today + timedelta(days=2))
    refused(db, services.recompute, staff.manager, db.session.get(Evaluation, ev.id), text="confirmed")
    assert db.session.get(Evaluation, ev.id).score == Decimal("88.33")
    t = services.trend(db.session.get(Contract, staff.c1.id), months=3, today=staff.today)
    assert t["labels"] == ["2026-01", "2026-02", "2026-03"]
    assert t["confirmed"] == [None, 88.33, None] and t["averages"][0] is None and t["averages"][2] == 100.0
