"""A patrol on a phone, in Chinese (issue 13): the patroller scans a checkpoint's QR label (its
URL), signs in and lands on the check form, records a problem with a photo → a repair order is
made (channel "patrol") and shows on the patrol → the building log of the day lists it. At 390 px
nothing scrolls sideways."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "ffff3f0005fe02fea7d6a4500000000049454e44ae426082")
WIDE = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def checkpoint(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from core.site import enable
    from plugins.patrol import services

    enable("patrol")
    db.session.commit()
    make_user("frontdesk", [estates[0]], username="guard", locale="zh_CN", full_name="周静", phone="13800000002")
    sup = db.session.scalar(select(User).where(User.username == "supervisor"))
    with acting_as(sup):
        route = services.add_route(sup, estate_id=estates[0].id, name="公共区域日常巡视")
        services.add_checkpoint(sup, route, code="P-01", name="一楼大堂", checks=["facilities", "people"])
        point = services.add_checkpoint(sup, route, code="P-02", name="地下车库", checks=["parking", "fire"])
        db.session.commit()
    return point.id


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


def test_a_patroller_scans_a_checkpoint_and_a_problem_becomes_a_repair_order(phone, site, checkpoint, db, tmp_path):
    from plugins.patrol.models import PatrolProblem
    from plugins.repairs.models import Repair

    page = phone
    # -- 1. the QR label's URL, opened by the phone's camera: the login first, then the check form --
    page.goto(f"{site.url}/patrol/c/{checkpoint}")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", "guard")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/patrol/c/{checkpoint}$"))
    expect(page.locator("h1")).to_contain_text("P-02 地下车库")
    expect(page.locator(".checkpoint-checks")).to_contain_text("停车秩序")
    expect(page.locator(".patrol-none")).to_contain_text("登记检查将即时开始一次巡视")
    assert page.evaluate(WIDE)

    # -- 2. a problem, with a photo --
    page.locator(".check-form .btn-group label").filter(has_text="问题").click()
    page.select_option("#category", label="消防设施")
    page.fill("#note", "消防通道被车辆占用，灭火器箱门损坏")
    photo = tmp_path / "fire.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photos", str(photo))
    page.get_by_role("button", name="登记检查结果").click()
    expect(page.locator(".flash")).to_contain_text("已登记巡视点 P-02 的问题：已生成维修单 BX-E01-")
    db.session.rollback()
    number = db.session.scalar(select(PatrolProblem.repair_number))
    repair = db.session.scalar(select(Repair).where(Repair.number == number))
    assert repair is not None, (number, db.session.scalars(select(Repair.number)).all())
    assert repair.channel == "patrol" and "灭火器箱门损坏" in repair.description

    # -- 3. the patrol record shows the repair order and its progress, the photo, what is left --
    expect(page.locator(".patrol-problems")).to_contain_text(number)
    expect(page.locator(".repair-progress")).to_have_text("已登记")
    expect(page.locator(".visit-photo")).to_have_count(1)
    expect(page.locator('[data-checkpoint="P-01"]')).to_contain_text("尚未巡到")
    assert page.evaluate(WIDE)

    # -- 4. the building log of the day lists the problem and its repair order --
    page.goto(site.url + "/patrol/log")
    expect(page.locator("h1")).to_contain_text("大厦管理日志")
    row = page.locator(".log-problems tbody tr").filter(has_text="P-02")
    expect(row).to_contain_text("消防通道被车辆占用")
    expect(row).to_contain_text(number)
    expect(page.locator(".log-patrols")).to_contain_text("公共区域日常巡视")
    assert page.evaluate(WIDE)
