"""The keys demo data: a key board with keepers, a history of loans, three out now (one
overdue), an emergency spare lent on a recorded approval, a damaged and re-cut key, a lost one."""

from __future__ import annotations

from sqlalchemy import func, select

from core.testing import make_estate
from plugins.keys import demo, services
from plugins.keys.models import Key, KeyApproval, KeyEvent, KeyKeeper, KeyLoan


def test_demo_key_board(app, db, make_user):
    estate = make_estate("D01", "Demo Garden", units=("1-1-101", "1-1-102", "2-1-201"))
    users = {role: make_user(role, [estate], username=f"d{role}")
             for role in ("manager", "supervisor", "clerk", "frontdesk")}
    demo.load(estate, users)
    db.session.commit()

    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id == estate.id, *where))

    assert n(KeyKeeper) == 2
    assert n(Key) == len(demo.ROOMS) + 1 + 2 * 3  # rooms, the spare, per building: door, window, meter box
    assert n(KeyLoan, KeyLoan.returned_at.is_(None)) == 3
    assert services.overdue_count([estate.id]) == 1
    spare_loan = db.session.scalar(select(KeyLoan).where(KeyLoan.approval_id.is_not(None)))
    approval = db.session.get(KeyApproval, spare_loan.approval_id)
    assert approval.state == "approved" and approval.decided_by_id != approval.requested_by_id
    assert sorted(db.session.scalars(select(KeyEvent.kind))) == ["damaged", "lost", "recut"]
    # Every loan has its borrower and reason on record, and none overlaps another of its key.
    for loan in db.session.scalars(select(KeyLoan)):
        assert loan.borrower_name and loan.reason and (loan.borrower_phone or loan.borrower_id_number)
        assert loan.returned_at is None or loan.returned_at >= loan.lent_at
    # Loading again adds nothing.
    demo.load(estate, users)
    assert n(Key) == len(demo.ROOMS) + 7
