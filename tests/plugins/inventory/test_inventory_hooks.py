"""The ``inventory_issued`` event, heard by a (fake) listening plugin: fired inside the issue's
transaction (a listener's refusal undoes the issue), not fired with the listener disabled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.testing import refused
from plugins.inventory import services
from plugins.inventory.models import Item, Movement
from tests.plugins.inventory.conftest import D

LISTENER = '''
from core import hookimpl

HEARD = []


@hookimpl(optionalhook=True)
def inventory_issued(movement):
    if movement.received_by == "boom":
        from core.errors import DomainError

        raise DomainError("The budget of this department is spent.")
    HEARD.append((movement.number, movement.quantity, movement.department_id, movement.work_order_number))
'''


@pytest.fixture
def app(make_app, temp_plugin):
    code, package = temp_plugin("fakebudget", None, LISTENER)
    app = make_app(extra={code: package})
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("inventory")
        enable(code)
        db.session.commit()
        refresh(force=True)
        app.heard = app.extensions["propdesk_plugins"].infos[code].module.HEARD
        yield app


def test_an_issue_is_announced_and_a_listeners_refusal_undoes_it(app, db, staff, store, item):
    tap = item(store(), on_hand=5)
    with acting_as(staff.keeper):
        m = services.issue(staff.keeper, tap, quantity=D(2), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
        assert app.heard == [(m.number, D(-2), staff.maint.id, "")]
        refused("The budget of this department is spent.", services.issue, staff.keeper, tap, quantity=D(1),
                department_id=staff.maint.id, received_by="boom")
    db.session.expire_all()
    assert db.session.get(Item, tap.id).on_hand == D(3)
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 2


def test_no_listener_when_it_is_disabled(app, db, staff, store, item):
    from core.site import disable, refresh

    tap = item(store(), on_hand=5)
    disable("fakebudget")
    db.session.commit()
    refresh(force=True)
    with acting_as(staff.keeper):
        services.issue(staff.keeper, tap, quantity=D(1), department_id=staff.maint.id, received_by="boom")
        db.session.commit()
    assert app.heard == []
