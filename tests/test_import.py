"""Importing units and residents: preview, per-row errors, all or nothing."""

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from core.models import Building, Occupancy, Resident, Unit


def xlsx(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, estate, kind, name, data, confirm="0", token=None):
    form = {"kind": kind, "estate_id": estate.id, "confirm": confirm}
    if token:
        form["token"] = token
    else:
        form["file"] = (io.BytesIO(data), name)
    return client.post("/estates/import", data=form, content_type="multipart/form-data")


def n_units(db, estate):
    return db.session.scalar(select(func.count()).select_from(Unit).where(Unit.estate_id == estate.id))


def token_of(page: str) -> str:
    return page.split('id="token" name="token" type="hidden" value="')[1].split('"')[0]


def test_a_clean_csv_is_previewed_then_imported(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    csv = b"building,number,floor,area,use\n7,7-1-101,1,88.50,residence\n7,7-1-102,1,90,shop\n"
    resp = upload(client, estates[0], "units", "units.csv", csv)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "All 2 rows are correct." in page and "new building 7" in page
    assert n_units(db, estates[0]) == 3  # nothing saved by the preview
    resp = upload(client, estates[0], "units", None, None, confirm="1", token=token_of(page))
    assert resp.status_code == 302
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estates[0].id, Unit.number.like("7-%"))).all()
    assert sorted(u.number for u in units) == ["7-1-101", "7-1-102"]
    assert {u.use for u in units} == {"residence", "shop"}
    assert db.session.scalar(select(Building).where(Building.code == "7", Building.estate_id == estates[0].id))


def test_an_xlsx_with_chinese_headers_is_understood(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    data = xlsx([["楼栋", "房号", "楼层", "面积", "用途"], ["8", "8-1-201", 2, 120.5, "住宅"]])
    page = upload(client, estates[0], "units", "单元.xlsx", data).get_data(as_text=True)
    assert "All 1 rows are correct." in page
    upload(client, estates[0], "units", None, None, confirm="1", token=token_of(page))
    unit = db.session.scalar(select(Unit).where(Unit.number == "8-1-201"))
    assert str(unit.area) == "120.50" and unit.use == "residence" and unit.floor == 2


def test_row_errors_are_listed_and_nothing_is_saved(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    csv = (b"building,number,floor,area,use\n"
           b"7,7-1-101,1,88.5,residence\n"
           b"3,3-2-1201,12,90,residence\n"
           b"7,7/1/102,x,-3,castle\n"
           b"7,7-1-101,1,88.5,residence\n")
    resp = upload(client, estates[0], "units", "units.csv", csv)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "3 rows have errors; nothing was saved." in page
    assert "Unit 3-2-1201 already exists in building 3." in page
    assert "Unit number 7/1/102 is not like 3-2-1201." in page
    assert "Floor x is not a whole number" in page and "Area -3 is not a number" in page
    assert "Use castle is not one of" in page and "Same unit as row 2." in page
    assert 'id="confirm-import"' not in page
    resp = upload(client, estates[0], "units", None, None, confirm="1", token=token_of(page))
    assert resp.status_code == 422
    assert n_units(db, estates[0]) == 3


def test_residents_are_imported_with_their_occupancy(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    csv = "房号,姓名,电话,身份,起始日期\n1-1-102,刘洋,13700001111,租户,2025/09/01\n".encode()
    page = upload(client, estates[0], "residents", "r.csv", csv).get_data(as_text=True)
    assert "All 1 rows are correct." in page
    upload(client, estates[0], "residents", None, None, confirm="1", token=token_of(page))
    res = db.session.scalar(select(Resident).where(Resident.name == "刘洋"))
    occ = db.session.scalar(select(Occupancy).where(Occupancy.resident_id == res.id))
    assert occ.role == "tenant" and str(occ.start_date) == "2025-09-01" and occ.unit.number == "1-1-102"


def test_a_resident_row_for_another_estates_unit_is_refused(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    csv = b"unit,name,phone\n2-1-201,Somebody,13700001111\n1-1-101,Other,not a phone\n"
    page = upload(client, estates[0], "residents", "r.csv", csv).get_data(as_text=True)
    assert "There is no unit 2-1-201 in this estate." in page
    assert "Phone not a phone is not a phone number." in page
    assert db.session.scalar(select(Resident).where(Resident.name.in_(["Somebody", "Other"]))) is None


def test_files_that_are_not_usable_get_a_clear_error(client, login_as, db, estates, app):
    login_as("supervisor", estates=[estates[0]])
    cases = [
        ("units.txt", b"building,number\n1,1-1-1\n", "Upload a .csv or .xlsx file."),
        ("units.csv", b"", "The file is empty."),
        ("units.csv", b"building,number\n", "The file has no data rows."),
        ("units.csv", b"flat,room\n1,2\n", "missing: building, number"),
        ("units.xlsx", b"PK\x03\x04 definitely not a workbook", "The Excel file cannot be read"),
        ("units.csv", b"\x00\x01\x02\xff\xfe" * 10, "not"),
        ("units.csv", b"building,number\n" + b"1,1-1-1\n" * 30000, "rows; split it"),
    ]
    app.config["PROPDESK_IMPORT_MAX_ROWS"] = 20000
    for name, data, message in cases:
        page = upload(client, estates[0], "units", name, data).get_data(as_text=True)
        assert message in page, (name, message)
    app.config["PROPDESK_IMPORT_MAX_BYTES"] = 1000
    page = upload(client, estates[0], "units", "big.csv", b"building,number\n" + b"1,1-1-1\n" * 500).get_data(as_text=True)
    assert "The file is larger than" in page
    assert n_units(db, estates[0]) == 3


def test_an_import_into_another_estate_is_refused(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    csv = b"building,number\n9,9-1-101\n"
    page = upload(client, estates[1], "units", "u.csv", csv).get_data(as_text=True)
    assert "Not a valid choice" in page
    assert n_units(db, estates[1]) == 3


def test_a_clerk_may_not_import(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    assert client.get("/estates/import").status_code == 403
