"""The keys plugin's core hooks: unit panel, search, dashboard widget and the overdue job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import Notification, utcnow
from plugins.keys.jobs import notify_overdue
from plugins.keys.models import KeyLoan
from tests.plugins.keys.conftest import login, unit_of


def test_the_unit_page_lists_its_keys_and_where_they_are(client, db, staff, make_key, lend_key):
    door = make_key("H-101-FD", kind="security_door")
    make_key("H-101-XX", kind="mailbox")
    make_key("H-102-FD", kind="security_door", unit_number="1-1-102")
    lend_key(door, reason_kind="decoration", reason="装修单位进场", borrower_name="装修工刘")
    login(client, staff.clerk)
    page = client.get(f"/estates/units/{unit_of(db, staff.e1).id}").get_data(as_text=True)
    panel = page[page.find('data-slot="keys-unit"'):]
    panel = panel[:panel.find("</ul>")]
    assert "H-101-FD" in panel and "H-101-XX" in panel and "H-102-FD" not in panel
    assert "Out to 装修工刘" in panel and "In service" in panel
    login(client, staff.tech)  # no keys.view: no panel
    assert 'data-slot="keys-unit"' not in client.get(f"/estates/units/{unit_of(db, staff.e1).id}").get_data(
        as_text=True)


def test_search_finds_keys_by_tag_and_by_unit_in_own_estates_only(client, db, staff, make_key):
    mine = make_key("H-101-FD", kind="security_door")
    theirs = make_key("H-101-FD", kind="security_door", estate=staff.e2)
    login(client, staff.clerk)
    by_tag = client.get("/search?q=H-101").get_data(as_text=True)
    assert f"/keys/{mine.id}" in by_tag and f"/keys/{theirs.id}" not in by_tag
    by_unit = client.get("/search?q=1-1-101").get_data(as_text=True)
    assert f"/keys/{mine.id}" in by_unit and f"/keys/{theirs.id}" not in by_unit


def test_dashboard_widget_counts_keys_out_and_overdue(client, db, staff, make_key, lend_key, clock):
    lend_key(make_key("E-001"), expected_return=utcnow() + timedelta(hours=1), borrower_name="赵工")
    lend_key(make_key("E-002", location="配电房"), expected_return=utcnow() + timedelta(days=1))
    lend_key(make_key("F-001", estate=staff.e2), user=staff.keeper_e2)
    clock.shift(timedelta(hours=2))
    login(client, staff.clerk)
    page = client.get("/").get_data(as_text=True)
    widget = page[page.find('data-widget="keys-out"'):]
    assert "2 keys out now" in widget and "1 loan overdue" in widget and "赵工" in widget


def test_overdue_loans_are_notified_once_to_the_keeper_and_supervisors(db, staff, make_key, lend_key, clock):
    loan = lend_key(make_key("E-001"), expected_return=utcnow() + timedelta(hours=1))
    lend_key(make_key("E-002", location="配电房"), expected_return=utcnow() + timedelta(days=1))
    assert notify_overdue() == "0 overdue key loans notified"
    clock.shift(timedelta(hours=2))
    assert notify_overdue() == "1 overdue key loans notified"
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id)))
    assert told == {staff.keeper.id, staff.sup.id, staff.sup2.id, staff.manager.id}
    assert all("E-001" in n.title for n in db.session.scalars(select(Notification)))
    assert db.session.get(KeyLoan, loan.id).overdue_notified_at is not None
    assert notify_overdue() == "0 overdue key loans notified"
