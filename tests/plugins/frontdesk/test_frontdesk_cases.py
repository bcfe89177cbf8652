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
