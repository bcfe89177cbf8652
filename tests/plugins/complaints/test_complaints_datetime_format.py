"""One date-time format: the flash after recording a complaint ("forward it by …") and the
complaint's page show the deadline alike, in English and in Chinese (core.i18n.DATETIME_FORMAT)."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.plugins("complaints")


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_flash_and_the_page_show_the_deadline_in_the_same_format(client, login_as, db, estates, depts, clock,
                                                                   locale):
    from plugins.complaints.models import Complaint

    clock.move_to(datetime(2026, 3, 5, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    login_as("clerk", estates=[estates[0]], locale=locale)
    resp = client.post("/complaints/new", data={
        "estate_id": estates[0].id, "received_at": "2026-03-05T08:40", "channel": "phone",
        "unit_number": "3-2-1201", "contact_name": "王建国", "contact_phone": "139 1234 5678",
        "category": "noise", "content": "楼上深夜装修噪音", "kind": "venting", "severity": "normal"},
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    c = db.session.scalar(select(Complaint))
    flash = re.search(r'<div class="alert alert-success[^>]*>(.*?)</div>', html, re.S).group(1)
    shown = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", flash)
    assert shown == ["2026-03-05 10:40"], flash  # received 08:40, forwarded within 2 hours
    assert c.number in flash
    assert f"{shown[0]}</dd>" in html or f"{shown[0]} ·" in html  # the page's "Forward by"
    # No locale's short format anywhere on the page (3/5/26, 5:30 PM); random tokens may hold "PM".
    assert not re.search(r"\d{1,2}:\d{2}\s?(AM|PM)\b|\d{1,2}/\d{1,2}/26\b", html), html
