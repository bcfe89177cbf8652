"""Every list page (each argument-free GET route whose page has the core list table), as the
administrator in Chinese with the demo data, at a laptop's 1366 px and a phone's 390 px (issue 15):

- 1366 px: the last column's right edge is inside the table's box and the window, nothing to
  scroll sideways;
- 390 px: the columns that matter (number, unit, state, due — ``th[data-col]``) are all in the
  window without scrolling sideways;
- at both widths no header cell, state badge or button breaks a word of two or more
  characters into one character per line.

And the unit page of the demo unit owing the most: residents in the left column, bills by fee item.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: The columns a phone must show (Column keys; ``templates/macros/list.html`` writes them as
#: ``th[data-col]``). A list shows those of them it has.
MATTER = ("number", "unit", "state", "due")

MEASURE = """(wanted) => {
  const out = [];
  for (const table of document.querySelectorAll('main table.table')) {
    const box = table.closest('.table-responsive') || table.parentElement;
    const heads = [...table.querySelectorAll('thead th')].filter(th => th.getClientRects().length);
    if (!heads.length) continue;
    const last = heads[heads.length - 1].getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const matter = heads.filter(th => wanted.includes(th.dataset.col))
      .map(th => [th.dataset.col, Math.round(th.getBoundingClientRect().right)]);
    out.push({last: Math.round(last.right), box: Math.round(b.right), scroll: box.scrollWidth,
              client: box.clientWidth, first: Math.round(heads[0].getBoundingClientRect().right), heads: heads.map(th => th.innerText.trim()), matter,
              rows: table.querySelectorAll('tbody tr').length, list: table.classList.contains('list-table')});
  }
  // Words broken one character a line: an element whose text (two characters or more, no
  // space) takes as many lines as it has characters.
  const broken = [];
  for (const el of document.querySelectorAll('main table th, main table .badge, main table .btn, h1 .btn, .list-filters .btn')) {
    const text = el.innerText.trim();
    if (text.length < 2 || /\\s/.test(text) || !el.getClientRects().length) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1 && tops.size >= text.length) broken.push(text);
  }
  // A date broken inside itself (2026年11月 / 19日, Nov 19, / 2026): a list cell's text that is a
  // date alone, on more than one line.
  const dates = [];
  const DATE = /^(\\d{4}年\\d{1,2}月\\d{1,2}日|[A-Z][a-z]{2} \\d{1,2}, \\d{4}|\\d{4}-\\d{2}-\\d{2})$/;
  for (const td of document.querySelectorAll('main table.list-table td')) {
    const text = td.innerText.trim();
    if (!DATE.test(text) || !td.getClientRects().length) continue;
    const range = document.createRange();
    range.selectNodeContents(td);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top / 4)));
    if (tops.size > 1) dates.push(text);
  }
  return {tables: out, broken, dates, viewport: window.innerWidth};
}"""


@pytest.fixture
def demo_site(live_server):
    """The app with the demo data of ``make run``; its administrator reads Chinese."""
    server = live_server(WTF_CSRF_ENABLED=True)
    with server.app.app_context():
        from core.demo import load_demo
        from core.extensions import db
        from core.models import User

        assert load_demo()
        db.session.query(User).filter_by(username="admin").one().locale = "zh_CN"
        db.session.commit()
    return server


def _list_urls(app) -> list[str]:
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.arguments or "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        if any(word in rule.rule for word in ("print", "logout", "export", "/new", "favicon", "caller", "/api/")):
            continue
        urls.append(rule.rule)
    return urls


def test_every_list_fits_a_laptop_and_a_phone(page, demo_site, shot):
    from core.demo import DEMO_PASSWORD

    base = demo_site.url
    page.goto(base + "/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    folder = os.environ.get("PROPDESK_SCREENSHOTS")
    failures, seen = [], []
    for url in _list_urls(demo_site.app):
        page.set_viewport_size({"width": 1366, "height": 900})
        resp = page.goto(base + url)
        if resp is None or resp.status != 200 or "text/html" not in (resp.headers.get("content-type") or ""):
            continue
        m = page.evaluate(MEASURE, list(MATTER))
        if not m["tables"]:
            continue
        seen.append(url)
        for t in m["tables"]:
            if not (t["last"] <= t["box"] + 1 and t["box"] <= m["viewport"] and t["scroll"] <= t["client"] + 1):
                failures.append(("1366: last column cut off", url, t))
        if m["broken"]:
            failures.append(("1366: one character a line", url, m["broken"]))
        if m["dates"]:
            failures.append(("1366: a date broken over lines", url, m["dates"][:3]))
        if folder:
            shot("list-1366" + url.replace("/", "-"))
        page.set_viewport_size({"width": 390, "height": 844})
        m = page.evaluate(MEASURE, list(MATTER))
        for t in m["tables"]:
            if not t["matter"] and t["first"] > m["viewport"] + 1:  # a list of other things: its first column
                failures.append(("390: first column beyond the window", url, t))
            out = [col for col, right in t["matter"] if right > m["viewport"] + 1]
            if out:
                failures.append(("390: beyond the window", url, out, t))
        if m["broken"]:
            failures.append(("390: one character a line", url, m["broken"]))
        if m["dates"]:
            failures.append(("390: a date broken over lines", url, m["dates"][:3]))
        if folder:
            shot("list-390" + url.replace("/", "-"))
    # The lists the issue names are among those measured.
    for url in ("/repairs/", "/complaints/", "/visits/", "/surveys/", "/notices/", "/fees/bills", "/fees/arrears",
                "/fees/receipts", "/fees/readings", "/residents/", "/keys/loans", "/archives/", "/decoration/",
                "/movein/", "/admin/audit"):
        assert url in seen, (url, seen)
    assert not failures, "\n".join(map(repr, failures))


def test_the_unit_page_uses_its_left_column_and_groups_the_bills(page, demo_site, shot):
    """The demo unit owing the most bills: residents under the facts on the left, the fees panel's
    bills by fee item on the right (tests/test_unit_page.py and the fees panel test say what)."""
    from sqlalchemy import func, select

    from core.demo import DEMO_PASSWORD
    from core.extensions import db
    from plugins.fees.models import Bill

    with demo_site.app.app_context():
        unit_id = db.session.scalar(select(Bill.unit_id).where(Bill.state.in_(("open", "partial")))
                                    .group_by(Bill.unit_id).order_by(func.count().desc(), Bill.unit_id).limit(1))
    base = demo_site.url
    page.goto(base + "/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(f"{base}/estates/units/{unit_id}")
    left = page.locator(".col-lg-4").first
    expect(left.locator('[data-slot="core-occupancy"] .occupancy-now li').first).to_be_visible()
    expect(page.locator(".col-lg-8 .fees-item-group").first).to_be_visible()
    box, main = left.bounding_box(), page.locator(".col-lg-8").first.bounding_box()
    assert box["x"] + box["width"] <= main["x"] + 1  # side by side at 1366 px
    shot("unit-1366")
