"""A community activity, in Chinese (issue 14): the clerk plans it and submits it → the
supervisor approves it (the dashboard counted it waiting) → two residents sign up → it is held,
attendance marked, an expense recorded, the summary written and printed.

The activity is under way while the test runs (it started an hour ago), so it can be marked
held without moving the clock; every time is relative to now."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.models import utcnow
from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def office(site, estates, make_user, db):
    from types import SimpleNamespace

    from core.site import enable

    enable("activities")
    db.session.commit()
    e1 = estates[0]
    return SimpleNamespace(
        e1=e1,
        clerk=make_user("clerk", [e1], username="huodong", locale="zh_CN", full_name="孙丽"),
        sup=make_user("supervisor", [e1], username="zhuguan", locale="zh_CN", full_name="陈主管"),
    )


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


def _local(dt) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_plan_approve_sign_up_hold_and_print_the_summary(as_user, site, office, db):
    from plugins.activities.models import Activity, Expense, Signup

    # -- 1. the clerk plans the activity and submits it --
    page = as_user("huodong")
    page.goto(site.url + "/activities/new")
    expect(page.locator("h1")).to_contain_text("制订活动方案")
    page.fill("#theme", "邻里乒乓球友谊赛")
    start = utcnow() - timedelta(hours=1)
    page.fill("#starts_at", _local(start))
    page.fill("#ends_at", _local(start + timedelta(hours=3)))
    page.fill("#place", "会所活动室")
    page.fill("#budget", "500.00")
    page.fill("#expected_participants", "10")
    page.fill("#capacity", "2")
    page.select_option("#organiser_ids", label="孙丽")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("已制订")
    expect(page.locator(".activity-state")).to_contain_text("草稿")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator(".activity-state")).to_contain_text("待审批")
    db.session.rollback()
    activity = db.session.scalar(select(Activity))
    url = f"{site.url}/activities/{activity.id}"

    # -- 2. the supervisor sees it waiting and approves it --
    page = as_user("zhuguan")
    expect(page.locator(".activities-awaiting")).to_contain_text("1 个活动方案待审批")
    page.goto(url)
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".flash")).to_contain_text("已批准")
    expect(page.locator(".activity-state")).to_contain_text("已批准")

    # -- 3. the clerk signs two residents up; a third finds it full --
    page = as_user("huodong")
    page.goto(url)
    for number in ("1-1-101", "1-1-102"):
        page.select_option("#signup-resident_id", label=f"Owner of E01 {number}")
        page.get_by_role("button", name="报名", exact=True).click()
        expect(page.locator(".flash")).to_contain_text(f"Owner of E01 {number} 已报名")
    expect(page.locator(".activity-places")).to_contain_text("已报名 2 / 共 2 个名额")
    page.select_option("#signup-resident_id", label="Owner of E01 3-2-1201")
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("活动已满：2 个名额均已报满。")

    # -- 4. held: attendance, an expense, the summary --
    page.get_by_role("button", name="标记为已举办").click()
    expect(page.locator(".activity-state")).to_contain_text("已举办")
    page.get_by_label("Owner of E01 1-1-101").check()
    page.get_by_role("button", name="保存出席情况").click()
    expect(page.locator(".flash")).to_contain_text("实到 1 人")
    page.fill("#exp-item", "乒乓球和奖品")
    page.fill("#exp-amount", "320.50")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator(".expenses")).to_contain_text("乒乓球和奖品")
    expect(page.locator(".expenses-total")).to_contain_text("320.50")
    page.fill("#sum-summary", "十二位居民参赛，气氛热烈。")
    page.fill("#sum-feedback", "希望每季度举办一次。")
    page.get_by_role("button", name="保存活动总结").click()
    expect(page.locator(".activity-summary")).to_contain_text("十二位居民参赛")

    # -- 5. the summary printed --
    page.goto(url + "/print")
    expect(page.locator("h1")).to_contain_text("社区文化活动总结")
    expect(page.locator(".print-summary-text")).to_contain_text("十二位居民参赛，气氛热烈。")
    expect(page.locator(".print-attended")).to_have_text("1")
    expect(page.locator(".print-spent")).to_contain_text("320.50")
    expect(page.locator(".print-participants")).to_contain_text("Owner of E01 1-1-102")

    db.session.rollback()
    a = db.session.get(Activity, activity.id)
    assert (a.state, a.signed_up, a.attended_count) == ("held", 2, 1)
    assert a.summary == "十二位居民参赛，气氛热烈。"
    assert [e.amount for e in db.session.scalars(select(Expense))] == [Decimal("320.50")]
    assert len(db.session.scalars(select(Signup)).all()) == 2
