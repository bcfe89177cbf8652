"""The archives demo data: an archive room with files in their cabinets, their contents, a year
of requests (one refused, a superior's inspection), one file out, one overdue, one request
waiting, this year's plan with a check done and its damage followed up."""

from __future__ import annotations

from sqlalchemy import func, select

from core.testing import make_estate
from plugins.archives import demo, services
from plugins.archives.models import (
    ArchiveAccess,
    ArchiveCheck,
    ArchiveEntry,
    ArchiveFile,
    ArchiveLoan,
)


def test_demo_archive_room(app, db, make_user):
    estate = make_estate("D01", "Demo Garden", units=("1-1-101", "1-1-102", "2-1-201"))
    users = {role: make_user(role, [estate], username=f"d{role}")
             for role in ("manager", "supervisor", "clerk", "archivist")}
    demo.load(estate, users)
    db.session.commit()

    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id == estate.id, *where))

    files = n(ArchiveFile)
    assert files == 3 + 5  # an owner file per unit, building, decoration, contract, notice, other
    assert n(ArchiveEntry) > files
    assert n(ArchiveLoan, ArchiveLoan.state == "out") == 2 and services.overdue_count([estate.id]) == 1
    assert n(ArchiveLoan, ArchiveLoan.state == "pending") == 1
    assert n(ArchiveLoan, ArchiveLoan.state == "refused") == 1
    assert n(ArchiveLoan, ArchiveLoan.kind == "inspection") == 1
    for loan in db.session.scalars(select(ArchiveLoan).where(ArchiveLoan.decided_by_id.is_not(None))):
        assert loan.decided_by_id != loan.requested_by_id
        assert loan.handed_out_at is None or loan.handed_out_at >= loan.requested_at
        assert loan.returned_at is None or loan.returned_at >= loan.handed_out_at
    assert n(ArchiveCheck) == 2 and n(ArchiveCheck, ArchiveCheck.done_on.is_not(None)) == 1
    assert n(ArchiveAccess) == 1
    demo.load(estate, users)  # loading again adds nothing
    assert n(ArchiveFile) == files
