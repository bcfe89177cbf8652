"""Handover to morning meeting, in Chinese (issue 14): the night shift hands over an open
complaint → the day shift acknowledges → the manager signs it (the dashboard counted it unsigned)
→ the morning meeting records an action item → its owner closes it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def office(site, estates, make_user, db):
    from types import SimpleNamespace

    from core.audit import acting_as
    from core.site import enable
    from plugins.complaints import services

    enable("meetings")
    db.session.commit()
    e1 = estates[0]
    s = SimpleNamespace(
        night=make_user("frontdesk", [e1], username="night", locale="zh_CN", full_name="吴敏"),
        day=make_user("clerk", [e1], username="dayclerk", locale="zh_CN", full_name="孙丽"),
        manager=make_user("manager", [e1], username="boss", locale="zh_CN", full_name="王经理"),
    )
    with acting_as(s.manager):
        s.complaint = services.record(s.manager, estate_id=e1.id, channel="phone", category="repairs",
                                      kind="wants_fix", severity="normal", content="楼上深夜噪音扰民",
                                      contact_name="王建国", contact_phone="13912345678", unit_number="1-1-101")
        db.session.commit()
    return s


@pytest.fixture
def as_user(chromium, site):
    contexts = []

    def do(username):
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(site.url + "/login")
        page.fill("#username", username)
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(site.url + "/")
        return page

    yield do
    for c in contexts:
        c.close()


def test_night_handover_signed_then_morning_meeting_action_closed(as_user, site, office, db):
    from plugins.meetings.models import ActionItem, Meeting, ShiftHandover

    number = office.complaint.number
    # -- 1. the night shift hands over, with the open complaint --
    page = as_user("night")
    page.goto(site.url + "/meetings/handovers/new")
    expect(page.locator("h1")).to_contain_text("填写交接班记录")
    page.select_option("#shift", label="夜班")
    page.select_option("#incoming_id", label="孙丽")
    page.locator(f"input[name=references][value='{number}']").check()
    page.fill("#handed_over", "值班记录本、对讲机2台、钥匙柜钥匙")
    page.get_by_role("button", name="交班").click()
    expect(page.locator(".flash")).to_contain_text("已登记，请 孙丽 确认接班")
    expect(page.locator(".handover-matters")).to_contain_text("楼上深夜噪音扰民")
    expect(page.locator(".handover-matters")).to_contain_text("仍未办结")
    db.session.rollback()
    handover = db.session.scalar(select(ShiftHandover))
    url = f"{site.url}/meetings/handovers/{handover.id}"

    # -- 2. the day shift acknowledges --
    page = as_user("dayclerk")
    page.goto(url)
    page.get_by_role("button", name="确认接班").click()
    expect(page.locator(".flash")).to_contain_text("已确认接班")

    # -- 3. the manager sees it unsigned on the dashboard and signs it --
    page = as_user("boss")
    expect(page.locator(".meetings-unsigned")).to_contain_text("1 份交接班记录未签阅")
    page.locator(f"a[href='/meetings/handovers/{handover.id}']").first.click()
    expect(page.locator(".handover-state")).to_contain_text("待经理签阅")
    page.fill("#sign-note", "已阅，上午回电业主")
    page.get_by_role("button", name="签阅交接班记录").click()
    expect(page.locator(".flash")).to_contain_text("已签阅")
    expect(page.locator(".handover-signed")).to_contain_text("王经理")

    # -- 4. the morning meeting: the manager keeps the minutes and records an action item --
    page.goto(site.url + "/meetings/new?kind=morning")
    expect(page.locator("#title")).to_have_value("早会")
    for u in (office.manager, office.day, office.night):
        page.locator(f"#att-{u.id}").check()
    page.select_option("#minute_taker_id", label="王经理")
    page.get_by_role("button", name="召集会议").click()
    expect(page.locator(".flash")).to_contain_text("已召集")
    page.fill("#min-minutes", f"宣读夜班交接班记录；投诉 {number} 尚未办结。")
    page.get_by_role("button", name="保存会议纪要").click()
    expect(page.locator(".meeting-state")).to_contain_text("纪要已记录")
    page.fill("#item-text", "回电业主告知噪音投诉处理进度")
    page.select_option("#item-owner_id", label="吴敏")
    page.get_by_role("button", name="添加待办事项").click()
    expect(page.locator(".action-items")).to_contain_text("回电业主告知噪音投诉处理进度")
    expect(page.locator(".action-items")).to_contain_text("未完成")
    db.session.rollback()
    assert db.session.scalar(select(Meeting.minute_taker_id)) == office.manager.id

    # -- 5. the owner closes it --
    page = as_user("night")
    page.goto(site.url + "/meetings/items?mine=1")
    page.get_by_role("link", name="回电业主告知噪音投诉处理进度").click()
    page.fill("#done-note", "已回电，业主表示理解")
    page.get_by_role("button", name="标记为已完成").click()
    expect(page.locator(".flash")).to_contain_text("待办事项已完成")
    expect(page.locator(".item-state")).to_contain_text("已完成")
    db.session.rollback()
    item = db.session.scalar(select(ActionItem))
    assert item.state == "done" and item.done_by_id == office.night.id
    assert re.match(r"JB-E01-\d{4}-000001", handover.number)
