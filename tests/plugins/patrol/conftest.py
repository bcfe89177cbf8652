"""Shared set-up for the patrol tests: an estate's staff, a route with checkpoints, a plan."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.audit import acting_as
from core.forms import new_once_key
from core.testing import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A fixed Thursday morning in Shanghai, for stories set in time (``clock.move_to``).
MORNING = datetime(2026, 11, 19, 9, 30, tzinfo=SHANGHAI)
DAY = date(2026, 11, 19)

# A 1×1 PNG: the photo of a problem.
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
        enable("patrol")
        db.session.commit()
        refresh(force=True)
        yield app


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


def check_data(**kw) -> dict:
    data = {"once_key": new_once_key(), "patrol_id": "", "result": "ok", "category": "facilities", "note": "",
            "contact_phone": "13900001111"}
    data.update(kw)
    return data


@pytest.fixture
def staff(make_user, estates):
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管", phone="13800000001"),
        guard=make_user("frontdesk", [e1], username="guard1", full_name="周静", phone="13800000002"),
        guard2=make_user("technician", [e1], username="guard2", full_name="张师傅"),
        cashier=make_user("cashier", [e1], username="cash1", full_name="孙丽"),
        sup_e2=make_user("supervisor", [e2], username="sup3", full_name="黄主管"),
        guard_e2=make_user("frontdesk", [e2], username="guard3", full_name="赵敏"),
    )


@pytest.fixture
def route(db, staff):
    """E01's route "Daily public areas" with checkpoints P-01…P-03, and E02's with Q-01."""
    from plugins.patrol import services

    with acting_as(staff.sup):
        r = services.add_route(staff.sup, estate_id=staff.e1.id, name="公共区域日常巡视")
        for code, name, checks in (("P-01", "一楼大堂", ["facilities", "people"]), ("P-02", "地下车库", ["parking", "fire"]),
                                   ("P-03", "屋面", ["facilities"])):
            services.add_checkpoint(staff.sup, r, code=code, name=name, checks=checks)
        other = services.add_route(staff.sup, estate_id=staff.e1.id, name="夜间周界巡视")
        services.add_checkpoint(staff.sup, other, code="N-01", name="小区正门", checks=["people"])
    with acting_as(staff.sup_e2):
        r2 = services.add_route(staff.sup_e2, estate_id=staff.e2.id, name="Riverside route")
        services.add_checkpoint(staff.sup_e2, r2, code="Q-01", name="Gate", checks=["people"])
    db.session.commit()
    return SimpleNamespace(main=r, other=other, e2=r2, points=services.route_checkpoints(r.id),
                           night=services.route_checkpoints(other.id)[0], e2_point=services.route_checkpoints(r2.id)[0])
