"""Import units and residents from CSV or XLSX: preview, per-row errors, all or nothing.

A file is parsed and every row checked before anything is saved; if any row
has an error, nothing is saved and the preview lists each error by row number.
Headers may be English or Chinese.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db
from core.forms import ID_NUMBER_RE, PHONE_RE, UNIT_NUMBER_RE, normalise_phone
from core.models import Building, Occupancy, Resident, Unit
from core.models.estates import OCCUPANCY_ROLES, RESIDENT_KINDS, UNIT_USES

HEADERS = {
    "units": {
        "building": ("building", "楼栋", "楼号"),
        "number": ("number", "unit", "房号", "单元号"),
        "floor": ("floor", "楼层"),
        "area": ("area", "面积", "建筑面积"),
        "use": ("use", "用途"),
    },
    "residents": {
        "unit": ("unit", "number", "房号", "单元号"),
        "name": ("name", "姓名", "名称"),
        "kind": ("kind", "类型"),
        "phone": ("phone", "电话", "手机"),
        "id_number": ("id_number", "id", "证件号", "身份证号"),
        "role": ("role", "身份", "关系"),
        "since": ("since", "start", "起始日期", "入住日期"),
    },
}
REQUIRED = {"units": ("building", "number"), "residents": ("unit", "name")}
USE_ALIASES = {"住宅": "residence", "商铺": "shop", "办公": "office", "厂房": "plant"}
ROLE_ALIASES = {"业主": "owner", "住户": "occupant", "租户": "tenant"}
KIND_ALIASES = {"个人": "person", "企业": "business"}


@dataclass
class RowResult:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    note: str = ""


def upload_dir() -> Path:
    """Where uploaded files wait between their preview and the confirmation."""
    path = Path(current_app.config["PROPDESK_INSTANCE"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


#: The name :func:`staged_upload` gives a staged file (and accepts back as its token).
STAGED_TOKEN_RE = re.compile(r"[0-9a-f]{32}\.(csv|xlsx|bin)")


def staged_upload(token: str | None) -> Path | None:
    """The file of an import being previewed: the request's ``file`` upload, saved under a new
    random token (read up to ``PROPDESK_IMPORT_MAX_BYTES`` + 1 bytes, so that the parser can
    refuse a file that is too large), or else the file the preview staged (``token`` posted
    back with the confirmation). ``None`` when neither is there; a token that is not a name
    this function gives (or whose file is gone) is refused with a :class:`DomainError`: the
    400 page asking to upload again. The caller deletes the file once the import is committed."""
    upload = request.files.get("file")
    if upload and upload.filename:
        data = upload.read(current_app.config["PROPDESK_IMPORT_MAX_BYTES"] + 1)
        suffix = os.path.splitext(upload.filename)[1].lower()
        path = upload_dir() / (secrets.token_hex(16) + (suffix if suffix in (".csv", ".xlsx") else ".bin"))
        path.write_bytes(data)
        return path
    if token:
        if not STAGED_TOKEN_RE.fullmatch(token) or not (upload_dir() / token).exists():
            raise DomainError(_("This import is no longer waiting for confirmation. Please upload the file again."),
                              "file")
        return upload_dir() / token
    return None


class RowsWithErrors:
    """What a file's preview says: ``rows`` (each with ``errors``) and ``file_error``.
    Shared by the core import and plugins' own imports (e.g. meter readings)."""

    rows: list
    file_error: str | None

    @property
    def ok(self) -> bool:
        return self.file_error is None and bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)


@dataclass
class ImportResult(RowsWithErrors):
    kind: str
    rows: list[RowResult]
    file_error: str | None = None


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """Rows of cell texts from a CSV or XLSX file; :class:`DomainError` if it is neither."""
    max_bytes = current_app.config["PROPDESK_IMPORT_MAX_BYTES"]
    if not data:
        raise DomainError(_("The file is empty."), "file")
    if len(data) > max_bytes:
        raise DomainError(_("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), "file")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise DomainError(_("Upload a .csv or .xlsx file."), "file")


def _read_csv(data: bytes) -> list[list[str]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(_("The CSV file is not UTF-8 or GB18030 text."), "file")
    if "\x00" in text:
        raise DomainError(_("This is not a CSV text file."), "file")
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise DomainError(_("The CSV file is malformed: %(err)s", err=str(exc)), "file")


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DomainError(_("The Excel file cannot be read: %(err)s", err=type(exc).__name__), "file")
    ws = wb.worksheets[0]
    rows = []
    limit = current_app.config["PROPDESK_IMPORT_MAX_ROWS"] + 2
    for n, row in enumerate(ws.iter_rows(values_only=True)):
        if n > limit:
            break
        rows.append([_xlsx_text(v) for v in row])
    wb.close()
    return rows


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_headers(kind: str, header: list[str]) -> dict[str, int]:
    aliases = HEADERS[kind]
    mapping: dict[str, int] = {}
    for idx, raw in enumerate(header):
        h = re.sub(r"\s+", "", raw or "").lower()
        for key, names in aliases.items():
            if h in (n.lower() for n in names) and key not in mapping:
                mapping[key] = idx
    missing = [k for k in REQUIRED[kind] if k not in mapping]
    if missing:
        raise DomainError(_("The first row must name the columns; missing: %(cols)s",
                            cols=", ".join(missing)), "file")
    return mapping


def parse(kind: str, filename: str, data: bytes, estate_id: int) -> ImportResult:
    try:
        table = read_table(filename, data)
        table = [r for r in table if any(c.strip() for c in r)]
        if len(table) < 2:
            raise DomainError(_("The file has no data rows."), "file")
        if len(table) - 1 > current_app.config["PROPDESK_IMPORT_MAX_ROWS"]:
            raise DomainError(_("The file has more than %(n)s rows; split it.",
                                n=current_app.config["PROPDESK_IMPORT_MAX_ROWS"]), "file")
        mapping = _map_headers(kind, table[0])
    except DomainError as exc:
        return ImportResult(kind, [], str(exc.message))
    rows = []
    for line, raw in enumerate(table[1:], start=2):
        values = {k: (raw[i].strip() if i < len(raw) else "") for k, i in mapping.items()}
        rows.append(RowResult(line, values))
    checker = _check_units if kind == "units" else _check_residents
    checker(rows, estate_id)
    return ImportResult(kind, rows)


def _check_units(rows: list[RowResult], estate_id: int) -> None:
    buildings = {b.code: b for b in db.session.scalars(select(Building).where(Building.estate_id == estate_id))}
    existing = set(db.session.execute(
        select(Building.code, Unit.number).join(Unit, Unit.building_id == Building.id)
        .where(Building.estate_id == estate_id)).all())
    seen: dict[tuple[str, str], int] = {}
    for r in rows:
        v = r.values
        if not v.get("building"):
            r.errors.append(_("Building is required."))
        elif len(v["building"]) > 20:
            r.errors.append(_("Building code is longer than 20 characters."))
        if not UNIT_NUMBER_RE.match(v.get("number", "")):
            r.errors.append(_("Unit number %(n)s is not like 3-2-1201.", n=v.get("number", "")))
        key = (v.get("building", ""), v.get("number", ""))
        if key in existing:
            r.errors.append(_("Unit %(n)s already exists in building %(b)s.", n=key[1], b=key[0]))
        if key in seen:
            r.errors.append(_("Same unit as row %(line)s.", line=seen[key]))
        seen.setdefault(key, r.line)
        if v.get("floor"):
            try:
                floor = int(v["floor"])
                if not -10 <= floor <= 200:
                    raise ValueError
            except ValueError:
                r.errors.append(_("Floor %(f)s is not a whole number between -10 and 200.", f=v["floor"]))
        if v.get("area"):
            try:
                area = Decimal(v["area"])
                if not area.is_finite() or area <= 0 or area >= 100000 or -area.as_tuple().exponent > 2:
                    raise InvalidOperation
            except InvalidOperation:
                r.errors.append(_("Area %(a)s is not a number of m² with at most 2 decimals.", a=v["area"]))
        use = USE_ALIASES.get(v.get("use", ""), v.get("use", "") or "residence")
        if use not in UNIT_USES:
            r.errors.append(_("Use %(u)s is not one of residence, shop, office, plant.", u=v.get("use")))
        v["use"] = use
        if not r.errors and v.get("building") not in buildings:
            r.note = _("new building %(b)s", b=v["building"])


def _parse_date(text: str) -> date:
    return date.fromisoformat(text.replace("/", "-"))


def _check_residents(rows: list[RowResult], estate_id: int) -> None:
    units: dict[str, list[int]] = {}
    for uid, number in db.session.execute(select(Unit.id, Unit.number).where(Unit.estate_id == estate_id)):
        units.setdefault(number, []).append(uid)
    for r in rows:
        v = r.values
        found = units.get(v.get("unit", ""), [])
        if not found:
            r.errors.append(_("There is no unit %(n)s in this estate.", n=v.get("unit", "")))
        elif len(found) > 1:
            r.errors.append(_("Unit number %(n)s is in several buildings; make it unique.", n=v["unit"]))
        else:
            v["unit_id"] = found[0]
        if not v.get("name"):
            r.errors.append(_("Name is required."))
        elif len(v["name"]) > 100:
            r.errors.append(_("Name is longer than 100 characters."))
        if v.get("phone") and not PHONE_RE.match(v["phone"]):
            r.errors.append(_("Phone %(p)s is not a phone number.", p=v["phone"]))
        if v.get("id_number") and not ID_NUMBER_RE.match(v["id_number"]):
            r.errors.append(_("ID number is not 6 to 30 letters or digits."))
        kind = KIND_ALIASES.get(v.get("kind", ""), v.get("kind") or "person")
        if kind not in RESIDENT_KINDS:
            r.errors.append(_("Kind must be person or business."))
        v["kind"] = kind
        role = ROLE_ALIASES.get(v.get("role", ""), v.get("role") or "owner")
        if role not in OCCUPANCY_ROLES:
            r.errors.append(_("Role must be owner, occupant or tenant."))
        v["role"] = role
        if v.get("since"):
            try:
                v["since_date"] = _parse_date(v["since"])
            except ValueError:
                r.errors.append(_("Date %(d)s is not like 2024-03-01.", d=v["since"]))


def commit(result: ImportResult, estate_id: int) -> int:
    """Save a clean import in one transaction; returns the number of rows saved."""
    if not result.ok:
        raise DomainError(_("Fix the errors in the file first; nothing was saved."))
    if result.kind == "units":
        buildings = {b.code: b for b in db.session.scalars(select(Building).where(Building.estate_id == estate_id))}
        for r in result.rows:
            v = r.values
            b = buildings.get(v["building"])
            if b is None:
                b = Building(estate_id=estate_id, code=v["building"], name=v["building"])
                db.session.add(b)
                db.session.flush()
                buildings[b.code] = b
            db.session.add(Unit(
                estate_id=estate_id, building_id=b.id, number=v["number"],
                floor=int(v["floor"]) if v.get("floor") else None,
                area=Decimal(v["area"]) if v.get("area") else None, use=v["use"]))
    else:
        for r in result.rows:
            v = r.values
            res = Resident(estate_id=estate_id, name=v["name"], kind=v["kind"],
                           phone=normalise_phone(v.get("phone", "")),
                           id_number=(v.get("id_number") or "").upper())
            db.session.add(res)
            db.session.flush()
            db.session.add(Occupancy(estate_id=estate_id, unit_id=v["unit_id"], resident_id=res.id,
                                     role=v["role"], start_date=v.get("since_date")))
    return len(result.rows)
