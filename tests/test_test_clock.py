"""The test session's clock (core.testing): tests never read the real date."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.models import utcnow
from core.testing import test_now

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_session_runs_on_the_test_clock_not_the_real_one():
    started = test_now()
    now = datetime.now(UTC)
    assert started <= now < started + timedelta(hours=3)  # ticking on since the session began
    assert abs(utcnow().replace(tzinfo=UTC) - now) < timedelta(minutes=1)


def test_the_clock_fixture_moves_time_for_the_app_too(app, clock):
    from core.i18n import today_local

    clock.move_to(datetime(2027, 3, 1, 0, 5, tzinfo=SHANGHAI))  # still 28 February in UTC
    assert datetime.now(UTC).date() == date(2027, 2, 28)
    assert today_local() == date(2027, 3, 1)  # the estate's day (Shanghai by default)
    clock.shift(timedelta(days=1))
    assert today_local() == date(2027, 3, 2)
