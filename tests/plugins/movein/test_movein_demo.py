"""The demo data: a handover campaign under way, alone and with keys, repairs and fees."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.testing import make_estate
from plugins.movein.models import MoveinCase, MoveinCheck


@pytest.fixture(params=[(), ("keys", "repairs", "fees")], ids=["alone", "with-partners"])
def partners(request):
    return request.param


def test_demo_gives_a_campaign_under_way(db, make_user, partners):
    from sqlalchemy import delete

    from core.models import Occupancy, Unit
    from core.plugins import plugins

    estate = make_estate("D01", "Demo Garden", units=tuple(f"1-1-{n}01" for n in range(1, 9)))
    # Four new units nobody has moved into (their owner keys are on the board).
    new = select(Unit.id).where(Unit.estate_id == estate.id, Unit.number.in_(["1-1-101", "1-1-201", "1-1-301",
                                                                              "1-1-401"]))
    db.session.execute(delete(Occupancy).where(Occupancy.unit_id.in_(new)))
    db.session.commit()
    users = {r: make_user(r, [estate], username=f"demo-{r}") for r in ("supervisor", "clerk", "frontdesk", "manager", "technician",
                                                                                "cashier")}
    with acting_as(None):
        for code, _res, err in plugins().call_each("demo_data", estate=estate, users=users):
            assert err is None, f"demo_data of {code}: {err!r}"
    db.session.commit()
    cases = db.session.scalars(select(MoveinCase).where(MoveinCase.estate_id == estate.id)).all()
    states = {(c.kind, c.state) for c in cases}
    assert ("in", "completed") in states and ("in", "open") in states and ("out", "open") in states
    defects = db.session.scalars(select(MoveinCheck).where(MoveinCheck.ok.is_(False))).all()
    assert defects
    if "repairs" in partners:
        assert all(d.repair_number.startswith("BX-D01-") for d in defects)
    else:
        assert all(d.repair_number == "" for d in defects)
    done = [c for c in cases if c.state == "completed"]
    assert len({c.completed_at.date() for c in done}) == len(done)  # spread over the weeks
    if "keys" in partners:
        assert all(c.key_handover_number.startswith("YJ-D01-") for c in done)
