"""Mail and parcels: logged (KD numbers), the recipient told, collected once with a signature,
flagged after the estate's N days by the job (the desk notified once)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.models import Notification
from core.testing import refused
from plugins.frontdesk import services
from plugins.frontdesk.jobs import flag_parcels
from plugins.frontdesk.models import Parcel
from tests.plugins.frontdesk.conftest import login


def receive(user, estate, **kw):
    args = dict(estate_id=estate.id, unit_number="1-1-101", recipient_name="陈建华", recipient_phone="13800001111",
                kind="parcel", carrier="顺丰", tracking_number="SF1234567890", shelf="A-01")
    args.update(kw)
    with acting_as(user):
        row = services.receive_parcel(user, **args)
    return row


def test_a_parcel_is_logged_told_and_collected_once_with_a_signature(db, staff):
    row = receive(staff.desk, staff.e1)
    db.session.commit()
    assert row.number.startswith("KD-E01-") and row.received_by_id == staff.desk.id and row.collected_at is None
    with acting_as(staff.desk):
        services.notify_parcel(staff.desk, row)
        db.session.commit()
        assert refused("Enter the name of the person who collects it", services.collect_parcel, staff.desk, row,
                       collector_name=" ").field == "collector_name"
        services.collect_parcel(staff.desk, row, collector_name="陈建华家属")
        db.session.commit()
        refused("has already been collected", services.collect_parcel, staff.desk, row, collector_name="别人")
        refused("has already been collected", services.notify_parcel, staff.desk, row)
    db.session.rollback()
    row = db.session.get(Parcel, row.id)
    assert (row.notified_count, row.collector_name, row.handed_by_id) == (1, "陈建华家属", staff.desk.id)


def test_parcel_refusals_save_nothing(db, staff):
    assert refused("There is no unit 9-9-9", receive, staff.desk, staff.e1, unit_number="9-9-9").field == "unit_number"
    assert refused("Choose the kind of mail", receive, staff.desk, staff.e1, kind="box").field == "kind"
    assert refused("Enter the recipient's name", receive, staff.desk, staff.e1,
                   recipient_name="").field == "contact_name"
    assert refused("Choose one of your estates", receive, staff.desk, staff.e2).field == "estate_id"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Parcel)) == 0


def test_uncollected_parcels_are_flagged_after_n_days_and_the_desk_told_once(db, staff, clock):
    from core.models import Setting

    old = receive(staff.desk, staff.e1)
    receive(staff.desk, staff.e1, tracking_number="SF2")
    db.session.commit()
    assert flag_parcels() == "0 parcels flagged"
    clock.shift(timedelta(days=2))
    fresh = receive(staff.desk, staff.e1, tracking_number="SF3")
    db.session.commit()
    clock.shift(timedelta(days=1, hours=1))  # the first two: 3 days old (the default N)
    assert flag_parcels() == "2 parcels flagged"
    db.session.commit()
    assert db.session.get(Parcel, old.id).flagged_at is not None and db.session.get(Parcel, fresh.id).flagged_at is None
    told = set(db.session.scalars(select(Notification.user_id)))
    assert {staff.desk.id, staff.desk2.id, staff.clerk.id, staff.sup.id} <= told and staff.desk_e2.id not in told
    assert flag_parcels() == "0 parcels flagged"  # once
    # The estate's own N: one day.
    db.session.add(Setting(namespace="frontdesk", estate_id=staff.e1.id, values={"parcel_days": 1}))
    db.session.commit()
    from core.plugins import request_cache

    request_cache().clear()
    assert flag_parcels() == "1 parcels flagged"


def test_the_parcel_pages_log_collect_and_list(client, db, staff):
    login(client, staff.desk)
    resp = client.post("/frontdesk/parcels/new", data={
        "once_key": new_once_key(), "estate_id": str(staff.e1.id), "unit_number": "1-1-102", "contact_phone": "",
        "contact_name": "孙明", "resident_id": "", "kind": "parcel", "carrier": "京东", "tracking_number": "JD778899",
        "shelf": "B-02"})
    assert resp.status_code == 302, resp.text
    row = db.session.scalar(select(Parcel))
    assert client.get("/frontdesk/parcels").text.count(row.number) >= 1
    resp = client.post(f"/frontdesk/parcels/{row.id}/collect", data={"collector_name": ""})
    assert resp.status_code == 422 and "Enter the name of the person who collects it" in resp.text
    assert client.post(f"/frontdesk/parcels/{row.id}/collect", data={"collector_name": "孙明"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Parcel, row.id).collector_name == "孙明"
    assert "孙明" in client.get(f"/frontdesk/parcels/{row.id}").text  # (and the flash message shown)
    assert row.number not in client.get("/frontdesk/parcels").text  # waiting only, by default
    assert row.number in client.get("/frontdesk/parcels?scope=all&q=JD778899").text
    assert "孙明" not in client.get("/frontdesk/parcels/print").text
