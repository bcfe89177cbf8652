"""The global search in Chinese: typing shows the short list, Enter opens the full results page
grouped by kind, where a resident's hit names their unit."""

from playwright.sync_api import expect

pytestmark = __import__("pytest").mark.browser


def test_enter_in_the_search_box_opens_the_results_page_in_chinese(page, site, login, shot, estates, db):
    from core.models import Occupancy, Resident

    e1 = estates[0]
    owner = db.session.get(Resident, db.session.query(Occupancy).filter_by(estate_id=e1.id).first().resident_id)
    owner.name = "王芳"
    twin = Resident(estate_id=e1.id, name="王芳", phone="13900002222")
    db.session.add(twin)
    db.session.commit()
    login("clerk")
    page.select_option("#language-select", "zh_CN")
    expect(page.locator("#logout")).to_have_text("退出")
    # The new page's DOM is there before its scripts have bound the search box (htmx binds on
    # DOMContentLoaded): typing before that sends no request, so wait for the page to load.
    page.wait_for_load_state("load")
    page.fill("#global-search", "王芳")
    expect(page.locator("#search-popup .search-all")).to_contain_text("全部结果")
    page.press("#global-search", "Enter")
    page.wait_for_url("**/search?q=*")
    expect(page.locator("h1")).to_contain_text("搜索")
    group = page.locator('.search-group[data-kind="住户"]')
    expect(group.locator(".search-hit")).to_have_count(2)
    expect(group).to_contain_text("1-1-101")
    shot("search-page-zh")
