"""A cleaning inspection on a phone, in Chinese (issue 13): the cleaning supervisor opens the day's
board at 390 px, inspects the lobby, marks one item as a shortcoming with a photo and sends it to
the vendor → the vendors plugin's rectification notice is issued (its number on the inspection) →
the inspection's page sends to the notice instead of offering to verify by hand → the vendor's
response and a passed re-check there verify the inspection. Nothing scrolls sideways.

The days are the server's own today and the day after, so the case does not depend on the real date."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "ffff3f0005fe02fea7d6a4500000000049454e44ae426082")
WIDE = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def area(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from core.site import enable
    from plugins.cleaning import services
    from plugins.vendors import services as vendors

    enable("vendors")
    enable("cleaning")
    db.session.commit()
    boss = make_user("cleaning", [estates[0]], username="cleaner", locale="zh_CN", full_name="黄主管")
    sup = db.session.scalar(select(User).where(User.username == "supervisor"))
    today = services.estate_today(estates[0])
    with acting_as(sup):
        v = vendors.add_vendor(sup, name="洁美保洁服务有限公司")
        vendors.add_contract(sup, estate_id=estates[0].id, vendor_id=v.id, number="BJ-E01-01", service_kind="cleaning",
                             scope="大堂保洁", start_on=today - timedelta(days=100), end_on=today + timedelta(days=200),
                             amount=Decimal("100000.00"))
    with acting_as(boss):
        a = services.add_area(boss, estate_id=estates[0].id, name="1栋大堂", location="1栋首层", vendor="洁美保洁")
        db.session.flush()
        services.add_task(boss, a, frequency="daily", title="地面湿拖", standard="无污渍、无脚印")
        services.add_task(boss, a, frequency="daily", title="擦拭信报箱", standard="无积尘")
        services.add_task(boss, a, frequency="weekly", title="清洁入口玻璃")
        db.session.commit()
    return {"id": a.id, "deadline": (today + timedelta(days=1)).isoformat(), "today": today.isoformat()}


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                   has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_shortcoming_goes_to_the_vendor_and_its_recheck_verifies_it_on_a_phone(phone, site, area, db, tmp_path):
    from plugins.cleaning.models import CleanCheck
    from plugins.vendors.models import Rectification

    page = phone
    page.goto(site.url + "/login")
    page.fill("#username", "cleaner")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(site.url + "/cleaning/")
    expect(page.locator("h1")).to_contain_text("保洁")
    row = page.locator('.cleaning-board [data-area="1栋大堂"]')
    expect(row.locator(".board-count")).to_have_text("0 / 1")
    assert page.evaluate(WIDE)

    # -- 1. the inspection: one shortcoming, with a photo, to the vendor --
    row.get_by_role("link", name="检查").click()
    expect(page.locator("h1")).to_contain_text("1栋大堂")
    item = page.locator('.plan-item[data-task="擦拭信报箱"]')
    item.locator(".btn-group label").filter(has_text="不合格").click()
    item.locator("input[type=text]").fill("信报箱表面积灰")
    photo = tmp_path / "box.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photos", str(photo))
    page.select_option("#remedy", label="外包方整改")
    assert page.evaluate(WIDE)
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator("#deadline + .invalid-feedback, [data-field=deadline]")).to_contain_text("请输入不合格项的整改期限")
    db.session.rollback()
    assert db.session.scalar(select(CleanCheck.id)) is None  # refused: nothing saved
    page.set_input_files("#photos", str(photo))
    page.fill("#deadline", area["deadline"])
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator(".flash")).to_contain_text("已向外包方发出整改通知单 WZ-E01-")

    db.session.rollback()
    check = db.session.scalar(select(CleanCheck))
    notice = db.session.scalar(select(Rectification))
    assert (check.rectification_number, notice.source, notice.source_ref) == (notice.number, "cleaning", check.number)
    assert "擦拭信报箱: 信报箱表面积灰" in notice.detail

    # -- 2. the inspection's page: the notice and its state, the photo; no verification by hand while
    # the notice is open: the page sends to the notice --
    expect(page.locator(".check-notice")).to_contain_text(notice.number)
    expect(page.locator(".notice-state")).to_have_text("待外包方整改")
    expect(page.locator(".check-photo")).to_have_count(1)
    expect(page.locator(".check-state")).to_have_text("待验证")
    expect(page.locator(".at-vendor")).to_contain_text("在外包方处关闭整改通知书")
    expect(page.locator("#verified_on")).to_have_count(0)
    assert page.evaluate(WIDE)
    page.locator(".at-vendor a").click()

    # -- 3. at the vendor's notice: the response, then the re-check passes --
    expect(page.locator("h1")).to_contain_text(notice.number)
    page.fill("#resp-responded_on", area["today"])
    page.fill("#resp-responder", "现场领班 李师傅")
    page.fill("#resp-note", "已清洁信报箱")
    page.get_by_role("button", name="记录").click()
    expect(page.locator(".flash")).to_contain_text("外包方的回复已登记。")
    page.fill("#chk-checked_on", area["today"])
    page.select_option("#chk-result", label="合格")
    page.get_by_role("button", name="登记复查").click()
    expect(page.locator(".flash")).to_contain_text("复查合格，整改通知已关闭。")

    # -- 4. back on the inspection: verified by the re-check --
    page.goto(f"{site.url}/cleaning/checks/{check.id}")
    expect(page.locator(".check-state")).to_have_text("已整改，已验证")
    expect(page.locator(".check-steps")).to_contain_text("外包方复查：已整改到位")
    expect(page.locator(".notice-state")).to_have_text("已关闭")
    assert page.evaluate(WIDE)
    page.goto(site.url + "/cleaning/")
    expect(page.locator('.cleaning-board [data-area="1栋大堂"] .board-count')).to_have_text("1 / 1")
    assert re.search(r"BJ-E01-\d{4}-\d+", check.number)
