"""The pages a front desk uses every day whose tables are written by hand (not ``ListPage``):
the unit page, a resident, the cashier desk, a visit and its batch, a key, a repair, the
front-desk lists — as the administrator in Chinese with the Chinese demo data, at a laptop's
1366 px and a phone's 390 px (issue 15):

- 1366 px: every table's last column is inside its box and the window;
- 390 px: the page never scrolls sideways, and the columns that matter (number, unit, state,
  due — ``th[data-col]``, as the list macro marks them) are all in the window;
- at both widths a case number (``BX-20261202-0001``) stays on one line, never broken at its
  hyphens; no header, badge or button stands one character a line, and no short Chinese word
  in a cell (已关闭) is broken over two lines.

The dashboard, the repairs list and the new repair form are walked too (the page never scrolls
sideways); ``PROPDESK_SCREENSHOTS`` keeps a screenshot of every page at both widths.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.test_list_layout import MATTER

pytestmark = pytest.mark.browser

MEASURE = """(wanted) => {
  // The lines an element's text takes: the tops of its text's boxes (not of the boxes of the
  // elements inside, a label or a button, whose edges lie a pixel or two off the text's).
  const lines = (el) => {
    const tops = new Set();
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top / 4));
    }
    return tops;
  };
  const tables = [];
  for (const table of document.querySelectorAll('main table.table')) {
    if (!table.getClientRects().length) continue;
    const box = table.closest('.table-responsive') || table.parentElement;
    const heads = [...table.querySelectorAll('tr:first-child > th, tr:first-child > td')]
      .filter(c => c.getClientRects().length);
    if (!heads.length) continue;
    const b = box.getBoundingClientRect();
    tables.push({cls: table.className, last: Math.round(heads[heads.length - 1].getBoundingClientRect().right),
                 box: Math.round(b.right), scroll: box.scrollWidth, client: box.clientWidth,
                 matter: heads.filter(c => wanted.includes(c.dataset.col))
                              .map(c => [c.dataset.col, Math.round(c.getBoundingClientRect().right)])});
  }
  // Case numbers broken over lines: a cell's code-like text (letters, digits and hyphens) on
  // more than one line.
  const wrapped = [];
  for (const el of document.querySelectorAll('main table td a, main table td')) {
    const text = el.innerText.trim();
    if (!/^[A-Z]{1,4}[A-Z0-9]*-[0-9A-Z-]{6,}$/.test(text) || !el.getClientRects().length) continue;
    const tops = lines(el);
    if (tops.size > 1) wrapped.push(text);
  }
  const broken = [];
  for (const el of document.querySelectorAll('main table th, main table .badge, main table .btn, h1 .btn')) {
    const text = el.innerText.trim();
    if (text.length < 2 || /\\s/.test(text) || !el.getClientRects().length) continue;
    const tops = lines(el);
    if (tops.size > 1 && tops.size >= text.length) broken.push(text);
  }
  // A short Chinese word in a cell (two to four characters, 已关闭, 给水) broken over lines.
  for (const el of document.querySelectorAll('main table td')) {
    const text = el.innerText.trim();
    if (!/^[\u4e00-\u9fff]{2,4}$/.test(text) || !el.getClientRects().length) continue;
    const tops = lines(el);
    if (tops.size > 1) broken.push(text);
  }
  return {tables, wrapped, broken, viewport: window.innerWidth,
          page: document.scrollingElement.scrollWidth};
}"""


@pytest.fixture
def zh_demo(live_server):
    """The app with the Chinese demo data of ``make run``; its administrator reads Chinese."""
    server = live_server(WTF_CSRF_ENABLED=True, BABEL_DEFAULT_LOCALE="zh_CN")
    with server.app.app_context():
        from core.demo import load_demo
        from core.extensions import db
        from core.models import User

        assert load_demo()
        db.session.query(User).filter_by(username="admin").one().locale = "zh_CN"
        db.session.commit()
    return server


def daily_urls(app) -> list[str]:
    """The daily pages of the demo's first estate that show the most: the unit owing the most
    bills, its first resident, a visit, a batch, a key out on loan, a repair with work orders."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Occupancy
    from plugins.fees.models import Bill
    from plugins.keys.models import KeyLoan
    from plugins.repairs.models import Repair, WorkOrder
    from plugins.visits.models import ReturnVisit, VisitBatch

    with app.app_context():
        unit = db.session.scalar(select(Bill.unit_id).where(Bill.state.in_(("open", "partial")))
                                 .group_by(Bill.unit_id).order_by(func.count().desc(), Bill.unit_id).limit(1))
        resident = db.session.scalar(select(Occupancy.resident_id).order_by(Occupancy.id).limit(1))
        visit = db.session.scalar(select(ReturnVisit.id).order_by(ReturnVisit.id).limit(1))
        batch = db.session.scalar(select(VisitBatch.id).order_by(VisitBatch.id).limit(1))
        key = db.session.scalar(select(KeyLoan.key_id).order_by(KeyLoan.id).limit(1))
        repair = db.session.scalar(select(WorkOrder.repair_id).join(Repair).order_by(WorkOrder.id).limit(1))
    urls = ["/", "/repairs/", "/repairs/new", f"/estates/units/{unit}", f"/residents/{resident}", "/fees/desk", f"/fees/desk/units/{unit}",
            f"/fees/arrears/units/{unit}", "/visits/", f"/visits/{visit}", "/visits/visitors", "/keys/",
            f"/keys/{key}", "/keys/approvals", "/keys/keepers", "/keys/loans", f"/repairs/{repair}",
            "/frontdesk/", "/frontdesk/log", "/frontdesk/parcels", "/frontdesk/visitors", "/frontdesk/passes",
            "/frontdesk/enquiries"]
    if batch:
        urls.append(f"/visits/batches/{batch}")
    return urls


def test_the_daily_pages_fit_a_laptop_and_a_phone(page, zh_demo, shot):
    from core.demo import DEMO_PASSWORD

    base = zh_demo.url
    page.goto(base + "/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    folder = os.environ.get("PROPDESK_SCREENSHOTS")
    failures, measured = [], 0
    for url in daily_urls(zh_demo.app):
        page.set_viewport_size({"width": 1366, "height": 900})
        resp = page.goto(base + url)
        assert resp is not None and resp.status == 200, url
        m = page.evaluate(MEASURE, list(MATTER))
        measured += len(m["tables"])
        for t in m["tables"]:
            if not (t["last"] <= t["box"] + 1 and t["box"] <= m["viewport"] and t["scroll"] <= t["client"] + 1):
                failures.append(("1366: last column cut off", url, t))
        if m["page"] > m["viewport"] + 1:
            failures.append(("1366: the page scrolls sideways", url, m["page"]))
        if m["wrapped"] or m["broken"]:
            failures.append(("1366: broken words", url, m["wrapped"], m["broken"]))
        if folder:
            shot("daily-1366" + url.replace("/", "-"))
        page.set_viewport_size({"width": 390, "height": 844})
        # As a phone opens it: charts drawn at 1366 px resize a frame or more after the window
        # shrinks, so a page measured right after the resize can still be as wide as before.
        page.reload()
        m = page.evaluate(MEASURE, list(MATTER))
        if m["page"] > m["viewport"] + 1:
            failures.append(("390: the page scrolls sideways", url, m["page"]))
        for t in m["tables"]:
            out = [col for col, right in t["matter"] if right > m["viewport"] + 1]
            if out:
                failures.append(("390: beyond the window", url, out, t))
        if m["wrapped"] or m["broken"]:
            failures.append(("390: broken words", url, m["wrapped"], m["broken"]))
        if folder:
            shot("daily-390" + url.replace("/", "-"))
    assert measured > 20
    assert not failures, "\n".join(map(repr, failures))


ID_LINES = """() => {
  const out = {};
  for (const sel of ['.resident-facts .id-number', '.resident-facts .phone']) {
    const el = document.querySelector(sel);
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    const card = el.closest('.card').getBoundingClientRect();
    out[sel] = {text: el.innerText.trim(), lines: new Set(rects.map(r => Math.round(r.top / 4))).size,
                right: Math.round(Math.max(...rects.map(r => r.right))), card: Math.round(card.right)};
  }
  return {facts: out, page: document.scrollingElement.scrollWidth, viewport: window.innerWidth};
}"""


def test_a_resident_s_id_number_and_phone_stay_whole_on_a_phone(page, zh_demo, shot):
    """At 390 px the ID number's last character stood alone on a line: the number and the
    phone are never broken — beside their label when they fit, whole below it when not."""
    from sqlalchemy import select

    from core.demo import DEMO_PASSWORD
    from core.extensions import db
    from core.models import Occupancy, Resident

    with zh_demo.app.app_context():
        rid = db.session.scalar(select(Occupancy.resident_id).order_by(Occupancy.id).limit(1))
        person = db.session.get(Resident, rid)
        person.id_number, person.phone = "11010519491231002X", "13912345678"
        db.session.commit()
    base = zh_demo.url
    page.goto(base + "/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    failures = []
    for width in (390, 1000, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/residents/{rid}")
        m = page.evaluate(ID_LINES)
        for sel, f in m["facts"].items():
            if f["lines"] != 1 or f["right"] > f["card"]:
                failures.append((width, sel, f))
        if m["page"] > m["viewport"] + 1:
            failures.append((width, "the page scrolls sideways", m["page"]))
        if os.environ.get("PROPDESK_SCREENSHOTS"):
            shot(f"resident-id-{width}")
    assert m["facts"][".resident-facts .id-number"]["text"] == "11010519491231002X"
    assert not failures, failures
