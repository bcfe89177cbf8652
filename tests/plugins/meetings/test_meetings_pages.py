"""The meetings pages: the handover written, acknowledged and signed through the forms, the
meeting called, minutes, action item, circulated and signed; refusals shown beside the field
with nothing saved; lists with XLSX, printouts, dashboard widgets, search; roles and another
estate's records."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from plugins.meetings import services
from plugins.meetings.models import ActionItem, Meeting, ShiftHandover
from tests.plugins.meetings.conftest import at, login


def n(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def handover_data(staff, **kw):
    data = {"once_key": new_once_key(), "estate_id": str(staff.e1.id), "shift": "night",
            "incoming_id": str(staff.day.id), "other_matters": "", "handed_over": "值班记录本、对讲机2台", "note": ""}
    data.update(kw)
    return data


def test_handover_through_the_pages(client, db, staff, complaint):
    login(client, staff.night)
    page = client.get(f"/meetings/handovers/new?estate={staff.e1.id}").get_data(as_text=True)
    assert complaint.number in page and "楼上深夜噪音扰民" in page
    resp = client.post("/meetings/handovers/new", data=handover_data(staff, references=[complaint.number]))
    assert resp.status_code == 302
    h = db.session.scalar(select(ShiftHandover))
    assert [m.reference for m in h.matters] == [complaint.number]
    page = client.get(f"/meetings/handovers/{h.id}").get_data(as_text=True)
    assert "Still open" in page and f"/complaints/{complaint.id}" in page
    # The manager's sign form refuses before the acknowledgement; nothing is saved.
    login(client, staff.manager)
    resp = client.post(f"/meetings/handovers/{h.id}/sign", data={"sign-note": "已阅"})
    assert resp.status_code == 422 and "has not acknowledged" in resp.get_data(as_text=True)
    assert db.session.get(ShiftHandover, h.id).signed_at is None
    login(client, staff.day)
    assert client.post(f"/meetings/handovers/{h.id}/acknowledge", data={"ack-note": "已接班"}).status_code == 302
    resp = client.post(f"/meetings/handovers/{h.id}/acknowledge", data={"ack-note": "again"}, follow_redirects=True)
    assert "already acknowledged" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ShiftHandover, h.id).acknowledge_note == "已接班"
    # The clerk may not sign (403); the manager signs.
    assert client.post(f"/meetings/handovers/{h.id}/sign", data={}).status_code == 403
    login(client, staff.manager)
    home = client.get("/").get_data(as_text=True)
    assert "1 handover not signed" in home
    assert client.post(f"/meetings/handovers/{h.id}/sign", data={"sign-note": "已阅"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ShiftHandover, h.id).signed_by_id == staff.manager.id
    assert "0 handovers not signed" in client.get("/").get_data(as_text=True)
    printed = client.get(f"/meetings/handovers/{h.id}/print").get_data(as_text=True)
    assert h.number in printed and "王经理" in printed and "楼上深夜噪音扰民" in printed


def test_handover_form_refusal_saves_nothing(client, db, staff):
    login(client, staff.night)
    resp = client.post("/meetings/handovers/new", data=handover_data(staff, incoming_id=str(staff.night.id)))
    assert resp.status_code == 422 and "must be someone else" in resp.get_data(as_text=True)
    resp = client.post("/meetings/handovers/new", data=handover_data(staff, references=["BX-E01-2026-999999"]))
    assert resp.status_code == 422 and "is not an open matter" in resp.get_data(as_text=True)
    # Another estate's id: not found.
    assert client.post("/meetings/handovers/new", data=handover_data(staff, estate_id=str(staff.e2.id))).status_code == 404
    assert n(db, ShiftHandover) == 0


def test_meeting_through_the_pages(client, db, staff, clock):
    login(client, staff.sup)
    form = client.get(f"/meetings/new?estate={staff.e1.id}&kind=weekly").get_data(as_text=True)
    assert "Weekly meeting" in form
    data = {"once_key": new_once_key(), "estate_id": str(staff.e1.id), "kind": "weekly", "title": "周例会",
            "starts_at": "2026-03-06T16:00", "place": "会议室", "agenda": "本周工作回顾",
            "attendee_ids": [str(staff.sup.id), str(staff.day.id)], "minute_taker_id": str(staff.tech.id),
            "chair_id": ""}
    resp = client.post("/meetings/new", data=data)
    assert resp.status_code == 422 and "The minute-taker must be one of the attendees." in resp.get_data(as_text=True)
    assert n(db, Meeting) == 0
    resp = client.post("/meetings/new", data=dict(data, minute_taker_id=str(staff.day.id)))
    assert resp.status_code == 302
    m = db.session.scalar(select(Meeting))
    assert m.starts_at == at(2026, 3, 6, 16)
    login(client, staff.day)
    assert client.post(f"/meetings/m/{m.id}/minutes", data={
        "min-present_ids": [str(staff.sup.id), str(staff.day.id)], "min-minutes": "本周投诉均按时处理",
        "min-decisions": "下周开展消防检查"}).status_code == 302
    resp = client.post(f"/meetings/m/{m.id}/items", data={
        "item-once_key": new_once_key(), "item-text": "消防检查", "item-owner_id": str(staff.tech.id),
        "item-due_on": "2026-03-05"})
    assert resp.status_code == 422 and "due before the meeting" in resp.get_data(as_text=True)
    assert n(db, ActionItem) == 0
    assert client.post(f"/meetings/m/{m.id}/items", data={
        "item-once_key": new_once_key(), "item-text": "消防检查", "item-owner_id": str(staff.tech.id),
        "item-due_on": "2026-03-10"}).status_code == 302
    assert client.post(f"/meetings/m/{m.id}/circulate", data={}).status_code == 302
    assert client.post(f"/meetings/m/{m.id}/sign", data={}).status_code == 302
    resp = client.post(f"/meetings/m/{m.id}/sign", data={}, follow_redirects=True)
    assert "You already signed these minutes" in resp.get_data(as_text=True)
    login(client, staff.sup)
    resp = client.post(f"/meetings/m/{m.id}/sign", data={}, follow_redirects=True)
    assert "sent on and" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, m.id).state == "filed"
    printed = client.get(f"/meetings/m/{m.id}/print").get_data(as_text=True)
    assert "本周投诉均按时处理" in printed and "消防检查" in printed
    # The owner closes the action item from its page.
    item = db.session.scalar(select(ActionItem))
    login(client, staff.tech)
    assert client.post(f"/meetings/items/{item.id}/done", data={"done-note": "已检查"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).state == "done"


def test_lists_exports_search_and_widgets(client, db, staff, call_meeting):
    with acting_as(staff.night):
        h = services.hand_over(staff.night, estate_id=staff.e1.id, shift="night", incoming_id=staff.day.id,
                               handed_over="对讲机")
    m = call_meeting()
    services.record_minutes(staff.day, m, minutes="纪要", present_ids=[staff.day.id])
    services.add_action_item(staff.day, m, text="回电业主", owner_id=staff.manager.id, due_on=date(2026, 3, 6))
    db.session.commit()
    login(client, staff.manager)
    assert h.number in client.get("/meetings/handovers?state=unsigned").get_data(as_text=True)
    assert h.number not in client.get("/meetings/handovers?state=signed").get_data(as_text=True)
    assert m.number in client.get("/meetings/?kind=morning").get_data(as_text=True)
    items = client.get("/meetings/items?state=overdue").get_data(as_text=True)
    assert "回电业主" in items and "Overdue" in items  # the test clock is after 2026-03-06
    for url in ("/meetings/handovers", "/meetings/", "/meetings/items"):
        resp = client.get(url + "?export=xlsx")
        assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert client.get("/meetings/items?export=pdf").status_code == 400
    found = client.get(f"/search?q={h.number}").get_data(as_text=True)
    assert f"/meetings/handovers/{h.id}" in found
    home = client.get("/").get_data(as_text=True)
    assert "1 handover not signed" in home and "1 action item overdue" in home


def test_other_estate_and_roles(client, db, staff, call_meeting):
    with acting_as(staff.night):
        h = services.hand_over(staff.night, estate_id=staff.e1.id, shift="night", incoming_id=staff.day.id,
                               handed_over="对讲机")
    m = call_meeting()
    db.session.commit()
    login(client, staff.other)  # E02's clerk
    for url in (f"/meetings/handovers/{h.id}", f"/meetings/m/{m.id}", f"/meetings/handovers/{h.id}/print",
                f"/meetings/m/{m.id}/print"):
        assert client.get(url).status_code == 404, url
    assert h.number not in client.get("/meetings/handovers").get_data(as_text=True)
    assert client.get(f"/search?q={h.number}").get_data(as_text=True).count(f"/meetings/handovers/{h.id}") == 0
    login(client, staff.manager2)
    assert client.post(f"/meetings/handovers/{h.id}/sign", data={}).status_code == 404
    # A clerk may not call meetings.
    login(client, staff.day)
    assert client.get("/meetings/new").status_code == 403


def test_weekly_slot_setting_per_estate(client, db, staff):
    from plugins.meetings.services import weekly_setting

    login(client, staff.sup)
    page = client.get(f"/admin/settings/meetings?estate={staff.e1.id}").get_data(as_text=True)
    assert "Weekly meeting: day" in page and 'value="16:00"' in page
    resp = client.post(f"/admin/settings/meetings?estate={staff.e1.id}", data={"weekly_weekday": "4", "weekly_time": "25:00"})
    assert "Enter a time as HH:MM" in resp.get_data(as_text=True)
    client.post(f"/admin/settings/meetings?estate={staff.e1.id}", data={"weekly_weekday": "2", "weekly_time": "15:30"})
    db.session.expire_all()
    assert weekly_setting(staff.e1.id)[0] == 2 and weekly_setting(staff.e1.id)[1].strftime("%H:%M") == "15:30"
    assert weekly_setting(staff.e2.id)[0] == 4
