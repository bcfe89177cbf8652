"""The billing run page in a real browser (the shared Chromium of tests/browser/conftest.py):
htmx posts each chunk back and the progress bar moves to 100 % without a reload."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_run_page_progress_bar_reaches_100_through_htmx(live_server, estates, make_user, db, page,
                                                        monkeypatch):
    from playwright.sync_api import expect

    from plugins.fees import billing
    from plugins.fees.models import Bill

    e1 = estates[0]
    prop = billing.create_item(e1, dict(code="PROP", name="Property fee", kind="area"))
    billing.add_price(prop, price=Decimal("2.80"), valid_from=date(2026, 1, 1))
    db.session.commit()
    monkeypatch.setattr(billing, "CHUNK", 1)  # three units: three steps, then the last one
    server = live_server(WTF_CSRF_ENABLED=True)
    make_user("manager", [e1], username="boss")
    page.goto(server.url + "/login")
    page.fill("#username", "boss")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    page.goto(f"{server.url}/fees/runs/preview?estate={e1.id}&period=2026-11")
    expect(page.locator("#run-preview tr[data-item=PROP] .to-create")).to_have_text("3")
    page.click("#start-run")
    expect(page.locator("#run-progress .progress-bar")).to_have_text("100%")
    expect(page.locator("#run-progress .created")).to_have_text("3")
    assert page.get_attribute("#run-progress", "hx-post") is None  # done: it stops polling
    db.session.rollback()
    assert db.session.scalar(select(func.count(Bill.id))) == 3
