"""core.daystats: the calendar arithmetic every stored-day statistic relies on."""

from datetime import UTC, date, datetime

from core import daystats


def test_a_day_counts_as_over_only_after_the_grace_period_in_its_own_time_zone():
    # 2026-03-01 00:03 in Shanghai is 2026-02-28 16:03 UTC: the 28th ended 3 minutes ago there.
    now = datetime(2026, 2, 28, 16, 3, tzinfo=UTC)
    assert daystats.last_day_over("Asia/Shanghai", now) == date(2026, 2, 27)
    later = datetime(2026, 2, 28, 16, 6, tzinfo=UTC)
    assert daystats.last_day_over("Asia/Shanghai", later) == date(2026, 2, 28)
    assert daystats.last_day_over("UTC", later) == date(2026, 2, 27)


def test_days_over_in_a_month_and_the_window_kept():
    assert daystats.days_over(date(2026, 2, 1), date(2026, 3, 10)) == 28
    assert daystats.days_over(date(2026, 3, 1), date(2026, 3, 10)) == 10
    assert daystats.days_over(date(2026, 4, 1), date(2026, 3, 10)) == 0
    first, last = daystats.window("UTC", datetime(2026, 1, 15, 12, tzinfo=UTC), months=13)
    assert (first, last) == (date(2025, 1, 1), date(2026, 1, 14))


def test_local_midnight_is_in_utc():
    assert daystats.local_midnight(date(2026, 3, 1), "Asia/Shanghai") == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert daystats.yyyymm(date(2026, 3, 9)) == 202603 and daystats.next_month(date(2026, 12, 5)) == date(2027, 1, 1)
