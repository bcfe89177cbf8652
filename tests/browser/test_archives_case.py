"""Archives in a real browser, in Chinese (issue 11): a clerk asks to borrow the property-service
contract → the office manager (another person) approves → the archivist hands it out → takes it
back → the file's page shows the whole line: who asked, who approved, out and returned."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

pytestmark = pytest.mark.browser


@pytest.fixture
def contract(site, estates, make_user, db):
    from core.audit import acting_as
    from core.models import User
    from plugins.archives import services

    db.session.execute(update(User).where(User.username == "clerk").values(locale="zh_CN", full_name="李娜"))
    db.session.commit()
    arch = make_user("archivist", [estates[0]], username="arch", locale="zh_CN", full_name="周档案")
    make_user("manager", [estates[0]], username="mgr", locale="zh_CN", full_name="王经理")
    with acting_as(arch):
        row = services.add_file(arch, estate_id=estates[0].id, kind="contract", number="HT-001",
                                title="物业服务合同", cabinet="D", shelf="1", box="D-01", level="internal")
        services.add_document(arch, row, title="物业服务合同正本")
        db.session.commit()
    return row.id


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def test_a_file_is_requested_approved_handed_out_and_returned_in_chinese(page, contract, login, shot):
    # -- 1. the clerk asks to borrow the contract --
    login("clerk")
    go(page, "档案管理")
    expect(page.locator("h1")).to_contain_text("档案")
    page.get_by_role("link", name="HT-001").click()
    expect(page.locator(".file-contents")).to_contain_text("物业服务合同正本")
    page.select_option("#req-kind", label="借阅")
    page.fill("#req-purpose", "核对物业服务合同收费条款")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash")).to_contain_text("申请已提交，等待管理处经理审批。")
    expect(page.locator(".file-loans .loan-state")).to_have_text("待审批")
    shot("archives-1-requested")
    sign_out(page)

    # -- 2. the office manager approves it --
    login("mgr")
    go(page, "档案借阅")
    row = page.locator(".pending-requests tbody tr").filter(has_text="HT-001")
    expect(row).to_contain_text("核对物业服务合同收费条款")
    row.get_by_role("button", name="批准").click()
    expect(page.locator(".flash")).to_contain_text("申请已批准。")
    sign_out(page)

    # -- 3. the archivist hands it out, then takes it back --
    login("arch")
    go(page, "档案管理")
    page.get_by_role("link", name="HT-001").click()
    page.get_by_role("button", name="交出").click()
    expect(page.locator(".flash")).to_contain_text("档案 HT-001 已交给 李娜。")
    expect(page.locator(".file-out")).to_have_text("已借出")
    expect(page.locator(".file-borrower")).to_contain_text("李娜")
    shot("archives-2-out")
    page.get_by_role("button", name="收回").click()
    expect(page.locator(".flash")).to_contain_text("档案 HT-001 已归还。")
    expect(page.locator(".file-out")).to_have_count(0)

    # -- 4. the file's page shows the whole line --
    line = page.locator(".file-loans tbody tr").first
    for text in ("李娜", "借阅", "核对物业服务合同收费条款", "王经理", "已归还", "周档案"):
        expect(line).to_contain_text(text)
    shot("archives-3-returned")
