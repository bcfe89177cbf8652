"""The inventory services: receipts, issues, returns, transfers, reversals and counts; the stock
rule, moving-average value and every refusal (nothing saved)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.audit import acting_as
from core.testing import refused
from plugins.inventory import services
from plugins.inventory.models import CountLine, Item, Movement, StockCount
from tests.plugins.inventory.conftest import D, ledger_matches, work_order


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_receipts_and_issues_keep_stock_and_moving_average_value(db, staff, store, item):
    room = store()
    tap = item(room, on_hand=10, cost="10.00")
    with acting_as(staff.keeper):
        services.receive(staff.keeper, tap, quantity=D(10), unit_cost=D("13.00"), supplier="明亮电器")
        issued = services.issue(staff.keeper, tap, quantity=D(5), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
    db.session.refresh(tap)
    # 10 × 10.00 + 10 × 13.00 = 230.00 for 20: the average is 11.50; five leave at 57.50.
    assert (tap.on_hand, tap.stock_value, tap.last_cost) == (D(15), D("172.50"), D("13.00"))
    assert (issued.quantity, issued.value, issued.unit_cost, issued.on_hand_after) == (D(-5), D("-57.50"),
                                                                                       D("11.50"), D(15))
    assert issued.number.startswith("KF-E01-") and issued.department_id == staff.maint.id
    with acting_as(staff.keeper):
        last = services.issue(staff.keeper, tap, quantity=D(15), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
    db.session.refresh(tap)
    assert (tap.on_hand, tap.stock_value, last.value) == (D(0), D("0.00"), D("-172.50"))
    assert ledger_matches(db)


def test_issuing_more_than_on_hand_is_refused_and_changes_nothing(db, staff, store, item):
    tap = item(store(), on_hand=3)
    before = _count(db, Movement)
    with acting_as(staff.keeper):
        err = refused("Only 3 个 of WJ-001 水龙头 on hand: 4 cannot be taken out.", services.issue, staff.keeper, tap,
                      quantity=D(4), department_id=staff.maint.id, received_by="张伟")
    assert err.field == "quantity"
    db.session.refresh(tap)
    assert tap.on_hand == D(3) and _count(db, Movement) == before


def test_bad_quantities_costs_and_destinations_are_refused(db, staff, store, item):
    tap = item(store(), on_hand=3)
    k = staff.keeper
    with acting_as(k):
        for bad, message in ((D(0), "The quantity must be more than zero."), (D(-1), "The quantity must be more"),
                             (D("0.0001"), "at most 3 decimal places"), (None, "Enter the quantity."),
                             (Decimal("NaN"), "at most 3 decimal places"), (D(10 ** 7), "is not accepted")):
            assert refused(message, services.issue, k, tap, quantity=bad, department_id=staff.maint.id,
                           received_by="张伟").field == "quantity"
        assert refused("give one of them", services.issue, k, tap, quantity=D(1), received_by="张伟").field \
            == "work_order_number"
        assert refused("give one of them", services.issue, k, tap, quantity=D(1), received_by="张伟",
                       department_id=staff.maint.id, work_order_number="WX-1").field == "work_order_number"
        assert refused("Choose a department.", services.issue, k, tap, quantity=D(1), received_by="张伟",
                       department_id=999999).field == "department_id"
        assert refused("Enter who received", services.issue, k, tap, quantity=D(1), received_by=" ",
                       department_id=staff.maint.id).field == "received_by"
        assert refused("Enter the supplier.", services.receive, k, tap, quantity=D(1), unit_cost=D(1),
                       supplier="").field == "supplier"
        assert refused("Use at most 2 decimal places.", services.receive, k, tap, quantity=D(1),
                       unit_cost=D("1.001"), supplier="华信").field == "unit_cost"
        assert refused("Enter a unit cost between", services.receive, k, tap, quantity=D(1),
                       unit_cost=D("-1"), supplier="华信").field == "unit_cost"
    assert _count(db, Movement) == 1


def test_dates_out_of_order_are_refused(db, staff, store, item, clock):
    from datetime import timedelta

    from core.models import utcnow

    tap = item(store(), on_hand=3)
    with acting_as(staff.keeper):
        assert refused("in the future", services.issue, staff.keeper, tap, quantity=D(1), received_by="张伟",
                       department_id=staff.maint.id, moved_at=utcnow() + timedelta(hours=2)).field == "moved_at"
        assert refused("already has a movement after that time", services.issue, staff.keeper, tap, quantity=D(1),
                       received_by="张伟", department_id=staff.maint.id,
                       moved_at=utcnow() - timedelta(days=1)).field == "moved_at"
    assert _count(db, Movement) == 1


def test_roles_and_estates(db, staff, store, item):
    room = store()
    tap = item(room, on_hand=3)
    theirs = item(store("KF-9", estate=staff.e2), code="X-1", on_hand=3)
    with acting_as(staff.frontdesk):  # no storekeeper permission
        refused("Your role may not do this.", services.issue, staff.frontdesk, tap, quantity=D(1),
                department_id=staff.maint.id, received_by="张伟")
    with acting_as(staff.keeper):
        refused("Choose one of your estates.", services.issue, staff.keeper, theirs, quantity=D(1),
                department_id=staff.maint.id, received_by="张伟")
        refused("Your role may not do this.", services.add_item, staff.keeper, room, code="N", name="N", unit="个")
    assert _count(db, Movement) == 2


def test_returns_transfers_and_reversals(db, staff, store, item):
    main, other = store("KF-1"), store("KF-2")
    wire = item(main, code="DQ-002", on_hand=100, cost="2.00", unit="米", name="电线")
    with acting_as(staff.sup):
        issued = services.issue(staff.sup, wire, quantity=D("30.5"), department_id=staff.maint.id, received_by="张伟")
        back = services.return_stock(staff.sup, wire, quantity=D("10.5"), department_id=staff.maint.id,
                                     note="施工剩余")
        out, came = services.transfer(staff.sup, wire, to_store_id=other.id, quantity=D(20))
        db.session.commit()
    there = db.session.get(Item, came.item_id)
    assert (there.store_id, there.code, there.unit, there.on_hand, there.stock_value) == (other.id, "DQ-002", "米",
                                                                                         D(20), D("40.00"))
    assert out.transfer_id == came.transfer_id == out.id and back.value == D("21.00")
    db.session.refresh(wire)
    assert wire.on_hand == D(60)
    with acting_as(staff.sup):
        assert refused("Say why", services.reverse, staff.sup, issued, reason="").field == "reason"
        undo = services.reverse(staff.sup, issued, reason="领错了")
        db.session.commit()
    assert [(u.kind, u.quantity, u.value, u.reverses_id) for u in undo] == [("reversal", D("30.5"), D("61.00"),
                                                                            issued.id)]
    with acting_as(staff.sup):
        refused(f"Movement {issued.number} has already been reversed.", services.reverse, staff.sup, issued,
                reason="再来")
        refused("A reversal cannot be reversed", services.reverse, staff.sup, undo[0], reason="再来")
        # The transfer's two legs are reversed together.
        legs = services.reverse(staff.sup, came, reason="调拨错误")
        db.session.commit()
    assert sorted(m.kind for m in legs) == ["reversal", "reversal"]
    db.session.refresh(there)
    db.session.refresh(wire)
    assert there.on_hand == 0 and wire.on_hand == D("110.5")
    assert ledger_matches(db)


def test_a_receipt_whose_goods_have_gone_cannot_be_reversed(db, staff, store, item):
    tap = item(store(), on_hand=5)
    receipt = db.session.scalar(select(Movement).where(Movement.kind == "receipt"))
    with acting_as(staff.sup):
        services.issue(staff.sup, tap, quantity=D(4), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
        refused("Only 1 个 of WJ-001 水龙头 on hand: 5 cannot be taken out.", services.reverse, staff.sup, receipt,
                reason="供应商开错单")
    assert _count(db, Movement) == 2


def test_a_count_posts_differences_as_adjustments_with_a_reason(db, staff, store, item):
    room = store()
    tap, bulb = item(room, on_hand=10), item(room, code="DQ-001", on_hand=20, name="灯泡", cost="8.00")
    with acting_as(staff.keeper):
        count = services.start_count(staff.keeper, room, note="月度盘点")
        db.session.commit()
        refused("A count of 库房KF-1 is already open", services.start_count, staff.keeper, room)
    lines = {line.item_id: line for line in db.session.scalars(select(CountLine))}
    entries = {lines[tap.id].id: (D(10), ""), lines[bulb.id].id: (D(18), "")}
    with acting_as(staff.sup):
        err = refused("Say why DQ-001 differs from the book (20 counted as 18).", services.post_count, staff.sup,
                      count, entries)
        assert err.field == f"reason_{lines[bulb.id].id}"
        err = refused("Enter the counted quantity of WJ-001.", services.post_count, staff.sup, count,
                      {lines[bulb.id].id: (D(18), "破损")})
        entries[lines[bulb.id].id] = (D(18), "两个破损未登记")
        made = services.post_count(staff.sup, count, entries)
        db.session.commit()
    assert [(m.kind, m.quantity, m.value, m.reason, m.count_id) for m in made] == [
        ("adjustment", D(-2), D("-16.00"), "两个破损未登记", count.id)]
    db.session.refresh(count)
    assert count.state == "posted" and lines[bulb.id].movement_id == made[0].id
    with acting_as(staff.sup):
        refused("This count is no longer open.", services.post_count, staff.sup, count, entries)
    assert ledger_matches(db)


def test_a_count_on_an_item_moving_during_the_count_is_refused(db, staff, store, item):
    room = store()
    tap = item(room, on_hand=10)
    with acting_as(staff.keeper):
        count = services.start_count(staff.keeper, room)
        db.session.commit()
        services.issue(staff.keeper, tap, quantity=D(2), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
    line = db.session.scalar(select(CountLine))
    with acting_as(staff.sup):
        refused("These items moved during the count (received, issued or transferred since it started): WJ-001.",
                services.post_count, staff.sup, count, {line.id: (D(10), "")})
    db.session.refresh(count)
    assert count.state == "open" and _count(db, Movement) == 2
    db.session.refresh(tap)
    assert tap.on_hand == D(8)
    with acting_as(staff.keeper):
        services.cancel_count(staff.keeper, count)
        db.session.commit()
        services.start_count(staff.keeper, room)  # counted again
        db.session.commit()
    assert _count(db, StockCount) == 2


def test_issue_to_a_work_order_adds_the_materials_used_with_repairs_enabled(db, staff, store, item, make_user):
    from plugins.repairs.models import WorkOrder

    number, _repair_id = work_order(db, staff.e1, staff.sup, staff.tech)
    other, _ = work_order(db, staff.e2, staff.sup_e2, make_user("technician", [staff.e2], username="tech3"))
    tap = item(store(), on_hand=5)
    with acting_as(staff.keeper):
        for typed in ("WX-E01-2026-999999", other):
            err = refused(f"There is no repair work order {typed} in this estate.", services.issue, staff.keeper, tap,
                          quantity=D(1), work_order_number=typed, received_by="张师傅")
            assert err.field == "work_order_number"
        issued = services.issue(staff.keeper, tap, quantity=D(2), work_order_number=number, received_by="张师傅")
        db.session.commit()
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.number == number))
    assert order.materials == f"{issued.number} WJ-001 水龙头 × 2 个"
    with acting_as(staff.keeper):
        back = services.return_stock(staff.keeper, tap, quantity=D(1), work_order_number=number, note="多领一个")
        db.session.commit()
    db.session.refresh(order)
    assert order.materials.splitlines() == [f"{issued.number} WJ-001 水龙头 × 2 个",
                                            f"{back.number} WJ-001 水龙头 × -1 个"]
    # The technician's own text at completion comes after the store's lines.
    from plugins.repairs import services as repairs

    repair = order.repair
    with acting_as(staff.tech):
        repairs.accept(staff.tech, repair)
        repairs.complete(staff.tech, repair, work_done="更换水龙头", materials="生料带一卷", minutes_spent=30)
        db.session.commit()
    db.session.refresh(order)
    assert order.materials.splitlines()[-1] == "生料带一卷" and len(order.materials.splitlines()) == 3


def test_with_repairs_disabled_the_work_order_number_is_kept_as_text(db, staff, store, item):
    from core.plugins import is_enabled
    from core.site import disable, enable, refresh

    tap = item(store(), on_hand=5)
    disable("repairs")
    db.session.commit()
    refresh(force=True)
    try:
        assert not is_enabled("repairs")
        with acting_as(staff.keeper):
            issued = services.issue(staff.keeper, tap, quantity=D(1), work_order_number="WX-E01-2026-000042",
                                    received_by="张师傅")
            db.session.commit()
        assert issued.work_order_number == "WX-E01-2026-000042"
    finally:
        enable("repairs")
        db.session.commit()
        refresh(force=True)


def test_the_database_refuses_a_negative_stock_whatever_the_application_does(db, staff, store, item):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    tap = item(store(), on_hand=1)
    try:
        db.session.execute(update(Item).where(Item.id == tap.id).values(on_hand=D(-1)))
        db.session.flush()
        raised = False
    except IntegrityError:
        raised = True
    db.session.rollback()
    assert raised


def test_stock_on_hand_reads_exact_decimals_at_the_columns_scale(db, staff, store, item):
    """``stock_on_hand`` (the store page's data, read without the ORM) gives each active item's
    stock as the ORM does: ``Decimal``
    quantities with three places and values with two, by code, retired items left out."""
    room = store()
    a = item(room, code="WJ-002", on_hand="2.5", cost="3.33", min_stock="4")
    b = item(room, code="WJ-001", on_hand=7, cost="0.10")
    c = item(room, code="WJ-003")
    other = item(store("KF-2"), code="WJ-009", on_hand=1)
    c.active = False
    db.session.commit()
    rows = services.stock_on_hand(room.id)
    assert [r.code for r in rows] == ["WJ-001", "WJ-002"]
    db.session.expire_all()
    for r, it in zip(rows, (db.session.get(Item, b.id), db.session.get(Item, a.id)), strict=True):
        assert r.id == it.id and (r.min_stock, r.on_hand, r.stock_value) == (it.min_stock, it.on_hand, it.stock_value)
        assert all(type(x) is Decimal for x in (r.min_stock, r.on_hand, r.stock_value))
    assert [str(x) for x in rows[1][6:]] == ["4.000", "2.500", "8.33"] and str(rows[0].stock_value) == "0.70"
    assert other.id not in {r.id for r in rows}
