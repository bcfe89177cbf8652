"""Meter readings: the grid of one period, the checks on each figure, XLSX import.

Rules:

* One live reading per meter and period (a partial unique index): a second one is refused;
  the old one is voided first, with a reason. A reading a live bill was made with cannot be
  voided (void the bill first).
* ``previous`` is the value of the meter's latest live reading before the period; a meter
  read for the first time takes the starting figure typed on the grid (0 if none).
* A value lower than the previous one is an error unless "meter replaced / confirmed" is
  ticked; the usage is then the new value (the new meter counts from zero).
* A usage more than ``reading_jump_factor`` times the previous usage is a warning that must
  be confirmed with the same tick.
* All rows of a grid (or of an imported file) save together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from core.errors import DomainError
from core.extensions import db
from core.importer import RowsWithErrors
from core.models import Estate, Unit, utcnow
from plugins.fees.models import Bill, Meter, MeterReading
from plugins.fees.settings import setting

MAX_READING = Decimal("1000000000")


@dataclass
class GridRow:
    """One meter on the grid: what was there before, what was typed, what the checks said."""

    meter: Meter
    previous: Decimal | None = None  # None: first reading of this meter
    previous_usage: Decimal | None = None
    existing: MeterReading | None = None
    value_text: str = ""
    start_text: str = ""
    confirmed: bool = False
    note: str = ""
    value: Decimal | None = None
    usage: Decimal | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unusual: bool = False  # lower than last time, or a huge jump (confirmed on purpose)

    @property
    def label(self) -> str:
        return self.meter.unit.number if self.meter.unit is not None else (self.meter.location or self.meter.code)


#: Above this many meters the grid is entered building by building (one page a reader can
#: fill in and save at once; an estate of thousands of meters would be one unusable page).
GRID_MAX = 400
#: The ``building`` choice for the estate's own meters (in no unit and no building).
ESTATE_WIDE = "estate"


def _grid_where(estate_id: int, building_id: int | str | None, kind: str | None) -> list:
    where = [Meter.estate_id == estate_id, Meter.active.is_(True)]
    if building_id == ESTATE_WIDE:
        where += [Meter.unit_id.is_(None), Meter.building_id.is_(None)]
    elif building_id:
        where.append((Unit.building_id == building_id) | (Meter.building_id == building_id))
    if kind:
        where.append(Meter.kind == kind)
    return where


def grid_meters(estate_id: int, building_id: int | str | None = None, kind: str | None = None) -> list[Meter]:
    """Active meters of an estate (or one building's units and common meters, or — with
    :data:`ESTATE_WIDE` — the estate's own meters), in unit order."""
    stmt = (select(Meter).outerjoin(Unit, Unit.id == Meter.unit_id)
            .where(*_grid_where(estate_id, building_id, kind)))
    return list(db.session.scalars(stmt.order_by(Meter.unit_id.is_(None), Unit.sort_key, Meter.code)))


def meters_per_building(estate_id: int, kind: str | None = None) -> list[tuple[int | str, int]]:
    """``(building id, active meters)`` of the estate's buildings that have meters, and
    ``(ESTATE_WIDE, n)`` for the estate's own ones: how a large estate's grid is split."""
    where = _grid_where(estate_id, None, kind)
    building = func.coalesce(Unit.building_id, Meter.building_id)
    rows = db.session.execute(select(building, func.count()).select_from(Meter)
                              .outerjoin(Unit, Unit.id == Meter.unit_id).where(*where).group_by(building)).all()
    return [(b if b is not None else ESTATE_WIDE, n) for b, n in rows]


def grid_rows(meters: list[Meter], period: date) -> list[GridRow]:
    """The grid of ``period``: each meter with its previous reading and this period's, if any."""
    ids = [m.id for m in meters]
    existing = {}
    if ids:
        existing = {r.meter_id: r for r in db.session.scalars(select(MeterReading).where(
            MeterReading.meter_id.in_(ids), MeterReading.period == period, MeterReading.voided_at.is_(None)))}
    last = _previous_figures(ids, period)
    rows = []
    for m in meters:
        previous, usage = last.get(m.id, (None, None))
        rows.append(GridRow(m, previous=previous, previous_usage=usage, existing=existing.get(m.id)))
    return rows


def _latest_query(part: list[int], period: date, *columns):
    latest = (select(MeterReading.meter_id, func.max(MeterReading.period).label("period"))
              .where(MeterReading.meter_id.in_(part), MeterReading.period < period,
                     MeterReading.voided_at.is_(None))
              .group_by(MeterReading.meter_id).subquery())
    return (select(*columns).join(latest, and_(MeterReading.meter_id == latest.c.meter_id,
                                                MeterReading.period == latest.c.period))
            .where(MeterReading.voided_at.is_(None)))


def _previous_figures(meter_ids: list[int], period: date) -> dict[int, tuple[Decimal, Decimal]]:
    """Each meter's latest live reading before ``period`` as ``(value, usage)``: the grid
    shows only these two figures, so plain columns rather than reading objects (a page of
    hundreds of meters)."""
    found: dict[int, tuple[Decimal, Decimal]] = {}
    for i in range(0, len(meter_ids), 900):
        stmt = _latest_query(meter_ids[i:i + 900], period, MeterReading.meter_id, MeterReading.value,
                             MeterReading.usage)
        for meter_id, value, usage in db.session.execute(stmt):
            found[meter_id] = (value, usage)
    return found


def _latest_before(meter_ids: list[int], period: date) -> dict[int, MeterReading]:
    """Each meter's latest live reading before ``period`` (a query per 900 meters)."""
    found: dict[int, MeterReading] = {}
    for i in range(0, len(meter_ids), 900):
        for r in db.session.scalars(_latest_query(meter_ids[i:i + 900], period, MeterReading)):
            found[r.meter_id] = r
    return found


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("%(what)s %(text)s is not a number.", what=what, text=text))
    if not value.is_finite() or value < 0 or value >= MAX_READING:
        raise ValueError(_("%(what)s %(text)s is not a meter figure.", what=what, text=text))
    if value.as_tuple().exponent < -2:
        raise ValueError(_("Use at most %(n)s decimal places.", n=2))
    return value


def check_row(row: GridRow, jump_factor: int) -> None:
    """Fill ``row.value``/``row.usage`` and its errors and warnings (the checks of the module doc)."""
    row.errors, row.warnings, row.unusual = [], [], False
    if row.existing is not None:
        row.errors.append(_("This meter already has a reading for the period: void it first, with a reason."))
        return
    try:
        row.value = _number(row.value_text, _("Reading"))
    except ValueError as exc:
        row.errors.append(str(exc))
        return
    previous = row.previous
    if previous is None:
        try:
            previous = _number(row.start_text, _("Starting figure")) if row.start_text else Decimal("0.00")
        except ValueError as exc:
            row.errors.append(str(exc))
            return
        row.previous = previous
    if row.value < previous:
        if not row.confirmed:
            row.errors.append(_("%(value)s is lower than the previous reading %(prev)s. Tick “meter replaced / "
                                "confirmed” if the meter was changed.", value=row.value, prev=previous))
            return
        row.usage = row.value
        row.unusual = True
    else:
        row.usage = row.value - previous
    if row.previous_usage and row.previous_usage > 0 and row.usage > row.previous_usage * jump_factor:
        message = _("The usage %(usage)s is more than %(n)s times the previous usage %(prev)s.",
                    usage=row.usage, n=jump_factor, prev=row.previous_usage)
        if row.confirmed:
            row.warnings.append(message)
            row.unusual = True
        else:
            row.errors.append(message + " " + _("Check the figure, then tick “meter replaced / confirmed”."))


def save_rows(estate: Estate, period: date, rows: list[GridRow], read_on: date, user_id: int | None) -> int:
    """Check every typed row, then save them all in the caller's transaction — or raise
    :class:`DomainError` and save nothing. Rows left blank are ignored."""
    jump = int(setting("reading_jump_factor", estate.id))
    typed = [r for r in rows if (r.value_text or "").strip()]
    if not typed:
        raise DomainError(_("Type at least one reading."), "rows")
    for r in typed:
        if r.meter.estate_id != estate.id:
            raise DomainError(_("That meter does not belong to this estate."), "rows")
        check_row(r, jump)
    bad = [r for r in typed if r.errors]
    if bad:
        raise DomainError(_("%(n)s rows have errors; nothing was saved.", n=len(bad)), "rows")
    for r in typed:
        db.session.add(MeterReading(
            estate_id=estate.id, meter_id=r.meter.id, period=period, previous=r.previous, value=r.value,
            usage=r.usage, read_on=read_on, confirmed_unusual=r.unusual,
            note=(r.note or "").strip()[:200], created_by_id=user_id))
    db.session.flush()
    return len(typed)


def void_reading(reading: MeterReading, reason: str, user_id: int) -> MeterReading:
    """Void a wrong reading (kept, marked void) so the right one can be entered."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(_("Give the reason for voiding (at least 4 characters)."), "reason")
    if reading.voided_at is not None:
        raise DomainError(_("This reading is void already."), "reason")
    if db.session.scalar(select(Bill.id).where(Bill.reading_id == reading.id, Bill.voided_at.is_(None)).limit(1)):
        raise DomainError(_("A bill was made from this reading: void the bill first."), "reason")
    reading.voided_at = utcnow()
    reading.voided_by_id = user_id
    reading.void_reason = reason[:500]
    db.session.flush()
    return reading


# --- XLSX import ----------------------------------------------------------------------------

HEADERS = {
    "meter": ("meter", "meter code", "code", "表号", "表编号"),
    "value": ("reading", "value", "本期读数", "读数"),
    "start": ("start", "starting figure", "起始读数", "上期读数"),
    "confirmed": ("confirmed", "replaced", "确认", "换表"),
    "note": ("note", "备注"),
}
YES = {"1", "y", "yes", "true", "x", "是", "√", "✓"}


@dataclass
class ImportPreview(RowsWithErrors):
    rows: list[GridRow]
    lines: list[int]
    file_error: str | None = None


def parse_import(estate: Estate, period: date, filename: str, data: bytes) -> ImportPreview:
    """Read an XLSX (or CSV) of readings — columns meter code, reading, [start], [confirmed],
    [note] — and check every row as the grid would. Changes nothing."""
    from core.importer import read_table

    try:
        table = [r for r in read_table(filename, data) if any((c or "").strip() for c in r)]
        if len(table) < 2:
            raise DomainError(_("The file has no data rows."), "file")
        mapping: dict[str, int] = {}
        for idx, raw in enumerate(table[0]):
            h = (raw or "").strip().lower()
            for key, names in HEADERS.items():
                if h in names and key not in mapping:
                    mapping[key] = idx
        if "meter" not in mapping or "value" not in mapping:
            raise DomainError(_("The first row must name the columns “meter” and “reading”."), "file")
    except DomainError as exc:
        return ImportPreview([], [], str(exc.message))
    meters = {m.code: m for m in db.session.scalars(select(Meter).where(Meter.estate_id == estate.id))}
    ids = [m.id for m in meters.values()]
    last = _latest_before(ids, period)
    existing = {}
    for i in range(0, len(ids), 900):
        existing.update((r.meter_id, r) for r in db.session.scalars(select(MeterReading).where(
            MeterReading.meter_id.in_(ids[i:i + 900]), MeterReading.period == period,
            MeterReading.voided_at.is_(None))))
    jump = int(setting("reading_jump_factor", estate.id))
    rows, lines, seen = [], [], {}
    for line, raw in enumerate(table[1:], start=2):
        def cell(key, raw=raw):
            i = mapping.get(key)
            return (raw[i] or "").strip() if i is not None and i < len(raw) else ""

        code = cell("meter")
        meter = meters.get(code)
        if meter is None:
            stub = GridRow(Meter(code=code, kind="", estate_id=estate.id), value_text=cell("value"))
            stub.errors.append(_("There is no meter %(code)s in this estate.", code=code))
            rows.append(stub)
            lines.append(line)
            continue
        before = last.get(meter.id)
        row = GridRow(meter, previous=before.value if before else None,
                      previous_usage=before.usage if before else None, existing=existing.get(meter.id),
                      value_text=cell("value"), start_text=cell("start"),
                      confirmed=cell("confirmed").lower() in YES, note=cell("note"))
        if not meter.active:
            row.errors.append(_("Meter %(code)s is no longer in use.", code=code))
        elif code in seen:
            row.errors.append(_("Same meter as row %(line)s.", line=seen[code]))
        else:
            check_row(row, jump)
        seen.setdefault(code, line)
        rows.append(row)
        lines.append(line)
    return ImportPreview(rows, lines)


def commit_import(estate: Estate, period: date, preview: ImportPreview, read_on: date, user_id: int | None) -> int:
    """Save a clean import (all rows or none)."""
    if not preview.ok:
        raise DomainError(_("Fix the errors in the file first; nothing was saved."), "file")
    return save_rows(estate, period, preview.rows, read_on, user_id)


# --- for other plugins (README "Services other plugins call") -------------------------------

def record_opening(user, *, unit_id: int, kind: str, value: str, read_on: date, confirmed: bool = False,
                   note: str = "") -> MeterReading | None:
    """A unit meter's opening reading (a move-in's house acceptance, 《房屋验收表》) as the reading
    of ``read_on``'s month, through the readings page's checks (:func:`check_row`): a figure
    that is not a meter figure, lower than the previous reading or a jump out of proportion
    (unless ``confirmed``: meter replaced / figure confirmed), or a meter already read that
    month is refused with the page's message (``DomainError`` on ``reading``; nothing saved).
    A meter read for the first time starts at the figure itself (usage 0). ``None`` when the
    unit has no active meter of ``kind`` (water, electricity, gas) in fees: nothing to record.
    Audited by the core like every reading; the caller's own permission allows it."""
    from plugins.fees.periods import period_start

    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.estate_id not in _estates_of(user):
        raise DomainError(_("That meter does not belong to this estate."), "reading")
    meter = db.session.scalar(select(Meter).where(Meter.estate_id == unit.estate_id, Meter.unit_id == unit.id,
                                                  Meter.kind == kind, Meter.active.is_(True))
                              .order_by(Meter.id).limit(1))
    if meter is None:
        return None
    period = period_start(read_on)
    row = grid_rows([meter], period)[0]
    row.value_text = str(value or "").strip()
    row.start_text = row.value_text if row.previous is None else ""
    row.confirmed = bool(confirmed)
    row.note = note
    check_row(row, int(setting("reading_jump_factor", unit.estate_id)))
    if row.errors:
        raise DomainError(row.errors[0], "reading")
    reading = MeterReading(estate_id=unit.estate_id, meter_id=meter.id, period=period, previous=row.previous,
                           value=row.value, usage=row.usage, read_on=read_on, confirmed_unusual=row.unusual,
                           note=(note or "").strip()[:200], created_by_id=user.id)
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():  # a reading of the month saved at this very moment
            db.session.add(reading)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("This meter already has a reading for the period: void it first, with a reason."),
                          "reading") from None
    return reading


def _estates_of(user) -> list[int]:
    from core.security import user_estate_ids

    return user_estate_ids(user)
