"""Greening on a phone, in Chinese: the supervisor inspects the lawn on the tasks of the season,
marks a shortcoming and sends it to rework → verifies it still failing with a new deadline; then
records an indoor plant visit for a business. At 390 px nothing scrolls sideways.

The days are the server's own today and after, so the case does not depend on the real date."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser

WIDE = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def lawn(site, estates, make_user, db):
    from core.audit import acting_as
    from core.site import enable
    from plugins.greening import services
    from plugins.greening.models import season_of

    enable("greening")
    db.session.commit()
    boss = make_user("cleaning", [estates[0]], username="gardener", locale="zh_CN", full_name="黄主管")
    today = services.estate_today(estates[0])
    with acting_as(boss):
        a = services.add_area(boss, estate_id=estates[0].id, name="中心草坪", location="1栋与3栋之间")
        db.session.flush()
        services.add_task(boss, a, kind="watering", season="all", title="草坪浇水", frequency="每日早晨")
        services.add_task(boss, a, kind="fertilising", season=season_of(today), title="本季施肥")
        other = next(s for s in ("spring", "summer", "autumn", "winter") if s != season_of(today))
        services.add_task(boss, a, kind="pruning", season=other, title="别季修剪")
        r = services.add_request(boss, estate_id=estates[0].id, business="华信贸易公司", place="2栋1201",
                                 plants="发财树6盆、绿萝4盆", visits_per_month=2, start_on=today - timedelta(days=30))
        db.session.commit()
    return {"id": a.id, "request": r.id, "today": today.isoformat(),
            "deadline": (today + timedelta(days=2)).isoformat(), "later": (today + timedelta(days=4)).isoformat()}


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


def test_a_lawn_inspection_goes_to_rework_and_a_plant_visit_is_recorded(phone, site, lawn, db):
    from plugins.greening.models import GreenCheck, PlantVisit

    page = phone
    page.goto(site.url + "/login")
    page.fill("#username", "gardener")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{site.url}/greening/areas/{lawn['id']}/inspect")
    expect(page.locator(".plan-item")).to_have_count(2)  # all year and this season, not the other season's
    expect(page.locator('.plan-item[data-task="别季修剪"]')).to_have_count(0)
    item = page.locator('.plan-item[data-task="草坪浇水"]')
    item.locator(".btn-group label").filter(has_text="不合格").click()
    item.locator("input[type=text]").fill("草坪局部枯黄")
    page.select_option("#remedy", label="绿化工返工")
    page.fill("#deadline", lawn["deadline"])
    assert page.evaluate(WIDE)
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.locator(".flash")).to_contain_text("1 项不合格已安排返工")
    expect(page.locator(".check-state")).to_have_text("待验证")
    assert page.evaluate(WIDE)
    page.select_option("#result", label="仍不合格")
    page.fill("#verified_on", lawn["today"])
    page.fill("#note", "仍有枯黄")
    page.fill("#new_deadline", lawn["later"])
    page.get_by_role("button", name="登记验证结果").click()
    expect(page.locator(".flash")).to_contain_text("仍不合格")
    expect(page.locator(".check-steps")).to_contain_text("仍有枯黄")
    db.session.rollback()
    c = db.session.scalar(select(GreenCheck))
    assert (c.state, c.deadline.isoformat()) == ("open", lawn["later"])

    page.goto(f"{site.url}/greening/plants/{lawn['request']}")
    expect(page.locator("h1")).to_contain_text("华信贸易公司")
    page.fill("#gardener", "吴师傅")
    page.fill("#work", "浇水、擦拭叶面")
    page.get_by_role("button", name="登记服务").click()
    expect(page.locator(".month-visits")).to_have_text("1 / 2")
    assert page.evaluate(WIDE)
    db.session.rollback()
    assert db.session.scalar(select(PlantVisit.work)) == "浇水、擦拭叶面"
