"""The daily job: a green area inspected fewer times yesterday (the estate's day) than the
estate's ``checks_per_day`` is reported once to the estate's greening inspectors; an area whose
plan has no task for yesterday's season was not due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.models import Notification
from plugins.greening import services
from plugins.greening.jobs import notify_missed
from tests.plugins.greening.conftest import SHANGHAI, all_ok


def _told(db):
    return [(n.user_id, n.title) for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def test_missed_inspections_of_yesterday_are_told_once(db, staff, clock):
    s = staff
    with acting_as(s.sup):
        summer = services.add_area(s.sup, estate_id=s.e1.id, name="夏季花境")
        db.session.flush()
        services.add_task(s.sup, summer, kind="pruning", season="summer", title="修剪花境")
        db.session.commit()
    notify_missed()  # added today: nothing was due yesterday
    db.session.commit()
    assert _told(db) == []
    clock.move_to(datetime(2026, 3, 19, 0, 30, tzinfo=SHANGHAI))
    assert notify_missed() == "2 missed greening inspections notified"
    notify_missed()
    db.session.commit()
    told = _told(db)
    assert {u for u, t in told if "中心草坪" in t} >= {s.sup.id, s.manager.id}
    # The job's bookkeeping is not a change by staff: the audit log has no row for it.
    from core.models.system import AuditLog

    assert not db.session.scalars(select(AuditLog).where(AuditLog.table_name == "greening_green_area",
                                                         AuditLog.action == "update")).all()
    assert {u for u, t in told if "园区花坛" in t} == {s.sup_e2.id}
    assert all("2026-03-18" in t for _u, t in told) and not any("夏季花境" in t for _u, t in told)
    assert len(told) == len(set(told))
    with acting_as(s.sup):
        services.record_inspection(s.sup, s.area, inspected_on=s.today + timedelta(days=1),
                                   results=all_ok(s.t1, s.t2, s.t3))
        db.session.commit()
    clock.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI))
    notify_missed()
    db.session.commit()
    new = _told(db)[len(told):]
    assert new and all("园区花坛" in t and "2026-03-19" in t for _u, t in new)


def test_the_job_is_registered(app):
    from core.jobs import all_jobs

    assert "greening.notify_missed" in {j.code for j in all_jobs()}
