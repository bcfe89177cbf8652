"""Key custody in a real browser, in Chinese (issue 11): a technician's work order needs the
pump-room key → the supervisor designates the keeper and registers the key → the keeper lends it
against the order → takes it back → the loan register shows the whole line."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.repairs import services as repairs

    for username, name in (("clerk", "李娜"), ("supervisor", "张伟")):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    tech = make_user("technician", [estates[0]], username="tech", locale="zh_CN", full_name="王师傅")
    sup = db.session.query(User).filter_by(username="supervisor").one()
    # The pump is noisy: a repair dispatched to the technician (recorded through the repairs services).
    with acting_as(sup):
        repair = repairs.record(sup, estate_id=estates[0].id, unit_id=None, address="地下一层水泵房",
                                contact_name="张伟", contact_phone="13800000001", category="water",
                                description="水泵异响", channel="patrol", area="common")
        order = repairs.dispatch(sup, repair, tech.id, "需借水泵房钥匙")
        db.session.commit()
    return order.number


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_a_work_order_key_is_lent_and_returned_in_chinese(page, staff, login, shot, db):
    wx = staff
    # -- 1. the supervisor designates the clerk as key keeper and registers the pump-room key --
    login("supervisor")
    go(page, "钥匙管理")
    expect(page.locator("h1")).to_contain_text("钥匙登记册")
    page.get_by_role("link", name="钥匙管理员").click()
    page.select_option("#user_id", label="李娜 (clerk)")
    page.get_by_role("button", name="指定", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("李娜 已被指定为 Sunshine Garden 的钥匙管理员。")
    expect(page.locator(".keepers-table tbody tr")).to_have_count(1)
    go(page, "钥匙管理")
    page.get_by_role("link", name="新增钥匙").click()
    page.fill("#tag", "S-001")
    page.select_option("#kind", label="设备房")
    page.fill("#location", "水泵房")
    page.fill("#position", "A-01")
    page.fill("#copies", "2")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("钥匙 S-001 已登记入册。")
    expect(page.locator(".key-where")).to_have_text("水泵房")
    shot("keys-1-registered")
    sign_out(page)

    # -- 2. the keeper lends it to the technician against the work order --
    login("clerk")
    go(page, "钥匙管理")
    page.get_by_role("link", name="S-001").click()
    page.locator("a.btn", has_text="借出钥匙").click()
    expect(page.locator("#tag")).to_have_value("S-001")
    page.select_option("#borrower_kind", label="员工")
    page.fill("#borrower_name", "王师傅")
    page.fill("#borrower_phone", "13900001111")
    page.select_option("#reason_kind", label="维修任务单")
    page.fill("#work_order_number", wx)
    page.fill("#reason", "水泵异响检修")
    page.get_by_role("button", name="借出钥匙").click()
    expect(page.locator(".flash")).to_contain_text("钥匙 S-001 已借给 王师傅。")
    expect(page.locator(".key-out")).to_have_text("已借出")
    expect(page.locator(".key-loans")).to_contain_text(wx)
    shot("keys-2-lent")
    # Lending it again is refused, in Chinese.
    page.goto(page.url.split("/keys/")[0] + "/keys/lend?tag=S-001")
    page.select_option("#borrower_kind", label="施工单位人员")
    page.fill("#borrower_name", "李建国")
    page.fill("#borrower_phone", "13912345678")
    page.fill("#reason", "另一项工作")
    page.get_by_role("button", name="借出钥匙").click()
    expect(page.locator('[data-field="tag"]')).to_have_text("钥匙 S-001 已借出：须归还后才能再次借出。")

    # -- 3. the technician brings it back --
    go(page, "钥匙管理")
    page.get_by_role("link", name="S-001").click()
    page.locator("a.btn", has_text="收回钥匙").click()
    page.select_option("#condition", label="完好")
    page.get_by_role("button", name="收回钥匙").click()
    expect(page.locator(".flash")).to_contain_text("钥匙 S-001 已收回。")
    expect(page.locator(".key-out")).to_have_count(0)

    # -- 4. the loan register shows the line: who, what for, the order, lent and taken back by whom --
    go(page, "钥匙借用登记")
    expect(page.locator("table")).not_to_contain_text("王师傅")  # "out now" by default: nothing out
    page.select_option("#scope", label="全部借用记录")
    page.locator("form.list-filters button").click()
    row = page.locator("table tbody tr").filter(has_text=wx)
    expect(row).to_have_count(1)
    for text in ("S-001", "王师傅", "员工", "水泵房", "李娜", "已归还", "完好"):
        expect(row).to_contain_text(text)
    shot("keys-3-register")
