"""Shared set-up for the cleaning tests: a fixed clock, two estates' staff, an area with its work
plan at each estate, and (vendors enabled) a cleaning contract at E01."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.audit import acting_as
from core.testing import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Every cleaning test runs on this day (a Wednesday in March), whatever the real date.
TODAY = date(2026, 3, 18)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "ffff3f0005fe02fea7d6a4500000000049454e44ae426082")


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
        enable("cleaning")
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


def set_vendors(on: bool):
    from core.extensions import db
    from core.site import disable, enable, refresh

    (enable if on else disable)("vendors")
    db.session.commit()
    refresh(force=True)


@pytest.fixture
def staff(make_user, estates, today):
    """E01's and E02's people, an area with three tasks at each estate, a cleaning vendor with a
    contract at E01."""
    from core.extensions import db
    from plugins.cleaning import services
    from plugins.vendors import services as vendors

    e1, e2 = estates
    s = SimpleNamespace(
        e1=e1, e2=e2, today=today,
        sup=make_user("cleaning", [e1], username="csup1", full_name="黄主管"),
        clerk=make_user("clerk", [e1], username="cclerk1", full_name="孙丽"),
        manager=make_user("manager", [e1], username="cmgr1"),
        tech=make_user("technician", [e1], username="ctech1"),
        sup_e2=make_user("cleaning", [e2], username="csup2", full_name="赵主管"),
    )
    with acting_as(s.sup):
        s.area = services.add_area(s.sup, estate_id=e1.id, name="1栋大堂", location="1栋首层", vendor="洁美保洁")
        db.session.flush()
        s.t1 = services.add_task(s.sup, s.area, frequency="daily", title="地面湿拖", standard="无污渍")
        s.t2 = services.add_task(s.sup, s.area, frequency="daily", title="擦拭信报箱")
        s.t3 = services.add_task(s.sup, s.area, frequency="weekly", title="清洁入口玻璃")
    vsup = make_user("supervisor", [e1], username="cvsup1")
    with acting_as(vsup):
        v = vendors.add_vendor(vsup, name="洁美保洁服务有限公司")
        s.contract = vendors.add_contract(vsup, estate_id=e1.id, vendor_id=v.id, number="BJ-E01-01",
                                          service_kind="cleaning", scope="大堂保洁", start_on=date(2026, 1, 1),
                                          end_on=date(2026, 12, 31), amount=Decimal("100000.00"))
    with acting_as(s.sup_e2):
        s.area2 = services.add_area(s.sup_e2, estate_id=e2.id, name="园区道路")
        db.session.flush()
        s.t21 = services.add_task(s.sup_e2, s.area2, frequency="daily", title="道路清扫")
    db.session.commit()
    return s


def all_ok(*tasks, **bad):
    """Results for the tasks: OK, except ``{task title: remark}``."""
    return {t.id: (t.title not in bad, bad.get(t.title, "")) for t in tasks}
