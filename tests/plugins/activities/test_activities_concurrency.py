"""Many clerks sign residents up for the last places at the same moment, through a real server,
on SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``): never more sign-ups than places; every
other request is refused with the clear message."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.audit import acting_as
from core.models import Resident
from core.testing import HttpSession
from plugins.activities.models import Activity, Signup

CLIENTS = 8
FULL = "The activity is full: all 3 places are taken."


def test_parallel_sign_ups_never_overbook(live_server, db, staff, make_activity):
    a = make_activity("approved", capacity=3)
    with acting_as(staff.clerk):
        extra = [Resident(estate_id=staff.e1.id, name=f"居民{i}", phone=f"1390000{i:04d}") for i in range(CLIENTS)]
        db.session.add_all(extra)
        db.session.commit()
    ids = [r.id for r in extra]
    url = f"/activities/{a.id}/signups"
    server = live_server()
    users = (staff.clerk.username, staff.desk.username)
    sessions = [HttpSession(server.url).login(users[i % 2]) for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", url, {"signup-resident_id": str(ids[i])})
        return status, FULL in body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 3, results
    assert all(s == 422 and full for s, full in results if s != 302), results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Signup).where(Signup.activity_id == a.id)) == 3
    assert db.session.get(Activity, a.id).signed_up == 3


def test_the_same_resident_twice_at_once_signs_up_once(live_server, db, staff, make_activity):
    a = make_activity("approved", capacity=10)
    resident = db.session.scalar(select(Resident).where(Resident.estate_id == staff.e1.id).order_by(Resident.id))
    url, data = f"/activities/{a.id}/signups", {"signup-resident_id": str(resident.id)}
    server = live_server()
    sessions = [HttpSession(server.url).login((staff.clerk.username, staff.desk.username)[i % 2])
                for i in range(4)]
    start = threading.Barrier(4)

    def go(i):
        start.wait(30)
        return sessions[i].request("POST", url, data)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(go, range(4)))
    assert sum(1 for s, _ in results if s == 302) == 1, [s for s, _ in results]
    assert all("has already signed up" in body for s, body in results if s != 302)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 1
    assert db.session.get(Activity, a.id).signed_up == 1
