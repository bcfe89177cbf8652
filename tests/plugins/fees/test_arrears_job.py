"""The scheduled job: one notification per estate and user with the count of units due for a
reminder, once a day, respecting the reminder interval and the minimum age."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.models import Notification
from core.settings import save_settings
from plugins.fees import jobs
from plugins.fees.models import Reminder
from tests.plugins.fees.test_arrears_kit import at, make_bill, make_item, staff_fixture, unit_of  # noqa: F401

DAY = date(2026, 6, 15)


def _setup(db, staff):
    e1, e2 = staff.e1, staff.e2
    psf = make_item(db, e1)
    a, b, c = unit_of(db, e1, "1-1-101"), unit_of(db, e1, "1-1-102"), unit_of(db, e1, "3-2-1201")
    make_bill(db, a, psf, date(2025, 5, 1), "100.00", due=date(2025, 6, 10))   # 12 months
    make_bill(db, b, psf, date(2026, 2, 1), "250.00", due=date(2026, 3, 15))   # 3 months
    make_bill(db, c, psf, date(2026, 5, 1), "120.00", due=date(2026, 6, 1))    # two weeks
    make_bill(db, unit_of(db, e2, "2-1-201"), make_item(db, e2), date(2026, 1, 1), "80.00", due=date(2026, 1, 31))
    db.session.commit()
    return a, b, c


def _notes(db, estate):
    return db.session.scalars(select(Notification).where(Notification.estate_id == estate.id)
                              .order_by(Notification.id)).all()


def test_one_notification_per_user_with_the_count_once_a_day(db, staff):
    _setup(db, staff)
    status = jobs.notify_arrears(now=at(DAY))
    db.session.commit()
    e1_notes = _notes(db, staff.e1)
    # manager, supervisor, clerk and cashier of E01 chase arrears; the front desk does not
    assert sorted(n.user_id for n in e1_notes) == sorted(
        u.id for u in (staff.manager, staff.sup, staff.clerk, staff.cashier))
    assert all(n.title == "2 units in Sunshine Garden are due for an arrears reminder" for n in e1_notes)
    assert all(n.link.startswith(f"/fees/arrears?estate={staff.e1.id}") for n in e1_notes)
    e2_notes = _notes(db, staff.e2)
    assert {n.user_id for n in e2_notes} == {staff.clerk_e2.id, staff.manager_e2.id}
    assert e2_notes[0].title == "1 unit in Riverside Park is due for an arrears reminder"
    assert "3 units due" in status
    # the same day again: nothing new, however often cron calls
    jobs.notify_arrears(now=at(DAY, 15))
    db.session.commit()
    assert len(_notes(db, staff.e1)) == 4 and len(_notes(db, staff.e2)) == 2


def test_units_reminded_within_the_interval_are_not_counted(db, staff):
    a, b, _c = _setup(db, staff)
    db.session.add(Reminder(estate_id=staff.e1.id, unit_id=a.id, method="phone", owed=100,
                            sent_at=at(DAY - timedelta(days=10)), response="会缴"))
    db.session.add(Reminder(estate_id=staff.e1.id, unit_id=b.id, method="notice", owed=250,
                            sent_at=at(DAY - timedelta(days=31)), batch="CJ-E01-2026-000001"))
    db.session.commit()
    jobs.notify_arrears(now=at(DAY))
    db.session.commit()
    assert {n.title for n in _notes(db, staff.e1)} == {"1 unit in Sunshine Garden is due for an arrears reminder"}
    # a longer interval (estate setting): b's notice of 31 days ago is recent enough -> nobody is due
    save_settings("fees", {"reminder_interval_days": 45}, staff.e1.id)
    db.session.commit()
    jobs.notify_arrears(now=at(DAY + timedelta(days=1)))
    db.session.commit()
    assert len(_notes(db, staff.e1)) == 4  # no new notification on the next day


def test_minimum_age_setting_and_a_new_day(db, staff):
    _setup(db, staff)
    save_settings("fees", {"reminder_min_months": 6}, staff.e1.id)
    db.session.commit()
    jobs.notify_arrears(now=at(DAY))
    db.session.commit()
    assert {n.title for n in _notes(db, staff.e1)} == {"1 unit in Sunshine Garden is due for an arrears reminder"}
    save_settings("fees", {"reminder_min_months": 0}, staff.e1.id)
    db.session.commit()
    jobs.notify_arrears(now=at(DAY + timedelta(days=1)))
    db.session.commit()
    titles = [n.title for n in _notes(db, staff.e1)]
    assert len(titles) == 8 and titles[-1] == "3 units in Sunshine Garden are due for an arrears reminder"


def test_the_job_is_registered_and_runs_under_the_lease(app, db, staff):
    from core.jobs import all_jobs, run_due

    assert "fees.notify_arrears" in {j.code for j in all_jobs()}
    _setup(db, staff)
    ran = dict(run_due(only="fees.notify_arrears"))
    assert "notifications" in ran["fees.notify_arrears"]
    assert run_due(only="fees.notify_arrears") == []  # not due again within the hour
