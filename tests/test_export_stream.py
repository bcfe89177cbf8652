"""List exports stream: every row, in the list's order, read a chunk at a time and sent as
the rows are read (CSV) or from openpyxl's write-only file (XLSX)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from core.models import Building, Unit

UNITS = 2_345


def many_units(db, estate) -> list[str]:
    building = db.session.scalar(select(Building).where(Building.estate_id == estate.id).limit(1))
    numbers = [f"9-{i // 100 + 1}-{i % 100 + 101}" for i in range(UNITS)]
    db.session.add_all(Unit(estate_id=estate.id, building_id=building.id, number=n, use="residential",
                            floor=i % 30) for i, n in enumerate(numbers))
    db.session.commit()
    return numbers


def test_an_export_of_many_rows_streams_every_row_in_order(client, login_as, db, estates, monkeypatch):
    from core import listing

    e1, _e2 = estates
    login_as("manager", estates=[e1])
    many_units(db, e1)
    chunks: list[int] = []
    rows_for = listing.ListPage.rows_for
    monkeypatch.setattr(listing.ListPage, "rows_for",
                        lambda self, ids: chunks.append(len(ids)) or rows_for(self, ids))
    # The list's own order (natural sort of the unit number), as the page shows it.
    first_page = client.get("/estates/units").get_data(as_text=True)
    listed_first = first_page.split('<a href="/estates/units/', 1)[1].split(">", 1)[1].split("<", 1)[0]
    chunks.clear()

    resp = client.get("/estates/units?export=csv", buffered=False)
    assert resp.is_streamed
    pieces = list(resp.response)
    resp.close()
    assert len(pieces) > 2  # sent as it was written, not in one piece
    table = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    total = UNITS + 3  # the estate's own three units
    assert len(table) == total + 1 and table[0][0] == "Unit"
    assert table[1][0] == listed_first and table[1][0] == "1-1-101"
    assert table[-1][0] == "9-24-145"  # the last unit number in the natural order
    assert max(chunks) <= listing.EXPORT_CHUNK and sum(chunks) == total

    chunks.clear()
    data = client.get("/estates/units?export=xlsx").data
    ws = load_workbook(io.BytesIO(data)).active
    values = list(ws.iter_rows(values_only=True))
    assert len(values) == total + 1 and ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert [r[0] for r in values[1:]] == [r[0] for r in table[1:]]  # the same rows in the same order
    assert values[-1][2] == int(table[-1][2])  # typed cells: the floor is a number
    assert max(chunks) <= listing.EXPORT_CHUNK and sum(chunks) == total
