"""The cashier's day, in Chinese, in a real browser (issue 4).

The cashier finds unit 3-2-1201 as she types, pays its two oldest months, prints the receipt
(amount in capital numerals, "cash received" stamp), then closes her day and hands over to the
finance cashier; the handover form's totals match the receipt.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

pytestmark = pytest.mark.browser

SJ = re.compile(r"SJ-E01-\d{4}-\d{6}")
JJ = re.compile(r"JJ-E01-\d{4}-\d{6}")


@pytest.fixture
def desk_day(site, estates, make_user, db):
    """E01's cashier and finance cashier (both in Chinese) and three monthly bills of 3-2-1201."""
    from core.models import Unit
    from plugins.fees.models import Bill, FeeItem

    e1 = estates[0]
    make_user("cashier", [e1], username="cashier", locale="zh_CN", full_name="刘出纳")
    make_user("manager", [e1], username="finance", locale="zh_CN", full_name="财务陈")
    item = FeeItem(estate_id=e1.id, code="WY", name="物业服务费", kind="area")
    db.session.add(item)
    db.session.flush()
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "3-2-1201"))
    bills = []
    for month in (8, 9, 10):
        start = date(2026, month, 1)
        bill = Bill(estate_id=e1.id, unit_id=unit.id, item_id=item.id, period_start=start,
                    period_end=date(2026, month + 1, 1) - timedelta(days=1), due_date=start, quantity=Decimal("98.50"),
                    unit_price=Decimal("2.60"), amount=Decimal("256.10"), dedupe_key=f"b:{month}")
        db.session.add(bill)
        bills.append(bill)
    db.session.commit()
    from core.models import User

    db.session.execute(update(User).where(User.username == "admin").values(locale="zh_CN"))
    db.session.commit()
    return [b.id for b in bills]


def test_the_cashier_pays_two_months_prints_and_closes_the_day(page, desk_day, login, site, shot):
    login("cashier")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator('#sidebar a[href="/fees/desk"]').click()
    # A click returns once the navigation commits, before the page's scripts have run: typing
    # then went unheard by htmx (no search, the test timed out waiting for the hit). The load
    # event comes after htmx has bound the search box.
    page.wait_for_url(site.url + "/fees/desk", wait_until="load")
    page.fill("#desk-q", "3-2-12")
    hit = page.locator('.desk-hit[data-unit="3-2-1201"]')
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("768.30")
    shot("fees-1-lookup")
    hit.get_by_role("link").first.click()

    expect(page.locator(".unit-number")).to_have_text("3-2-1201")
    expect(page.locator(".bill-row")).to_have_count(3)
    expect(page.locator(".bill-row.table-danger")).to_have_count(3)  # all overdue, oldest first
    expect(page.locator("#amount")).to_have_value("768.30")  # all three ticked
    page.uncheck(f"#bill-{desk_day[2]}")  # the owner pays August and September
    expect(page.locator("#amount")).to_have_value("512.20")  # the desk adds up the ticked bills
    expect(page.locator("#ticked-total .count")).to_have_text("2")
    expect(page.locator("#ticked-total .sum")).to_have_text("¥512.20")  # as the server writes money
    page.uncheck("#tick-all")
    expect(page.locator("#amount")).to_have_value("")
    page.check("#tick-all")
    expect(page.locator("#amount")).to_have_value("768.30")
    page.uncheck(f"#bill-{desk_day[2]}")
    expect(page.locator("#amount")).to_have_value("512.20")
    page.fill("#payer", "王芳")
    shot("fees-2-pay")
    page.click("#pay-button")

    expect(page.locator(".receipt-number")).to_have_text(SJ)
    receipt = page.locator(".receipt-number").inner_text()
    expect(page.locator(".receipt-words")).to_contain_text("伍佰壹拾贰元贰角整")
    expect(page.locator(".receipt-line")).to_have_count(2)
    expect(page.locator(".receipt-total")).to_contain_text("512.20")
    with page.context.expect_page() as new:
        page.click("#print-receipt")
    printed = new.value
    printed.wait_for_load_state()
    expect(printed.locator(".receipt-number")).to_have_text(receipt)
    expect(printed.locator(".receipt-stamp")).to_have_attribute("data-stamp", "cash")
    expect(printed.locator(".receipt-words")).to_have_text("伍佰壹拾贰元贰角整")
    expect(printed.locator(".receipt-void-mark")).to_have_count(0)
    printed.screenshot(path=str(shot("fees-3-receipt").parent / "fees-3-receipt-print.png"), full_page=True)
    printed.close()

    # the unit still owes October
    page.goto(site.url + "/fees/desk?q=3-2-1201")
    expect(page.locator('.desk-hit[data-unit="3-2-1201"]')).to_contain_text("256.10")

    # -- close the day and hand over to the finance cashier --
    page.locator('#sidebar a[href="/fees/close"]').click()
    expect(page.locator(".close-total")).to_contain_text("512.20")
    expect(page.locator(".close-facts")).to_contain_text(receipt)
    page.select_option("#handed_to", label="财务陈")
    page.click("#close-button")
    expect(page.locator(".close-number")).to_have_text(JJ)
    expect(page.locator(".close-total")).to_contain_text("512.20")
    expect(page.locator(".close-cash")).to_contain_text("512.20")
    expect(page.locator(".close-receipts")).to_contain_text(receipt)
    expect(page.locator('.close-methods tr[data-method="cash"]')).to_contain_text("512.20")
    shot("fees-4-handover")
    with page.context.expect_page() as new:
        page.click("#print-close")
    form = new.value
    form.wait_for_load_state()
    expect(form.locator(".close-total")).to_contain_text("512.20")
    expect(form.locator(".close-receipts")).to_contain_text(receipt)
    form.close()

    # the day is locked: the desk says so
    page.goto(site.url + "/fees/desk?q=3-2-1201")
    page.locator('.desk-hit[data-unit="3-2-1201"] a').first.click()
    expect(page.locator(".day-closed")).to_be_visible()
