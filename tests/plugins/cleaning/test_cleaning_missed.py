"""The daily job: an area inspected fewer times yesterday (the estate's day) than the estate's
``checks_per_day`` is reported once to the estate's cleaning inspectors — never twice, never
for an area added after that day, never to another estate's people."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.models import Notification
from plugins.cleaning import services
from plugins.cleaning.jobs import notify_missed
from tests.plugins.cleaning.conftest import SHANGHAI, all_ok


def _told(db):
    return [(n.user_id, n.title) for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def test_missed_inspections_of_yesterday_are_told_once(db, staff, clock):
    s = staff
    notify_missed()  # the areas were added today: nothing was due yesterday
    db.session.commit()
    assert _told(db) == []
    # The next day (just after midnight in Shanghai): yesterday's inspection of both areas was missed.
    clock.move_to(datetime(2026, 3, 19, 0, 30, tzinfo=SHANGHAI))
    assert notify_missed() == "2 missed cleaning inspections notified"
    db.session.commit()
    told = _told(db)
    e1 = {u for u, t in told if "1栋大堂" in t}
    assert {s.sup.id, s.manager.id} <= e1 and s.sup_e2.id not in e1 and all("2026-03-18" in t for _u, t in told)
    assert {u for u, t in told if "园区道路" in t} == {s.sup_e2.id}
    assert s.clerk.id not in {u for u, _t in told}
    clock.move_to(datetime(2026, 3, 19, 18, 0, tzinfo=SHANGHAI))
    assert notify_missed() == "0 missed cleaning inspections notified"  # again the same day: nothing more
    db.session.commit()
    assert _told(db) == told
    # The job's bookkeeping is not a change by staff: the audit log has no row for it.
    from core.models.system import AuditLog

    assert not db.session.scalars(select(AuditLog).where(AuditLog.table_name == "cleaning_clean_area",
                                                         AuditLog.action == "update")).all()
    # The 19th: E01's area inspected, E02's not; E01 asks for two a day and gets them.
    from core.settings import save_settings

    save_settings("cleaning", {"checks_per_day": 2}, s.e1.id)
    with acting_as(s.sup):
        for _i in range(2):
            services.record_inspection(s.sup, s.area, inspected_on=s.today + timedelta(days=1),
                                       results=all_ok(s.t1, s.t2, s.t3))
        db.session.commit()
    clock.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI))
    notify_missed()
    db.session.commit()
    new = _told(db)[len(told):]
    assert new and all("园区道路" in t and "2026-03-19" in t for _u, t in new)


def test_one_of_two_done_is_still_missed(db, staff, clock):
    from core.settings import save_settings

    s = staff
    save_settings("cleaning", {"checks_per_day": 2}, s.e1.id)
    clock.move_to(datetime(2026, 3, 19, 10, 0, tzinfo=SHANGHAI))
    with acting_as(s.sup):
        services.record_inspection(s.sup, s.area, inspected_on=s.today + timedelta(days=1),
                                   results=all_ok(s.t1, s.t2, s.t3))
        db.session.commit()
    clock.move_to(datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI))
    notify_missed()
    db.session.commit()
    n = db.session.scalars(select(Notification).where(Notification.user_id == s.sup.id)).all()
    assert len(n) == 1 and "2026-03-19" in n[0].title and "1 of 2" in n[0].body


def test_a_retired_area_or_one_without_a_plan_is_not_due(db, staff, clock):
    s = staff
    with acting_as(s.sup):
        services.update_area(s.sup, s.area, location="", vendor="", note="", active=False)
        services.add_area(s.sup, estate_id=s.e1.id, name="空区域")
        db.session.commit()
    clock.move_to(datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI))
    notify_missed()
    db.session.commit()
    assert {u for u, _t in _told(db)} == {s.sup_e2.id}


def test_the_job_is_registered(app):
    from core.jobs import all_jobs

    assert "cleaning.notify_missed" in {j.code for j in all_jobs()}
