"""A forwarded enquiry links to its complaint's own page and shows its state, through complaints'
documented read service ``complaint_states`` (only what the user may see); with complaints disabled
the number stays plain text."""

from __future__ import annotations

from sqlalchemy import select

from plugins.complaints import services as complaints
from plugins.complaints.models import Complaint
from tests.plugins.frontdesk.conftest import login
from tests.plugins.frontdesk.test_frontdesk_enquiries import record, without


def _forwarded(db, staff):
    row = record(staff.desk, staff.e1, topic="other", question="楼上装修噪音太大", answer="", outcome="complaint")
    db.session.commit()
    return row, db.session.scalar(select(Complaint).where(Complaint.number == row.forwarded_number))


def test_complaint_states_gives_id_number_state_and_page_only_to_who_may_see_it(app, db, staff):
    row, complaint = _forwarded(db, staff)
    with app.test_request_context():
        found = complaints.complaint_states(staff.desk, staff.e1.id, [complaint.number, " ", "TS-E01-2026-999999"])
        assert found == {complaint.number: {"id": complaint.id, "number": complaint.number, "state": "recorded",
                                            "label": "Recorded", "open": True,
                                            "url": f"/complaints/{complaint.id}"}}
        assert complaints.complaint_states(staff.sup_e2, staff.e1.id, [complaint.number]) == {}  # not their estate
        assert complaints.complaint_states(staff.desk, staff.e2.id, [complaint.number]) == {}  # not that estate's
        assert complaints.complaint_states(staff.cashier, staff.e1.id, [complaint.number]) == {}  # no complaints.view
    assert row.forwarded_number == complaint.number


def test_the_enquiry_links_to_the_complaint_page_with_its_state(client, db, staff):
    row, complaint = _forwarded(db, staff)
    login(client, staff.desk)
    detail = client.get(f"/frontdesk/enquiries/{row.id}").text
    assert f'href="/complaints/{complaint.id}"' in detail and "case-state" in detail and "Recorded" in detail
    assert "/complaints/?q=" not in detail and "/complaints?q=" not in detail
    listing = client.get("/frontdesk/enquiries").text
    assert f'href="/complaints/{complaint.id}"' in listing


def test_without_complaints_the_number_is_plain_text(client, db, staff):
    row, complaint = _forwarded(db, staff)
    login(client, staff.desk)
    with without(db, "complaints"):
        detail = client.get(f"/frontdesk/enquiries/{row.id}").text
    assert complaint.number in detail and "/complaints/" not in detail and "case-state" not in detail


def test_a_walk_in_enquiry_reads_as_a_visit_in_chinese_not_a_repair_report(client, db, make_user, staff):
    desk = make_user("frontdesk", [staff.e1], locale="zh_CN", username="desk9", full_name="胡英")
    row = record(desk, staff.e1, channel="walk_in")
    db.session.commit()
    login(client, desk)
    page = client.get(f"/frontdesk/enquiries/{row.id}").text
    assert "来访" in page and "上门报修" not in page  # repairs' "Walk-in" is a walk-in repair report


def test_an_unapproved_pass_prints_without_a_none_number(client, make_pass, staff):
    row = make_pass()
    login(client, staff.desk)
    page = client.get(f"/frontdesk/passes/{row.id}/print").text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "None" not in title and "Not approved" in page


def test_desk_words_in_chinese_are_the_desks_not_other_modules(client, db, make_user, staff):
    """Same English, other meaning: a parcel "Collected" is 已领取 (not fees' 实收), a register's
    "Visitor" 访客 (not visits' 回访人), a certificate is 开具 and its time 开具时间 (not repairs'
    派单时间), a vehicle pass is 发放."""
    from core.audit import acting_as
    from plugins.frontdesk import services

    desk = make_user("frontdesk", [staff.e1], locale="zh_CN", username="desk9", full_name="胡英")
    with acting_as(desk):
        parcel = services.receive_parcel(desk, estate_id=staff.e1.id, unit_number="1-1-101", recipient_name="陈建华")
        db.session.commit()
    login(client, desk)
    page = client.get(f"/frontdesk/parcels/{parcel.id}").text
    assert "已领取" in page and "实收" not in page
    page = client.get("/frontdesk/visitors").text
    assert "访客" in page and "回访人" not in page
    page = client.get("/frontdesk/certificates").text
    assert "开具" in page and "领用出库" not in page and "派单时间" not in page
    page = client.get("/frontdesk/vehicles").text
    assert "发放" in page and "领用出库" not in page and "发出日期" not in page
