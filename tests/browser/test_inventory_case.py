"""The store room in a real browser, in Chinese (issue 13): the supervisor opens a store room and
an item and receives a delivery → the storekeeper issues taps to a technician's repair work order
(the order's materials used shows them) → a stock count finds one missing, posted as an adjustment
with its reason."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def order(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.repairs import services as repairs

    for username, name in (("clerk", "李娜"), ("supervisor", "张伟")):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    tech = make_user("technician", [estates[0]], username="tech", locale="zh_CN", full_name="王师傅")
    sup = db.session.query(User).filter_by(username="supervisor").one()
    with acting_as(sup):
        repair = repairs.record(sup, estate_id=estates[0].id, unit_id=None, address="3号楼2单元",
                                contact_name="张伟", contact_phone="13800000001", category="water",
                                description="公共卫生间水龙头漏水", channel="patrol", area="common")
        wo = repairs.dispatch(sup, repair, tech.id, "更换水龙头")
        db.session.commit()
    return wo.number, repair.id


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def test_receipt_issue_to_a_work_order_and_a_count_in_chinese(page, order, login, shot, site, db):
    number, repair_id = order
    # -- 1. the supervisor opens the store room, adds the item and receives a delivery --
    login("supervisor")
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(r"^\s*库房\s*(\d+)?\s*$")).click()
    expect(page.locator("h1")).to_contain_text("库存现存量")
    page.locator(".inventory-nav a", has_text="库房").click()
    page.fill("#code", "KF-1")
    page.fill("#name", "工程库房")
    page.get_by_role("button", name="新增库房").click()
    expect(page.locator(".flash")).to_contain_text("库房 工程库房 已新增。")
    page.get_by_role("link", name="新增物料").click()
    page.fill("#code", "WJ-001")
    page.fill("#name", "水龙头")
    page.fill("#spec", "DN15")
    page.fill("#unit", "个")
    page.fill("#min_stock", "5")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("物料 WJ-001 已新增。")
    page.fill("#rcv-quantity", "20")
    page.fill("#rcv-unit_cost", "28.50")
    page.fill("#rcv-supplier", "华信五金")
    page.get_by_role("button", name="入库", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已入库：水龙头 × 20。")
    expect(page.locator(".item-on-hand")).to_have_text("20 个")
    shot("inventory-1-received")
    item_url = page.url
    sign_out(page)

    # -- 2. the storekeeper issues two taps to the technician's work order; too many is refused --
    login("clerk")
    page.goto(item_url)
    page.fill("#issue-quantity", "25")
    page.fill("#issue-work_order_number", number)
    page.fill("#issue-received_by", "王师傅")
    page.get_by_role("button", name="领用出库", exact=True).click()
    expect(page.locator(".invalid-feedback")).to_contain_text("WJ-001 水龙头 现存仅 20 个，不能出库 25。")
    page.fill("#issue-quantity", "2")
    page.get_by_role("button", name="领用出库", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已出库：水龙头 × 2。")
    expect(page.locator(".item-on-hand")).to_have_text("18 个")
    expect(page.locator(".item-movements a", has_text=number)).to_have_attribute("href", f"/repairs/{repair_id}")
    shot("inventory-2-issued")
    # The storekeeper starts the month's count from the store room.
    page.locator(".item-facts a", has_text="工程库房").click()
    page.get_by_role("button", name="开始盘点").click()
    expect(page.locator(".flash")).to_contain_text("已开始")
    expect(page.locator(".count-state")).to_have_text("盘点中")
    count_url = page.url
    sign_out(page)

    # -- 3. the supervisor enters what was counted: one tap missing, with the reason --
    login("supervisor")
    page.goto(site.url + f"/repairs/{repair_id}")
    expect(page.locator(".order-materials")).to_contain_text("WJ-001 水龙头 × 2 个")
    page.goto(count_url)
    page.locator("input[name^=counted_]").fill("17")
    page.get_by_role("button", name="盘点过账").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("请说明 WJ-001 的盘点差异原因（账面 18，实盘 17）。")
    page.locator("input[name^=reason_]").fill("维修领用未登记")
    page.get_by_role("button", name="盘点过账").click()
    expect(page.locator(".flash")).to_contain_text("盘点已过账：1 项差异已调整。")
    expect(page.locator(".count-state")).to_have_text("已过账")
    shot("inventory-3-counted")
    page.goto(item_url)
    expect(page.locator(".item-on-hand")).to_have_text("17 个")
    expect(page.locator(".item-movements")).to_contain_text("盘点调整")
    expect(page.locator(".item-movements")).to_contain_text("维修领用未登记")
