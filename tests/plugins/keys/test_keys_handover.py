"""Owner keys handed over at move-in: the service other plugins call, its refusals, the printed
receipt, and the ``keys_handed_over`` event heard by a (fake) move-in plugin."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.testing import refused
from plugins.keys import services
from plugins.keys.models import Key, KeyHandover, KeyHandoverLine, KeyLoan
from tests.plugins.keys.conftest import login, unit_of

LISTENER = '''
from core import hookimpl

HEARD = []


@hookimpl(optionalhook=True)
def keys_handed_over(handover):
    if handover.owner_name == "boom":
        from core.errors import DomainError

        raise DomainError("The move-in file is closed.")
    HEARD.append((handover.number, handover.unit_id, sorted(line.key.tag for line in handover.lines),
                  handover.source, handover.source_ref))
'''


@pytest.fixture
def app(make_app, temp_plugin):
    code, package = temp_plugin("fakemovein", None, LISTENER)
    app = make_app(extra={code: package})
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        enable("keys")
        enable(code)
        db.session.commit()
        refresh(force=True)
        app.heard = app.extensions["propdesk_plugins"].infos[code].module.HEARD
        yield app


def owner_keys(make_key, unit="1-1-101", prefix="H-101"):
    return [make_key(f"{prefix}-FD", kind="security_door", unit_number=unit, copies=3),
            make_key(f"{prefix}-XX", kind="mailbox", unit_number=unit, copies=2)]


def hand(user, estate, unit="1-1-101", **kw):
    args = dict(owner_name="陈业主", owner_phone="13812345678", source="movein", source_ref="RZ-E01-2026-000003")
    args.update(kw)
    with acting_as(user):
        return services.hand_over(user, estate_id=estate.id, unit_number=unit, **args)


def test_a_keeper_hands_over_a_units_owner_keys(app, db, staff, make_key):
    door, mailbox = owner_keys(make_key)
    other = make_key("H-102-FD", kind="security_door", unit_number="1-1-102")
    h = hand(staff.keeper, staff.e1)
    db.session.commit()
    h = db.session.get(KeyHandover, h.id)
    assert h.number.startswith("YJ-E01-") and h.unit_id == unit_of(db, staff.e1).id
    assert sorted((line.key.tag, line.copies) for line in h.lines) == [("H-101-FD", 3), ("H-101-XX", 2)]
    assert {db.session.get(Key, k.id).state for k in (door, mailbox)} == {"handed_over"}
    assert db.session.get(Key, other.id).state == "in_service"
    assert app.heard == [(h.number, h.unit_id, ["H-101-FD", "H-101-XX"], "movein", "RZ-E01-2026-000003")]
    # Handed over: no longer lent, nor handed over again.
    with acting_as(staff.keeper):
        refused("was handed over to the owner", services.lend, staff.keeper, db.session.get(Key, door.id),
                borrower_kind="owner", borrower_name="x", borrower_phone="1", reason_kind="other", reason="x",
                expected_return=h.handed_at)
    refused("No owner key of unit 1-1-101 is on the board", hand, staff.keeper, staff.e1)


def test_handover_refusals_save_nothing(app, db, staff, make_key, lend_key):
    door, mailbox = owner_keys(make_key)
    assert refused("There is no unit 2-1-201", hand, staff.keeper, staff.e1, unit="2-1-201").field == "unit_number"
    assert refused("Choose one of your estates", hand, staff.keeper, staff.e2).field == "estate_id"
    assert refused("Only a designated key keeper", hand, staff.clerk, staff.e1).field is None
    assert refused("Enter the name of the owner", hand, staff.keeper, staff.e1, owner_name="").field == "owner_name"
    assert refused("owner's phone or ID number", hand, staff.keeper, staff.e1, owner_phone="").field == "owner_phone"
    assert refused("No owner key of unit 1-1-102", hand, staff.keeper, staff.e1, unit="1-1-102").field == "unit_number"
    assert refused("Only this unit's owner keys", hand, staff.keeper, staff.e1,
                   key_ids=[make_key("E-001").id]).field == "key_ids"
    lend_key(db.session.get(Key, door.id), borrower_kind="owner", reason_kind="decoration", reason="装修")
    assert refused("Key H-101-FD is out on loan", hand, staff.keeper, staff.e1).field == "key_ids"
    # The listener refuses: the whole handover is undone.
    with acting_as(staff.keeper):
        services.take_back_key(staff.keeper, db.session.get(Key, door.id), condition="good")
        db.session.commit()
    refused("The move-in file is closed", hand, staff.keeper, staff.e1, owner_name="boom")
    assert db.session.scalar(select(func.count()).select_from(KeyHandover)) == 0
    assert db.session.scalar(select(func.count()).select_from(KeyHandoverLine)) == 0
    assert {db.session.get(Key, k.id).state for k in (door, mailbox)} == {"in_service"}
    # Some of the keys only.
    h = hand(staff.keeper, staff.e1, key_ids=[mailbox.id])
    db.session.commit()
    assert [line.key_id for line in db.session.get(KeyHandover, h.id).lines] == [mailbox.id]


def test_the_database_hands_a_key_over_once(app, db, staff, make_key):
    door, _mailbox = owner_keys(make_key)
    hand(staff.keeper, staff.e1)
    db.session.commit()
    db.session.add(KeyHandover(estate_id=staff.e1.id, number="YJ-X", unit_id=door.unit_id, owner_name="x",
                               handed_at=door.created_at, handed_by_id=staff.keeper.id))
    db.session.flush()
    from sqlalchemy.exc import IntegrityError

    db.session.add(KeyHandoverLine(handover_id=db.session.scalar(select(KeyHandover.id).where(
        KeyHandover.number == "YJ-X")), key_id=door.id, copies=1))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_handover_page_and_printed_receipt(app, client, db, staff, make_key):
    owner_keys(make_key)
    make_key("F-101-FD", kind="security_door", estate=staff.e2)
    login(client, staff.keeper)
    unit = unit_of(db, staff.e1)
    panel = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert f"/keys/handover?unit_id={unit.id}" in panel
    assert 'value="1-1-101"' in client.get(f"/keys/handover?unit_id={unit.id}").get_data(as_text=True)
    assert client.get(f"/keys/handover?unit_id={unit_of(db, staff.e2).id}").status_code == 404
    data = {"once_key": new_once_key(), "estate_id": staff.e1.id, "unit_number": "1-1-101",
            "owner_name": "陈业主", "owner_phone": "13812345678", "owner_id_number": "", "note": "已当面试开"}
    resp = client.post("/keys/handover", data=data)
    assert resp.status_code == 302
    again = client.post("/keys/handover", data=data)  # the same form sent twice: one handover
    assert again.headers["Location"] == resp.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(KeyHandover)) == 1
    receipt = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Key handover receipt" in receipt and "陈业主" in receipt and "H-101-FD" in receipt
    assert "H-101-XX" in receipt and "Owner (signature)" in receipt and "已当面试开" in receipt
    h = db.session.scalar(select(KeyHandover))
    login(client, staff.keeper_e2)
    assert client.get(f"/keys/handovers/{h.id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(KeyLoan)) == 0


def test_handover_works_without_a_listening_plugin(app, db, staff, make_key):
    from core.site import disable, refresh

    owner_keys(make_key)
    disable("fakemovein")
    db.session.commit()
    refresh(force=True)
    h = hand(staff.keeper, staff.e1, owner_name="boom")  # the disabled listener would refuse
    db.session.commit()
    assert len(db.session.get(KeyHandover, h.id).lines) == 2 and app.heard == []
