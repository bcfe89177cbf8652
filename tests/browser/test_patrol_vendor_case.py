"""A patrol problem sent to the contractor, on a phone in Chinese (issue 13): with vendors on, the
check form offers "Rectification by the vendor" and the services under a contract in force; the
problem becomes the vendor's rectification notice (no repair order), whose state shows on the
patrol and in the building log. At 390 px nothing scrolls sideways."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from core.testing import TEST_PASSWORD
from tests.browser.test_patrol_case import WIDE, checkpoint, phone  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def security_contract(site, estates, db, checkpoint):  # noqa: F811
    from core.audit import acting_as
    from core.i18n import today_local
    from core.models import User
    from core.site import enable
    from plugins.vendors import services

    enable("vendors")
    db.session.commit()
    sup = db.session.scalar(select(User).where(User.username == "supervisor"))
    today = today_local()
    with acting_as(sup):
        vendor = services.add_vendor(sup, name="安盾保安服务公司", contact_name="刘强", contact_phone="13900003333")
        services.add_contract(sup, estate_id=estates[0].id, vendor_id=vendor.id, number="HT-2026-07",
                              service_kind="security", scope="车库及出入口秩序维护", start_on=today - timedelta(days=60),
                              end_on=today + timedelta(days=300), amount=Decimal("180000.00"))
        db.session.commit()
    return checkpoint


def test_a_patroller_sends_a_problem_to_the_vendor(phone, site, security_contract, db):  # noqa: F811
    from plugins.patrol.models import PatrolProblem
    from plugins.repairs.models import Repair
    from plugins.vendors.models import Rectification

    page = phone
    page.goto(f"{site.url}/patrol/c/{security_contract}")
    page.fill("#username", "guard")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("P-02 地下车库")
    expect(page.locator("fieldset, .send-to").filter(has_text="问题交由").first).to_be_visible()
    assert page.evaluate(WIDE)

    page.locator(".check-form .btn-group label").filter(has_text="问题").click()
    page.select_option("#category", "parking")
    page.fill("#note", "车库入口无人值守，外来车辆占用消防通道")
    page.get_by_role("radio", name="外包方整改").check()
    page.select_option("#service_kind", "security")
    expect(page.locator("#service_kind option:checked")).to_contain_text("安盾保安服务公司")
    page.get_by_role("button", name="登记检查结果").click()
    expect(page.locator(".flash")).to_contain_text("整改通知书")
    expect(page.locator(".flash")).to_contain_text("已发给外包方")

    db.session.rollback()
    problem = db.session.scalar(select(PatrolProblem))
    rect = db.session.get(Rectification, problem.rectification_id)
    assert problem.repair_number in (None, "") and db.session.scalar(select(func.count()).select_from(Repair)) == 0
    assert rect.number == problem.rectification_number and "外来车辆占用消防通道" in rect.detail
    assert (rect.source, rect.state) == ("patrol", "open")

    # the patrol record shows the notice and its state
    expect(page.locator(".patrol-problems")).to_contain_text(rect.number)
    expect(page.locator(".rectification-progress")).to_contain_text("待外包方整改")
    assert page.evaluate(WIDE)

    # the building log of the day lists it with its state
    page.goto(site.url + "/patrol/log")
    row = page.locator(".log-problems tbody tr").filter(has_text="P-02")
    expect(row).to_contain_text(rect.number)
    expect(row).to_contain_text("待外包方整改")
    assert page.evaluate(WIDE)
