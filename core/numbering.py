"""The numbering service: human numbers for every paper form.

``next_number("BX", estate)`` gives ``BX-E01-2026-000123``. The counter is taken
with one atomic ``UPDATE … RETURNING`` inside the caller's transaction: the
row stays locked until that transaction ends (PostgreSQL row lock; on SQLite
the write transaction is ``BEGIN IMMEDIATE``, see :mod:`core.db`), and a
rollback gives the number back. So numbers are **gapless** and never
duplicated, which receipts and invoices require. For numbers where gaps do
not matter (``gapless=False``) the counter is taken in a separate short
transaction so that a long request does not hold the lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from core.models.system import NumberSequence


def _ensure_row(conn, code: str, estate_id: int, year: int) -> None:
    values = {"code": code, "estate_id": estate_id, "year": year, "last_value": 0}
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(NumberSequence.__table__).values(values).on_conflict_do_nothing()
    elif conn.dialect.name == "sqlite":
        stmt = sqlite.insert(NumberSequence.__table__).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases are not supported
        exists = conn.execute(
            select(NumberSequence.id).where(
                NumberSequence.code == code,
                NumberSequence.estate_id == estate_id,
                NumberSequence.year == year,
            )
        ).first()
        if exists:
            return
        stmt = NumberSequence.__table__.insert().values(values)
    conn.execute(stmt)


def _take(conn, code: str, estate_id: int, year: int) -> int:
    t = NumberSequence.__table__
    stmt = (
        update(t)
        .where(t.c.code == code, t.c.estate_id == estate_id, t.c.year == year)
        .values(last_value=t.c.last_value + 1)
        .returning(t.c.last_value)
    )
    value = conn.execute(stmt).scalar()
    if value is None:
        _ensure_row(conn, code, estate_id, year)
        value = conn.execute(stmt).scalar_one()
    return value


def next_value(code: str, estate_id: int | None = None, year: int | None = None,
               gapless: bool = True) -> int:
    """The next counter value for ``(code, estate, year)``."""
    estate_id = estate_id or 0
    year = year or 0
    if gapless:
        return _take(db.session.connection(), code, estate_id, year)
    with db.engine.begin() as conn:
        return _take(conn, code, estate_id, year)


def next_number(prefix: str, estate=None, when: datetime | None = None, *, per_year: bool = True,
                gapless: bool = True, width: int = 6) -> str:
    """Format the next number: ``BX-E01-2026-000123`` for estate E01, ``BX-2026-000123``
    company-wide; without the year when ``per_year`` is false.

    ``estate`` may be an :class:`~core.models.Estate`, an id or ``None`` (company-wide).
    The estate code keeps numbers unique across the company, so a number alone
    finds its record.
    """
    from core.models import Estate
    from core.models.base import utcnow

    if isinstance(estate, int):
        estate = db.session.get(Estate, estate)
    estate_id = estate.id if estate is not None else 0
    year = (when or utcnow()).year if per_year else 0
    value = next_value(prefix, estate_id, year, gapless=gapless)
    parts = [prefix] + ([estate.code] if estate is not None else []) + ([str(year)] if per_year else [])
    return "-".join(parts + [f"{value:0{width}d}"])
