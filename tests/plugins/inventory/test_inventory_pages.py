"""The inventory pages: what a storekeeper sees and does, refusals beside their fields (422,
nothing saved), other estates' records (404), exports, the count sheet, plan and consumption."""

from __future__ import annotations

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from plugins.inventory import services
from plugins.inventory.models import CountLine, Item, Movement, StockCount, StoreRoom
from tests.plugins.inventory.conftest import D, login, work_order


def _n(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _issue(staff, **kw):
    data = {"issue-once_key": new_once_key(), "issue-quantity": "2", "issue-work_order_number": "",
            "issue-department_id": str(staff.maint.id), "issue-received_by": "张伟", "issue-note": ""}
    data.update({f"issue-{k}": v for k, v in kw.items()})
    return data


def test_a_storekeeper_receives_and_issues_from_the_item_page(client, db, staff, store, item):
    tap = item(store(), on_hand=5, cost="20.00")
    login(client, staff.keeper)
    resp = client.post(f"/inventory/items/{tap.id}/receive", data={
        "rcv-once_key": new_once_key(), "rcv-quantity": "5", "rcv-unit_cost": "26.00", "rcv-supplier": "华信五金",
        "rcv-invoice": "FP-0001", "rcv-note": ""}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "received: 水龙头 × 5." in page
    resp = client.post(f"/inventory/items/{tap.id}/issue", data=_issue(staff, quantity="3"), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "issued: 水龙头 × 3." in page and 'class="col-7 item-on-hand fw-semibold">7 个' in page
    db.session.expire_all()
    row = db.session.get(Item, tap.id)
    assert (row.on_hand, row.stock_value) == (D(7), D("161.00"))  # 230.00 − 3 × 23.00
    assert db.session.scalar(select(Movement.received_by).where(Movement.kind == "issue")) == "张伟"


def test_refusals_show_beside_their_field_and_change_nothing(client, db, staff, store, item):
    tap = item(store(), on_hand=2)
    login(client, staff.keeper)
    cases = [
        (_issue(staff, quantity="3"), "issue-quantity", "Only 2 个 of WJ-001 水龙头 on hand: 3 cannot be taken out."),
        (_issue(staff, quantity="abc"), "issue-quantity", "Enter a quantity such as 12 or 2.5."),
        (_issue(staff, quantity="1.0005"), "issue-quantity", "Enter a quantity with at most 3 decimal places."),
        (_issue(staff, department_id="0"), "issue-work_order_number", "give one of them"),
        (_issue(staff, received_by=""), "issue-received_by", "Enter who received the items."),
    ]
    for data, field, message in cases:
        resp = client.post(f"/inventory/items/{tap.id}/issue", data=data)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 422 and message in page and f'data-field="{field}"' in page, (field, message)
    assert _n(db, Movement) == 1
    db.session.expire_all()
    assert db.session.get(Item, tap.id).on_hand == D(2)


def test_the_same_issue_form_sent_twice_issues_once(client, db, staff, store, item):
    tap = item(store(), on_hand=5)
    login(client, staff.keeper)
    data = _issue(staff, quantity="1")
    assert client.post(f"/inventory/items/{tap.id}/issue", data=data).status_code == 302
    page = client.post(f"/inventory/items/{tap.id}/issue", data=data, follow_redirects=True).get_data(as_text=True)
    assert "This form had been sent already" in page
    db.session.expire_all()
    assert db.session.get(Item, tap.id).on_hand == D(4)


def test_another_estates_records_answer_404_and_lists_show_only_mine(client, db, staff, store, item):
    mine = item(store(), on_hand=5)
    room2 = store("KF-9", estate=staff.e2, name="对方库房")
    theirs = item(room2, code="ZZ-1", on_hand=5, name="对方物料")
    move = db.session.scalar(select(Movement).where(Movement.item_id == theirs.id))
    login(client, staff.keeper)
    for url in (f"/inventory/items/{theirs.id}", f"/inventory/stores/{room2.id}", f"/inventory/movements/{move.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/inventory/items/{theirs.id}/issue", data=_issue(staff)).status_code == 404
    listing = client.get("/inventory/").get_data(as_text=True)
    assert "WJ-001" in listing and "对方物料" not in listing
    ledger = client.get("/inventory/movements").get_data(as_text=True)
    assert "对方物料" not in ledger and mine.code in ledger
    found = client.get("/search?q=WJ-001").get_data(as_text=True)
    assert f"/inventory/items/{mine.id}" in found
    assert f"/inventory/items/{theirs.id}" not in client.get("/search?q=ZZ-1").get_data(as_text=True)


def test_lists_export_to_excel(client, db, staff, store, item):
    from io import BytesIO

    from openpyxl import load_workbook

    item(store(), on_hand=5)
    login(client, staff.sup)
    for url, header in (("/inventory/?export=xlsx", "On hand"), ("/inventory/movements?export=xlsx", "Movement")):
        resp = client.get(url)
        assert resp.status_code == 200, url
        sheet = load_workbook(BytesIO(resp.data)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert header in rows[0] and any("WJ-001" in str(c) for r in rows[1:] for c in r), url
    assert client.get("/inventory/?export=pdf").status_code == 400


def test_a_stock_count_from_start_to_posted_adjustment(client, db, staff, store, item):
    room = store()
    tap = item(room, on_hand=10, cost="5.00")
    login(client, staff.keeper)
    resp = client.post(f"/inventory/stores/{room.id}/count", data={"note": "月度盘点"})
    assert resp.status_code == 302
    count = db.session.scalar(select(StockCount))
    sheet = client.get(f"/inventory/counts/{count.id}/print").get_data(as_text=True)
    assert "Stock count sheet" in sheet and count.number in sheet and "WJ-001" in sheet
    line = db.session.scalar(select(CountLine))
    login(client, staff.keeper)  # the storekeeper counts; posting the differences is the supervisor's
    assert client.post(f"/inventory/counts/{count.id}/post", data={f"counted_{line.id}": "9"}).status_code == 403
    login(client, staff.sup)
    resp = client.post(f"/inventory/counts/{count.id}/post", data={f"counted_{line.id}": "9", f"reason_{line.id}": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Say why WJ-001 differs from the book (10 counted as 9)." in page
    resp = client.post(f"/inventory/counts/{count.id}/post", data={f"counted_{line.id}": "x9"})
    assert resp.status_code == 422 and "Enter a quantity such as 12 or 2.5." in resp.get_data(as_text=True)
    assert _n(db, Movement) == 1
    resp = client.post(f"/inventory/counts/{count.id}/post",
                       data={f"counted_{line.id}": "9", f"reason_{line.id}": "丢失一个"}, follow_redirects=True)
    assert "Count posted: 1 difference posted as an adjustment." in resp.get_data(as_text=True)
    db.session.expire_all()
    adj = db.session.scalar(select(Movement).where(Movement.kind == "adjustment"))
    assert (adj.quantity, adj.value, adj.reason) == (D(-1), D("-5.00"), "丢失一个")
    assert db.session.get(Item, tap.id).on_hand == D(9)


def test_a_count_of_an_item_that_moved_is_refused_on_the_page(client, db, staff, store, item):
    room = store()
    tap = item(room, on_hand=10)
    with acting_as(staff.keeper):
        count = services.start_count(staff.keeper, room)
        db.session.commit()
        services.issue(staff.keeper, tap, quantity=D(1), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
    line = db.session.scalar(select(CountLine))
    login(client, staff.sup)
    resp = client.post(f"/inventory/counts/{count.id}/post", data={f"counted_{line.id}": "10"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "These items moved during the count" in page and "WJ-001" in page
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).state == "open" and db.session.get(Item, tap.id).on_hand == D(9)


def test_a_wrong_issue_is_reversed_from_its_page(client, db, staff, store, item):
    tap = item(store(), on_hand=5)
    with acting_as(staff.keeper):
        wrong = services.issue(staff.keeper, tap, quantity=D(2), department_id=staff.maint.id, received_by="张伟")
        db.session.commit()
    login(client, staff.keeper)
    assert client.post(f"/inventory/movements/{wrong.id}/reverse", data={"reason": "错领"}).status_code == 403
    login(client, staff.sup)
    resp = client.post(f"/inventory/movements/{wrong.id}/reverse", data={"reason": ""})
    assert resp.status_code == 422 and "Say why the movement is reversed." in resp.get_data(as_text=True)
    page = client.post(f"/inventory/movements/{wrong.id}/reverse", data={"reason": "错领"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Movement {wrong.number} reversed by" in page and "Reversed by" in page
    db.session.expire_all()
    assert db.session.get(Item, tap.id).on_hand == D(5) and _n(db, Movement) == 3


def test_purchase_plan_low_stock_widget_and_consumption(client, db, staff, store, item, clock):
    room = store()
    tap = item(room, on_hand=12, cost="10.00", min_stock=5)
    item(room, code="DQ-001", name="灯泡", on_hand=30, min_stock=5)
    with acting_as(staff.keeper):
        services.issue(staff.keeper, tap, quantity=D(9), department_id=staff.maint.id, received_by="张伟")
        services.issue(staff.keeper, db.session.scalar(select(Item).where(Item.code == "DQ-001")), quantity=D(2),
                       department_id=staff.cleaning.id, received_by="李娟")
        db.session.commit()
    login(client, staff.sup)
    plan = client.get("/inventory/plan").get_data(as_text=True)
    assert "WJ-001" in plan and "DQ-001" not in plan and ">7<" in plan  # 2 × 5 − 3
    store_page = client.get(f"/inventory/stores/{room.id}").get_data(as_text=True)
    below = store_page[store_page.find("stock-table"):]
    assert "WJ-001" in below and "DQ-001" not in below
    assert f'<a href="/inventory/?store={room.id}">2</a>' in store_page  # both items, on the stock list
    home = client.get("/").get_data(as_text=True)
    widget = home[home.find('data-widget="inventory-low"'):]
    assert "1 item below its minimum" in widget and "WJ-001" in widget
    used = client.get("/inventory/consumption").get_data(as_text=True)
    assert "维修部" in used and "保洁部" in used and "90.00" in used and "20.00" in used
    login(client, staff.frontdesk)  # no inventory.view
    assert client.get("/inventory/").status_code == 403
    assert 'data-widget="inventory-low"' not in client.get("/").get_data(as_text=True)


def test_managers_add_store_rooms_and_items_with_refusals(client, db, staff, store):
    login(client, staff.sup)
    resp = client.post("/inventory/stores", data={"estate_id": staff.e1.id, "code": "KF-1", "name": "工程库房"})
    assert resp.status_code == 302
    resp = client.post("/inventory/stores", data={"estate_id": staff.e1.id, "code": "KF-1", "name": "又一个"})
    assert resp.status_code == 422 and "Code KF-1 is already used in this estate." in resp.get_data(as_text=True)
    room = db.session.scalar(select(StoreRoom))
    data = {"store_id": room.id, "code": "WJ-001", "name": "水龙头", "kind": "material", "unit": "个", "min_stock": "5"}
    assert client.post("/inventory/items/new", data=data).status_code == 302
    resp = client.post("/inventory/items/new", data=data)
    assert resp.status_code == 422 and "Item code WJ-001 is already used in this store room." in resp.get_data(
        as_text=True)
    resp = client.post("/inventory/items/new", data={**data, "code": "WJ-002", "unit": ""})
    assert resp.status_code == 422 and "Enter the unit of measure" in resp.get_data(as_text=True)
    theirs = store("KF-9", estate=staff.e2)
    resp = client.post("/inventory/items/new", data={**data, "code": "WJ-003", "store_id": theirs.id})
    assert resp.status_code == 422 and _n(db, Item) == 1
    login(client, staff.keeper)
    assert client.post("/inventory/stores", data={"estate_id": staff.e1.id, "code": "KF-2", "name": "x"}
                       ).status_code == 403


def test_work_order_issues_link_to_the_repair_with_repairs_enabled(client, db, staff, store, item):
    number, repair_id = work_order(db, staff.e1, staff.sup, staff.tech)
    tap = item(store(), on_hand=5)
    login(client, staff.keeper)
    resp = client.post(f"/inventory/items/{tap.id}/issue", data=_issue(staff, department_id="0",
                                                                        work_order_number="WX-NOPE"))
    assert resp.status_code == 422 and "There is no repair work order WX-NOPE in this estate." in resp.get_data(
        as_text=True)
    assert client.post(f"/inventory/items/{tap.id}/issue", data=_issue(staff, department_id="0",
                                                                        work_order_number=number)).status_code == 302
    page = client.get(f"/inventory/items/{tap.id}").get_data(as_text=True)
    assert f'<a href="/repairs/{repair_id}">{number}</a>' in page
    login(client, staff.sup)
    repair_page = client.get(f"/repairs/{repair_id}").get_data(as_text=True)
    assert "WJ-001 水龙头 × 2 个" in repair_page


def test_a_disabled_inventory_plugin_hides_its_pages_and_keeps_its_data(client, db, staff, store, item):
    from core.site import disable, enable, refresh

    tap = item(store(), on_hand=5)
    login(client, staff.sup)
    disable("inventory")
    db.session.commit()
    refresh(force=True)
    assert client.get("/inventory/").status_code == 404
    assert 'href="/inventory/"' not in client.get("/").get_data(as_text=True)
    enable("inventory")
    db.session.commit()
    refresh(force=True)
    assert "WJ-001" in client.get(f"/inventory/items/{tap.id}").get_data(as_text=True)
