"""Bad input gets a clear 4xx with the error page, never a 500 (core/inputs.py, core/app.py).

The route walk (tests/test_route_walk.py) sends such input to every route; these tests pin
down each mechanism and what the visitor is told."""

import shutil
import sqlite3

import pytest
from sqlalchemy import func, select
from wtforms import IntegerField

from core.forms import Form
from core.inputs import INT_MAX
from core.listing import FilterForm
from core.models import Building, Resident
from core.testing import TEST_PASSWORD


def test_a_nul_byte_in_a_query_parameter_gets_the_translated_400_page(client, login_as, estates):
    login_as("clerk", estates=[estates[0]], locale="zh_CN")
    resp = client.get("/residents/", query_string={"q": "Owner\x00"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "请求中含有不允许的字符" in page  # the message, in the user's language
    assert 'id="logout"' in page  # the whole shell: the session was not left broken


def test_a_nul_byte_in_a_form_field_is_refused_and_nothing_saved(client, login_as, db, estates):
    login_as("clerk", estates=[estates[0]])
    before = db.session.scalar(select(func.count()).select_from(Resident))
    resp = client.post("/residents/new", data={"estate_id": estates[0].id, "name": "Mr\x00 Null", "kind": "person",
                                               "phone": "13800000000", "id_number": "", "note": ""})
    assert resp.status_code == 400
    assert "(a NUL byte)" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Resident)) == before


@pytest.mark.parametrize("path", ["/residents/2147483648", "/estates/units/99999999999999999999999",
                                  "/admin/users/2147483648", "/admin/roles/2147483648"])
def test_an_id_beyond_the_column_gets_the_404_page(client, login_as, estates, path):
    login_as("admin", all_estates=True)
    resp = client.get(path)
    assert resp.status_code == 404
    assert "Not found." in resp.get_data(as_text=True)


def test_the_largest_id_a_column_holds_is_still_looked_up(client, login_as, estates):
    login_as("admin", all_estates=True)
    resp = client.get(f"/residents/{INT_MAX}")  # a real lookup that finds nothing
    assert resp.status_code == 404 and "Not found." in resp.get_data(as_text=True)


def test_request_args_as_int_beyond_the_column_give_the_default(app):
    with app.test_request_context("/?a=2147483648&b=2147483647&c=-2147483649&d=7&d=99999999999"):
        from flask import request

        assert request.args.get("a", type=int) is None
        assert request.args.get("a", 0, type=int) == 0
        assert request.args.get("b", type=int) == INT_MAX
        assert request.args.get("c", type=int) is None
        assert request.args.getlist("d", type=int) == [7]


@pytest.mark.parametrize("base", [Form, FilterForm])
def test_an_integer_field_refuses_a_number_beyond_the_column(app, base):
    from werkzeug.datastructures import MultiDict

    class F(base):
        n = IntegerField()

    with app.test_request_context("/", method="POST"):
        form = F(MultiDict({"n": "2147483648"}), meta={"csrf": False})
        assert form.n.data is None
        assert not form.validate()
        assert "Enter a whole number between -2147483648 and 2147483647." in [str(e) for e in form.n.errors]
        assert F(MultiDict({"n": "-2147483648"}), meta={"csrf": False}).n.data == -(2**31)


def test_a_filter_select_with_a_huge_number_gets_a_400_not_a_500(client, login_as, estates):
    login_as("admin", all_estates=True)
    resp = client.get("/estates/units", query_string={"building": "9" * 30})
    assert resp.status_code in (200, 400)
    assert "<html" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/fees/arrears", "/repairs/stats", "/visits/statistics"])
def test_an_export_format_a_page_does_not_offer_is_refused_clearly(client, login_as, estates, path):
    login_as("admin", all_estates=True)
    for fmt in ("csv", "pdf"):
        resp = client.get(path, query_string={"export": fmt})
        assert resp.status_code == 400, (fmt, resp.status_code)
        assert "It exports to: xlsx." in resp.get_data(as_text=True)
    resp = client.get(path, query_string={"export": "xlsx"})
    assert resp.status_code == 200 and resp.data[:2] == b"PK"  # a real spreadsheet


def test_the_excel_link_replaces_the_export_argument_of_the_page(client, login_as, estates):
    login_as("admin", all_estates=True)
    page = client.get("/fees/arrears", query_string={"age": "3"}).get_data(as_text=True)
    link = page.split('id="arrears-xlsx" href="')[1].split('"')[0]
    assert "export=xlsx" in link and "age=3" in link and link.count("export=") == 1


def test_a_list_page_refuses_an_unknown_export_format(client, login_as, estates):
    login_as("admin", all_estates=True)
    resp = client.get("/residents/", query_string={"export": "pdf"})
    assert resp.status_code == 400
    assert "It exports to: csv, xlsx." in resp.get_data(as_text=True)


def test_an_over_long_import_token_is_refused_clearly(client, login_as, estates):
    login_as("supervisor", estates=[estates[0]])
    for token in ("a" * 5000, "../../etc/passwd", "0" * 32 + ".csv"):
        resp = client.post("/estates/import", data={"kind": "units", "estate_id": estates[0].id, "confirm": "1",
                                                    "token": token})
        assert resp.status_code == 400, token[:20]
        assert "Please upload the file again." in resp.get_data(as_text=True)


def _staff_logged_in(app):
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.models import Role, User

        ensure_roles()
        user = User(username="staff", full_name="Staff", all_estates=True,
                    roles=[db.session.scalar(select(Role).where(Role.code == "clerk"))])
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
    c = app.test_client()
    assert c.post("/login", data={"username": "staff", "password": TEST_PASSWORD}).status_code == 302
    assert c.get("/").status_code == 200
    return c


def _assert_503(c):
    for path in ("/", "/residents/", "/no/such/page"):
        resp = c.get(path)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 503, (path, resp.status_code)
        assert "The database is not reachable right now." in page and "Traceback" not in page


def test_a_sqlite_database_that_goes_away_gives_logged_in_staff_the_503_page(make_app, propdesk_database,
                                                                              tmp_path):
    """A real SQLite database (a copy of the test database) removed while a user is logged in."""
    if not propdesk_database.startswith("sqlite"):
        pytest.skip("the SQLite pass runs this one; the PostgreSQL pass stops a PostgreSQL database")
    folder = tmp_path / "db"
    folder.mkdir()
    copy = folder / "propdesk.db"
    src = sqlite3.connect(propdesk_database.removeprefix("sqlite:///"))
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{copy}")
    c = _staff_logged_in(app)
    with app.app_context():
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(folder)  # the database is gone
    _assert_503(c)


def test_a_postgresql_database_that_is_dropped_gives_logged_in_staff_the_503_page(make_app, postgres_only):
    """A separate PostgreSQL database, migrated, then dropped (its connections terminated)
    while a user is logged in."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from core.site import upgrade_site

    url = make_url(postgres_only)
    name = f"{url.database}_down"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=url.set(database=name).render_as_string(hide_password=False))
        with app.app_context():
            upgrade_site()
        c = _staff_logged_in(app)
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))  # stopped under the app's feet
        _assert_503(c)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.mark.fresh_app  # it adds a route
def test_an_error_page_after_a_failed_statement_still_renders(client, login_as, estates, db, app):
    """The 404 page after a statement failed: the transaction is rolled back first."""
    from flask import abort
    from sqlalchemy import text

    @app.route("/_test/fails-then-404")
    def _fails_then_404():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except Exception:  # noqa: BLE001 — a view that swallowed the error and carried on
            pass
        abort(404)

    login_as("clerk", estates=[estates[0]])
    resp = client.get("/_test/fails-then-404")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "Not found." in page and 'id="logout"' in page
    assert db.session.scalar(select(func.count()).select_from(Building)) >= 1


def test_a_postgresql_database_never_upgraded_gives_the_503_page_not_a_500(make_app, postgres_only):
    """A site started on an empty PostgreSQL database (``flask upgrade`` forgotten): the missing
    tables are an unavailable site, as SQLite's "no such table" already is, not a server error."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(postgres_only)
    name = f"{url.database}_bare"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=url.set(database=name).render_as_string(hide_password=False))
        c = app.test_client()
        resp = c.post("/login", data={"username": "staff", "password": TEST_PASSWORD})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 503 and "The database is not reachable right now." in page
        assert "Traceback" not in page
        with app.app_context():
            from core.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
