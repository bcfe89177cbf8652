"""Many guards mark the same goods-out pass used at the same moment, through a real server, on
SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``): exactly one mark is made, every other
request is refused with the clear message."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from core.testing import HttpSession
from plugins.frontdesk.models import GoodsPass, GoodsPassUse

CLIENTS = 12


def test_many_guards_marking_one_pass_at_once_make_one_use(live_server, db, staff, make_pass):
    row = make_pass(approve=True)
    number = row.number
    server = live_server()
    guards = (staff.desk.username, staff.desk2.username, staff.sup.username)
    sessions = [HttpSession(server.url).login(guards[i % 3]) for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", "/frontdesk/gate", {
            "estate_id": str(staff.e1.id), "number": number, "gate": f"门{i}", "note": ""})
        return status, f"Pass {number} has already been used" in body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 1, results
    assert all(s == 422 and used for s, used in results if s != 302), results
    db.session.rollback()  # see what the server committed
    uses = db.session.scalars(select(GoodsPassUse)).all()
    winner = next(i for i, (s, _) in enumerate(results) if s == 302)
    assert len(uses) == 1 and uses[0].pass_id == row.id and uses[0].gate == f"门{winner}"
    assert db.session.get(GoodsPass, row.id).state == "used"
