"""Many keepers lend the same key at the same moment, through a real server, on SQLite and
PostgreSQL (``PROPDESK_TEST_DB=postgres``): exactly one loan is made, every other request is
refused with the clear message, and the register shows one open loan."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.testing import HttpSession
from plugins.keys.models import KeyLoan
from tests.plugins.keys.conftest import loan_data

ALREADY_OUT = "Key E-001 is already out"
CLIENTS = 12


def test_many_clients_lending_one_key_at_once_make_one_loan(live_server, db, staff, make_key):
    key = make_key("E-001")
    server = live_server()
    keepers = (staff.keeper.username, staff.keeper2.username)
    sessions = [HttpSession(server.url).login(keepers[i % 2]) for i in range(CLIENTS)]
    forms = [loan_data(staff.e1, "E-001", borrower_name=f"借用人{i}") for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", "/keys/lend", forms[i])
        return status, ALREADY_OUT in body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 1, results
    assert all(s == 422 and out for s, out in results if s != 302), results
    db.session.rollback()  # see what the server committed
    loans = db.session.scalars(select(KeyLoan)).all()
    assert len(loans) == 1 and loans[0].key_id == key.id and loans[0].returned_at is None
    winner = next(i for i, (s, _) in enumerate(results) if s == 302)
    assert loans[0].borrower_name == f"借用人{winner}"
    # After the return, the next race again lets exactly one through.
    status, _ = sessions[0].request("POST", "/keys/return", {"estate_id": str(staff.e1.id), "tag": "E-001",
                                                             "condition": "good"})
    assert status == 302
    forms = [loan_data(staff.e1, "E-001", borrower_name=f"第二轮{i}") for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 1, results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(KeyLoan).where(KeyLoan.returned_at.is_(None))) == 1
    assert db.session.scalar(select(func.count()).select_from(KeyLoan)) == 2
