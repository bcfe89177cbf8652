"""The loan register and its printed month at a laptop's 1366 px and a phone's 390 px (issue 11):
no column is cut off at 1366 px, a phone shows the columns that matter first; the printed tag
sheet keeps every label whole on its A4 page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: The right edge of the last visible header cell, of the table's scrolling box and the window.
LAST_COLUMN = """(sel) => {
  const table = document.querySelector(sel);
  const box = table.closest('.table-responsive') || table.parentElement;
  const heads = [...table.querySelectorAll('tr:first-child th')].filter(th => th.getClientRects().length);
  const last = heads[heads.length - 1].getBoundingClientRect();
  return {last: last.right, box: box.getBoundingClientRect().right, viewport: window.innerWidth,
          scroll: box.scrollWidth, client: box.clientWidth, heads: heads.map(th => th.innerText.trim()), widths: heads.map(th => Math.round(th.getBoundingClientRect().width)), left: box.getBoundingClientRect().left};
}"""


@pytest.fixture
def loans(site, estates, make_user, db):
    """Thirty keys out in E01 with long names and reasons, a few of them overdue, some returned."""
    from core.audit import acting_as
    from core.models import User, utcnow
    from plugins.keys import services

    sup = db.session.query(User).filter_by(username="supervisor").one()
    keeper = db.session.query(User).filter_by(username="clerk").one()
    now = utcnow()
    with acting_as(sup):
        services.designate_keeper(sup, estate_id=estates[0].id, user_id=keeper.id)
        keys = [services.add_key(sup, estate_id=estates[0].id, kind="equipment_room", tag=f"SB-{n:03d}",
                                 location=f"地下二层{n}号生活水泵房及消防稳压设备间", position=f"A-{n:02d}")
                for n in range(1, 31)]
        db.session.commit()
    with acting_as(keeper):
        for n, key in enumerate(keys):
            loan = services.lend(keeper, key, borrower_kind="contractor", borrower_name=f"上海某某机电设备安装工程有限公司 张{n}",
                                 borrower_phone="13900001111", reason_kind="inspection",
                                 reason="季度消防设施联动测试及水泵房设备例行保养检查", lent_at=now - timedelta(hours=30 - n),
                                 expected_return=now - timedelta(hours=20 - n) if n < 5 else now + timedelta(hours=n))
            if n % 3 == 0:
                db.session.flush()
                services.take_back(keeper, loan, condition="good", returned_at=now - timedelta(minutes=10))
        db.session.commit()
    return keys


def test_no_column_of_the_loan_register_is_cut_off_at_1366_px(page, loans, login, shot):
    login("clerk")
    for url in ("/keys/loans", "/keys/loans?scope=all"):
        page.goto(page.url.rstrip("/") .rsplit("/keys", 1)[0] + url)
        expect(page.locator("table.list-table tbody tr").first).to_be_visible()
        m = page.evaluate(LAST_COLUMN, "table.list-table")
        assert m["last"] <= m["box"] + 1 and m["box"] <= m["viewport"] and m["scroll"] <= m["client"] + 1, (url, m)
    shot("keys-loans-1366")


def test_a_phone_shows_the_columns_that_matter_first(page, loans, login, shot):
    login("clerk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url.rstrip("/") + "/keys/loans?scope=all")
    expect(page.locator("table.list-table tbody tr").first).to_be_visible()
    m = page.evaluate(LAST_COLUMN, "table.list-table")
    assert m["heads"] == ["Tag number", "Borrower", "Expected return", "State"], m  # the rest hidden
    assert m["last"] <= m["viewport"] + 1, m  # all four in view without scrolling sideways
    shot("keys-loans-390")


def test_the_printed_month_is_not_cut_off_at_1366_px(page, loans, login, shot):
    login("clerk")
    page.goto(page.url.rstrip("/") + "/keys/loans/print")
    m = page.evaluate(LAST_COLUMN, "table.loan-register")
    assert m["last"] <= m["viewport"] and m["scroll"] <= m["client"] + 1, m
    assert "Condition" == m["heads"][-1]
    shot("keys-loans-print-1366")


def test_the_tag_sheet_prints_whole_labels_32_to_an_a4_page(page, site, estates, login, db, tmp_path):
    import re

    from core.audit import acting_as
    from core.models import User
    from plugins.keys import services

    sup = db.session.query(User).filter_by(username="supervisor").one()
    with acting_as(sup):
        for n in range(1, 71):
            services.add_key(sup, estate_id=estates[0].id, kind="meter_box", tag=f"MB-{n:03d}",
                             location=f"{n}号楼电表箱（地下一层配电间东侧）", position=f"M-{n:02d}")
        db.session.commit()
    login("supervisor")
    page.goto(page.url.rstrip("/") + "/keys/tags/print")
    expect(page.locator(".key-tag-label svg.key-qr")).to_have_count(70)
    page.emulate_media(media="print")
    mm = page.evaluate("""() => {
      const ruler = document.createElement('div'); ruler.style.height = '100mm'; document.body.append(ruler);
      const px = ruler.getBoundingClientRect().height / 100; ruler.remove();
      const sheets = [...document.querySelectorAll('.tag-sheet')];
      return {sheets: sheets.map(s => [s.children.length, s.getBoundingClientRect().height / px,
                                       getComputedStyle(s).breakAfter]),
              labels: [...new Set([...document.querySelectorAll('.key-tag-label')]
                                  .map(l => Math.round(l.getBoundingClientRect().height / px * 10) / 10))],
              header: document.querySelector('.form-header').getBoundingClientRect().bottom / px};
    }""")
    assert [n for n, _h, _b in mm["sheets"]] == [32, 32, 6]
    assert [b for _n, _h, b in mm["sheets"]] == ["page", "page", "auto"]
    assert mm["labels"] == [28.0]  # long texts do not make a label taller
    # A4 is 297 mm, 15 mm margins: 267 mm for the first sheet under the header, and for each later one.
    assert all(h <= 224.5 for _n, h, _b in mm["sheets"]) and mm["header"] + 224.5 <= 267, mm
    pdf = page.pdf(format="A4", print_background=True)
    (tmp_path / "tags.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 3  # one page per sheet, nothing spilled over
