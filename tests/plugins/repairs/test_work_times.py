"""The technician gives the real time the work started and finished (issue 15), not only
"now": within sane bounds — not in the future, not before the dispatch, the finish not
before the start — refused beside the field, in the reader's language, changing nothing."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.plugins.repairs.conftest import login

SH = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0):
    return datetime(2026, 11, 18, hour, minute, tzinfo=SH)


def error_of(resp, field):
    found = re.findall(rf'data-field="{field}">([^<]*)<', resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found[0]


@pytest.fixture
def dispatched_at_nine(clock, db, staff, repair_in):
    """A repair of E01 dispatched to 张师傅 at 09:00 (Shanghai) on 18 November 2026; it is now 12:00."""
    clock.move_to(at(9))
    repair = repair_in("dispatched")
    clock.move_to(at(12))
    return repair


@pytest.mark.parametrize("typed,message", [
    ("2026-11-18T08:59", "The work cannot start before the repair was dispatched (2026-11-18 09:00)."),
    ("2026-11-18T12:30", "The time cannot be in the future."),
    ("2026-11-31T10:00", "Not a valid datetime value."),
])
def test_a_start_out_of_bounds_is_refused_and_nothing_changes(client, db, staff, dispatched_at_nine, typed,
                                                                message):
    repair = dispatched_at_nine
    login(client, staff.tech)
    resp = client.post(f"/repairs/{repair.id}/accept", data={"started_at": typed})
    assert resp.status_code == 422 and error_of(resp, "started_at") == message
    db.session.refresh(repair)
    assert repair.state == "dispatched" and repair.started_at is None


def test_the_real_start_and_finish_are_recorded(client, db, staff, dispatched_at_nine, clock):
    repair = dispatched_at_nine
    login(client, staff.tech)
    # Started in the minute of the dispatch is fine (typed times have no seconds).
    assert client.post(f"/repairs/{repair.id}/accept", data={"started_at": "2026-11-18T09:00"}).status_code == 302
    db.session.refresh(repair)
    assert repair.state == "in_progress" and repair.started_at == at(9)
    assert repair.current_order.accepted_at >= at(12)  # when the technician took it in the system

    done = {"work_done": "更换角阀", "minutes_spent": "40"}
    for typed, message in [("2026-11-18T08:30", "The work cannot finish before it started (2026-11-18 09:00)."),
                           ("2026-11-18T12:05", "The time cannot be in the future.")]:
        resp = client.post(f"/repairs/{repair.id}/complete", data={**done, "finished_at": typed})
        assert resp.status_code == 422 and error_of(resp, "finished_at") == message
        db.session.refresh(repair)
        assert repair.state == "in_progress" and repair.completed_at is None

    assert client.post(f"/repairs/{repair.id}/complete",
                       data={**done, "finished_at": "2026-11-18T10:15"}).status_code == 302
    db.session.refresh(repair)
    assert repair.state == "completed" and repair.completed_at == at(10, 15)
    assert repair.current_order.completed_at == at(10, 15)


def test_left_empty_the_times_are_now(client, db, staff, dispatched_at_nine):
    repair = dispatched_at_nine
    login(client, staff.tech)
    assert client.post(f"/repairs/{repair.id}/accept", data={"started_at": ""}).status_code == 302
    assert client.post(f"/repairs/{repair.id}/complete",
                       data={"work_done": "更换角阀", "minutes_spent": "40", "finished_at": ""}).status_code == 302
    db.session.refresh(repair)
    assert at(12) <= repair.started_at <= repair.completed_at < at(12, 5)


def test_the_refusal_is_said_in_chinese(client, db, staff, dispatched_at_nine):
    repair = dispatched_at_nine
    staff.tech.locale = "zh_CN"
    db.session.commit()
    login(client, staff.tech)
    resp = client.post(f"/repairs/{repair.id}/accept", data={"started_at": "2026-11-18T08:00"})
    assert resp.status_code == 422
    assert error_of(resp, "started_at") == "开始维修的时间不能早于派工时间（2026-11-18 09:00）。"
    resp = client.post(f"/repairs/{repair.id}/accept", data={"started_at": "2026-11-19T08:00"})
    assert error_of(resp, "started_at") == "时间不能晚于当前时间。"
