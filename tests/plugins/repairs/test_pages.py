"""The repair pages: recording, the whole case by role, printing, and bad input refused beside its field."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.attachments import Attachment
from core.models import utcnow
from plugins.repairs.models import Repair, WorkOrder
from tests.plugins.repairs.conftest import PNG, login, photo


def local(dt):
    return dt.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def form_data(estate, **kw):
    data = {"estate_id": estate.id, "unit_number": "3-2-1201", "resident_id": "", "address": "",
            "contact_name": "王芳", "contact_phone": "138 0000 1234", "channel": "phone", "category": "water",
            "description": "卫生间角阀漏水", "area": "private", "priority": "normal",
            "appointment_at": local(utcnow() + timedelta(hours=3))}
    data.update(kw)
    return data


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_clerk_records_a_phone_repair_with_a_photo_but_cannot_dispatch(client, db, staff):
    login(client, staff.clerk)
    data = form_data(staff.e1)  # built once: the appointment is read back below
    resp = client.post("/repairs/new", data={**data, "photos": [photo()]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    repair = db.session.scalar(select(Repair))
    assert repair.number.startswith("BX-E01-") and repair.unit.number == "3-2-1201"
    assert repair.contact_phone == "13800001234" and repair.created_by_id == staff.clerk.id
    wanted = datetime.strptime(data["appointment_at"], "%Y-%m-%dT%H:%M")
    assert repair.appointment_at == wanted.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert repair.number in page and "卫生间角阀漏水" in page and 'id="dispatch"' not in page
    att = db.session.scalar(select(Attachment))
    assert f"/attachments/{att.id}" in page and client.get(f"/attachments/{att.id}").data == PNG
    assert client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": staff.tech.id}).status_code == 403
    assert client.post(f"/repairs/{repair.id}/cancel", data={"cancel-reason": "x y"}).status_code == 403
    db.session.refresh(repair)
    assert repair.state == "recorded" and count(db, WorkOrder) == 0


@pytest.mark.parametrize("change,message", [
    ({"appointment_at": "past"}, "The appointment time is in the past."),
    ({"unit_number": "9-9-999"}, "There is no unit 9-9-999 in Sunshine Garden."),
    ({"unit_number": "2-1-201"}, "There is no unit 2-1-201 in Sunshine Garden."),  # only E02 has it
    ({"unit_number": "3/2/1201"}, "A unit number looks like 3-2-1201"),
    ({"description": ""}, "Describe what is wrong."),
    ({"description": "x"}, "Too short: write at least 2 characters."),
    ({"contact_phone": "abc"}, "Enter a phone number of 5 to 20 digits."),
    ({"photos": "exe"}, "is not a photo (JPEG, PNG, GIF or WebP)."),
    ({"photos": "huge"}, "is larger than 5 MB."),
    ({"estate_id": "other"}, "Not a valid choice"),
    ({"unit_number": "", "address": ""}, "Give the unit, or describe where the problem is."),
])
def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(client, db, staff, change, message):
    login(client, staff.clerk)
    data = form_data(staff.e1)
    if change.get("appointment_at") == "past":
        change = {"appointment_at": local(utcnow() - timedelta(hours=1))}
    if change.get("photos") == "exe":
        change = {"photos": [photo(b"MZ\x90\x00 program", "photo.jpg")]}
    if change.get("photos") == "huge":
        change = {"photos": [photo(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "big.jpg")]}
    if change.get("estate_id") == "other":
        change = {"estate_id": staff.e2.id, "unit_number": "2-1-201"}
    resp = client.post("/repairs/new", data={**data, **change}, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page, (change, page[-3000:])
    assert 'invalid-feedback d-block' in page or "form-error" in page
    assert count(db, Repair) == 0 and count(db, Attachment) == 0


def test_the_whole_case_through_the_pages(client, db, staff):
    login(client, staff.clerk)
    client.post("/repairs/new", data=form_data(staff.e1, paid="y"))
    repair = db.session.scalar(select(Repair))
    login(client, staff.sup)
    page = client.get(f"/repairs/{repair.id}").get_data(as_text=True)
    assert 'id="dispatch"' in page and "张师傅" in page and "赵师傅" not in page  # E02's technician
    resp = client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": staff.tech_e2.id})
    assert resp.status_code == 422 and "Choose a technician of the maintenance department" in resp.get_data(True)
    resp = client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": staff.tech.id, "notes": "带阀门"})
    assert resp.status_code == 302
    order = db.session.scalar(select(WorkOrder))
    assert order.number.startswith("WX-E01-") and order.technician_id == staff.tech.id

    login(client, staff.tech)
    assert order.number in client.get("/repairs/orders").get_data(as_text=True)
    assert client.post(f"/repairs/{repair.id}/accept").status_code == 302
    resp = client.post(f"/repairs/{repair.id}/complete", data={"work_done": "更换角阀", "minutes_spent": "40"})
    assert resp.status_code == 422 and "A paid repair needs the repair fee." in resp.get_data(as_text=True)
    resp = client.post(f"/repairs/{repair.id}/complete", data={"work_done": "更换角阀", "minutes_spent": "40",
                                                               "fee": "12.345"})
    assert resp.status_code == 422 and "Use at most 2 decimal places." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert repair.state == "in_progress"
    resp = client.post(f"/repairs/{repair.id}/complete", data={
        "work_done": "更换角阀", "materials": "角阀 1 个", "minutes_spent": "40", "fee": "45.50"})
    assert resp.status_code == 302
    page = client.get(f"/repairs/{repair.id}").get_data(as_text=True)
    db.session.expire_all()
    assert repair.state == "completed" and str(repair.fee) == "45.50"
    assert "Completed at" in page and 'class="alert alert-success repair-completed-at"' in page
    assert client.post(f"/repairs/{repair.id}/close").status_code == 403

    login(client, staff.sup)
    resp = client.post(f"/repairs/{repair.id}/close", data={"note": "电话确认已修好"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert repair.state == "closed" and repair.closed_via == "supervisor"
    resp = client.post(f"/repairs/{repair.id}/reopen", data={"reopen-reason": ""})
    assert resp.status_code == 422 and "This field is required." in resp.get_data(as_text=True)
    client.post(f"/repairs/{repair.id}/reopen", data={"reopen-reason": "业主反映仍漏水"})
    db.session.expire_all()
    assert repair.state == "recorded" and repair.reopen_count == 1
    resp = client.post(f"/repairs/{repair.id}/close", data={}, follow_redirects=True)
    assert resp.status_code == 422 and "Only a completed repair can be closed." in resp.get_data(as_text=True)


def test_the_record_and_the_work_order_print_on_a4_with_signature_lines(client, db, staff, repair_in):
    repair = repair_in("completed", paid=True)
    login(client, staff.clerk)
    page = client.get(f"/repairs/{repair.id}/print").get_data(as_text=True)
    assert 'class="a4"' in page and "Resident Repair Record" in page and repair.number in page
    for sign in ("Resident (signature)", "Technician (signature)", "Clerk (signature)"):
        assert sign in page
    assert "更换阀芯" in page and "周静" in page  # the work done, recorded by the clerk
    order = repair.current_order
    page = client.get(f"/repairs/orders/{order.id}/print").get_data(as_text=True)
    assert "Repair Work Order" in page and order.number in page and repair.number in page and "张师傅" in page
    assert "Technician (signature)" in page


@pytest.mark.parametrize("role,new,dispatch,work,close", [
    ("clerk", 200, 403, 403, 403),
    ("frontdesk", 200, 403, 403, 403),
    ("supervisor", 200, 422, 403, 422),
    ("manager", 200, 422, 403, 422),
    ("technician", 403, 403, 422, 403),
    ("cashier", 403, 403, 403, 403),
    ("archivist", 403, 403, 403, 403),
])
def test_what_each_role_may_do(client, db, staff, make_user, repair_in, role, new, dispatch, work, close):
    repair = repair_in("recorded")
    user = make_user(role, [staff.e1])
    login(client, user)
    assert client.get("/repairs/").status_code == 200
    assert client.get("/repairs/new").status_code == new
    # A refusal by the rules (422) means the permission was there; 403 means it was not.
    assert client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": ""}).status_code == dispatch
    if role == "technician":
        return  # the repair is not theirs: see the record-rule tests
    assert client.post(f"/repairs/{repair.id}/accept").status_code == work
    assert client.post(f"/repairs/{repair.id}/close").status_code == close
    db.session.expire_all()
    assert repair.state == "recorded"


def test_someone_without_repairs_view_sees_nothing(client, db, staff, make_user, repair_in):
    from core.models import Role

    repair = repair_in("recorded")
    role = db.session.scalar(select(Role).where(Role.code == "cleaning"))
    role.set_permissions([c for c in role.permission_codes if not c.startswith("repairs.")])
    db.session.commit()
    login(client, make_user("cleaning", [staff.e1]))
    assert client.get("/repairs/").status_code == 403
    assert client.get(f"/repairs/{repair.id}").status_code == 403
    assert f"/repairs/{repair.id}" not in client.get(f"/search?q={repair.number}").get_data(as_text=True)


def zh(msgid, **values):
    """The Chinese of ``msgid`` as the repairs catalog has it (the wording may be refined there)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    import plugins.repairs

    po = Path(plugins.repairs.__file__).parent / "translations/zh_CN/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        text = read_po(f)[msgid].string
    assert text, msgid
    return text % values if values else text


def test_a_chinese_speaking_clerk_works_in_chinese(client, db, staff, make_user):
    clerk = make_user("clerk", [staff.e1], locale="zh_CN")
    login(client, clerk)
    page = client.get("/repairs/new").get_data(as_text=True)
    assert f"<title>{zh('New repair')} · PropDesk</title>" in page
    for msgid in ("Resident Repair Record", "Channel", "What is wrong", "Appointment time", "Phone call",
                  "Record the repair", "Paid repair (the resident pays a repair fee)"):
        assert zh(msgid) in page and msgid not in page, msgid
    resp = client.post("/repairs/new", data=form_data(staff.e1, appointment_at=local(utcnow() - timedelta(hours=2))))
    assert zh("The appointment time is in the past.") in resp.get_data(as_text=True)
    resp = client.post("/repairs/new", data=form_data(staff.e1, unit_number="2-1-201"))
    assert zh("There is no unit %(unit)s in %(estate)s.", unit="2-1-201", estate="Sunshine Garden") in \
        resp.get_data(as_text=True)
    client.post("/repairs/new", data=form_data(staff.e1))
    repair = db.session.scalar(select(Repair))
    page = client.get("/repairs/").get_data(as_text=True)
    for msgid in ("Repairs", "Reported", "Water supply", "Recorded", "Complete by", "All states", "Overdue only"):
        assert zh(msgid) in page and f">{msgid}<" not in page, msgid
    assert "共 1 条记录" in page
    page = client.get(f"/repairs/{repair.id}/print").get_data(as_text=True)
    for msgid in ("Resident Repair Record", "Resident (signature)", "Technician (signature)", "Clerk (signature)"):
        assert zh(msgid) in page, msgid


def test_the_technician_adds_photos_to_own_repair_and_only_pictures_are_kept(client, db, staff, repair_in):
    r = repair_in("in_progress")
    login(client, staff.tech)
    resp = client.post(f"/repairs/{r.id}/photos", data={"photos": [photo(b"GIF89a" + b"\x00" * 20, "after.gif")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and count(db, Attachment) == 1
    resp = client.post(f"/repairs/{r.id}/photos", data={"photos": [photo(b"%PDF-1.4", "bill.pdf")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "bill.pdf is not a photo" in resp.get_data(as_text=True)
    resp = client.post(f"/repairs/{r.id}/photos", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "Choose at least one photo." in resp.get_data(as_text=True)
    assert count(db, Attachment) == 1
    login(client, staff.cashier)
    assert client.post(f"/repairs/{r.id}/photos", data={"photos": [photo()]},
                       content_type="multipart/form-data").status_code == 403


def test_the_newest_first_index_exists_on_postgresql_only(app, db):
    """repairs_0003: the unfiltered list of several estates reads it instead of sorting every
    repair on PostgreSQL; SQLite does as well without it, so it is not made there."""
    from sqlalchemy import inspect

    names = {i["name"] for i in inspect(db.engine).get_indexes("repairs_repair")}
    complaint_names = {i["name"] for i in inspect(db.engine).get_indexes("complaints_complaint")}
    on_pg = db.engine.dialect.name == "postgresql"
    assert ("ix_repairs_repair_reported" in names) == on_pg
    assert ("ix_complaints_complaint_received" in complaint_names) == on_pg


def test_the_work_order_list_shows_open_orders_soonest_due_first_and_all_newest_first(client, db, staff,
                                                                                   repair_in):
    import re

    done = repair_in("completed")
    late, soon = repair_in("dispatched"), repair_in("in_progress")
    base = utcnow()
    for r, due, issued in ((late, base + timedelta(hours=30), base - timedelta(hours=3)),
                           (soon, base + timedelta(hours=2), base - timedelta(hours=1)),
                           (done, base - timedelta(hours=1), base - timedelta(hours=5))):
        r.current_order.due_at, r.current_order.issued_at = due, issued
    db.session.commit()
    login(client, staff.sup)

    def numbers(url):
        return re.findall(r">(WX-[\w-]+)</a>", client.get(url).get_data(as_text=True))

    assert numbers("/repairs/orders") == [soon.current_order.number, late.current_order.number]
    assert numbers("/repairs/orders?state=all") == [
        soon.current_order.number, late.current_order.number, done.current_order.number]


def test_the_work_order_list_indexes_exist(app, db):
    """repairs_0004: open orders by due time, an estate's orders by issue time on both
    databases; PostgreSQL also reads "all orders" of several estates newest first off an index."""
    from sqlalchemy import inspect

    names = {i["name"] for i in inspect(db.engine).get_indexes("repairs_work_order")}
    assert {"ix_repairs_work_order_estate_state_due", "ix_repairs_work_order_estate_issued"} <= names
    assert ("ix_repairs_work_order_issued" in names) == (db.engine.dialect.name == "postgresql")


def test_the_work_order_list_marks_and_filters_the_overdue_orders(client, db, staff, repair_in):
    import re

    done, late, fine = repair_in("completed"), repair_in("dispatched"), repair_in("in_progress")
    base = utcnow()
    done.current_order.due_at = base - timedelta(hours=5)  # completed: never overdue
    late.current_order.due_at = base - timedelta(minutes=10)
    fine.current_order.due_at = base + timedelta(hours=2)
    db.session.commit()
    login(client, staff.sup)

    def rows(url):
        page = client.get(url).get_data(as_text=True)
        return {m.group(1): "Overdue" in m.group(0)
                for m in re.finditer(r"<tr>(?:(?!</tr>).)*?>(WX-[\w-]+)</a>(?:(?!</tr>).)*</tr>", page, re.S)}

    assert rows("/repairs/orders?state=all") == {done.current_order.number: False, late.current_order.number: True,
                                                 fine.current_order.number: False}
    assert rows("/repairs/orders?overdue=1") == {late.current_order.number: True}
    assert rows("/repairs/orders?state=all&overdue=1") == {late.current_order.number: True}


def test_dispatch_offers_only_technicians_not_the_administrator(client, db, staff, make_user, repair_in):
    """The administrator role holds every permission, repairs.work included: that does not
    make the administrator someone to send out (issue 15). An administrator who is also
    given the technician role is one."""
    admin = make_user("admin", [staff.e1], username="boss", full_name="管理员甲")
    both = make_user(["admin", "technician"], [staff.e1], username="boss2", full_name="钱师傅")
    repair = repair_in("recorded")
    login(client, staff.sup)
    page = client.get(f"/repairs/{repair.id}").get_data(as_text=True)
    assert "张师傅" in page and "钱师傅" in page and "管理员甲" not in page
    resp = client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": admin.id})
    assert resp.status_code == 422 and "Choose a technician of the maintenance department" in resp.get_data(True)
    db.session.refresh(repair)
    assert repair.state == "recorded" and db.session.scalar(select(WorkOrder)) is None
    assert client.post(f"/repairs/{repair.id}/dispatch", data={"technician_id": both.id}).status_code == 302
    assert db.session.scalar(select(WorkOrder)).technician_id == both.id
