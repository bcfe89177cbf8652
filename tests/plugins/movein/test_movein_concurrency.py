"""One open case per unit under load: two clerks open a case for the same unit at the same
moment, through a real threaded server, on SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``).
Exactly one case is made; the other request is refused with the clear translated message and
leaves nothing behind; after the first case is cancelled the unit gets a new one."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.testing import HttpSession
from plugins.movein.models import MoveinCase, MoveinItem

ALREADY = "Unit 1-1-101 already has an open move-in or move-out case"
ONCE_KEY = re.compile(r'name="once_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="once_key"')


def _form(session, estate, owner):
    status, page = session.request("GET", "/movein/new")
    assert status == 200, status
    found = ONCE_KEY.search(page)
    assert found, "no once_key on the form"
    return {"once_key": found.group(1) or found.group(2), "estate_id": str(estate.id), "kind": "in",
            "unit_number": "1-1-101", "owner_name": owner, "owner_phone": "13812345678",
            "owner_id_number": "", "note": ""}


def _race(sessions, forms):
    start = threading.Barrier(len(sessions))

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", "/movein/new", forms[i])
        return status, ALREADY in body

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        return list(pool.map(go, range(len(sessions))))


def test_two_clerks_opening_a_case_for_one_unit_at_once_make_one(live_server, db, staff):
    server = live_server(plugins=["movein"])
    sessions = [HttpSession(server.url).login(u) for u in (staff.clerk.username, staff.desk.username)]
    forms = [_form(s, staff.e1, f"业主{i}") for i, s in enumerate(sessions)]
    results = _race(sessions, forms)
    assert sorted(s for s, _ in results) == [302, 422], results
    assert all(already for s, already in results if s == 422), results
    db.session.rollback()  # see what the server committed
    cases = db.session.scalars(select(MoveinCase)).all()
    assert len(cases) == 1 and cases[0].state == "open"
    winner = next(i for i, (s, _) in enumerate(results) if s == 302)
    assert cases[0].owner_name == f"业主{winner}"
    # The loser left no checklist behind: only the winner's items exist.
    assert db.session.scalar(select(func.count()).select_from(MoveinItem)) == len(cases[0].items)
    assert {i.case_id for i in db.session.scalars(select(MoveinItem))} == {cases[0].id}
    # Cancelled, the unit is free again: the next race again lets exactly one through.
    status, _ = sessions[0].request("POST", f"/movein/{cases[0].id}/cancel", {"reason": "业主改期交房"})
    assert status == 302
    forms = [_form(s, staff.e1, f"第二轮{i}") for i, s in enumerate(sessions)]
    results = _race(sessions, forms)
    assert sorted(s for s, _ in results) == [302, 422], results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MoveinCase).where(MoveinCase.state == "open")) == 1
    assert db.session.scalar(select(func.count()).select_from(MoveinCase)) == 2
