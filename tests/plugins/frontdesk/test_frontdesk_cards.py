"""The papers handed to residents: the dog licence card and the vehicle pass, printed from their
registers; another estate's card is not found; an expired licence and a returned pass say so."""

from __future__ import annotations

from datetime import timedelta

from core.audit import acting_as
from core.i18n import today_local
from plugins.frontdesk import services
from plugins.frontdesk.models import VehiclePass
from tests.plugins.frontdesk.conftest import login
from tests.plugins.frontdesk.test_frontdesk_registers import licence


def test_a_dog_licence_prints_as_a_card_linked_from_the_register(client, db, staff):
    row = licence(staff.desk, staff.e1)
    long_ago = today_local() - timedelta(days=400)
    old = licence(staff.desk, staff.e1, licence_number="QZ-2025-009", dog_name="", valid_from=long_ago,
                  vaccinated_on=long_ago, valid_until=today_local() - timedelta(days=35))
    db.session.commit()
    staff.desk.locale = "zh_CN"
    db.session.commit()
    login(client, staff.desk)
    register = client.get("/frontdesk/licences").text
    assert f"/frontdesk/licences/{row.id}/print" in register
    card = client.get(f"/frontdesk/licences/{row.id}/print").text
    assert "养犬证" in card and "QZ-2026-001" in card and "陈建华" in card and "旺财" in card and "柴犬" in card
    assert "1-1-101" in card and "遛犬时请随身携带本证" in card and "客服中心（盖章）" in card
    assert "13800001111" not in card  # the owner's phone is not on the card
    assert "已过期" not in card
    expired = client.get(f"/frontdesk/licences/{old.id}/print").text
    assert "QZ-2025-009" in expired and "已过期" in expired
    login(client, staff.desk_e2)
    assert client.get(f"/frontdesk/licences/{row.id}/print").status_code == 404


def test_a_vehicle_pass_prints_and_a_returned_one_says_it_is_no_longer_valid(client, db, staff):
    with acting_as(staff.desk):
        row = services.issue_vehicle_pass(staff.desk, estate_id=staff.e1.id, unit_number="1-1-101",
                                          holder_name="陈建华", plate="沪A12345", card_number="IC-77",
                                          valid_until=today_local() + timedelta(days=365))
        db.session.commit()
    staff.desk.locale = "zh_CN"
    db.session.commit()
    login(client, staff.desk)
    assert f"/frontdesk/vehicles/{row.id}/print" in client.get("/frontdesk/vehicles").text
    card = client.get(f"/frontdesk/vehicles/{row.id}/print").text
    assert "车辆出入证" in card and row.number in card and "沪A12345" in card and "IC-77" in card
    assert "陈建华" in card and "仅限上列车辆使用" in card and "已退还" not in card
    with acting_as(staff.desk):
        services.return_vehicle_pass(staff.desk, db.session.get(VehiclePass, row.id), "卡已收回")
        db.session.commit()
    assert "已退还：本证已失效。" in client.get(f"/frontdesk/vehicles/{row.id}/print").text
    login(client, staff.desk_e2)
    assert client.get(f"/frontdesk/vehicles/{row.id}/print").status_code == 404
