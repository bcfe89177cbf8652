"""The streaming XLSX writer (core.xlsx): what openpyxl reads back is what was written —
types, exact decimals with their format, dates, the bold frozen header, widths."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import load_workbook

from core.listing import xlsx_bytes


def read(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_cells_keep_their_types_and_formats():
    rows = [
        ["1-1-101", 12, Decimal("1234.50"), Decimal("4.1000"), Decimal("7"), date(2026, 2, 28),
         datetime(2026, 12, 31, 23, 59, 30), True, 2.5, None, "王小明 <a&b> \"q\""],
        ["x\x01y", -3, Decimal("-0.01"), Decimal("1E+3"), Decimal("0.1234567"), date(1900, 3, 1),
         datetime(2026, 1, 1, 0, 0), False, time(8, 30), "", "end"],
    ]
    ws = read(xlsx_bytes("Units/list: all?", ["Unit", "Floor", "Amount", "Price", "Count", "Due", "At", "Paid",
                                              "Rate", "Empty", "Name"], rows))
    assert ws.title == "Units-list- all-"
    assert ws.freeze_panes == "A2" and all(c.font.bold for c in ws[1]) and not ws["A2"].font.bold
    got = list(ws.iter_rows(min_row=2, values_only=True))
    first, second = got
    assert first[:2] == ("1-1-101", 12) and isinstance(first[1], int)
    assert Decimal(str(first[2])) == Decimal("1234.50") and ws["C2"].number_format == "#,##0.00"
    assert Decimal(str(first[3])) == Decimal("4.1") and ws["D2"].number_format == "#,##0.0000"
    assert first[4] == 7 and ws["E2"].number_format == "#,##0"
    assert first[5] == datetime(2026, 2, 28) and ws["F2"].number_format == "yyyy-mm-dd"
    assert first[6] == datetime(2026, 12, 31, 23, 59, 30) and ws["G2"].number_format == "yyyy-mm-dd h:mm:ss"
    assert first[7] is True and first[8] == 2.5 and first[9] is None
    assert first[10] == '王小明 <a&b> "q"'
    assert second[0] == "xy"  # a control character XML cannot hold is dropped, not an error
    assert Decimal(str(second[2])) == Decimal("-0.01") and second[3] == 1000
    assert ws["E3"].number_format == "#,##0.000000"  # at most six places shown; the value is kept
    assert Decimal(str(second[4])) == Decimal("0.1234567")
    assert second[5] == datetime(1900, 3, 1) and second[6] == datetime(2026, 1, 1)
    assert second[7] is False and second[8] == time(8, 30) and second[9] is None  # empty text: no cell
    assert ws.column_dimensions["K"].width >= 12


def test_many_rows_and_a_ragged_row():
    rows = ([i, f"u{i}"] for i in range(5000))
    ws = read(xlsx_bytes("", ["N", "Name"], rows))
    assert ws.title == "Sheet"
    values = list(ws.iter_rows(values_only=True))
    assert len(values) == 5001 and values[-1] == (4999, "u4999")
    ws = read(xlsx_bytes("t", ["A"], [[1, 2, 3]]))
    assert list(ws.iter_rows(values_only=True))[1] == (1, 2, 3)
