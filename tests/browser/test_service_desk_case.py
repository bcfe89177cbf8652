"""A whole service-desk case, in Chinese, in a real browser (issue 3).

The reception clerk records a phone repair, the supervisor dispatches it, the technician
accepts and completes it, the designated visitor records a satisfied phone return visit,
and the dashboard figures move accordingly. Every person works with locale ``zh_CN``.
"""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")  # E01's time zone (the Estate default)
BX = re.compile(r"BX-E01-\d{4}-\d{6}")
WX = re.compile(r"WX-E01-\d{4}-\d{6}")
HF = re.compile(r"HF-E01-\d{4}-\d+")


@pytest.fixture
def staff(site, estates, make_user, db):
    """Four people of estate E01, all working in Chinese."""
    from core.models import User

    for username, name in (("clerk", "李娜"), ("supervisor", "张伟")):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    make_user("technician", [estates[0]], username="tech", locale="zh_CN", full_name="王师傅")
    make_user("frontdesk", [estates[0]], username="frontdesk", locale="zh_CN", full_name="赵敏")
    return estates[0]


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    """Follow a sidebar entry by its exact (Chinese) label."""
    # (the icon's glyph is part of the accessible name, so match the link's text)
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*$")).click()


def repair_widget(page):
    return page.locator('[data-widget="repairs-open"]')


def repair_visit_row(page):
    """The "报修" row of the return-visit widget: kind, to visit, rate, on-time rate, target."""
    return page.locator('[data-widget="visits-rates"] tbody tr').filter(
        has=page.locator("td:first-child", has_text=re.compile(r"^\s*报修\s*$")))


def completion_rates(page) -> list:
    """The on-time completion rates behind the "报修完成时长" chart, oldest month first."""
    raw = page.locator('[data-widget="repairs-trend"] canvas').get_attribute("data-datasets")
    return json.loads(raw)[1]["data"]


def test_a_phone_repair_from_the_call_to_the_satisfied_return_visit_in_chinese(page, staff, login, shot, db):
    # -- 0. the supervisor reads the dashboard and designates the front desk as visitor --
    login("supervisor")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("工作台")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("0")
    expect(repair_widget(page).locator(".repairs-overdue-total")).to_have_text("0")
    expect(repair_visit_row(page).locator("td")).to_have_text(["报修", "0", "—", "—", "100%"])
    rates_before = completion_rates(page)
    assert rates_before[-1] is None  # nothing completed this month yet
    shot("case-0-dashboard-before")

    go(page, "回访")
    page.get_by_role("link", name="指定回访人").click()
    expect(page.locator(".visitors-table")).to_contain_text("尚未指定任何人。")
    page.select_option("#estate_id", label="E01 Sunshine Garden")
    page.select_option("#user_id", label="赵敏 (frontdesk)")
    page.fill("#note", "负责报修电话回访")
    page.get_by_role("button", name="指定", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("赵敏 现可在 Sunshine Garden 记录回访。")
    expect(page.locator(".visitors-table tbody tr")).to_have_count(1)
    expect(page.locator(".visitors-table tbody tr")).to_contain_text("启用")
    shot("case-0-visitor-designated")
    sign_out(page)

    # -- 1. the clerk records the phone call -------------------------------------------
    login("clerk")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("0")
    go(page, "报修")
    page.click("#new-repair")
    expect(page.locator("h1")).to_have_text("住户报修记录表")
    appointment = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(hour=10, minute=0)
    page.select_option("#estate_id", label="E01 Sunshine Garden")
    page.fill("#unit_number", "3-2-1201")
    page.fill("#contact_name", "陈先生")
    page.fill("#contact_phone", "13912345678")
    page.select_option("#channel", label="电话报修")
    page.select_option("#category", label="给水")
    page.fill("#description", "厨房水龙头漏水，关不紧。")
    page.fill("#appointment_at", appointment.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="登记报修").click()

    number = page.locator(".repair-number")
    expect(number).to_have_text(BX)
    bx = number.inner_text()
    expect(page.locator(".flash")).to_have_text(f"报修 {bx} 已登记。")
    expect(page.locator(".repair-state")).to_have_text("已登记")
    facts = page.locator(".repair-facts")
    expect(facts).to_contain_text("3-2-1201")
    expect(facts).to_contain_text("陈先生")
    expect(facts).to_contain_text("电话报修")
    expect(facts).to_contain_text("给水")
    expect(page.locator(".repair-description")).to_have_text("厨房水龙头漏水，关不紧。")
    expect(page.locator("#dispatch")).to_have_count(0)  # a clerk records, she does not dispatch
    shot("case-1-recorded")
    sign_out(page)

    # -- 2. the supervisor dispatches it to the technician ------------------------------
    login("supervisor")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("1")
    go(page, "报修")
    expect(page.locator(".list-total")).to_have_text("共 1 条记录")
    page.get_by_role("link", name=bx).click()
    expect(page.locator(".repair-state")).to_have_text("已登记")
    page.select_option("#technician_id", label="王师傅")
    page.fill("#notes", "业主上午在家，请先电话联系。")
    page.click("#dispatch")
    expect(page.locator(".repair-state")).to_have_text("已派工")
    expect(page.locator(".flash")).to_contain_text(WX)
    expect(page.locator(".flash")).to_contain_text("已派给 王师傅")
    order_row = page.locator(".work-orders tbody tr")
    expect(order_row).to_have_count(1)
    expect(order_row).to_contain_text("王师傅")
    expect(order_row).to_contain_text("已派单")
    wx = WX.search(order_row.inner_text()).group(0)
    shot("case-2-dispatched")
    sign_out(page)

    # -- 3. the technician finds the order in his list, accepts and completes it --------
    login("tech")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("1")
    go(page, "维修任务单")
    expect(page.locator("h1")).to_have_text("我的维修任务单")
    row = page.locator(".list-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(wx)
    expect(row).to_contain_text(bx)
    expect(row).to_contain_text("3-2-1201")
    expect(row).to_contain_text("已派单")
    shot("case-3-my-orders")
    row.get_by_role("link", name=wx).click()
    expect(page.locator(".repair-number")).to_have_text(bx)
    page.click("#accept")
    expect(page.locator(".flash")).to_have_text("已接单，报修进入维修中。")
    expect(page.locator(".repair-state")).to_have_text("维修中")
    page.fill("#work_done", "更换厨房水龙头阀芯，试水无渗漏。")
    page.fill("#materials", "阀芯 1 个")
    page.fill("#minutes_spent", "45")
    page.click("#complete")
    expect(page.locator(".flash")).to_have_text(f"报修 {bx} 已完工。")
    expect(page.locator(".repair-state")).to_have_text("已完成")
    expect(page.locator(".repair-completed-at")).to_contain_text("已于")
    expect(page.locator(".work-orders tbody tr")).to_contain_text("45 分钟")
    expect(page.locator(".work-orders tbody tr")).to_contain_text("更换厨房水龙头阀芯")
    shot("case-3-completed")
    sign_out(page)

    # -- 4. the designated visitor calls back: satisfied -----------------------------------
    login("frontdesk")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("0")
    visits = page.locator('[data-widget="visits-rates"]')
    visits.get_by_role("link", name="我有 1 个待回访").click()
    visit_row = page.locator(".list-table tbody tr")
    expect(visit_row).to_have_count(1)
    expect(visit_row).to_contain_text(bx)
    expect(visit_row).to_contain_text("待回访")
    visit_row.get_by_role("link", name=HF).click()
    expect(page.locator("h1")).to_contain_text("回访")
    expect(page.locator(".visit-state")).to_have_text("待回访")
    expect(page.locator(".visit-visitor")).to_have_text("赵敏")
    expect(page.locator(".visit-facts")).to_contain_text(bx)
    form = page.locator("#record-form")
    form.get_by_label("电话回访", exact=True).check()
    form.get_by_label("满意", exact=True).check()
    # The proposed visit time (this minute) is kept, as a visitor calling at once would:
    # it may be the very minute the repair was completed, which must be accepted.
    page.fill("#remarks", "业主表示水龙头已修好，很满意。")
    shot("case-4-visit-form")
    form.get_by_role("button", name="保存结果").click()
    expect(page.locator(".flash")).to_contain_text("已记录。")
    expect(page.locator(".visit-state")).to_have_text("已回访")
    expect(page.locator(".visit-result")).to_have_text("满意")
    expect(page.locator(".visit-remarks")).to_have_text("业主表示水龙头已修好，很满意。")
    shot("case-4-visited")

    page.locator(".visit-facts").get_by_role("link", name=bx).click()  # straight to the repair
    expect(page.locator(".repair-number")).to_have_text(bx)
    expect(page.locator(".repair-state")).to_have_text("已关闭")
    expect(page.locator(".repair-facts")).to_contain_text("回访满意")
    shot("case-4-repair-closed")
    go(page, "工作台")
    expect(visits.get_by_role("link", name="我有 0 个待回访")).to_be_visible()
    sign_out(page)

    # -- 5. the supervisor's dashboard after the case --------------------------------------
    login("supervisor")
    expect(repair_widget(page).locator(".repairs-open-total")).to_have_text("0")
    expect(repair_widget(page).locator(".repairs-overdue-total")).to_have_text("0")
    rates_after = completion_rates(page)
    assert rates_after[:-1] == rates_before[:-1]
    assert rates_after[-1] == 100  # completed well within 24 hours
    # A visit counts in the month it is due (3 days after completion, in E01's time zone);
    # near a month's end that is next month, outside the widget's last six months.
    from plugins.visits.models import ReturnVisit

    due_at = db.session.scalar(select(ReturnVisit.due_at).where(ReturnVisit.source_number == bx))
    db.session.rollback()
    due = due_at.replace(tzinfo=due_at.tzinfo or ZoneInfo("UTC")).astimezone(SHANGHAI)
    now = datetime.now(SHANGHAI)
    if (due.year, due.month) == (now.year, now.month):
        expect(repair_visit_row(page).locator("td")).to_have_text(["报修", "1", "100.0%", "100.0%", "100%"])
    else:
        expect(repair_visit_row(page).locator("td")).to_have_text(["报修", "0", "—", "—", "100%"])
    shot("case-5-dashboard-after")
