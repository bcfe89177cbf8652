"""The demo data: applications in every state, through the services, with and without fees."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.demo import ensure_roles
from core.models import Estate
from plugins.decoration.models import (
    AcceptanceCheck,
    Application,
    Extension,
    Inspection,
    WorkerPass,
)


def _load(db, make_user, estates):
    from plugins.decoration.demo import load

    e1 = estates[0]
    users = {code: make_user(code, [e1], username=f"demo-{code}") for code in ensure_roles()}
    with acting_as(None):
        load(db.session.get(Estate, e1.id), users)
    db.session.commit()
    return e1


def test_the_demo_has_every_kind_of_record_with_two_units(db, make_user, estates):
    _load(db, make_user, estates)
    states = sorted(db.session.scalars(select(Application.state)).all())
    assert states == ["accepted", "permitted", "submitted"]
    for model in (WorkerPass, Inspection, Extension, AcceptanceCheck):
        assert db.session.scalars(select(model)).first() is not None, model


@pytest.mark.plugins("decoration", "fees")
def test_the_demo_with_fees_pays_at_the_desk_and_the_acceptance_asks_for_the_refund(db, make_user, estates):
    from plugins.fees.models import Refund

    _load(db, make_user, estates)
    accepted = db.session.scalar(select(Application).where(Application.state == "accepted"))
    assert accepted.fees_via == "fees"
    refund = db.session.scalar(select(Refund))
    assert refund is not None and accepted.number in refund.reason
