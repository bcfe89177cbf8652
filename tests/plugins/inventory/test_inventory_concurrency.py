"""Many storekeepers issue the same item at the same moment, through a real server, on SQLite and
PostgreSQL (``PROPDESK_TEST_DB=postgres``): exactly as many issues as there is stock go through,
every other one is refused with the clear message, the stock ends at zero — never below — and
on hand equals the sum of the movements."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from core.audit import acting_as
from core.forms import new_once_key
from core.testing import HttpSession
from plugins.inventory.models import Item, Movement
from tests.plugins.inventory.conftest import D, ledger_matches

CLIENTS = 12
STOCK = 5


def _issue_form(staff, i, quantity="1"):
    return {"issue-once_key": new_once_key(), "issue-quantity": quantity, "issue-work_order_number": "",
            "issue-department_id": str(staff.maint.id), "issue-received_by": f"领用人{i}", "issue-note": ""}


def test_parallel_issues_never_take_more_than_is_on_hand(live_server, db, staff, store, item, make_user):
    tap = item(store(), on_hand=STOCK, cost="9.99")
    url = f"/inventory/items/{tap.id}/issue"  # the threads have no app context
    keepers = [staff.keeper.username, staff.sup.username,
               make_user("clerk", [staff.e1], username="keeper2").username]
    server = live_server()
    sessions = [HttpSession(server.url).login(keepers[i % 3]) for i in range(CLIENTS)]
    forms = [_issue_form(staff, i) for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def go(i):
        start.wait(30)
        status, body = sessions[i].request("POST", url, forms[i])
        return status, "on hand:" in body and "cannot be taken out" in body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == STOCK, results
    assert all(s == 422 and short for s, short in results if s != 302), results
    db.session.rollback()  # see what the server committed
    db.session.expire_all()
    row = db.session.get(Item, tap.id)
    assert (row.on_hand, row.stock_value) == (D(0), D("0.00"))
    issued = db.session.scalars(select(Movement).where(Movement.kind == "issue")).all()
    assert len(issued) == STOCK and sum(m.value for m in issued) == D("-49.95")
    assert sorted(m.on_hand_after for m in issued) == [D(n) for n in range(STOCK)]
    assert ledger_matches(db)
    # A second round on a fresh receipt: the same again, with quantities of two.
    with acting_as(staff.sup):
        from plugins.inventory import services

        services.receive(staff.sup, db.session.get(Item, tap.id), quantity=D(7), unit_cost=D("3.00"), supplier="华信")
        db.session.commit()
    forms = [_issue_form(staff, i, "2") for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(go, range(CLIENTS)))
    assert sum(1 for s, _ in results if s == 302) == 3, results  # 3 × 2 of 7; 1 left
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Item, tap.id).on_hand == Decimal(1)
    assert db.session.scalar(select(func.count()).select_from(Movement).where(Movement.kind == "issue")) == STOCK + 3
    assert ledger_matches(db)


def test_parallel_issues_in_threads_through_the_service(app, db, staff, store, item):
    """The same rule without HTTP: threads with their own session call ``services.issue`` (as a
    job would: inside ``core.db.immediate()``, so SQLite's writers queue)."""
    from core.db import immediate
    from core.extensions import db as ext_db
    from plugins.inventory import services

    tap = item(store(), on_hand=STOCK)
    item_id, user_id, dept = tap.id, staff.keeper.id, staff.maint.id
    start = threading.Barrier(8)

    def go(_i):
        with app.app_context(), immediate():
            from core.models import User

            start.wait(30)
            user = ext_db.session.get(User, user_id)
            try:
                with acting_as(user):
                    services.issue(user, ext_db.session.get(Item, item_id), quantity=D(1), department_id=dept,
                                   received_by="张伟")
                    ext_db.session.commit()
                return "ok"
            except services.DomainError as exc:
                ext_db.session.rollback()
                return exc.message
            finally:
                ext_db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(go, range(8)))
    assert results.count("ok") == STOCK, results
    assert all("cannot be taken out" in r for r in results if r != "ok"), results
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Item, item_id).on_hand == 0
    assert ledger_matches(db)
