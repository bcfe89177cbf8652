"""Two front desks record an application for the same unit at the same moment, through a real
server, on SQLite and PostgreSQL (``PROPDESK_TEST_DB=postgres``): exactly one is saved, the
other desk is told, in Chinese, that the unit already has an open application — the partial
unique index ``uq_decoration_open_unit`` decides. Three rounds, one unit each."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from core.models import Unit, User
from core.testing import HttpSession
from plugins.decoration.models import Application
from tests.plugins.decoration.conftest import form_data

UNITS = ("1-1-101", "1-1-102", "3-2-1201")


def test_two_desks_applying_for_one_unit_at_once_save_one_application(live_server, db, staff):
    db.session.execute(update(User).where(User.id.in_([staff.desk.id, staff.clerk.id])).values(locale="zh_CN"))
    db.session.commit()
    server = live_server()
    sessions = [HttpSession(server.url).login(u) for u in (staff.desk.username, staff.clerk.username)]
    for unit in UNITS:
        forms = [form_data(staff.e1, unit_number=unit, applicant_name=f"申请人{i}", contractor=f"装饰公司{i}")
                 for i in range(2)]
        start = threading.Barrier(2)

        def go(i, forms=forms, start=start):
            start.wait(30)
            return sessions[i].request("POST", "/decoration/new", forms[i])

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(go, range(2)))
        statuses = sorted(status for status, _ in results)
        assert statuses == [302, 422], (unit, statuses)
        loser = next(body for status, body in results if status == 422)
        assert f"房屋 {unit} 已有未结束的装修申请" in loser, loser[:2000]
        winner = next(i for i, (status, _) in enumerate(results) if status == 302)
        db.session.rollback()  # see what the server committed
        unit_id = db.session.scalar(select(Unit.id).where(Unit.estate_id == staff.e1.id, Unit.number == unit))
        saved = db.session.scalars(select(Application).where(Application.unit_id == unit_id)).all()
        assert [(a.applicant_name, a.contractor, a.state) for a in saved] == [
            (f"申请人{winner}", f"装饰公司{winner}", "submitted")]
    # Three units, three applications, numbered without a gap.
    numbers = sorted(db.session.scalars(select(Application.number)))
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
