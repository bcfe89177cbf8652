"""Shared set-up for the decoration tests: the estates' staff, an application form, with the
fees plugin enabled (``@pytest.mark.plugins("decoration", "fees")``) or not (the default)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.audit import acting_as
from core.forms import new_once_key
from core.testing import TEST_PASSWORD


@pytest.fixture
def app(make_app, request):
    marker = request.node.get_closest_marker("plugins")
    codes = list(marker.args) if marker else ["decoration"]
    app = make_app(plugins=codes)
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        for code in codes:
            enable(code)
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
        desk=make_user("frontdesk", [e1], username="desk1", full_name="吴敏"),
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        tech=make_user("technician", [e1], username="tech1", full_name="张工"),
        cashier=make_user("cashier", [e1], username="cash1", full_name="钱出纳"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        desk_e2=make_user("frontdesk", [e2], username="desk2"),
        sup_e2=make_user("supervisor", [e2], username="sup2"),
    )


def today_of(estate):
    from plugins.decoration.services import estate_today

    return estate_today(estate)


def form_data(estate, **kw) -> dict:
    today = today_of(estate)
    data = {"once_key": new_once_key(), "estate_id": str(estate.id), "unit_number": "1-1-101",
            "applicant_kind": "owner", "applicant_name": "张伟", "applicant_phone": "13800138101",
            "contractor": "美家装饰工程有限公司", "manager_name": "李建国", "manager_phone": "13912345601",
            "planned_start": (today + timedelta(days=1)).isoformat(),
            "planned_end": (today + timedelta(days=60)).isoformat(),
            "scope_walls": "y", "scope_floors": "y", "structural_details": "", "description": "全屋翻新"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def args(estate, **kw) -> dict:
    today = today_of(estate)
    a = dict(estate_id=estate.id, unit_number="1-1-101", applicant_kind="owner", applicant_name="张伟",
             applicant_phone="13800138101", owner_consent=False, contractor="美家装饰工程有限公司",
             manager_name="李建国", manager_phone="13912345601", planned_start=today + timedelta(days=1),
             planned_end=today + timedelta(days=60), scope=["walls", "floors"], structural_details="",
             description="全屋翻新")
    a.update(kw)
    return a


@pytest.fixture
def make_app_record(db, staff):
    """``make_app_record(**changes)``: an application recorded by the front desk (committed)."""
    from plugins.decoration import services

    def make(user=None, **kw):
        user = user or staff.desk
        estate = staff.e1 if user is not staff.desk_e2 else staff.e2
        with acting_as(user):
            app = services.apply(user, **args(estate, **kw))
            db.session.commit()
        return app

    return make


def step(db, user, fn, *a, **kw):
    with acting_as(user):
        out = fn(user, *a, **kw)
        db.session.commit()
    return out


@pytest.fixture
def price_list(db, staff):
    """The fees plugin's price list of E01: DECO-FEE (one-off, 500.00) and DECO-DEP (deposit, 2000.00)."""
    from plugins.fees import billing

    since = today_of(staff.e1) - timedelta(days=30)
    with acting_as(staff.manager):
        fee = billing.create_item(staff.e1, {"code": "DECO-FEE", "name": "装修管理费", "kind": "oneoff",
                                             "due_days": 7})
        billing.add_price(fee, price=Decimal("500.00"), valid_from=since)
        dep = billing.create_item(staff.e1, {"code": "DECO-DEP", "name": "装修押金", "kind": "deposit"})
        billing.add_price(dep, price=Decimal("2000.00"), valid_from=since)
        db.session.commit()
    return SimpleNamespace(fee=fee, deposit=dep)
