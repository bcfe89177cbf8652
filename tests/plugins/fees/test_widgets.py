"""Dashboard widgets (collection rate trend against the target, arrears by age) and the unit
panel (balance, open bills with the overdue marked, receipts, last reminder)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from core.i18n import today_local
from core.settings import save_settings
from plugins.fees.models import Deposit, Reminder
from plugins.fees.periods import add_months
from tests.plugins.fees.test_arrears_kit import (  # noqa: F401
    at,
    login,
    make_bill,
    make_item,
    pay,
    staff_fixture,
    unit_of,
)


@pytest.fixture
def recent(app, db, staff):
    """This month and last month in E01: billed 1,000.00 and 400.00; 250.00 and 400.00 paid."""
    e1 = staff.e1
    today = today_local()
    this, last = today.replace(day=1), add_months(today.replace(day=1), -1)
    psf = make_item(db, e1)
    a, b = unit_of(db, e1, "1-1-101"), unit_of(db, e1, "1-1-102")
    make_bill(db, a, psf, this, "600.00", due=this + timedelta(days=40))
    make_bill(db, b, psf, this, "400.00", due=this + timedelta(days=40), paid="250.00")
    old = make_bill(db, a, psf, last, "400.00", due=last - timedelta(days=100))
    make_bill(db, unit_of(db, e1, "3-2-1201"), psf, last, "0.50", due=today - timedelta(days=400))
    db.session.commit()
    pay(db, e1, a, staff.cashier, "500.00", [(old, "400.00")], "cash", today - timedelta(days=2), prepay=True)
    db.session.add(Deposit(estate_id=e1.id, unit_id=a.id, item_id=psf.id, amount=Decimal("2000.00")))
    db.session.add(Reminder(estate_id=e1.id, unit_id=b.id, method="phone", owed=Decimal("150.00"),
                            sent_at=at(today - timedelta(days=3)), response="下周来交"))
    save_settings("fees", {"collection_target": 90}, e1.id)
    db.session.commit()
    return {"a": a, "b": b}


def _widget(page: str, code: str) -> str:
    start = page.find(f'data-widget="{code}"')
    assert start >= 0, f"widget {code} missing"
    return page[start:page.find("</section>", start)]


def test_dashboard_shows_the_collection_trend_and_arrears(client, db, staff, recent):
    login(client, staff.manager)
    page = client.get("/").get_data(as_text=True)
    trend = _widget(page, "fees-collection")
    assert "25.0 %" in trend and "90.0 %" in trend  # this month 250/1000; the target of the estate
    datasets = json.loads(re.search(r"data-datasets='([^']*)'", trend).group(1).replace("&#34;", '"'))
    assert datasets[0]["data"][-2:] == ["99.9", "25.0"]  # last month 400.00 of 400.50 and datasets[1]["data"][-1] == "90.0"
    assert datasets[0]["data"][0] is None  # no bill six months ago: a gap, not zero
    aged = _widget(page, "fees-arrears")
    assert "¥0.50" in aged and "1 unit in arrears" in aged  # 1-1-102's bill is not due yet


def test_widgets_follow_the_permissions(client, db, staff, recent):
    login(client, staff.clerk)  # chases arrears, no reports
    page = client.get("/").get_data(as_text=True)
    assert 'data-widget="fees-arrears"' in page and 'data-widget="fees-collection"' not in page
    login(client, staff.front)
    page = client.get("/").get_data(as_text=True)
    assert "fees-arrears" not in page and "fees-collection" not in page
    login(client, staff.manager_e2)  # another estate's figures only
    page = client.get("/").get_data(as_text=True)
    assert "¥0.50" not in page and "25.0 %" not in page


def test_unit_panel_shows_balance_bills_receipts_and_reminder(client, db, staff, recent):
    login(client, staff.cashier)
    page = client.get(f"/estates/units/{recent['b'].id}").get_data(as_text=True)
    panel = page[page.find('data-slot="fees-unit"'):]
    assert "¥150.00" in panel and "下周来交" in panel and "Telephone call" in panel
    assert "Overdue" not in panel.split("fees-last-reminder")[0]  # its bill is not due yet
    page = client.get(f"/estates/units/{recent['a'].id}").get_data(as_text=True)
    panel = page[page.find('data-slot="fees-unit"'):]
    assert "¥600.00" in panel and "¥100.00" in panel and "¥2,000.00" in panel  # owed, credit, deposit
    assert "SJ-E01-" in panel and "never" in panel
    assert f'href="/fees/desk/units/{recent["a"].id}"' in panel  # the cashier goes to the desk from here
    login(client, staff.clerk)
    page = client.get(f"/estates/units/{unit_of(db, staff.e1, '3-2-1201').id}").get_data(as_text=True)
    panel = page[page.find('data-slot="fees-unit"'):]
    assert "¥0.50" in panel and "badge text-bg-danger" in panel  # the overdue bill is marked
    assert f"/fees/arrears/units/{unit_of(db, staff.e1, '3-2-1201').id}" in panel
    assert "/fees/desk/units/" not in panel  # a clerk does not take payments
