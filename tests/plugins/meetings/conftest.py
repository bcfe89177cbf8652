"""Shared set-up for the meetings tests: an estate's staff (night and day shift, a manager, a
supervisor), another estate's, an open complaint to hand over and helpers to call a meeting."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import current_app

from core.audit import acting_as
from core.testing import TEST_PASSWORD


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("meetings")
        db.session.commit()
        refresh(force=True)
        yield app


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert resp.status_code == 302
    return user


@pytest.fixture
def staff(make_user, estates):
    e1, e2 = estates
    return SimpleNamespace(
        e1=e1, e2=e2,
        night=make_user("frontdesk", [e1], username="night1", full_name="夜班吴敏"),
        day=make_user("clerk", [e1], username="day1", full_name="白班孙丽"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        tech=make_user("technician", [e1], username="tech1", full_name="张师傅"),
        other=make_user("clerk", [e2], username="clerk2", full_name="赵敏"),
        manager2=make_user("manager", [e2], username="mgr2", full_name="李经理"),
    )


@pytest.fixture
def complaint(db, staff):
    """An open complaint of E01 (recorded by the supervisor)."""
    from plugins.complaints import services

    with acting_as(staff.sup):
        c = services.record(staff.sup, estate_id=staff.e1.id, channel="phone", category="repairs",
                            kind="wants_fix", severity="normal", content="楼上深夜噪音扰民",
                            contact_name="王建国", contact_phone="13912345678", unit_number="1-1-101")
        db.session.commit()
    return c


@pytest.fixture
def request_ctx(app):
    """A request context (the matter hooks build their case URLs)."""
    with current_app.test_request_context():
        yield


def at(y, mo, d, h, mi=0) -> datetime:
    """An instant given in Shanghai local time (UTC+8), as aware UTC."""
    return datetime(y, mo, d, h - 8, mi, tzinfo=UTC) if h >= 8 else datetime(y, mo, d - 1, h + 16, mi, tzinfo=UTC)


@pytest.fixture
def call_meeting(db, staff):
    """``call_meeting(**changes)``: the supervisor calls a meeting of E01 (committed)."""
    from plugins.meetings import services

    def make(**kw):
        args = dict(estate_id=staff.e1.id, kind="morning", title="早会", starts_at=at(2026, 3, 5, 8, 30),
                    place="客服中心", agenda="1. 交接班 2. 未结投诉",
                    attendee_ids=[staff.manager.id, staff.sup.id, staff.day.id, staff.night.id],
                    minute_taker_id=staff.day.id, chair_id=staff.manager.id)
        args.update(kw)
        with acting_as(staff.sup):
            m = services.plan_meeting(staff.sup, **args)
            db.session.commit()
        return m

    return make
