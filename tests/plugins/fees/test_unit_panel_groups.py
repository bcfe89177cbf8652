"""The fees panel of the unit page (issue 15): open bills grouped by fee item with subtotals,
the item owing the oldest overdue bill first, an item with many bills folded to its count."""

from __future__ import annotations

import re
from datetime import timedelta

from core.i18n import today_local
from plugins.fees.periods import add_months
from tests.plugins.fees.test_arrears_kit import (  # noqa: F401
    login,
    make_bill,
    make_item,
    staff_fixture,
    unit_of,
)


def _groups(panel: str) -> list[tuple[str, bool, str]]:
    """(item code, open?, the group's HTML) in page order."""
    found = re.findall(r'<details class="fees-item-group[^"]*" data-item="([^"]+)"( open)?>(.*?)</details>', panel, re.S)
    return [(code, bool(opened), html) for code, opened, html in found]


def test_bills_are_grouped_by_item_oldest_overdue_first_long_ones_folded(client, db, staff):
    e1 = staff.e1
    today = today_local()
    month = today.replace(day=1)
    unit = unit_of(db, e1, "1-1-101")
    psf = make_item(db, e1, "PSF", "物业服务费", sequence=10)
    water = make_item(db, e1, "WATER", "水费", kind="meter", sequence=20)
    park = make_item(db, e1, "PARK", "停车费", sequence=30)
    # Property fee: five months, the oldest due 10 days ago; water: two bills, one due 100 days ago;
    # parking: one bill not due yet.
    for n in range(5):
        make_bill(db, unit, psf, add_months(month, -n), "100.00", due=today - timedelta(days=10) + timedelta(days=30 * (4 - n)))
    make_bill(db, unit, water, add_months(month, -4), "30.00", due=today - timedelta(days=100))
    make_bill(db, unit, water, add_months(month, -1), "45.50", due=today + timedelta(days=5), paid="5.50")
    make_bill(db, unit, park, month, "300.00", due=today + timedelta(days=20))
    db.session.commit()
    login(client, staff.cashier)
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    panel = page[page.find('data-slot="fees-unit"'):]
    groups = _groups(panel)
    assert [code for code, _o, _h in groups] == ["WATER", "PSF", "PARK"]  # by each item's oldest due date
    water_html, psf_html, park_html = (h for _c, _o, h in groups)
    assert "2 bills" in water_html and "¥70.00" in water_html and "¥30.00 overdue" in water_html
    assert "5 bills" in psf_html and "¥500.00" in psf_html and "¥100.00 overdue" in psf_html
    assert "1 bill" in park_html and "overdue" not in park_html.split("</summary>")[0]
    assert [opened for _c, opened, _h in groups] == [True, False, True]  # five bills fold to their count
    # Within an item, oldest due first.
    dues = re.findall(r"<tr class=\"[^\"]*\"><td[^>]*>(\d{4}-\d{2})</td>", psf_html)
    assert dues == sorted(dues) and len(dues) == 5


def test_nothing_owed_says_so(client, db, staff):
    login(client, staff.cashier)
    page = client.get(f"/estates/units/{unit_of(db, staff.e1, '1-1-102').id}").get_data(as_text=True)
    panel = page[page.find('data-slot="fees-unit"'):]
    assert "Nothing is owed." in panel and "fees-item-group" not in panel
