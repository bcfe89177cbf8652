"""``core.i18n.fmt_datetime`` formats through a formatter built once per request
(``datetime_formatter``); it must give exactly what Flask-Babel gives, in every
locale, time zone and format, and follow a locale switched mid-request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import flask_babel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import i18n

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]
FORMATS = ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm", "EEEE d MMMM y 'at' h:mm a zzzz"]

naive = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31))
aware = st.builds(lambda d, minutes: d.replace(tzinfo=timezone(timedelta(minutes=minutes))),
                  naive, st.integers(min_value=-12 * 60, max_value=14 * 60))


@pytest.fixture
def zone(app):
    """Set the site's default zone (what a request without an estate in view uses)."""
    before = app.config["PROPDESK_DEFAULT_TIMEZONE"]

    def set_zone(name: str) -> None:
        app.config["PROPDESK_DEFAULT_TIMEZONE"] = name
        flask_babel.refresh()

    yield set_zone
    app.config["PROPDESK_DEFAULT_TIMEZONE"] = before


# The app is shared by the examples on purpose: each one sets its zone and locale.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(naive, aware), locale=st.sampled_from(["en", "zh_CN"]),
       tz=st.sampled_from(ZONES), fmt=st.sampled_from(FORMATS))
def test_the_cached_formatter_gives_what_flask_babel_gives(app, zone, value, locale, tz, fmt):
    with app.test_request_context("/"):
        zone(tz)
        with flask_babel.force_locale(locale):
            assert i18n.fmt_datetime(value, fmt) == flask_babel.format_datetime(value, fmt)


def test_daylight_saving_edges_are_formatted_as_babel_does(app, zone):
    # New York: 2026-03-08 02:00 local does not exist, 2026-11-01 01:30 happens twice.
    edges = [datetime(2026, 3, 8, 6, 59), datetime(2026, 3, 8, 7, 0), datetime(2026, 11, 1, 5, 30),
             datetime(2026, 11, 1, 6, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]
    with app.test_request_context("/"):
        zone("America/New_York")
        shown = [i18n.fmt_datetime(v, "full") for v in edges]
        assert shown == [flask_babel.format_datetime(v, "full") for v in edges]
        assert "Eastern Standard Time" in shown[0] and "Eastern Daylight Time" in shown[1]
        assert "1:30:00" in shown[2] and "1:30:00" in shown[3] and shown[2] != shown[3]


def test_a_locale_switched_mid_request_gets_its_own_formatter(app, zone):
    value = datetime(2026, 11, 24, 2, 5)
    with app.test_request_context("/"):
        zone("Asia/Shanghai")
        with flask_babel.force_locale("en"):
            english = i18n.fmt_datetime(value, "medium")
        with flask_babel.force_locale("zh_CN"):
            chinese = i18n.fmt_datetime(value, "medium")
        with flask_babel.force_locale("en"):
            again = i18n.fmt_datetime(value, "medium")
    assert english == again == "Nov 24, 2026, 10:05:00\u202fAM"
    assert chinese == "2026年11月24日 10:05:00"


def test_outside_a_request_it_falls_back_to_flask_babel(app):
    value = datetime(2026, 11, 24, 2, 5)
    with app.app_context(), flask_babel.force_locale("en"):
        assert i18n.fmt_datetime(value, "short") == flask_babel.format_datetime(value, "short")
    assert i18n.fmt_datetime(None) == ""


def test_one_date_time_format_for_pages_flashes_and_messages(app, zone):
    """The ``datetime`` filter, ``fmt_datetime`` and a job's message in an estate's zone all give
    DATETIME_FORMAT, in every language."""
    from flask import render_template_string

    value = datetime(2026, 11, 24, 2, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        zone("Asia/Shanghai")
        for locale in ("en", "zh_CN"):
            with flask_babel.force_locale(locale):
                assert i18n.fmt_datetime(value) == "2026-11-24 10:05"
                assert render_template_string("{{ v|datetime }}", v=value) == "2026-11-24 10:05"
                assert i18n.fmt_datetime(value, "short") == flask_babel.format_datetime(value, "short")
    with app.app_context(), flask_babel.force_locale("zh_CN"):  # a job: no request, the estate's zone
        assert i18n.fmt_datetime(value, tz="Asia/Shanghai") == "2026-11-24 10:05"
        assert i18n.fmt_datetime(value.replace(tzinfo=None), tz="Europe/London") == "2026-11-24 02:05"
