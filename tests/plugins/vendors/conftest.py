"""Shared set-up for the vendors tests: a fixed clock, two estates' staff, the scoring sheets,
one vendor with a contract at each estate."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.audit import acting_as
from core.testing import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Every vendors test runs on this day (a Wednesday in March), whatever the real date.
TODAY = date(2026, 3, 18)


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("vendors")
        db.session.commit()
        refresh(force=True)
        yield app


@pytest.fixture
def today(clock):
    clock.move_to(datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=SHANGHAI))
    return TODAY


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


CLEANING = [("大堂及楼道", "地面洁净", "40"), ("电梯轿厢", "每日擦拭", "30"), ("垃圾收集点", "日产日清", "30")]


@pytest.fixture
def staff(make_user, estates, today):
    """E01's and E02's people, the cleaning sheet, one cleaning vendor with a contract at each
    estate (it serves both)."""
    from core.extensions import db
    from plugins.vendors import services

    e1, e2 = estates
    s = SimpleNamespace(
        e1=e1, e2=e2, today=today,
        sup=make_user("supervisor", [e1], username="vsup1", full_name="陈主管"),
        clerk=make_user("clerk", [e1], username="vclerk1", full_name="孙丽"),
        manager=make_user("manager", [e1], username="vmgr1", full_name="王经理"),
        tech=make_user("technician", [e1], username="vtech1"),
        cashier=make_user("cashier", [e1], username="vcash1"),
        sup_e2=make_user("supervisor", [e2], username="vsup2", full_name="赵主管"),
    )
    with acting_as(s.sup):
        services.save_sheet(s.sup, "cleaning", CLEANING)
        s.vendor = services.add_vendor(s.sup, name="洁美保洁服务有限公司", contact_name="周经理",
                                       contact_phone="13811112222")
        s.c1 = services.add_contract(s.sup, estate_id=e1.id, vendor_id=s.vendor.id, number="BJ-E01-01",
                                     service_kind="cleaning", scope="大堂、楼道日常保洁", start_on=date(2026, 1, 1),
                                     end_on=date(2026, 12, 31), amount=Decimal("360000.00"), standards="按附件标准")
    with acting_as(s.sup_e2):
        s.c2 = services.add_contract(s.sup_e2, estate_id=e2.id, vendor_id=s.vendor.id, number="BJ-E02-01",
                                     service_kind="cleaning", scope="园区保洁", start_on=date(2026, 1, 1),
                                     end_on=date(2026, 12, 31), amount=Decimal("240000.00"))
    db.session.commit()
    return s


def full(items, **changes) -> dict:
    """Points for every item of a sheet: full marks, except ``{title: points}``."""
    return {i.id: Decimal(changes.get(i.title, i.weight)) for i in items}
