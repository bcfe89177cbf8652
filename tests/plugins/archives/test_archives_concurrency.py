"""Many archivists hand out the same file at the same moment (each on its own approved request),
through a real server, on SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``): exactly one
hand-out is made, every other request is refused with the clear message, and the file has one
open loan — the partial unique index ``uq_archives_loan_out_file`` decides."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.testing import HttpSession
from plugins.archives.models import ArchiveLoan

ALREADY_OUT = "File A-1 is already out"
CLIENTS = 12


def test_many_clients_handing_out_one_file_at_once_make_one_loan(live_server, db, staff, make_file, approved):
    row = make_file("A-1")
    loans = [approved(row).id for _ in range(CLIENTS)]  # ids: the threads have no app context
    server = live_server()
    archivists = (staff.archivist.username, staff.archivist2.username, staff.sup.username)
    sessions = [HttpSession(server.url).login(archivists[i % 3]) for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", f"/archives/loans/{loans[i]}/hand-out", {})
        return status, ALREADY_OUT in body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 1, results
    assert all(s == 422 and out for s, out in results if s != 302), results
    db.session.rollback()  # see what the server committed
    out = db.session.scalars(select(ArchiveLoan).where(ArchiveLoan.state == "out")).all()
    winner = next(i for i, (s, _) in enumerate(results) if s == 302)
    assert [loan.id for loan in out] == [loans[winner]]
    assert db.session.scalar(select(func.count()).select_from(ArchiveLoan)
                             .where(ArchiveLoan.state == "approved")) == CLIENTS - 1
    # After the return, the next race again lets exactly one through.
    status, _ = sessions[0].request("POST", f"/archives/loans/{loans[winner]}/return", {"ret-note": ""})
    assert status == 302
    loans = [loan for i, loan in enumerate(loans) if i != winner]
    start = threading.Barrier(len(loans))

    def again(i):
        start.wait(30)
        status, body = sessions[i].request("POST", f"/archives/loans/{loans[i]}/hand-out", {})
        return status, ALREADY_OUT in body

    with ThreadPoolExecutor(max_workers=len(loans)) as pool:
        results = list(pool.map(again, range(len(loans))))
    assert sum(1 for s, _ in results if s == 302) == 1, results
    assert all(s == 422 and out for s, out in results if s != 302), results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ArchiveLoan).where(ArchiveLoan.state == "out")) == 1
    assert db.session.scalar(select(func.count()).select_from(ArchiveLoan)
                             .where(ArchiveLoan.state == "returned")) == 1
