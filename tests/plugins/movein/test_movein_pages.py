"""movein pages (movein alone): open a case from the form, bad input shown beside the field in
Chinese with nothing saved, ticking and completing, the inspection form with a photo, the printed
form, list filters and XLSX export, the campaign, the unit panel, permissions and estate scope."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.models import User
from plugins.movein import services
from plugins.movein.models import MoveinCase, MoveinCheck
from tests.plugins.movein.conftest import item, login, unit_of

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def case_data(estate, **kw):
    data = {"once_key": new_once_key(), "estate_id": str(estate.id), "kind": "in", "unit_number": "1-1-101",
            "owner_name": "陈业主", "owner_phone": "13812345678", "owner_id_number": "", "note": ""}
    data.update(kw)
    return data


def test_open_a_case_from_the_form_and_refusals_in_chinese(client, db, staff):
    login(client, staff.clerk)
    resp = client.post("/movein/new", data=case_data(staff.e1))
    assert resp.status_code == 302
    case = db.session.scalar(select(MoveinCase))
    assert resp.headers["Location"].endswith(f"/movein/{case.id}") and case.owner_name == "陈业主"
    db.session.execute(User.__table__.update().where(User.id == staff.clerk.id).values(locale="zh_CN"))
    db.session.commit()
    resp = client.post("/movein/new", data=case_data(staff.e1, kind="out"))
    assert resp.status_code == 422
    assert "房屋 1-1-101 已有办理中的入住或迁出案件：请先办结。" in resp.get_data(as_text=True)
    resp = client.post("/movein/new", data=case_data(staff.e1, unit_number="2-1-201"))
    assert resp.status_code == 422 and "没有" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MoveinCase)) == 1


def test_tick_complete_and_print(client, db, staff, open_case):
    case = open_case()
    login(client, staff.clerk)
    resp = client.post(f"/movein/{case.id}/complete", data={}, follow_redirects=True)
    assert "Not every item is ticked" in resp.get_data(as_text=True)
    resp = client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, "keys").id, "note": ""})
    assert resp.status_code == 422 and "Say which keys were handed over" in resp.get_data(as_text=True)
    for code in ("documents", "contract", "fees", "keys", "cards", "resident"):
        resp = client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, code).id, "note": "3把钥匙"})
        assert resp.status_code == 302, code
    resp = client.post(f"/movein/{case.id}/complete", data={})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(MoveinCase, case.id).state == "completed"
    page = client.get(f"/movein/{case.id}/print").get_data(as_text=True)
    assert "House acceptance form" in page and "Owner (signature)" in page and "Staff member (signature)" in page
    assert case.number in page and "3把钥匙" in page


def test_inspection_form_with_a_photo_and_a_bad_reading(client, db, staff, open_case):
    case = open_case()
    login(client, staff.clerk)
    resp = client.post(f"/movein/{case.id}/checks", data={"room": "whole", "element": "water_meter",
                                                           "result": "ok", "reading": "-1",
                                                           "once_key": new_once_key()})
    assert resp.status_code == 422 and "is not a meter figure" in resp.get_data(as_text=True)
    resp = client.post(f"/movein/{case.id}/checks", content_type="multipart/form-data", data={
        "room": "bathroom", "element": "plumbing", "result": "defect", "defect": "地漏返水",
        "photos": (io.BytesIO(b"not a photo"), "x.png"), "once_key": new_once_key()})
    assert resp.status_code == 422 and "is not a photo" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MoveinCheck)) == 0
    key = new_once_key()
    for _twice in range(2):
        resp = client.post(f"/movein/{case.id}/checks", content_type="multipart/form-data", data={
            "room": "bathroom", "element": "plumbing", "result": "defect", "defect": "地漏返水",
            "photos": (io.BytesIO(PNG), "drain.png"), "once_key": key})
        assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(MoveinCheck)) == 1  # sent twice, one line
    check = db.session.scalar(select(MoveinCheck))
    from core.attachments import attachments_of

    assert check.defect == "地漏返水" and len(attachments_of(check)) == 1
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert "To follow up by hand" in page and "地漏返水" in page
    listing = client.get("/movein/?defects=1").get_data(as_text=True)
    assert case.number in listing


def test_list_filters_export_campaign_and_unit_panel(client, db, staff, open_case):
    a = open_case()
    b = open_case(unit="1-1-102", kind="out", owner_name="李业主")
    login(client, staff.sup)
    page = client.get("/movein/?kind=out").get_data(as_text=True)
    assert b.number in page and a.number not in page
    page = client.get("/movein/?q=李业主").get_data(as_text=True)
    assert b.number in page and a.number not in page
    resp = client.get("/movein/?export=xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    with acting_as(staff.clerk):
        for code in ("documents", "contract", "fees", "cards", "resident"):
            services.tick(staff.clerk, a, item(a, code))
        services.tick(staff.clerk, a, item(a, "keys"), "钥匙3把")
        services.complete(staff.clerk, a)
        db.session.commit()
    page = client.get("/movein/campaign").get_data(as_text=True)
    assert 'class="fs-3 fw-bold campaign-done">1<' in page and 'class="fs-3 fw-bold campaign-units">3<' in page
    unit = unit_of(db, staff.e1)
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert a.number in page


def test_permissions_and_estate_scope(client, db, staff, open_case):
    case = open_case()
    other = open_case(unit="1-1-101", estate=staff.e2, user=staff.clerk_e2)
    login(client, staff.cashier)
    assert client.get("/movein/").status_code == 403
    login(client, staff.manager)  # sees, may not handle
    assert client.get(f"/movein/{case.id}").status_code == 200
    assert client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, 'documents').id}).status_code == 403
    login(client, staff.clerk)
    assert client.get(f"/movein/{other.id}").status_code == 404
    assert client.get(f"/movein/{other.id}/print").status_code == 404
    assert client.post(f"/movein/{other.id}/tick", data={"item_id": item(other, 'documents').id}).status_code == 404
    assert client.post(f"/movein/{case.id}/tick", data={"item_id": item(other, 'documents').id}).status_code == 404
    assert other.number not in client.get("/movein/").get_data(as_text=True)
    db.session.expire_all()
    assert item(db.session.get(MoveinCase, other.id), "documents").done_at is None


def test_move_out_slip_and_a_form_sent_twice(client, db, staff, open_case):
    login(client, staff.clerk)
    data = case_data(staff.e1, kind="out", unit_number="1-1-102", owner_name="Owner of E01 1-1-102")
    first = client.post("/movein/new", data=data)
    again = client.post("/movein/new", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(MoveinCase)) == 1
    case = db.session.scalar(select(MoveinCase))
    for code in ("fees", "keys_returned", "deposits", "occupancy"):
        assert client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, code).id, "note": ""}).status_code == 302
    assert client.post(f"/movein/{case.id}/complete", data={}).status_code == 302
    page = client.get(f"/movein/{case.id}/print").get_data(as_text=True)
    assert "Move-out slip" in page and "Occupancy ended" in page and "Owner of E01 1-1-102" in page
    assert "House acceptance inspection" not in page and "Owner (signature)" in page


def test_a_cancelled_case_shows_its_reason_and_cancelled_items(client, db, staff, open_case):
    case = open_case()
    login(client, staff.clerk)
    client.post(f"/movein/{case.id}/tick", data={"item_id": item(case, "documents").id, "note": "已核对"})
    resp = client.post(f"/movein/{case.id}/cancel", data={"reason": "x"})
    assert resp.status_code == 422
    resp = client.post(f"/movein/{case.id}/cancel", data={"reason": "业主改期交房"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert f"Case {case.number} cancelled." in page and "Done before and not undone" not in page
    assert "业主改期交房" in page and page.count("item-cancelled") == len(case.items)
    assert "Ticked before the case was cancelled" in page and "tick-form" not in page
    printed = client.get(f"/movein/{case.id}/print").get_data(as_text=True)
    assert "业主改期交房" in printed and "Cancelled" in printed
    page = client.get(f"/estates/units/{case.unit_id}").get_data(as_text=True)
    assert "movein-open" in page  # the unit may get a new case


def test_every_movein_route_is_walkable_with_estate_bs_ids(app):
    """The route walk (tests/test_route_walk.py) builds estate B's URL of a route from the
    names of its int arguments: each must name a movein table that has an estate_id."""
    from core.extensions import db
    from tests.test_route_walk import _stem_matches

    tables = [t.name for t in db.metadata.sorted_tables if "estate_id" in t.c and "id" in t.c]
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("movein."):
            continue
        for arg in rule.arguments:
            stem = arg.removesuffix("_id")
            # The walk takes the first table the name matches: it must be movein's own.
            found = [t for t in tables if _stem_matches(t, stem)]
            assert found and found[0].startswith("movein_"), (rule.rule, arg, found)


def test_a_defect_put_right_from_the_case_page(client, db, staff, open_case):
    case = open_case()
    other = open_case(unit="1-1-102")
    with acting_as(staff.clerk):
        check = services.add_check(staff.clerk, case, room="bathroom", element="plumbing", ok=False,
                                   defect="地漏返水")
        db.session.commit()
    login(client, staff.clerk)
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert f'name="check_id" value="{check.id}"' in page
    assert 'name="confirmed"' not in page and "Meter readings are kept on this form" in page  # fees off
    assert client.post(f"/movein/{other.id}/fixed", data={"check_id": check.id}).status_code == 404
    assert client.post(f"/movein/{case.id}/fixed", data={"check_id": "x"}).status_code == 404
    assert db.session.get(MoveinCheck, check.id).fixed_at is None
    assert client.post(f"/movein/{case.id}/fixed", data={"check_id": check.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MoveinCheck, check.id).fixed_at is not None
    page = client.get(f"/movein/{case.id}").get_data(as_text=True)
    assert "Put right" in page and "fixed-form" not in page
