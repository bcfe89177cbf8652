"""What a member of staff sees and does, in a real browser."""

import re

from playwright.sync_api import expect

pytestmark = __import__("pytest").mark.browser


def test_a_clerk_logs_in_and_finds_a_unit_through_the_menu(page, site, login, shot):
    page.goto(site.url + "/estates/units")
    expect(page).to_have_url(re.compile(r"/login"))
    login("clerk")
    expect(page.locator("h1")).to_contain_text("Dashboard")
    expect(page.locator(".kpi-units")).to_have_text("3")
    shot("dashboard")
    page.click("#sidebar >> text=Units")
    expect(page.locator(".list-total")).to_have_text("3 records")
    page.click("text=3-2-1201")
    expect(page.locator("h1")).to_contain_text("3-2-1201")
    expect(page.locator('[data-slot="core-occupancy"]')).to_contain_text("Owner of E01 3-2-1201")
    shot("unit")


def test_a_wrong_password_is_shown_beside_the_form(page, site):
    page.goto(site.url + "/login")
    page.fill("#username", "clerk")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".form-error")).to_have_text("Wrong username or password.")


def test_the_global_search_box_shows_hits_while_typing(page, site, login):
    login("clerk")
    page.fill("#global-search", "1201")
    expect(page.locator("#search-popup .search-hit").first).to_contain_text("3-2-1201")
    page.locator("#search-popup .search-hit").first.click()
    expect(page.locator("h1")).to_contain_text("3-2-1201")


def test_a_supervisor_imports_units_from_a_csv(page, site, login, tmp_path, shot):
    csv = tmp_path / "units.csv"
    csv.write_text("building,number,floor,area,use\n9,9-1-101,1,88.50,residence\n9,9-1-102,1,90.00,shop\n")
    login("supervisor")
    page.goto(site.url + "/estates/import")
    page.set_input_files("#file", str(csv))
    page.click("button[name=confirm][value='0']")
    expect(page.locator(".import-ok")).to_contain_text("All 2 rows are correct.")
    shot("import-preview")
    page.click("#confirm-import")
    expect(page.locator(".flash")).to_contain_text("2 rows imported.")
    page.fill("#q", "9-1-")
    page.click("text=Filter")
    expect(page.locator(".list-total")).to_have_text("2 records")


def test_an_admin_switches_a_module_off_and_on(page, site, login, shot):
    login("admin")
    expect(page.locator("#sidebar")).to_contain_text("Notices")
    page.goto(site.url + "/admin/plugins")
    row = page.locator('tr[data-plugin="notices"]')
    row.locator("button", has_text="Disable").click()
    expect(page.locator('tr[data-plugin="notices"]')).to_have_attribute("data-state", "disabled")
    expect(page.locator("#sidebar")).not_to_contain_text("Notices")
    shot("plugins-disabled")
    assert page.request.get(site.url + "/notices/").status == 404
    page.locator('tr[data-plugin="notices"] button', has_text="Enable").click()
    expect(page.locator('tr[data-plugin="notices"]')).to_have_attribute("data-state", "enabled")
    expect(page.locator("#sidebar")).to_contain_text("Notices")


def test_the_language_switch_turns_the_shell_chinese(page, site, login, shot):
    login("clerk")
    page.select_option("#language-select", "zh_CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#logout")).to_have_text("退出")
    shot("dashboard-zh")
    page.wait_for_load_state("load")  # the select submits itself once app.js has bound it
    page.select_option("#language-select", "en")
    expect(page.locator("#logout")).to_have_text("Sign out")


def test_on_a_phone_the_menu_is_a_panel_the_menu_button_opens(page, site, login, shot):
    login("clerk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.url + "/estates/units")
    expect(page.locator("#sidebar")).not_to_be_visible()  # the page has the whole width
    table = page.locator(".list-table").bounding_box()
    assert table["x"] < 30 and page.locator("main").bounding_box()["width"] >= 380
    expect(page.locator("#global-search")).to_be_visible()
    expect(page.locator("#estate-select")).to_be_visible()
    shot("phone-units")
    page.click("#menu-toggle")
    expect(page.locator("#sidebar >> text=Residents")).to_be_visible()
    shot("phone-menu")
    page.click("#sidebar >> text=Residents")
    expect(page).to_have_url(re.compile(r"/residents/"))
    expect(page.locator("#sidebar")).not_to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 900})  # a desk: the menu is a column again
    expect(page.locator("#menu-toggle")).not_to_be_visible()
    expect(page.locator("#sidebar >> text=Units")).to_be_visible()
    assert page.locator("main").bounding_box()["x"] >= 200
