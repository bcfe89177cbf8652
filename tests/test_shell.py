"""The shell: notifications, formatting per locale and time zone, money parsing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.i18n import fmt_money, mask_id, mask_phone, to_local, to_money
from core.notify import notify


def test_notifications_reach_the_centre_and_are_marked_read(client, login_as, db):
    user = login_as("clerk")
    notify([user], "Repair BX-E01-2026-000007 is overdue", "Due 10:00", "/estates/units")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'rounded-pill text-bg-danger ms-1">1<' in page
    centre = client.get("/notifications").get_data(as_text=True)
    assert "Repair BX-E01-2026-000007 is overdue" in centre and "list-group-item-info" in centre
    client.post("/notifications/read")
    assert "list-group-item-info" not in client.get("/notifications").get_data(as_text=True)
    assert 'rounded-pill text-bg-danger' not in client.get("/").get_data(as_text=True)


def test_money_is_formatted_per_locale(app):
    from flask_babel import refresh

    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert fmt_money(Decimal("1280.5")) == "CN¥1,280.50"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refresh()
        assert fmt_money(Decimal("1280.5")) == "¥1,280.50"


def test_money_is_parsed_exactly_and_floats_are_refused():
    assert to_money("1,280.505") == Decimal("1280.51")
    assert to_money("0.1") + to_money("0.2") == Decimal("0.30")
    with pytest.raises(TypeError):
        to_money(0.1)
    with pytest.raises(ValueError):
        to_money("12 yuan")
    for written in ("1e3", "1E3", "NaN", "Infinity", "0x10", "1_000", "", "."):  # never an amount
        with pytest.raises(ValueError):
            to_money(written)
    assert to_money("-1,000.5") == Decimal("-1000.50") and to_money(".5") == Decimal("0.50")


def test_times_are_shown_in_the_estates_time_zone():
    noon_utc = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert to_local(noon_utc, "Asia/Shanghai").hour == 20
    assert to_local(noon_utc, "Asia/Urumqi").hour == 18


def test_the_estates_time_zone_is_used_when_one_estate_is_in_view(client, login_as, db, estates):
    from core.models import Notification

    estates[0].timezone = "Asia/Urumqi"
    user = login_as("clerk", estates=[estates[0]])
    db.session.add(Notification(user_id=user.id, title="tz", at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC)))
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "2026-06-01 18:00" in page and "20:00" not in page  # Urumqi, not Shanghai


def test_private_numbers_are_masked():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id("440301199001011234") == "4403**********1234"
    assert mask_phone("12") == "**"


def test_decimal_columns_come_back_as_decimal(app, db, estates):
    from sqlalchemy import select

    from core.models import Unit

    db.session.expire_all()
    area = db.session.scalars(select(Unit.area)).first()
    assert isinstance(area, Decimal) and area == Decimal("98.50")


def test_every_page_names_the_site_s_icon_and_it_is_served(client, login_as):
    login_page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in login_page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    login_as("clerk")
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
