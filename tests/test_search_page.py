"""The global search: Enter opens a full results page grouped by kind (the first ten of each,
"show all" for the rest); resident hits name their units, so two people of one name differ."""

from datetime import date

import pytest
from sqlalchemy import select

from core.models import Building, Occupancy, Resident, Unit

pytestmark = pytest.mark.plugins()  # the core's own hits only: units and residents


def _unit(db, estate, number):
    found = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))
    if found:
        return found
    building = db.session.scalar(select(Building).where(Building.estate_id == estate.id))
    unit = Unit(estate_id=estate.id, building_id=building.id, number=number, floor=1, use="residence")
    db.session.add(unit)
    db.session.flush()
    return unit


def _resident(db, estate, name, phone, *numbers, ended=()):
    r = Resident(estate_id=estate.id, name=name, phone=phone)
    db.session.add(r)
    db.session.flush()
    for n in numbers:
        db.session.add(Occupancy(estate_id=estate.id, unit_id=_unit(db, estate, n).id, resident_id=r.id))
    for n in ended:
        db.session.add(Occupancy(estate_id=estate.id, unit_id=_unit(db, estate, n).id, resident_id=r.id,
                                 role="tenant", start_date=date(2020, 1, 1), end_date=date(2021, 1, 1)))
    db.session.commit()
    return r


def test_two_residents_of_one_name_are_told_apart_by_their_units(client, login_as, estates, db):
    e1 = estates[0]
    login_as("clerk", estates=[e1])
    a = _resident(db, e1, "王芳", "13800001111", "1-1-101", "3-2-1201")
    b = _resident(db, e1, "王芳", "13900002222", "1-1-102", ended=("3-2-1201",))
    for html in (client.get("/search?q=王芳").get_data(as_text=True),
                 client.get("/search?q=王芳", headers={"HX-Request": "true"}).get_data(as_text=True)):
        assert f'href="/residents/{a.id}"' in html and f'href="/residents/{b.id}"' in html
        assert "1-1-101, 3-2-1201 · 138****1111" in html
        assert "1-1-102 · 139****2222" in html  # the tenancy that ended is not named


def test_enter_opens_a_page_grouped_by_kind_with_the_rest_behind_show_all(client, login_as, estates, db):
    e1, e2 = estates
    login_as("clerk", estates=[e1])
    for i in range(12):
        _unit(db, e1, f"9-1-{i + 1:02d}01")
    _resident(db, e1, "Li (shop 9-1-A)", "13700000000", "9-1-0101")
    db.session.commit()
    html = client.get("/search?q=9-1-").get_data(as_text=True)
    assert "<html" in html and "13 results" in html
    units = html[html.index('data-kind="Unit"'):html.index('data-kind="Resident"')]
    assert units.count('search-hit"') == 10 and "9-1-0101" in units and "9-1-1101" not in units
    assert ">12<" in units and 'href="/search?q=9-1-&amp;more=Unit">Show all 12</a>' in units
    residents = html[html.index('data-kind="Resident"'):]
    assert residents.count('search-hit"') == 1 and "9-1-0101 · 137****0000" in residents
    html = client.get("/search?q=9-1-&more=Unit").get_data(as_text=True)
    units = html[html.index('data-kind="Unit"'):html.index('data-kind="Resident"')]
    assert units.count('search-hit"') == 12 and "9-1-1201" in units and "Show all" not in units
    # the popup stays short and offers the page
    popup = client.get("/search?q=9-1-", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in popup and 'href="/search?q=9-1-">All results for “9-1-” (Enter)</a>' in popup
    nothing = client.get("/search?q=zzz-none").get_data(as_text=True)
    assert "Nothing found for “zzz-none”." in nothing and "search-group" not in nothing


def _resident_search_sql(app, db, user, estates, query):
    """The core search hook's statement on residents, with its parameters."""
    from sqlalchemy import event

    from core import hooks as core_hooks

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM core_resident" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.test_request_context("/search"):
            from flask_login import login_user

            login_user(user)
            hits = core_hooks.search(query=query, user=user, estates=[e.id for e in estates], limit=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return hits, seen


def test_a_phone_fragment_typed_with_dashes_finds_residents_in_name_order(app, db, estates, make_user):
    e1, e2 = estates
    _resident(db, e1, "Zhou Min", "13812345678", "1-1-101")
    _resident(db, e2, "An Qi", "13912345670")
    _resident(db, e1, "Bo Lan", "13700000000")  # another phone: not found
    user = make_user("manager", [e1, e2])
    hits, _sql = _resident_search_sql(app, db, user, [e1, e2], "123-456")
    assert [(str(h.kind), h.title) for h in hits] == [("Resident", "An Qi"), ("Resident", "Zhou Min")]
    hits, _sql = _resident_search_sql(app, db, user, [e1], "123-456")
    assert [h.title for h in hits] == ["Zhou Min"]  # the estate filter holds


def test_the_resident_search_reads_its_index_not_every_row(app, db, estates, make_user):
    """Names and phones are scanned from ``ix_core_resident_estate_name_phone`` (migration
    core_0004) on SQLite, even once statistics make the planner prefer the name index to spare
    the sort (which read every resident's row for the phone: ~300 ms on 100,000 residents);
    PostgreSQL gets trigram indexes on name and phone where ``pg_trgm`` is available."""
    from sqlalchemy import text

    e1, e2 = estates
    for i in range(30):
        _resident(db, e1 if i % 2 else e2, f"Resident {i:02d}", f"1380000{i:04d}")
    user = make_user("manager", [e1, e2])
    _hits, sql = _resident_search_sql(app, db, user, [e1, e2], "7-2-503")
    assert len(sql) == 1
    statement, params = sql[0]
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "COVERING INDEX ix_core_resident_estate_name_phone" in plan, plan
        else:
            indexes = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'core_resident'")))
            assert "ix_core_resident_estate_name_phone" in indexes
            if conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
                assert {"ix_core_resident_name_trgm", "ix_core_resident_phone_trgm"} <= indexes


def test_search_records_reads_ids_first_and_records_only_for_hits(app, db, estates):
    """``core.ui.search_records`` (issue 15, speed): a plugin's search statement finds the ids
    alone — one light statement when nothing matches — then loads the hits' records in the
    statement's order."""
    from sqlalchemy import event

    from core.ui import search_records

    e1, _e2 = estates
    for n in ("9-1-101", "9-1-102", "9-1-103"):
        _unit(db, e1, n)
    db.session.commit()
    e1_id = e1.id
    seen = []

    def log(_conn, _cur, statement, *_a):
        if statement != "BEGIN":
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        none = search_records(select(Unit).where(Unit.number == "nothing").order_by(Unit.id).limit(5))
        assert none == [] and len(seen) == 1
        assert "core_unit.number," not in seen[0]  # the id alone, not the row
        seen.clear()
        rows = search_records(select(Unit).where(Unit.estate_id == e1_id, Unit.number.like("9-1-%"))
                              .order_by(Unit.number.desc()).limit(2))
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert [u.number for u in rows] == ["9-1-103", "9-1-102"]
    assert all(isinstance(u, Unit) for u in rows) and len(seen) == 2
    assert seen[0].startswith("SELECT core_unit.id \nFROM core_unit") and "core_unit.id IN" in seen[1]


def test_the_core_search_finds_the_same_units_and_residents_by_any_spelling(app, db, estates, make_user):
    """Issue 15 (speed): on SQLite a query without ASCII letters is matched with ``instr``
    (LIKE folds only ASCII case, so the rows are the same), and a query of three or more digits
    and no letter searches phones only. What staff type still finds what it found before."""
    e1, e2 = estates
    _unit(db, e1, "A-7701")
    _unit(db, e1, "3-2-7701")
    _unit(db, e1, "5_1%01")  # wildcards in a number are matched as typed
    _unit(db, e1, "51101")
    wang = _resident(db, e1, "Wang Fang", "13811101999", "1-1-101")
    chen = _resident(db, e2, "陈建华", "13900002222")
    _resident(db, e1, "Tenant 42", "13700000000")  # digits in a name: found by a short query
    user = make_user("manager", [e1, e2])

    def found(q):
        hits, _sql = _resident_search_sql(app, db, user, [e1, e2], q)
        return [(str(h.kind), h.title) for h in hits]

    assert found("A-77") == [("Unit", "A-7701")]
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's LIKE keeps case, as it did
        assert found("a-77") == [("Unit", "A-7701")]  # letters: LIKE, any case
    assert found("7701") == [("Unit", "A-7701"), ("Unit", "3-2-7701")]
    assert found("5_1%") == [("Unit", "5_1%01")]
    assert ("Resident", "Wang Fang") in found("1-1-101")  # by the digits of her phone
    assert found("111-01") == [("Resident", "Wang Fang")]
    assert found("Wang") == [("Resident", "Wang Fang")]
    if db.engine.dialect.name == "sqlite":
        assert found("WANG") == [("Resident", "Wang Fang")]
    assert found("建华") == [("Resident", "陈建华")]
    assert found("42") == [("Resident", "Tenant 42")]
    assert found("Tenant 4") == [("Resident", "Tenant 42")]
    assert wang.id and chen.id
