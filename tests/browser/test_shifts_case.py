"""Shifts in a real browser, in Chinese (issue 14): the supervisor builds next month's schedule on
the grid and publishes it → a clerk asks to swap a shift with a colleague → the supervisor approves
→ the schedule is re-published as version 2 and version 1 is marked withdrawn (both kept)."""

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def team(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.shifts import services

    for username, name in (("clerk", "李娜"), ("supervisor", "张伟")):  # made by ``site``
        db.session.execute(update(User).where(User.username == username).values(locale="zh_CN", full_name=name))
    db.session.commit()
    make_user("clerk", [estates[0]], username="clerk2", locale="zh_CN", full_name="周静")
    sup = db.session.query(User).filter_by(username="supervisor").one()
    with acting_as(sup):
        services.add_pattern(sup, estate_id=estates[0].id, code="A", name="早班", starts=time(7), ends=time(15))
        services.add_pattern(sup, estate_id=estates[0].id, code="B", name="中班", starts=time(15), ends=time(23))
        db.session.commit()
    return services.next_month(services.estate_today(estates[0]))


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_next_months_schedule_is_published_and_a_swap_republishes_it_in_chinese(page, team, login, shot, db):
    first = team
    swap_day = first + timedelta(days=9)
    # -- 1. the supervisor builds next month's schedule on the grid and publishes it --
    login("supervisor")
    go(page, "排班表")
    expect(page.locator("h1")).to_contain_text("排班表")
    page.get_by_role("link", name="新建排班表").click()
    expect(page.locator("#first_day")).to_have_value(first.isoformat())
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("草稿（第 1 版）")
    # Li Na: the morning shift all month (a week by pattern, repeated); Zhou Jing: afternoons, cell by cell.
    page.select_option("#fill-user_id", label="李娜")
    page.fill("#fill-start", first.isoformat())
    for n in range(7):
        page.select_option(f"#fill-w{n}", label="A")
    page.check("#fill-repeat")
    page.get_by_role("button", name="填充").click()
    expect(page.locator(".flash")).to_contain_text("排班已保存")
    row = page.locator("tr", has=page.locator("th", has_text="周静"))
    for day in (swap_day - timedelta(days=1), swap_day, swap_day + timedelta(days=1)):
        row.locator(f"select[name$='-{day.isoformat()}']").select_option(label="B")
    page.get_by_role("button", name="保存排班").click()
    expect(page.locator(".flash")).to_contain_text("修改了 3 个格子")
    shot("shifts-1-grid")
    page.fill("#publish-note", "下月排班")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已发布为第 1 版")
    expect(page.locator(".roster-state")).to_have_text("已发布")
    sign_out(page)

    # -- 2. the clerk asks to swap her shift with Zhou Jing's --
    login("clerk")
    go(page, "我的排班")
    page.get_by_role("link", name="申请调班或换班").click()
    page.select_option("#kind", label="与同事调班")
    page.fill("#day", swap_day.isoformat())
    page.select_option("#other_user_id", label="周静")
    page.fill("#reason", "孩子开家长会")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("申请已提交主管")
    sign_out(page)

    # -- 3. the supervisor approves: version 2 published, version 1 withdrawn --
    login("supervisor")
    go(page, "排班表")
    page.get_by_role("link", name="调班、换班与请假").first.click()
    line = page.locator(".changes-table tbody tr", has_text="孩子开家长会")
    expect(line).to_contain_text("待审批")
    line.locator("input[name='decision-note']").fill("同意")
    line.get_by_role("button", name="批准").click()
    expect(page.locator(".flash")).to_contain_text("已批准：排班表已重新发布为第 2 版。")
    page.get_by_role("link", name="新版本").click()
    expect(page.locator(".roster-version")).to_have_text("第 2 版")
    expect(page.locator(".roster-state")).to_have_text("已发布")
    swapped = page.locator("tr", has=page.locator("th", has_text="李娜")).locator("td").nth(swap_day.day - 1)
    expect(swapped).to_have_text("B")
    shot("shifts-2-version-2")
    page.locator(".roster-versions a", has_text="第 1 版").click()
    expect(page.locator(".roster-state")).to_have_text("已撤回")
    expect(page.locator("tr", has=page.locator("th", has_text="李娜")).locator("td").nth(swap_day.day - 1)) \
        .to_have_text("A")
