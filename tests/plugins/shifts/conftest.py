"""Shared set-up for the shifts tests: a fixed clock, an estate's staff and shifts, a schedule."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.audit import acting_as
from core.testing import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Every shifts test runs on this day (a Wednesday in March), whatever the real date.
TODAY = date(2026, 3, 18)
APRIL = date(2026, 4, 1)


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("shifts")
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


@pytest.fixture
def staff(make_user, estates, today):
    """E01's people with its shifts (A, B, C, a long night N, lunch cover L) and a post; E02's supervisor."""
    from core.extensions import db
    from plugins.shifts import services

    e1, e2 = estates
    s = SimpleNamespace(
        e1=e1, e2=e2, today=today,
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        clerk2=make_user("clerk", [e1], username="clerk2", full_name="周静"),
        desk=make_user("frontdesk", [e1], username="desk1", full_name="吴敏"),
        sup_e2=make_user("supervisor", [e2], username="sup3", full_name="赵主管"),
        clerk_e2=make_user("clerk", [e2], username="clerk3", full_name="钱多"),
    )
    with acting_as(s.sup):
        s.A = services.add_pattern(s.sup, estate_id=e1.id, code="A", name="早班", starts=time(7), ends=time(15))
        s.B = services.add_pattern(s.sup, estate_id=e1.id, code="B", name="中班", starts=time(15), ends=time(23))
        s.C = services.add_pattern(s.sup, estate_id=e1.id, code="C", name="夜班", starts=time(23), ends=time(7))
        s.N = services.add_pattern(s.sup, estate_id=e1.id, code="N", name="长夜班", starts=time(22), ends=time(8))
        s.L = services.add_pattern(s.sup, estate_id=e1.id, code="L", name="午间补位", starts=time(11, 30),
                                   ends=time(13, 30))
        s.post = services.add_post(s.sup, estate_id=e1.id, name="前台", staff_needed=2)
    with acting_as(s.sup_e2):
        s.A2 = services.add_pattern(s.sup_e2, estate_id=e2.id, code="A", name="早班", starts=time(8), ends=time(16))
    db.session.commit()
    return s


@pytest.fixture
def april(staff):
    """April's schedule for E01, published (version 1): clerk A, clerk2 B, desk C every day."""
    from core.extensions import db
    from plugins.shifts import services

    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        cells = {}
        for day in services.days_of(r.first_day, r.last_day):
            cells[(staff.clerk.id, day)] = staff.A.id
            cells[(staff.clerk2.id, day)] = staff.B.id
            cells[(staff.desk.id, day)] = staff.C.id
        services.set_cells(staff.sup, r, cells)
        services.publish(staff.sup, r)
        db.session.commit()
    return r
