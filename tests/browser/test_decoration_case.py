"""A renovation in a real browser, in Chinese (issue 12): the front desk records an application
with a structural change → the maintenance technician gives the safety approval → the supervisor
approves (the fee is billed through the fees plugin) → the cashier takes the fee and deposit (the
fees plugin's own services: its desk has its own browser case) → the front desk issues the permit,
prints it and issues a worker's pass."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.decoration.services import estate_today
    from plugins.fees import billing

    db.session.execute(update(User).where(User.username == "supervisor").values(locale="zh_CN", full_name="张伟"))
    db.session.commit()
    make_user("frontdesk", [estates[0]], username="desk", locale="zh_CN", full_name="吴敏")
    make_user("technician", [estates[0]], username="tech", locale="zh_CN", full_name="王工")
    cashier = make_user("cashier", [estates[0]], username="cashier", locale="zh_CN", full_name="钱出纳")
    manager = make_user("manager", [estates[0]], username="manager", full_name="王经理")
    since = estate_today(estates[0]) - timedelta(days=30)
    with acting_as(manager):
        fee = billing.create_item(estates[0], {"code": "DECO-FEE", "name": "装修管理费", "kind": "oneoff"})
        billing.add_price(fee, price=Decimal("500.00"), valid_from=since)
        dep = billing.create_item(estates[0], {"code": "DECO-DEP", "name": "装修押金", "kind": "deposit"})
        billing.add_price(dep, price=Decimal("2000.00"), valid_from=since)
        db.session.commit()
    return cashier, dep.id


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_a_renovation_with_a_structural_change_is_applied_approved_and_permitted_in_chinese(
        page, staff, login, shot, db, estates):
    from plugins.decoration.models import Application
    from plugins.decoration.services import estate_today

    cashier, deposit_item = staff
    today = estate_today(estates[0])
    # -- 1. the front desk records the application --
    login("desk")
    go(page, "装修")
    expect(page.locator("h1")).to_contain_text("装修申请")
    page.get_by_role("link", name="新装修申请").click()
    page.fill("#unit_number", "1-1-101")
    page.fill("#applicant_name", "张三")
    page.fill("#applicant_phone", "13800138101")
    page.fill("#contractor", "美家装饰工程有限公司")
    page.fill("#manager_name", "李建国")
    page.fill("#manager_phone", "13912345601")
    page.fill("#planned_start", (today + timedelta(days=1)).isoformat())
    page.fill("#planned_end", (today + timedelta(days=60)).isoformat())
    page.check("#scope_walls")
    page.check("#scope_structural")
    page.get_by_role("button", name="登记申请").click()
    expect(page.locator(".invalid-feedback[data-field=structural_details]")).to_contain_text(
        "请说明结构或公共设施改动的内容")
    page.fill("#structural_details", "拆除卫生间非承重隔墙")
    page.get_by_role("button", name="登记申请").click()
    expect(page.locator(".flash")).to_contain_text("已登记")
    expect(page.locator(".app-state")).to_have_text("审批中")
    expect(page.locator(".safety-state")).to_contain_text("待工程部安全审核")
    shot("decoration-1-recorded")
    sign_out(page)

    # -- 2. the maintenance technician gives the safety approval --
    login("tech")
    go(page, "装修")
    page.get_by_role("link", name=re.compile(r"^ZX-")).click()
    page.fill("#review-note", "隔墙非承重，同意")
    page.get_by_role("button", name="安全审核通过").click()
    expect(page.locator(".safety-state")).to_contain_text("王工")
    sign_out(page)

    # -- 3. the supervisor approves: the fee is billed --
    login("supervisor")
    go(page, "装修")
    page.get_by_role("link", name=re.compile(r"^ZX-")).click()
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".app-state")).to_have_text("已批准，待缴费")
    expect(page.locator(".fee-amount")).to_contain_text("500.00")
    expect(page.locator(".fees-status")).to_contain_text("管理费未缴")
    shot("decoration-2-approved")
    sign_out(page)

    # -- 4. the cashier takes the fee and the deposit (fees plugin's services) --
    from core.audit import acting_as
    from plugins.fees import desk

    db.session.rollback()  # a fresh read: the server wrote the application
    app = db.session.query(Application).one()
    with acting_as(cashier):
        desk.collect(cashier, app.unit, method="cash", amount=Decimal("500.00"), bills=[(app.fee_bill_id, Decimal(0))])
        desk.collect(cashier, app.unit, method="card", amount=Decimal("2000.00"), bills=[],
                     deposit_item_id=deposit_item, deposit_ref=app.number)
        db.session.commit()

    # -- 5. the front desk issues and prints the permit, and a worker's pass --
    login("desk")
    page.goto(page.url.rsplit("/", 1)[0] + f"/decoration/{app.id}")
    expect(page.locator(".fees-status")).to_contain_text("押金已收")
    page.get_by_role("button", name="发放许可证").click()
    expect(page.locator(".app-state")).to_have_text("准许施工")
    permit = page.locator("h1 .permit-number").inner_text()
    assert permit.startswith("XK-E01-")
    with page.expect_popup() as new:
        page.click(".print-permit")
    printed = new.value
    printed.wait_for_load_state()
    expect(printed.locator("h1")).to_have_text("装修许可证")
    expect(printed.locator(".form-number")).to_contain_text(permit)
    expect(printed.locator("table.permit")).to_contain_text("美家装饰工程有限公司")
    expect(printed.locator("table.permit")).to_contain_text("结构改动")
    printed.close()
    page.click(".new-pass")
    page.fill("#name", "李大山")
    page.fill("#id_number", "110101198001011234")
    page.fill("#trade", "泥瓦工")
    page.get_by_role("button", name="办理出入证").click()
    expect(page.locator(".flash")).to_contain_text("已为 李大山 办理出入证")
    expect(page.locator(".pass-list")).to_contain_text("有效")
    shot("decoration-3-permitted")
