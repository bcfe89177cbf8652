"""Shared set-up for the front desk tests: an estate's staff (desk, supervisor, manager…) and
a pass application through the service."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from core.audit import acting_as
from core.forms import new_once_key
from core.i18n import today_local
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
        enable("frontdesk")
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
        desk2=make_user("frontdesk", [e1], username="desk2", full_name="周静"),
        clerk=make_user("clerk", [e1], username="clerk1", full_name="孙丽"),
        sup=make_user("supervisor", [e1], username="sup1", full_name="陈主管"),
        manager=make_user("manager", [e1], username="mgr1", full_name="王经理"),
        cashier=make_user("cashier", [e1], username="cash1"),
        desk_e2=make_user("frontdesk", [e2], username="desk3", full_name="赵敏"),
        sup_e2=make_user("supervisor", [e2], username="sup3"),
    )


def pass_args(estate, **kw) -> dict:
    today = today_local()
    args = dict(estate_id=estate.id, unit_number="1-1-101", applicant_kind="owner", applicant_name="陈建华",
                applicant_phone="13800001111", goods="旧沙发一套", vehicle_plate="", valid_from=today,
                valid_until=today + timedelta(days=1), owner_consent_name="", owner_consent_note="")
    args.update(kw)
    return args


def pass_form(estate, **kw) -> dict:
    today = today_local()
    data = {"once_key": new_once_key(), "estate_id": str(estate.id), "unit_number": "1-1-101",
            "contact_phone": "13800001111", "contact_name": "陈建华", "resident_id": "", "applicant_kind": "owner",
            "goods": "旧沙发一套", "vehicle_plate": "", "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=1)).isoformat(), "owner_consent_name": "",
            "owner_consent_note": ""}
    data.update(kw)
    return data


@pytest.fixture
def make_pass(db, staff):
    """``make_pass(approve=False, **changes)``: an application by the desk (and the supervisor's
    approval), committed."""
    from plugins.frontdesk import services

    def make(approve=False, estate=None, **kw):
        estate = estate or staff.e1
        desk = staff.desk if estate.id == staff.e1.id else staff.desk_e2
        sup = staff.sup if estate.id == staff.e1.id else staff.sup_e2
        with acting_as(desk):
            row = services.apply_pass(desk, **pass_args(estate, **kw))
            db.session.commit()
        if approve:
            with acting_as(sup):
                services.decide_pass(sup, row, approve=True)
                db.session.commit()
        return row

    return make
