"""A move-in in a real browser, in Chinese (issue 12): the clerk opens the case → records the
acceptance inspection with one defect (a photo) → a repair order is created → hands the owner
keys over through the keys register → ticks the rest of the checklist → completes the case →
prints the 《房屋验收表》 with the signature lines."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def staff(site, estates, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.keys import services as keys

    for username, name in (("clerk", "李娜"), ("supervisor", "张伟")):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    sup = db.session.query(User).filter_by(username="supervisor").one()
    clerk = db.session.query(User).filter_by(username="clerk").one()
    with acting_as(sup):  # the clerk keeps the keys; the developer's owner keys of 1-1-101 are on the board
        keys.designate_keeper(sup, estate_id=estates[0].id, user_id=clerk.id)
        keys.add_key(sup, estate_id=estates[0].id, kind="security_door", tag="H-101-FD", unit_number="1-1-101",
                     copies=3)
        keys.add_key(sup, estate_id=estates[0].id, kind="mailbox", tag="H-101-XX", unit_number="1-1-101", copies=2)
        db.session.commit()


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_a_move_in_with_a_defect_and_keys_in_chinese(page, staff, login, shot, site):
    login("clerk")
    # -- 1. open the move-in case --
    go(page, "入住迁出")
    expect(page.locator("h1")).to_contain_text("入住迁出案件")
    page.get_by_role("link", name="办理入住").first.click()
    page.fill("#unit_number", "1-1-101")
    page.fill("#owner_name", "陈业主")
    page.fill("#owner_phone", "13812345678")
    page.fill("#owner_id_number", "110101199001011234")
    page.get_by_role("button", name="立案").click()
    expect(page.locator(".flash")).to_contain_text("已为房屋 1-1-101 立案 RZ-E01-")
    number = page.locator(".case-number").inner_text()
    expect(page.locator(".checklist-item")).to_have_count(6)

    # -- 2. the acceptance inspection: a meter reading, then one defect with a photo --
    page.select_option("#room", label="整套")
    page.select_option("#element", label="水表")
    page.fill("#reading", "-5")
    page.get_by_role("button", name="记录", exact=True).click()
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text("不是有效的表具读数")
    page.select_option("#room", label="整套")
    page.select_option("#element", label="水表")
    page.fill("#reading", "3.50")
    page.get_by_role("button", name="记录", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已检查：合格。")
    page.select_option("#room", label="卫生间")
    page.select_option("#element", label="给排水")
    page.check("input[name=result][value=defect]")
    page.fill("#defect", "地漏返水")
    page.set_input_files("#photos", files=[{"name": "drain.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="记录", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已记录问题：维修单 BX-E01-")
    expect(page.locator(".inspection .follow-up").last).to_contain_text("BX-E01-")
    expect(page.locator(".inspection .follow-up").last).to_contain_text("已登记")
    shot("movein-1-inspection")

    # -- 3. the owner keys, through the keys register --
    page.get_by_role("button", name="交付钥匙", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("钥匙已交付（YJ-E01-")
    expect(page.locator(".checklist-item[data-code=keys] .item-done")).to_contain_text("YJ-E01-")

    # -- 4. the rest of the checklist, then complete --
    page.get_by_role("button", name="办结案件").click()
    expect(page.locator(".flash")).to_contain_text("还有事项未勾选")
    while page.locator(".tick-form").count():
        page.locator(".tick-form button").first.click()
        expect(page.locator(".flash")).to_contain_text("已勾选")
    page.get_by_role("button", name="办结案件").click()
    expect(page.locator(".flash")).to_contain_text(f"案件 {number} 已办结。")
    expect(page.locator(".case-state")).to_have_text("已完成")
    shot("movein-2-completed")

    # -- 5. the printed form --
    href = page.locator("a.case-print").get_attribute("href")
    page.goto(site.url + href)
    expect(page.locator("h1")).to_have_text("房屋验收表")
    expect(page.locator(".print-inspection")).to_contain_text("地漏返水")
    expect(page.locator(".print-inspection")).to_contain_text("3.50")
    expect(page.locator("footer.signatures")).to_contain_text("业主（签名）")
    expect(page.locator("footer.signatures")).to_contain_text("工作人员（签名）")
    shot("movein-3-print")
