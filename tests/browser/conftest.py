"""Real headless Chromium (Debian's) driven by Playwright for Python.

Set ``PROPDESK_BROWSER`` to the Chromium binary (default ``/usr/bin/chromium``).
Without it these tests skip — or fail when ``PROPDESK_REQUIRE_ALL=1`` (CI).
Screenshots of key pages go to ``$PROPDESK_SCREENSHOTS`` (default: the test's tmp dir).
"""

import os
from pathlib import Path

import pytest

from core.testing import TEST_PASSWORD, skip_or_fail

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


#: How long an action or an ``expect`` waits for what it needs (a busy CI machine is slow,
#: never wrong): Playwright's assertions otherwise give up after 5 s, its actions after 30 s.
WAIT_MS = 15000


@pytest.fixture(scope="session")
def chromium():
    path = os.environ.get("PROPDESK_BROWSER", "/usr/bin/chromium")
    if not Path(path).exists():
        skip_or_fail(f"no Chromium at {path}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=path, args=ARGS)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shot(tmp_path, page):
    folder = Path(os.environ.get("PROPDESK_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def site(live_server, estates, make_user):
    """The app on a live port with CSRF on (as in production) and staff of estate E01."""
    server = live_server(WTF_CSRF_ENABLED=True)
    make_user("admin", username="admin", all_estates=True, full_name="Admin")
    make_user("supervisor", [estates[0]], username="supervisor", full_name="Zhang Wei")
    make_user("clerk", [estates[0]], username="clerk", full_name="Li Na")
    return server


@pytest.fixture
def login(page, site):
    """``login("clerk")``: sign in through the login form."""

    def do(username: str):
        page.goto(site.url + "/login")
        page.fill("#username", username)
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(site.url + "/")

    return do
