"""A deposit refund and a month-end arrears list, in Chinese, in a real browser.

The manager approves the decoration deposit refund the cashier asked for and prints the
refund voucher (marked "approved, to be paid out" until the money is paid); the cashier
pays it out and the voucher prints clean. Then the manager lists the arrears "as the books
stood" at the end of a past day, which the page says in words.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

pytestmark = pytest.mark.browser


@pytest.fixture
def refund_case(site, estates, make_user, db):
    """E01: a Chinese-speaking cashier and manager, a 3,000 yuan decoration deposit held for
    3-2-1201 and its refund requested by the cashier; one overdue bill for the arrears list."""
    from core.audit import acting_as
    from core.models import Unit, User
    from plugins.fees import desk, ledger
    from plugins.fees.models import Bill, FeeItem

    e1 = estates[0]
    cashier = make_user("cashier", [e1], username="cashier", locale="zh_CN", full_name="刘出纳")
    make_user("manager", [e1], username="boss", locale="zh_CN", full_name="王经理")
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "3-2-1201"))
    deposit_item = FeeItem(estate_id=e1.id, code="ZXYJ", name="装修押金", kind="deposit", cycle="oneoff")
    fee = FeeItem(estate_id=e1.id, code="WY", name="物业服务费", kind="area")
    db.session.add_all([deposit_item, fee])
    db.session.flush()
    due = date.today() - timedelta(days=40)
    from core.models import utcnow

    db.session.add(Bill(estate_id=e1.id, unit_id=unit.id, item_id=fee.id, period_start=due.replace(day=1),
                        period_end=due, due_date=due, quantity=Decimal("1"), unit_price=Decimal("256.10"),
                        amount=Decimal("256.10"), dedupe_key="b:late", created_at=utcnow() - timedelta(days=45)))
    with acting_as(cashier):
        ledger.take_payment(estate=e1, unit_id=unit.id, cashier_id=cashier.id, method="transfer",
                            amount=Decimal("3000"), bills=[], deposit_item_id=deposit_item.id,
                            deposit_ref="ZX-2026-007", payer="王芳")
        held = unit.id
        db.session.commit()
        from plugins.fees.models import Deposit

        dep = db.session.scalar(select(Deposit).where(Deposit.unit_id == held))
        refund = desk.request_refund(cashier, unit, kind="deposit", deposit_id=dep.id, payee="王芳",
                                     reason="装修验收合格")
        db.session.commit()
    db.session.execute(update(User).where(User.username == "admin").values(locale="zh_CN"))
    db.session.commit()
    return refund.id, refund.number


def open_voucher(page):
    """Click "print the voucher" on the refund page: the voucher opens in a new tab."""
    with page.context.expect_page() as new:
        page.click(".refund-print")
    voucher = new.value
    voucher.wait_for_load_state()
    return voucher


def test_the_manager_approves_the_refund_prints_the_voucher_and_lists_past_arrears(
        page, refund_case, login, site, shot):
    refund_id, number = refund_case
    login("boss")
    page.goto(f"{site.url}/fees/refunds/{refund_id}")
    expect(page.locator(".refund-state")).to_have_attribute("data-state", "requested")
    page.select_option("#decision", "approve")
    page.fill("#note", "同意退还")
    page.get_by_role("button", name="保存审批结果").click()
    expect(page.locator(".refund-state")).to_have_attribute("data-state", "approved")

    voucher = open_voucher(page)
    expect(voucher.locator("h1")).to_have_text("退款凭证")
    expect(voucher.locator(".refund-number")).to_have_text(number)
    expect(voucher.locator(".refund-words")).to_have_text("叁仟元整")
    expect(voucher.locator(".refund-of")).to_contain_text("ZX-2026-007")
    expect(voucher.locator(".refund-state-mark")).to_have_text("已批准，待付款")  # not a voucher yet
    voucher.close()

    page.click("#logout")
    login("cashier")
    page.goto(f"{site.url}/fees/refunds/{refund_id}")
    page.select_option("#method", "cash")
    page.get_by_role("button", name="确认已付款").click()
    expect(page.locator(".refund-state")).to_have_attribute("data-state", "paid")
    voucher = open_voucher(page)
    expect(voucher.locator(".refund-state-mark")).to_have_count(0)
    expect(voucher.locator(".refund-paid")).to_contain_text("刘出纳")
    voucher.screenshot(path=str(shot("fees-refund-voucher").parent / "fees-refund-voucher-print.png"),
                       full_page=True)
    voucher.close()

    # month-end arrears, as the books stood that day
    page.click("#logout")
    login("boss")
    page.goto(f"{site.url}/fees/arrears")
    expect(page.locator(".arrears-basis")).to_have_attribute("data-history", "0")
    page.fill("#as_of", (date.today() - timedelta(days=1)).isoformat())
    page.select_option("#amounts", "then")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".arrears-basis")).to_have_attribute("data-history", "1")
    expect(page.locator(".arrears-basis")).to_contain_text("日终时的账面")
    expect(page.locator("#amounts")).to_have_value("then")
    expect(page.locator(".arrears-total")).to_contain_text("256.10")  # billed 45 days ago, unpaid then
    shot("fees-arrears-history")
