"""Vendors in a real browser, in Chinese (issue 13): the supervisor inspects the cleaning
contractor's work and one item fails → the rectification notice is issued and printed → the
vendor's response is recorded → the re-check passes → the month is evaluated and confirmed.

The days are taken from the server's own today (last month's 15th to 20th), so the case does not
depend on the real date."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def contract(site, estates, db):
    from core.audit import acting_as
    from core.models import User
    from core.site import enable
    from plugins.vendors import services

    enable("vendors")
    db.session.execute(update(User).where(User.username == "supervisor").values(locale="zh_CN", full_name="陈主管"))
    db.session.commit()
    sup = db.session.scalar(User.__table__.select().where(User.username == "supervisor").with_only_columns(User.id))
    sup = db.session.get(User, sup)
    today = services.estate_today(estates[0])
    with acting_as(sup):
        services.save_sheet(sup, "cleaning", [("大堂及楼道", "地面洁净，无垃圾", "40"), ("电梯轿厢", "每日擦拭", "30"),
                                              ("垃圾收集点", "日产日清", "30")])
        vendor = services.add_vendor(sup, name="洁美保洁服务有限公司", contact_name="周经理", contact_phone="13811112222")
        c = services.add_contract(sup, estate_id=estates[0].id, vendor_id=vendor.id, number="BJ-E01-01",
                                  service_kind="cleaning", scope="大堂、楼道、电梯及垃圾收集点日常保洁",
                                  start_on=today - timedelta(days=400), end_on=today + timedelta(days=200),
                                  amount=Decimal("360000.00"))
        db.session.commit()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return {"id": c.id, "items": [i.id for i in services.sheet("cleaning")], "month": last_month}


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def day(month: date, n: int) -> str:
    return month.replace(day=n).isoformat()


def test_inspection_notice_response_recheck_and_evaluation_in_chinese(page, site, contract, login, shot):
    month = contract["month"]
    login("supervisor")
    go(page, "外包方")
    expect(page.locator("h1")).to_contain_text("外包方")
    page.locator(".vendors-nav").get_by_role("link", name="外包合同").click()
    page.get_by_role("link", name="BJ-E01-01").click()
    expect(page.locator(".contract-amount")).to_contain_text("360,000.00")

    # -- 1. the inspection: the lobby fails --
    page.locator("a[href$='/inspect']").click()
    expect(page.locator("main")).to_contain_text("得分低于权重 60% 的项目为不合格")
    lobby = contract["items"][0]
    page.fill(f"#p_{lobby}", "5")
    page.fill(f"#r_{lobby}", "3栋大堂地面有明显污渍")
    page.fill("#inspected_on", day(month, 15))
    page.fill("#deadline", day(month, 18))
    shot("vendors-1-inspection")
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator(".flash")).to_contain_text("检查已登记：65.00 分。")
    expect(page.locator(".inspection-lines .line-failed")).to_contain_text("大堂及楼道")

    # -- 2. the notice it raised, printed --
    page.locator(".inspection-notice a").click()
    number = page.locator(".rect-number").inner_text()
    assert re.fullmatch(r"WZ-E01-\d{4}-000001", number)
    expect(page.locator(".rect-state")).to_have_text("超期")  # its deadline is past already
    expect(page.locator(".rect-detail")).to_contain_text("3栋大堂地面有明显污渍")
    notice_url = page.url
    page.goto(notice_url + "/print")
    expect(page.locator("h1")).to_have_text("整改通知书")
    expect(page.locator(".rect-print")).to_contain_text("洁美保洁服务有限公司")
    expect(page.locator(".rect-print")).to_contain_text("3栋大堂地面有明显污渍")
    expect(page.locator(".form-number")).to_contain_text(number)
    shot("vendors-2-notice-print")
    page.goto(notice_url)

    # -- 3. the vendor's response, then the re-check --
    page.fill("#resp-responded_on", day(month, 17))
    page.fill("#resp-responder", "现场领班 李师傅")
    page.fill("#resp-note", "已安排重新清洗大堂地面")
    page.get_by_role("button", name="记录").click()
    expect(page.locator(".flash")).to_contain_text("外包方的回复已登记。")
    expect(page.locator(".rect-state")).to_have_text("待复查")
    page.fill("#chk-checked_on", day(month, 18))
    page.select_option("#chk-result", label="合格")
    page.fill("#chk-note", "地面已清洁干净")
    page.get_by_role("button", name="登记复查").click()
    expect(page.locator(".flash")).to_contain_text("复查合格，整改通知已关闭。")
    expect(page.locator(".rect-state")).to_have_text("已关闭")
    steps = page.locator(".rect-steps")
    for text in ("发出通知", "外包方回复", "现场领班 李师傅", "复查合格"):
        expect(steps).to_contain_text(text)
    shot("vendors-3-rechecked")

    # -- 4. the month is evaluated and confirmed --
    page.locator(".rect-facts").get_by_role("link", name="BJ-E01-01").click()
    page.fill("#ev-month", month.strftime("%Y-%m"))
    page.get_by_role("button", name="月度考核").click()
    expect(page.locator(".flash")).to_contain_text(f"已建立 {month.strftime('%Y-%m')} 的月度考核。")
    expect(page.locator(".eval-score")).to_have_text("65.00")
    page.get_by_role("button", name="确认考核结果").click()
    expect(page.locator(".flash")).to_contain_text("考核结果已确认：65.00 分。")
    expect(page.locator(".eval-state")).to_have_text("已确认")
    shot("vendors-4-evaluation")
