"""The caller of a repair and of a complaint, found as the clerk types, in Chinese (issue 15).

Typing a room number lists that unit's residents at once; typing a phone finds the caller
and their unit and chooses them; a phone of another estate finds nobody. Both forms do it
with the same block (core.callers)."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(site, estates, db):
    """The clerk works in Chinese; 王芳 (13912340001) rents E01's 1-1-102; E02's 李明 has 13912340002."""
    from core.models import Occupancy, Resident, Unit, User

    e1, e2 = estates
    db.session.execute(update(User).where(User.username == "clerk").values(locale="zh_CN"))

    def unit(estate, number):
        return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))

    wang = Resident(estate_id=e1.id, name="王芳", phone="13912340001")
    li = Resident(estate_id=e2.id, name="李明", phone="13912340002")
    db.session.add_all([wang, li])
    db.session.flush()
    db.session.add_all([
        Occupancy(estate_id=e1.id, unit_id=unit(e1, "1-1-102").id, resident_id=wang.id, role="tenant"),
        Occupancy(estate_id=e2.id, unit_id=unit(e2, "2-1-201").id, resident_id=li.id, role="owner")])
    db.session.commit()
    return e1


def choose_caller(page, shot, name):
    caller = page.locator("#resident_id")
    page.fill("#unit_number", "1-1-102")  # the unit's residents, at once
    expect(caller.locator("option")).to_contain_text(["来电人未登记", "Owner of E01 1-1-102", "王芳 · 租户"])
    shot(f"{name}-unit-residents")
    page.fill("#unit_number", "")
    page.fill("#contact_phone", "13912340002")  # another estate's resident: nobody
    expect(page.locator(".caller-note")).to_have_text("本项目没有电话为 13912340002 的住户。")
    expect(caller.locator("option")).to_have_count(1)
    page.fill("#contact_phone", "13912340001")  # the caller and their unit, chosen
    expect(caller.locator("option:checked")).to_contain_text("王芳 · 1-1-102")
    expect(page.locator("#unit_number")).to_have_value("1-1-102")  # and their unit filled in (issue 15)
    shot(f"{name}-caller-by-phone")


def test_the_repair_and_the_complaint_find_the_caller_as_the_clerk_types(page, desk, login, shot, db):
    from plugins.complaints.models import Complaint
    from plugins.repairs.models import Repair

    login("clerk")
    page.goto(page.url.rstrip("/") + "/repairs/new")
    expect(page.locator("h1")).to_have_text("住户报修记录表")
    choose_caller(page, shot, "repair")
    page.select_option("#category", value="water")
    page.fill("#description", "厨房水管漏水。")
    page.get_by_role("button", name="登记报修").click()
    expect(page.locator(".repair-number")).to_have_text(re.compile(r"BX-E01-"))
    facts = page.locator(".repair-facts")
    expect(facts).to_contain_text("1-1-102")
    expect(facts).to_contain_text("王芳")

    page.goto(page.url.split("/repairs/")[0] + "/complaints/new")
    expect(page.locator("h1")).to_have_text("登记投诉")
    choose_caller(page, shot, "complaint")
    page.select_option("#category", value="noise")
    page.fill("#content", "楼上深夜装修噪音。")
    page.check("#kind-0")
    page.get_by_role("button", name="登记投诉").click()
    expect(page.locator(".complaint-number")).to_have_text(re.compile(r"TS-E01-"))

    db.session.expire_all()
    repair, complaint = db.session.scalar(select(Repair)), db.session.scalar(select(Complaint))
    assert (repair.unit.number, repair.contact_name, repair.contact_phone) == ("1-1-102", "王芳", "13912340001")
    assert (complaint.unit.number, complaint.contact_name) == ("1-1-102", "王芳")
    assert repair.resident_id == complaint.resident_id
