"""A whole renovation in a real browser, in Chinese (issue 12), with fees, repairs, visits and
archives enabled, each step by the role that takes it:

the front desk records an application with a structural change (and its drawing) → the
maintenance technician gives the safety approval → the supervisor approves (the fee is billed)
→ the cashier takes the fee and then the deposit at the fees plugin's cashier desk, reached from
the application → the front desk issues and prints the permit, issues two workers' passes with
photos and prints their cards → the technician's inspection finds a violation, the
rectification notice is printed, the re-check finds it rectified → the front desk reports the
works finished → the technician accepts them → the deposit refund request is on the cashier's
refunds page, the owner's decoration return visit on the supervisor's return visits page, the
papers in the archives."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import text, update

pytestmark = pytest.mark.browser

def solid_png(width=60, height=80, rgb=(70, 110, 160)) -> bytes:
    """A small one-colour PNG (a stand-in photo the printed card visibly shows)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png(name):
    return [{"name": name, "mimeType": "image/png", "buffer": solid_png()}]


@pytest.fixture
def staff(site, estates, make_user, db):
    """E01's front desk, technician, cashier (and the supervisor ``site`` made), all in Chinese;
    the estate's price list has the decoration fee (500.00) and deposit (2,000.00)."""
    from core.audit import acting_as
    from core.models import User
    from plugins.decoration.services import estate_today
    from plugins.fees import billing

    db.session.execute(update(User).where(User.username == "supervisor").values(locale="zh_CN", full_name="张伟"))
    db.session.commit()
    make_user("frontdesk", [estates[0]], username="desk", locale="zh_CN", full_name="吴敏")
    make_user("technician", [estates[0]], username="tech", locale="zh_CN", full_name="王工")
    make_user("cashier", [estates[0]], username="cashier", locale="zh_CN", full_name="钱出纳")
    manager = make_user("manager", [estates[0]], username="manager", full_name="王经理")
    since = estate_today(estates[0]) - timedelta(days=30)
    with acting_as(manager):
        fee = billing.create_item(estates[0], {"code": "DECO-FEE", "name": "装修管理费", "kind": "oneoff"})
        billing.add_price(fee, price=Decimal("500.00"), valid_from=since)
        dep = billing.create_item(estates[0], {"code": "DECO-DEP", "name": "装修押金", "kind": "deposit"})
        billing.add_price(dep, price=Decimal("2000.00"), valid_from=since)
        db.session.commit()


def sign_out(page):
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def go(page, label):
    page.locator("#sidebar a.sidebar-link").filter(has_text=re.compile(rf"^\s*{label}\s*(\d+)?\s*$")).click()


def open_application(page):
    go(page, "装修")
    page.get_by_role("link", name=re.compile(r"^ZX-")).first.click()
    expect(page.locator(".app-number")).to_have_text(re.compile(r"^ZX-E01-"))


def popup(page, locator):
    with page.expect_popup() as new:
        page.locator(locator).click()
    printed = new.value
    printed.wait_for_load_state()
    return printed


def test_a_whole_renovation_with_a_structural_change_in_chinese(page, staff, login, shot, db, estates, site):
    from core.plugins import is_enabled
    from plugins.decoration.services import estate_today

    assert all(is_enabled(code) for code in ("decoration", "fees", "repairs", "visits", "archives"))
    today = estate_today(estates[0])
    end = today + timedelta(days=60)
    # -- 1. the front desk records the application with a structural change and its drawing --
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
    page.fill("#planned_start", today.isoformat())
    page.fill("#planned_end", end.isoformat())
    page.check("#scope_walls")
    page.check("#scope_electrical")
    page.check("#scope_structural")
    page.get_by_role("button", name="登记申请").click()
    expect(page.locator(".invalid-feedback[data-field=structural_details]")).to_contain_text(
        "请说明结构或公共设施改动的内容")
    page.fill("#structural_details", "拆除卫生间非承重隔墙")
    page.set_input_files("#photos", files=png("平面图.png"))
    page.get_by_role("button", name="登记申请").click()
    expect(page.locator(".flash")).to_contain_text("已登记")
    expect(page.locator(".app-state")).to_have_text("审批中")
    expect(page.locator(".safety-state")).to_contain_text("待工程部安全审核")
    expect(page.locator(".drawings")).to_contain_text("平面图.png")
    number = page.locator(".app-number").inner_text()
    shot("decoration-1-recorded")
    sign_out(page)

    # -- 2. the maintenance technician gives the safety approval --
    login("tech")
    open_application(page)
    page.fill("#review-note", "隔墙非承重，同意")
    page.get_by_role("button", name="安全审核通过").click()
    expect(page.locator(".safety-state")).to_contain_text("王工")
    sign_out(page)

    # -- 3. the supervisor approves: the fee is billed, the deposit is due --
    login("supervisor")
    open_application(page)
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".app-state")).to_have_text("已批准，待缴费")
    expect(page.locator(".fee-amount")).to_contain_text("500.00")
    expect(page.locator(".deposit-amount")).to_contain_text("2,000.00")
    expect(page.locator(".fees-status")).to_contain_text("管理费未缴")
    shot("decoration-2-approved")
    sign_out(page)

    # -- 4. the cashier takes the fee, then the deposit, at the cashier desk --
    login("cashier")
    open_application(page)
    page.locator(".fees-card").get_by_role("link", name="收银台").click()
    expect(page.locator(".unit-number")).to_have_text("1-1-101")
    expect(page.locator(".bill-row")).to_have_count(1)
    expect(page.locator(".bill-row")).to_contain_text("装修管理费")
    expect(page.locator("#pay-form #amount")).to_have_value("500.00")
    page.fill("#pay-form #payer", "张三")
    page.click("#pay-button")
    expect(page.locator(".receipt-number")).to_have_text(re.compile(r"SJ-E01-"))
    expect(page.locator(".receipt-total")).to_contain_text("500.00")
    open_application(page)
    expect(page.locator(".fees-status")).to_contain_text("管理费已缴")
    expect(page.locator(".fees-status")).to_contain_text("押金未收")
    page.locator(".fees-card").get_by_role("link", name="收银台").click()
    expect(page.locator(".no-bills")).to_be_visible()
    page.select_option("#deposit-form #deposit_item", label="装修押金")
    page.fill("#deposit-form #amount", "2000.00")
    page.fill("#deposit-form #source_ref", number)
    page.fill("#deposit-form #payer", "张三")
    page.get_by_role("button", name="收取押金").click()
    expect(page.locator(".receipt-number")).to_have_text(re.compile(r"SJ-E01-"))
    expect(page.locator(".receipt-total")).to_contain_text("2,000.00")
    shot("decoration-3-deposit-receipt")
    open_application(page)
    expect(page.locator(".fees-status")).to_contain_text("押金已收")
    expect(page.locator(".issue-permit")).to_have_count(0)  # the front desk issues the permit
    sign_out(page)

    # -- 5. the front desk issues the permit and two passes, prints their cards and the permit --
    login("desk")
    open_application(page)
    page.get_by_role("button", name="发放许可证").click()
    expect(page.locator(".app-state")).to_have_text("准许施工")
    permit = page.locator("h1 .permit-number").inner_text()
    assert permit.startswith("XK-E01-")
    for name, id_number, trade in (("李大山", "110101198001011234", "泥瓦工"), ("王小明", "11010119850505123X", "电工")):
        page.click(".new-pass")
        expect(page.locator("#valid_to")).to_have_value(end.isoformat())  # the permit's end
        page.fill("#name", name)
        page.fill("#id_number", id_number)
        page.fill("#trade", trade)
        page.set_input_files("#photos", files=png(f"{name}.png"))
        page.get_by_role("button", name="办理出入证").click()
        expect(page.locator(".flash")).to_contain_text(f"已为 {name} 办理出入证")
    expect(page.locator(".pass-list tbody tr")).to_have_count(2)
    expect(page.locator(".pass-list .badge.text-bg-success")).to_have_count(2)  # valid today
    cards = popup(page, ".print-passes")
    expect(cards.locator(".pass-card")).to_have_count(2)
    expect(cards.locator(".pass-card").nth(0)).to_contain_text("李大山")
    expect(cards.locator(".pass-card").nth(1)).to_contain_text("11010119850505123X")
    expect(cards.locator(".pass-card img")).to_have_count(2)
    assert cards.evaluate("Array.from(document.querySelectorAll('.pass-card img')).every(i => i.naturalWidth > 0)")
    cards.screenshot(path=str(shot("decoration-4-passes").parent / "decoration-4-passes-print.png"), full_page=True)
    cards.close()
    printed = popup(page, ".print-permit")
    expect(printed.locator("h1")).to_have_text("装修许可证")
    expect(printed.locator(".form-number")).to_contain_text(permit)
    permit_table = printed.locator("table.permit")
    expect(permit_table).to_contain_text("美家装饰工程有限公司")
    expect(permit_table).to_contain_text("结构改动")
    expect(permit_table.locator("tr", has_text="发证日期")).to_contain_text(number)
    expect(permit_table.locator("tr", has_text="施工人员出入证")).to_contain_text("2")
    printed.screenshot(path=str(shot("decoration-5-permit").parent / "decoration-5-permit-print.png"), full_page=True)
    printed.close()
    sign_out(page)

    # -- 6. the technician's inspection finds a violation: a rectification notice, printed --
    login("tech")
    open_application(page)
    page.click(".new-inspection")
    page.fill("#findings", "擅自移动燃气管道")
    page.check("#violation")
    page.fill("#required_action", "恢复燃气管道原位并报燃气公司检查")
    page.fill("#deadline", (today + timedelta(days=3)).isoformat())
    page.set_input_files("#photos", files=png("燃气管.png"))
    page.get_by_role("button", name="登记巡查").click()
    expect(page.locator(".flash")).to_contain_text("已发出整改通知 ZG-E01-")
    expect(page.locator(".violations")).to_contain_text("1")
    notice_link = page.locator(".inspection-list a", has_text=re.compile(r"^ZG-E01-"))
    notice = notice_link.inner_text()
    with page.expect_popup() as new:
        notice_link.click()
    printed = new.value
    printed.wait_for_load_state()
    expect(printed.locator("h1")).to_have_text("整改通知书")
    expect(printed.locator(".form-number")).to_contain_text(notice)
    expect(printed.locator("table.notice")).to_contain_text("恢复燃气管道原位")
    expect(printed.locator("table.notice .deadline")).not_to_be_empty()
    printed.close()
    shot("decoration-6-violation")

    # -- 7. the re-check finds it rectified --
    page.locator(".inspection-list summary", has_text="复查").click()
    page.select_option("#recheck-rectified", "1")
    page.fill("#recheck-note", "燃气管道已恢复，燃气公司已检查")
    page.get_by_role("button", name="登记复查").click()
    expect(page.locator(".flash")).to_contain_text("复查已记录")
    expect(page.locator(".inspection-list .badge")).to_have_text("已整改")
    sign_out(page)

    # -- 8. the front desk reports the works finished --
    login("desk")
    open_application(page)
    page.click(".complete")
    expect(page.locator(".app-state")).to_have_text("待验收")
    sign_out(page)

    # -- 9. the technician accepts the works --
    login("tech")
    open_application(page)
    page.fill("#check-note", "按批准范围施工，验收合格")
    page.click(".accept")
    expect(page.locator(".flash")).to_contain_text("装修已验收合格")
    expect(page.locator(".app-state")).to_have_text("已验收")
    expect(page.locator(".check-list")).to_contain_text("已验收")
    expect(page.locator(".pass-list .badge.text-bg-success")).to_have_count(0)  # the passes stop
    shot("decoration-7-accepted")
    sign_out(page)

    # -- 10. the deposit refund request on the cashier's refunds page --
    login("cashier")
    go(page, "退款")
    row = page.locator("table tbody tr", has_text="1-1-101")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("押金")
    expect(row).to_contain_text("2,000.00")
    expect(row).to_contain_text("待审批")
    shot("decoration-8-refund-requested")
    row.locator("a").first.click()
    expect(page.locator("body")).to_contain_text(number)
    sign_out(page)

    # -- 11. the owner's decoration return visit on the supervisor's return visits page --
    login("supervisor")
    go(page, "回访")
    row = page.locator("table tbody tr", has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("装修")
    expect(row).to_contain_text("1-1-101")
    expect(row).to_contain_text("待回访")
    shot("decoration-9-return-visit")

    # -- and the papers are in the unit's decoration file in the archives --
    db.session.rollback()  # see what the server committed
    filed = db.session.execute(text(
        "SELECT e.source_ref, f.kind FROM archives_entry e JOIN archives_file f ON f.id = e.file_id "
        "WHERE e.source = 'decoration'")).all()
    assert [tuple(r) for r in filed] == [(permit, "decoration")]
