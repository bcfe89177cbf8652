"""The job ``meetings.plan_weekly`` calls next week's weekly meeting of each estate at its slot, once
per week and estate however often it runs, and tells the attendees — on a shifted clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.models import Notification
from plugins.meetings.jobs import plan_weekly
from plugins.meetings.models import Meeting, MeetingAttendee
from tests.plugins.meetings.conftest import at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def weekly(db, estate):
    return db.session.scalars(select(Meeting).where(Meeting.estate_id == estate.id, Meeting.kind == "weekly")
                              .order_by(Meeting.starts_at)).all()


def test_next_weeks_weekly_meeting_is_called_once_at_the_estates_slot(db, staff, clock):
    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))  # a Wednesday
    assert plan_weekly() == "2 weekly meetings called"  # E01 and E02
    db.session.commit()
    [m] = weekly(db, staff.e1)
    # next week's Friday 16:00 in Shanghai (the default slot), not this week's
    assert m.starts_at == at(2026, 3, 27, 16) and m.state == "planned" and m.number.startswith("HY-E01-")
    attendees = set(db.session.scalars(select(MeetingAttendee.user_id).where(MeetingAttendee.meeting_id == m.id)))
    assert attendees == {staff.night.id, staff.day.id, staff.sup.id, staff.manager.id, staff.tech.id}
    assert m.minute_taker_id in {staff.sup.id, staff.manager.id}  # one who manages meetings
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.link == f"/meetings/m/{m.id}")))
    assert told == attendees
    assert staff.other.id not in attendees and len(weekly(db, staff.e2)) == 1

    # again the same day, and on Sunday night: that week has its meeting already
    assert plan_weekly() == "0 weekly meetings called"
    clock.move_to(datetime(2026, 3, 22, 23, 30, tzinfo=SHANGHAI))
    assert plan_weekly() == "0 weekly meetings called"
    db.session.commit()
    assert len(weekly(db, staff.e1)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.link == f"/meetings/m/{m.id}")) == len(attendees)

    # Monday just after midnight (Sunday in UTC): the week after gets its meeting
    clock.move_to(datetime(2026, 3, 23, 0, 30, tzinfo=SHANGHAI))
    assert plan_weekly() == "2 weekly meetings called"
    db.session.commit()
    assert [w.starts_at for w in weekly(db, staff.e1)] == [at(2026, 3, 27, 16), at(2026, 4, 3, 16)]
    assert weekly(db, staff.e1)[1].minute_taker_id == m.minute_taker_id  # as last week's


def test_the_weekly_meeting_is_called_at_the_estates_own_slot(db, staff, clock):
    from core.settings import save_settings

    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))
    save_settings("meetings", {"weekly_weekday": 0, "weekly_time": "09:30"}, estate_id=staff.e1.id)
    db.session.commit()
    assert plan_weekly() == "2 weekly meetings called"
    db.session.commit()
    [m] = weekly(db, staff.e1)
    assert m.starts_at == datetime(2026, 3, 23, 1, 30, tzinfo=UTC)  # Monday 09:30 in Shanghai


def test_a_weekly_meeting_called_by_hand_for_next_week_is_not_doubled(db, staff, clock, call_meeting):
    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))
    call_meeting(kind="weekly", title="周例会（提前）", starts_at=at(2026, 3, 26, 15))
    assert plan_weekly() == "1 weekly meetings called"  # E02 only
    assert [w.title for w in weekly(db, staff.e1)] == ["周例会（提前）"]
