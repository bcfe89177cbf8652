"""The meetings demo data: a month of handovers (the latest waiting for acknowledgement and
signature), meetings with signed minutes, action items mostly done, one overdue."""

from __future__ import annotations

from sqlalchemy import func, select

from core.testing import make_estate
from plugins.meetings import demo
from plugins.meetings.models import (
    ActionItem,
    HandoverMatter,
    Meeting,
    MeetingAttendee,
    ShiftHandover,
)


def test_demo_month(app, db, make_user):
    from core.i18n import today_local

    estate = make_estate("D01", "Demo Garden", units=("1-1-101", "1-1-102", "2-1-201"))
    users = {role: make_user(role, [estate], username=f"d{role}")
             for role in ("manager", "supervisor", "clerk", "frontdesk", "technician")}
    with app.test_request_context():
        from plugins.complaints import demo as complaints_demo

        complaints_demo.load(estate, users)
    demo.load(estate, users)
    db.session.commit()

    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id == estate.id, *where))

    assert n(ShiftHandover) >= 60
    assert n(ShiftHandover, ShiftHandover.signed_at.is_(None)) >= 1
    assert n(ShiftHandover, ShiftHandover.signed_at.is_not(None)) >= 55
    assert n(HandoverMatter, HandoverMatter.reference != "") >= 1  # open complaints handed over
    assert n(Meeting, Meeting.kind == "weekly") >= 4 and n(Meeting, Meeting.kind == "morning") >= 20
    assert n(Meeting, Meeting.kind == "ad_hoc") == 1
    assert n(Meeting, Meeting.state == "filed") >= 20
    for m in db.session.scalars(select(Meeting).where(Meeting.state == "filed")):
        assert all(a.acknowledged_at for a in m.attendees if a.present)
        assert m.minute_taker_id in {a.user_id for a in m.attendees}
    assert n(MeetingAttendee, MeetingAttendee.present.is_(False)) >= 1
    assert n(ActionItem, ActionItem.state == "done") >= 3
    today = today_local()
    assert n(ActionItem, ActionItem.state == "open", ActionItem.due_on < today) >= 1
    # Loading again adds nothing.
    before = n(ShiftHandover)
    demo.load(estate, users)
    assert n(ShiftHandover) == before
