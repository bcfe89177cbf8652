"""The front desk in a real browser, in Chinese (issue 14): a tenant's goods-out pass is applied
for at the desk (with the owner's consent) → the supervisor approves it → it is printed → the
guard marks it used at the gate → a second use is refused."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(site, estates, make_user, db):
    from core.models import User

    for username, name in (("supervisor", "张伟"),):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    make_user("frontdesk", [estates[0]], username="desk", locale="zh_CN", full_name="吴敏")
    make_user("frontdesk", [estates[0]], username="guard", locale="zh_CN", full_name="周保安")


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_a_tenants_goods_out_pass_is_applied_approved_printed_and_used_once(page, staff, login, shot, site, db):
    from plugins.frontdesk.models import GoodsPass

    # -- 1. the desk records the tenant's application, with the owner's consent --
    login("desk")
    go(page, "物品放行条")
    expect(page.locator("h1")).to_contain_text("物品放行条")
    page.get_by_role("link", name="申请物品放行条").click()
    page.select_option("#applicant_kind", label="租户")
    page.fill("#unit_number", "1-1-101")
    page.fill("#contact_phone", "13912345678")
    page.fill("#contact_name", "李娜（租户）")
    page.fill("#goods", "退租搬出：沙发一套、冰箱一台")
    page.fill("#vehicle_plate", "沪A12345")
    page.get_by_role("button", name="提交申请").click()
    # Without the owner's consent: refused, in Chinese, nothing saved.
    expect(page.locator("[data-field=owner_consent_name], .invalid-feedback").first).to_contain_text(
        "租户物品放行须经业主同意")
    assert db.session.scalar(select(GoodsPass.id)) is None
    page.fill("#owner_consent_name", "王丽华")
    page.fill("#owner_consent_note", "电话确认同意")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash")).to_contain_text("申请已登记")
    expect(page.locator(".pass-state")).to_have_text("待审批")
    expect(page.locator(".pass-consent")).to_contain_text("王丽华")
    shot("frontdesk-1-applied")
    sign_out(page)

    # -- 2. the supervisor approves it: the pass gets its number --
    login("supervisor")
    go(page, "物品放行条")
    page.get_by_role("link", name="—").first.click()
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".flash")).to_contain_text("已批准")
    expect(page.locator(".pass-state")).to_have_text("已批准")
    number = page.locator(".pass-number").inner_text().strip()
    assert re.fullmatch(r"FX-E01-\d{4}-\d{6}", number), number
    # -- 3. printed --
    with page.expect_popup() as popup:
        page.locator("a.pass-print").click()
    sheet = popup.value
    expect(sheet.locator("h1")).to_have_text("物品放行条")
    expect(sheet.locator(".form-number")).to_have_text(number)
    expect(sheet.locator(".pass-sheet")).to_contain_text("退租搬出：沙发一套、冰箱一台")
    expect(sheet.locator(".pass-sheet")).to_contain_text("王丽华")
    sheet.close()
    shot("frontdesk-2-approved")
    sign_out(page)

    # -- 4. the guard marks it used at the gate; a second use is refused --
    login("guard")
    page.goto(site.url + "/frontdesk/gate")
    expect(page.locator("h1")).to_have_text("门岗放行")
    page.fill("#number", number)
    page.fill("#gate", "北门")
    page.get_by_role("button", name="核销放行").click()
    expect(page.locator(".flash")).to_contain_text(f"放行条 {number} 已核销：物品可以放行。")
    expect(page.locator(".pass-state")).to_have_text("已使用")
    expect(page.locator(".pass-used")).to_contain_text("周保安")
    page.goto(site.url + "/frontdesk/gate")
    page.fill("#number", number)
    page.get_by_role("button", name="核销放行").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text(f"放行条 {number} 已使用过。")
    shot("frontdesk-3-used-once")
    db.session.rollback()
    row = db.session.scalar(select(GoodsPass))
    assert (row.state, row.use.gate) == ("used", "北门")
