"""The numbering service: gapless and unique, also under many parallel requests."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import select

from core.numbering import next_number, next_value
from core.testing import HttpSession


def test_numbers_count_per_estate_and_year(app, db, estates):
    e1, e2 = estates
    assert next_number("BX", e1) == f"BX-E01-{date.today().year}-000001"
    assert next_number("BX", e1) == f"BX-E01-{date.today().year}-000002"
    assert next_number("BX", e2) == f"BX-E02-{date.today().year}-000001"
    assert next_number("BX", None, per_year=False, width=4) == "BX-0001"
    db.session.commit()


def test_a_rolled_back_transaction_gives_its_number_back(app, db, estates):
    next_value("SJ", estates[0].id, 2026)
    db.session.commit()
    assert next_value("SJ", estates[0].id, 2026) == 2
    db.session.rollback()
    assert next_value("SJ", estates[0].id, 2026) == 2


def test_gap_tolerant_numbers_are_taken_outside_the_transaction(app, db, estates):
    assert next_value("TMP", estates[0].id, 2026, gapless=False) == 1
    db.session.rollback()
    assert next_value("TMP", estates[0].id, 2026, gapless=False) == 2


@pytest.mark.slow
def test_many_parallel_publications_get_unique_gapless_numbers(live_server, estates, make_user, db):
    """40 notices published at once by 8 clients: numbers 1..40, no duplicate, no gap."""
    from plugins.notices import services
    from plugins.notices.models import Notice

    user = make_user("manager", [estates[0]], username="parallel")
    ids = []
    for i in range(40):
        n = services.save_draft(user, None, estate_id=estates[0].id, title=f"Notice {i}", body="text",
                                category="general", buildings="", posted_from=date(2026, 1, 1),
                                posted_until=None)
        db.session.flush()
        ids.append(n.id)
    db.session.commit()
    server = live_server()
    sessions = [HttpSession(server.url).login("parallel") for _ in range(8)]

    def publish(i):
        return sessions[i % 8].request("POST", f"/notices/{ids[i]}/publish")[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(publish, range(40)))
    assert statuses == [302] * 40
    db.session.expire_all()
    numbers = db.session.scalars(select(Notice.number).where(Notice.id.in_(ids))).all()
    seq = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seq == list(range(1, 41))


def test_each_kind_of_paper_form_numbers_under_its_own_code():
    """Two plugins taking numbers under one code would share one counter: each plugin's series
    would have gaps and two different forms could carry the same number (the key handover
    once took 'JJ', the daily cash close's code)."""
    import re
    from collections import defaultdict
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    owners = defaultdict(set)
    for path in (root / "plugins").rglob("*.py"):
        for code in re.findall(r'next_number\(\s*"([A-Z]+)"', path.read_text(encoding="utf-8")):
            owners[code].add(path.relative_to(root / "plugins").parts[0])
    assert owners, "no next_number call found"
    shared = {code: sorted(p) for code, p in owners.items() if len(p) > 1}
    assert not shared, f"number codes used by more than one plugin: {shared}"
