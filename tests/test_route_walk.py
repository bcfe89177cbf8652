"""Walk every route of the app (``app.url_map``, so a new plugin's routes are walked too)
with bad input, as an administrator who sees every estate and as a user of estate A only:

- every ``<int:>`` segment with an id beyond a 32-bit column and with the id of another
  estate's record (one record per table that has ``estate_id``, made by each plugin's
  ``demo_data`` hook for estate B);
- every GET route with its query parameters (read from the page's GET forms, plus common
  names) set to a NUL byte, 10,000 characters, a huge number; and ``export`` set to
  every format and an unknown one;
- every POST route with its form fields (read from the page's POST forms, plus common
  names) set to the same values;
- every form posted by the estate-A user with estate B's ids and values where the field's
  name says which record (``estate_id``, ``unit_id``, ``unit_number``…).

Never a 5xx; a NUL byte always a 400 with the error page; and the estate-A user never
sees a marker written into estate B's records.

One app and one database are shared by the whole walk (a module fixture); each test
lists every route that failed, not only the first.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import String, Text, select, update
from werkzeug.routing import IntegerConverter

from core.testing import TEST_PASSWORD, _empty_tables, base_config

MARKER = "ZQXB7"  # written into estate B's text; the estate-A user must never see it
HUGE = str(2**31)  # one beyond a 32-bit column
HUGER = "9" * 30  # beyond any integer type (SQLite's 64 bits too)
LONG = "x" * 10_000
NUL = "a\x00b"
COMMON_NAMES = ["q", "page", "sort", "estate", "estate_id", "building", "building_id", "unit", "unit_id",
                "resident_id", "status", "state", "kind", "category", "month", "year", "period", "first",
                "last", "date", "day", "from", "to", "as_of", "amount", "note", "name", "id", "next", "token",
                "print", "age", "by", "user_id", "role", "department", "confirm", "action"]
SKIP_POST = {"auth.logout", "auth.login"}


class _Forms(HTMLParser):
    """The field names of a page's forms, by method."""

    def __init__(self):
        super().__init__()
        self.method = None
        self.names = {"get": set(), "post": set()}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.method = (a.get("method") or "get").lower()
        elif tag in ("input", "select", "textarea", "button") and self.method and a.get("name"):
            if a["name"] != "csrf_token":
                self.names.setdefault(self.method, set()).add(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.method = None


def form_names(html: str) -> dict[str, set[str]]:
    p = _Forms()
    p.feed(html)
    return p.names


def _stem_matches(table: str, stem: str) -> bool:
    rest = table.split("_", 1)[1] if "_" in table else table
    return rest == stem or rest.endswith("_" + stem) or rest.startswith(stem)


@pytest.fixture(scope="module")
def walk(propdesk_database, tmp_path_factory):
    """The app with every built-in plugin; estates A and B (B with each plugin's demo data and
    MARKER in its text); an administrator of every estate and an administrator of A only."""
    from core import create_app
    from core.audit import acting_as
    from core.demo import ensure_roles
    from core.extensions import db
    from core.models import Estate, Role, User
    from core.permissions import ROLES
    from core.plugins import plugins
    from core.site import refresh
    from core.testing import make_estate

    app = create_app(base_config(propdesk_database, tmp_path_factory.mktemp("walk")))
    with app.app_context():
        refresh(force=True)
        roles = ensure_roles()
        e_a = make_estate("WA1", "Walk estate A")
        e_b = make_estate("WB2", f"Walk estate B {MARKER}", units=("1-1-101", "2-1-201"))
        users = {}
        for code in ROLES:
            u = User(username=f"demo-{code}", full_name=code, roles=[roles[code]], estates=[e_a, e_b])
            u.set_password(TEST_PASSWORD)
            db.session.add(u)
            users[code] = u
        db.session.flush()
        with acting_as(None):
            for code, _res, err in plugins().call_each("demo_data", estate=e_b, users=users):
                assert err is None, f"demo_data of {code}: {err!r}"
        db.session.flush()
        # MARKER into every free-text column of estate B's rows (the walk looks for it).
        ids_b: dict[str, int] = {"core_estate": e_b.id}
        rows_b: dict[str, dict] = {"core_estate": {"id": e_b.id, "code": e_b.code}}
        for table in db.metadata.sorted_tables:
            if "estate_id" not in table.c:
                continue
            if "id" in table.c:
                first = db.session.execute(select(table).where(table.c.estate_id == e_b.id)
                                           .order_by(table.c.id).limit(1)).mappings().first()
                if first is not None:
                    ids_b[table.name] = first["id"]
                    rows_b[table.name] = dict(first)
            for col in table.c:
                length = getattr(col.type, "length", None)
                if isinstance(col.type, String | Text) and (length is None or length >= 40) \
                        and col.name in {"name", "title", "subject", "description", "content", "body", "text",
                                         "note", "summary", "details", "reason", "comment", "address"}:
                    db.session.execute(update(table).where(table.c.estate_id == e_b.id, col != "")
                                       .values({col: col + " " + MARKER}))
        # The walkers' own role, made last: the walk posts to the forms of the standard roles
        # (``/admin/roles/1``) and must not take its own permissions away.
        walk_role = Role(code="walk", name="Walk", description="")
        walk_role.set_permissions(roles["admin"].permission_codes)
        db.session.add(walk_role)
        admin = User(username="walk-admin", full_name="Walk Admin", roles=[walk_role], all_estates=True)
        admin_a = User(username="walk-admin-a", full_name="Walk Admin A", roles=[walk_role],
                       estates=[db.session.get(Estate, e_a.id)])
        for u in (admin, admin_a):
            u.set_password(TEST_PASSWORD)
            db.session.add(u)
        db.session.commit()
        refresh(force=True)
    app.config["WALK_ROWS_B"] = rows_b
    yield app, ids_b
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    _empty_tables(propdesk_database)


def _client(app, username):
    c = app.test_client()
    resp = c.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert resp.status_code == 302, f"login of {username}: {resp.status_code}"
    return c


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule


def _url(rule, int_value, ids_b=None, other="x"):
    """The rule's URL with every ``int`` argument ``int_value`` (or, with ``ids_b``, the id of
    estate B's record of the table the argument names); ``None`` when a B id is wanted for a
    rule without one."""
    values = {}
    any_b = False
    for arg in rule.arguments:
        conv = rule._converters[arg]
        if isinstance(conv, IntegerConverter):
            if ids_b is not None:
                stem = arg.removesuffix("_id")
                found = [v for t, v in ids_b.items() if _stem_matches(t, stem)]
                if not found:
                    return None
                values[arg], any_b = found[0], True
            else:
                values[arg] = int_value
        else:
            values[arg] = other
    if ids_b is not None and not any_b:
        return None
    return _build(rule, values)


def _build(rule, values):
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?" + arg + ">", str(value), url)
    return url


def _int_rules(app):
    return [r for r in _rules(app) if any(isinstance(c, IntegerConverter) for c in r._converters.values())]


def _send(c, method, url, where, failures, **kw):
    """One request; an exception the app let through (the test client raises it) is noted."""
    try:
        return c.open(url, method=method, **kw)
    except Exception as exc:  # noqa: BLE001
        failures.append(f"{where}: raised {type(exc).__name__}: {str(exc)[:160]}")
        return None


def _check(resp, where, failures, marker=False, expect=None):
    if resp is None:
        return ""
    page = resp.get_data().decode("utf-8", "replace")
    if resp.status_code >= 500:
        failures.append(f"{where}: {resp.status_code}")
    elif expect is not None and resp.status_code != expect:
        failures.append(f"{where}: {resp.status_code}, expected {expect}")
    elif marker and MARKER in page:
        failures.append(f"{where}: shows estate B's data ({MARKER})")
    elif resp.status_code >= 400 and "<html" not in page:
        failures.append(f"{where}: {resp.status_code} without the error page")
    return page


def _walk(c, method, url, where, failures, marker=False, expect=None, **kw):
    resp = _send(c, method, url, where, failures, **kw)
    _check(resp, where, failures, marker=marker, expect=expect)
    return resp


def _report(failures):
    assert not failures, f"{len(failures)} failing requests:\n" + "\n".join(failures)


def _clients(app):
    return {"admin": _client(app, "walk-admin"), "admin-of-A": _client(app, "walk-admin-a")}


def test_int_segments_beyond_range_and_of_another_estate(walk):
    app, ids_b = walk
    failures: list[str] = []
    clients = _clients(app)
    for rule in _int_rules(app):
        c = clients["admin"]  # the route does not match, whoever asks
        for value in (HUGE, HUGER):
            url = _url(rule, value)
            if "GET" in rule.methods:
                _walk(c, "GET", url, f"GET {url}", failures, expect=404)
            if "POST" in rule.methods and rule.endpoint not in SKIP_POST:
                _walk(c, "POST", url, f"POST {url}", failures, expect=404, data={"note": "x"})
        url_b = _url(rule, None, ids_b=ids_b)
        if url_b is None:
            continue
        c = clients["admin-of-A"]
        if "GET" in rule.methods:
            _walk(c, "GET", url_b, f"admin-of-A GET {url_b} (estate B's id)", failures, marker=True)
        if "POST" in rule.methods and rule.endpoint not in SKIP_POST:
            _walk(c, "POST", url_b, f"admin-of-A POST {url_b} (estate B's id)", failures, marker=True,
                  data={"note": "x", "reason": "x"})
    _report(failures)


def _get_urls(app, ids_b):
    """Every GET route's URL: int arguments as estate B's ids where the name says which table
    (the administrator of every estate reaches the view), else 1."""
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        yield _url(rule, None, ids_b=ids_b) or _url(rule, 1)


def _bad_values(app, who):
    """The values each parameter or field is set to, one request per value. A NUL byte is
    refused before any view runs, so one user is enough; 2**31 only fails on PostgreSQL
    (SQLite's integers have 64 bits), where the administrator of every estate sends it
    instead of 30 nines. Fewer requests keep the walk within its two minutes."""
    values = [("long text", LONG), ("huge number", HUGER)]
    if who == "admin-of-A":
        values.insert(0, ("NUL", NUL))
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        values[1] = ("beyond int32", HUGE)
    return values


def test_query_parameters_with_nul_long_text_and_huge_numbers(walk):
    app, ids_b = walk
    failures: list[str] = []
    clients = _clients(app)
    for url in _get_urls(app, ids_b):
        page = clients["admin"].get(url).get_data().decode("utf-8", "replace")
        names = (form_names(page)["get"] | set(COMMON_NAMES)) - {"export"}
        for who, c in clients.items():
            for label, value in _bad_values(app, who):
                _walk(c, "GET", url, f"{who} GET {url} with {label} in {sorted(names)}", failures,
                      marker=who == "admin-of-A", expect=400 if label == "NUL" else None,
                      query_string={n: value for n in names})
        for fmt in ("csv", "pdf"):  # a format a page offers, and one no page does
            _walk(clients["admin-of-A"], "GET", url, f"admin-of-A GET {url}?export={fmt}", failures, marker=True,
                  query_string={"export": fmt})
    _report(failures)


def test_form_fields_with_nul_long_text_and_huge_numbers(walk):
    app, ids_b = walk
    failures: list[str] = []
    for who, c in _clients(app).items():
        for rule in _rules(app):
            if "POST" not in rule.methods or rule.endpoint in SKIP_POST:
                continue
            url = _url(rule, None, ids_b=ids_b) or _url(rule, 1)
            names = set(COMMON_NAMES)
            if "GET" in rule.methods:
                names |= form_names(c.get(url).get_data().decode("utf-8", "replace"))["post"]
            for label, value in _bad_values(app, who):
                _walk(c, "POST", url, f"{who} POST {url} with {label} in {sorted(names)}", failures,
                      marker=who == "admin-of-A", expect=400 if label == "NUL" else None,
                      data={n: value for n in names})
            if rule.endpoint.startswith("auth."):  # in case the walk changed the password or language
                c = _client(app, "walk-admin" if who == "admin" else "walk-admin-a")
    _report(failures)


def _b_value(name: str, rows_b: dict[str, dict]):
    """What estate B's records hold for a form field named ``<stem>_id`` (the record's id)
    or ``<stem>_<column>`` (that column), e.g. ``estate_id``, ``unit_id``, ``unit_number``."""
    if "_" not in name:
        return None
    for cut in range(len(name)):
        if name[cut] != "_":
            continue
        stem, column = name[:cut], name[cut + 1:]
        for table, row in rows_b.items():
            if _stem_matches(table, stem) and column in row and row[column] is not None:
                return str(row[column])
    return None


def test_forms_given_another_estates_ids_never_show_its_records(walk):
    """Every POST form (fields read from its GET page) sent by the estate-A user with estate B's
    ids and values where the field's name says which record (``estate_id``, ``unit_id``,
    ``unit_number``…): never a 5xx, never estate B's marker in the answer."""
    app, ids_b = walk
    rows_b = app.config["WALK_ROWS_B"]
    failures: list[str] = []
    c = _clients(app)["admin-of-A"]
    for rule in _rules(app):
        if "POST" not in rule.methods or "GET" not in rule.methods or rule.endpoint in SKIP_POST:
            continue
        url = _url(rule, None, ids_b=ids_b) or _url(rule, 1)
        names = form_names(c.get(url).get_data().decode("utf-8", "replace"))["post"] | {"estate_id"}
        data = {n: v for n in names if (v := _b_value(n, rows_b)) is not None}
        if data:
            where = f"admin-of-A POST {url} ({rule.endpoint}) with estate B's {data}"
            _walk(c, "POST", url, where, failures, marker=True, data=data)
    _report(failures)
