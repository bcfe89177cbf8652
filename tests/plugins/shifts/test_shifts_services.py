"""Shift services: the grid, versions, approved changes, holiday notice, leave, attendance and the
monthly report — what was saved and what was refused (nothing saved then)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import acting_as
from core.extensions import db
from core.models import Notification
from core.testing import refused
from plugins.shifts import services
from plugins.shifts.models import AttendanceMark, ChangeRequest, LeaveRequest, Roster, RosterEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
APRIL = date(2026, 4, 1)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_month_is_built_on_the_grid_and_published_to_the_staff(staff, april):
    assert (april.first_day, april.last_day, april.version, april.state) == (APRIL, date(2026, 4, 30), 1, "published")
    assert _count(RosterEntry, RosterEntry.roster_id == april.id) == 90
    cell = services._entry_on(april, staff.desk.id, date(2026, 4, 3))
    # the night shift ends the next morning, in Shanghai time
    assert cell.starts_at == datetime(2026, 4, 3, 23, tzinfo=SHANGHAI)
    assert cell.ends_at == datetime(2026, 4, 4, 7, tzinfo=SHANGHAI)
    titles = db.session.scalars(select(Notification.title).where(Notification.user_id == staff.clerk.id)).all()
    assert any("2026-04" in t for t in titles)


def test_overlapping_shifts_for_one_person_are_refused_and_nothing_is_saved(staff):
    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        db.session.commit()
        err = refused("overlapping shifts", services.set_cells, staff.sup, r, {
            (staff.clerk.id, date(2026, 4, 1)): staff.N.id, (staff.clerk.id, date(2026, 4, 2)): staff.A.id,
            (staff.clerk2.id, date(2026, 4, 1)): staff.B.id})
    assert err.field == f"c-{staff.clerk.id}-2026-04-02"
    assert _count(RosterEntry, RosterEntry.roster_id == r.id) == 0


def test_fill_a_week_by_pattern_and_repeat_it(staff):
    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        week = [staff.A.id, staff.A.id, staff.B.id, staff.B.id, staff.C.id, None, None]
        assert services.fill_week(staff.sup, r, user_id=staff.clerk.id, start=APRIL, week=week) == 5
        services.fill_week(staff.sup, r, user_id=staff.clerk2.id, start=APRIL, week=week, repeat=True)
        db.session.commit()
    codes = {e.day: e.pattern.code for e in services.entries(r, staff.clerk2.id)}
    assert codes[date(2026, 4, 8)] == "A" and codes[date(2026, 4, 12)] == "C" and date(2026, 4, 13) not in codes
    assert len(services.entries(r, staff.clerk.id)) == 5


def test_a_revised_schedule_is_a_new_version_and_the_old_one_is_withdrawn_both_kept(staff, april):
    with acting_as(staff.sup):
        draft = services.revise(staff.sup, april)
        assert (draft.version, draft.state) == (2, "draft")
        services.set_cells(staff.sup, draft, {(staff.clerk.id, date(2026, 4, 10)): staff.L.id})
        services.publish(staff.sup, draft, note="调整")
        db.session.commit()
    db.session.refresh(april)
    assert (april.state, april.replaced_by_id) == ("withdrawn", draft.id)
    assert services._entry_on(april, staff.clerk.id, date(2026, 4, 10)).pattern.code == "A"
    assert services._entry_on(draft, staff.clerk.id, date(2026, 4, 10)).pattern.code == "L"
    assert [v.version for v in services.versions(draft)] == [2, 1]


def test_the_database_keeps_one_published_version(staff, april):
    db.session.add(Roster(estate_id=staff.e1.id, kind="month", first_day=APRIL, last_day=april.last_day, version=9,
                          state="published"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_published_schedule_is_changed_only_through_a_new_version(staff, april):
    with acting_as(staff.sup):
        refused("Only a draft can be changed", services.set_cells, staff.sup, april,
                {(staff.clerk.id, date(2026, 4, 2)): staff.B.id})
    with acting_as(staff.clerk):
        refused("Your role may not do this", services.revise, staff.clerk, april)


def test_a_swap_approved_republishes_the_schedule_as_version_2(staff, april):
    day = date(2026, 4, 5)
    with acting_as(staff.clerk):
        req = services.request_change(staff.clerk, april, kind="swap", day=day, other_user_id=staff.clerk2.id,
                                      reason="家中有事")
        db.session.commit()
    assert req.state == "pending"
    with acting_as(staff.sup):
        services.decide_change(staff.sup, req, approve=True, note="同意")
        db.session.commit()
    db.session.refresh(april)
    new = db.session.get(Roster, req.new_roster_id)
    assert (april.state, new.state, new.version) == ("withdrawn", "published", 2)
    assert services._entry_on(new, staff.clerk.id, day).pattern.code == "B"
    assert services._entry_on(new, staff.clerk2.id, day).pattern.code == "A"
    assert services._entry_on(april, staff.clerk.id, day).pattern.code == "A"  # the old version kept as it was
    assert services._entry_on(new, staff.clerk.id, day + timedelta(days=1)).pattern.code == "A"


def test_swap_refusals_change_nothing(staff, april):
    with acting_as(staff.clerk):
        # the manager has no shift in April: not on duty
        err = refused("is not on duty", services.request_change, staff.clerk, april, kind="swap",
                      day=date(2026, 4, 5), other_user_id=staff.manager.id, reason="有事")
        assert err.field == "other_user_id"
        refused("before the day", services.request_change, staff.clerk, april, kind="swap", day=staff.today,
                other_user_id=staff.clerk2.id, reason="有事")
        refused("Say why", services.request_change, staff.clerk, april, kind="swap", day=date(2026, 4, 5),
                other_user_id=staff.clerk2.id, reason=" ")
        refused("not yourself", services.request_change, staff.clerk, april, kind="swap", day=date(2026, 4, 5),
                other_user_id=staff.clerk.id, reason="有事")
        # desk's night shift and clerk's morning: a change to the long night would run into the next morning
        refused("overlapping shifts", services.request_change, staff.clerk, april, kind="change",
                day=date(2026, 4, 5), new_pattern_id=staff.N.id, reason="有事")
    with acting_as(staff.manager):
        refused("no shift", services.request_change, staff.manager, april, kind="change", day=date(2026, 4, 5),
                new_pattern_id=staff.B.id, reason="有事")
    assert _count(ChangeRequest) == 0


def test_the_supervisor_decides_with_reasons_and_not_on_their_own_request(staff, april):
    with acting_as(staff.clerk):
        req = services.request_change(staff.clerk, april, kind="change", day=date(2026, 4, 6),
                                      new_pattern_id=staff.L.id, reason="复查")
        db.session.commit()
    with acting_as(staff.clerk2):
        refused("Your role may not do this", services.decide_change, staff.clerk2, req, approve=True)
    with acting_as(staff.sup):
        refused("Give the reason for refusing", services.decide_change, staff.sup, req, approve=False)
        services.decide_change(staff.sup, req, approve=False, note="人手不足")
        db.session.commit()
        refused("decided already", services.decide_change, staff.sup, req, approve=True)
    assert req.state == "refused" and req.decision_note == "人手不足"
    db.session.refresh(april)
    assert april.state == "published"  # a refusal changes no schedule
    with acting_as(staff.sup):
        services.revise(staff.sup, april)
        db.session.commit()


def test_a_holiday_schedule_is_submitted_a_week_ahead(staff, clock):
    e1 = staff.e1
    with acting_as(staff.sup):
        err = refused("Too late", services.create_roster, staff.sup, estate_id=e1.id, kind="holiday",
                      first_day=date(2026, 3, 22), last_day=date(2026, 3, 24))
        assert err.field == "first_day"
        refused("before the first day", services.create_roster, staff.sup, estate_id=e1.id, kind="holiday",
                first_day=date(2026, 4, 6), last_day=date(2026, 4, 4))
        r = services.create_roster(staff.sup, estate_id=e1.id, kind="holiday", first_day=date(2026, 4, 4),
                                   last_day=date(2026, 4, 6), title="清明节值班")
        services.set_cells(staff.sup, r, {(staff.clerk.id, date(2026, 4, 4)): staff.A.id})
        db.session.commit()
    assert _count(Roster, Roster.kind == "holiday") == 1
    clock.move_to(datetime(2026, 3, 29, 9, tzinfo=SHANGHAI))  # six days before: too late to publish
    with acting_as(staff.sup):
        refused("Too late", services.publish, staff.sup, r)
    assert db.session.get(Roster, r.id).state == "draft"


def test_leave_with_approval_marks_the_scheduled_days(staff, april):
    with acting_as(staff.clerk):
        refused("before the first day", services.request_leave, staff.clerk, estate_id=staff.e1.id, kind="annual",
                first_day=date(2026, 4, 10), last_day=date(2026, 4, 8), reason="回家")
        refused("only sick leave", services.request_leave, staff.clerk, estate_id=staff.e1.id, kind="personal",
                first_day=date(2026, 3, 10), last_day=date(2026, 3, 10), reason="回家")
        refused("time back is before", services.request_leave, staff.clerk, estate_id=staff.e1.id,
                kind="off_post", first_day=date(2026, 4, 2), last_day=None, leaves_at=time(10), back_at=time(9),
                reason="取快递")
        leave = services.request_leave(staff.clerk, estate_id=staff.e1.id, kind="annual", first_day=date(2026, 4, 8),
                                       last_day=date(2026, 4, 10), reason="回家")
        db.session.commit()
    with acting_as(staff.clerk):
        refused("Your role may not do this", services.decide_leave, staff.clerk, leave, approve=True)
    with acting_as(staff.sup):
        services.decide_leave(staff.sup, leave, approve=True)
        db.session.commit()
    marks = db.session.scalars(select(AttendanceMark.mark).where(AttendanceMark.user_id == staff.clerk.id)).all()
    assert marks == ["leave"] * 3
    assert _count(LeaveRequest, LeaveRequest.state == "approved") == 1


def test_clocking_in_and_out_of_ones_own_shift(staff, april, clock):
    clock.move_to(datetime(2026, 4, 2, 7, 3, tzinfo=SHANGHAI))
    with acting_as(staff.clerk):
        mark = services.clock_in(staff.clerk, estate_id=staff.e1.id)
        db.session.commit()
        assert (mark.day, mark.mark) == (date(2026, 4, 2), "present")
        refused("clocked in already", services.clock_in, staff.clerk, estate_id=staff.e1.id)
    clock.move_to(datetime(2026, 4, 2, 17, 10, tzinfo=SHANGHAI))
    with acting_as(staff.clerk):
        mark = services.clock_out(staff.clerk, estate_id=staff.e1.id)
        db.session.commit()
    assert mark.overtime_hours == Decimal("2.00")
    clock.move_to(datetime(2026, 4, 3, 7, 20, tzinfo=SHANGHAI))
    with acting_as(staff.clerk):
        assert services.clock_in(staff.clerk, estate_id=staff.e1.id).mark == "late"
    with acting_as(staff.manager):
        refused("no shift starting", services.clock_in, staff.manager, estate_id=staff.e1.id)


def test_the_supervisor_marks_a_day_but_never_one_to_come(staff):
    with acting_as(staff.sup):
        refused("A day to come", services.set_mark, staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id,
                day=staff.today + timedelta(days=1), mark="present")
        refused("hours of overtime", services.set_mark, staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id,
                day=staff.today, mark="overtime")
        refused("this estate's staff", services.set_mark, staff.sup, estate_id=staff.e1.id,
                user_id=staff.clerk_e2.id, day=staff.today, mark="absent")
        services.set_mark(staff.sup, estate_id=staff.e1.id, user_id=staff.clerk.id, day=staff.today,
                          mark="overtime", overtime_hours="3.5")
        db.session.commit()
    assert db.session.scalar(select(AttendanceMark.overtime_hours)) == Decimal("3.50")


def test_another_estate_is_refused(staff, april):
    with acting_as(staff.sup_e2):
        refused("Choose one of your estates", services.set_cells, staff.sup_e2, db.session.get(Roster, april.id),
                {(staff.clerk.id, date(2026, 4, 2)): staff.B.id})
        r = services.create_roster(staff.sup_e2, estate_id=staff.e2.id, first_day=APRIL)
        refused("this estate's shifts", services.set_cells, staff.sup_e2, r,
                {(staff.clerk_e2.id, date(2026, 4, 2)): staff.A.id})
        refused("this estate's staff", services.set_cells, staff.sup_e2, r,
                {(staff.clerk.id, date(2026, 4, 2)): staff.A2.id})
