"""A user of estate E01 submits E02's ids in every form that takes one: refused, nothing of
E02 shown, nothing saved (issue 10, "every lookup from a submitted id goes through the scope")."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core.models import Building, Occupancy, Resident, Unit


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def secrets_of(db, estate) -> list[str]:
    """What must never show to a user of another estate: its residents' names and phones."""
    rows = db.session.scalars(select(Resident).where(Resident.estate_id == estate.id)).all()
    return [r.name for r in rows] + [r.phone for r in rows] + [estate.name]


def assert_nothing_of(page: str, db, estate):
    for secret in secrets_of(db, estate):
        assert secret not in page, f"{secret!r} of {estate.code} shown"


def test_a_repair_form_with_another_estates_unit_lists_none_of_its_residents(client, db, estates, login_as):
    from plugins.repairs.models import Repair

    e1, e2 = estates
    login_as("clerk", [e1])
    resp = client.post("/repairs/new", data={
        "estate_id": e2.id, "unit_number": "3-2-1201", "resident_id": "", "contact_name": "王芳",
        "contact_phone": "13800001234", "channel": "phone", "category": "water", "description": "漏水",
        "area": "private", "priority": "normal"})
    assert resp.status_code == 422
    assert_nothing_of(resp.get_data(as_text=True), db, e2)
    assert count(db, Repair) == 0


def test_every_form_that_takes_an_estate_refuses_another_estates_id(client, db, estates, login_as):
    """The creating forms with E02's estate id (or its building, its unit number): refused beside
    the field, E02's names and phones not on the page, nothing saved."""
    from plugins.complaints.models import Complaint, Suggestion
    from plugins.notices.models import Notice
    from plugins.surveys.models import Survey
    from plugins.visits.models import ReturnVisit

    e1, e2 = estates
    login_as("admin", [e1])
    b2 = db.session.scalar(select(Building).where(Building.estate_id == e2.id))
    day = date(2026, 11, 20)
    cases = [
        ("/residents/new", {"estate_id": e2.id, "name": "Someone", "kind": "person"}, Resident),
        ("/estates/buildings/new", {"estate_id": e2.id, "code": "9", "name": "Nine"}, Building),
        ("/estates/units/new", {"building_id": b2.id, "number": "9-9-909", "use": "residence"}, Unit),
        ("/complaints/new", {"estate_id": e2.id, "received_at": "2026-11-20T10:00", "channel": "phone",
                             "unit_number": "3-2-1201", "contact_name": "x", "contact_phone": "13800001234",
                             "category": "noise", "content": "the lift is noisy", "kind": "venting",
                             "severity": "normal"}, Complaint),
        ("/complaints/suggestions/new", {"estate_id": e2.id, "received_at": "2026-11-20T10:00",
                                         "channel": "phone", "unit_number": "3-2-1201", "suggester_name": "x",
                                         "content": "more benches please"}, Suggestion),
        ("/surveys/new", {"estate_id": e2.id, "title": "Q4", "period": "2026 Q4", "start_date": day.isoformat(),
                          "end_date": (day + timedelta(days=20)).isoformat()}, Survey),
        ("/notices/new", {"estate_id": e2.id, "title": "停水", "category": "outage", "body": "周六停水",
                          "posted_from": day.isoformat()}, Notice),
        ("/visits/new", {"estate_id": e2.id, "kind": "decoration", "unit_number": "3-2-1201",
                         "contact_name": "x", "assigned_to_id": 0}, ReturnVisit),
    ]
    for url, data, model in cases:
        before = count(db, model)
        resp = client.post(url, data=data)
        assert resp.status_code in (200, 404, 422), (url, resp.status_code)  # the form again, not saved
        assert_nothing_of(resp.get_data(as_text=True), db, e2)
        assert count(db, model) == before, url
    assert db.session.scalar(select(func.count()).select_from(Occupancy)
                             .where(Occupancy.estate_id == e2.id)) == 3


def test_a_supervisor_cannot_name_or_designate_another_estates_staff(client, db, estates, login_as, make_user):
    from plugins.visits.models import Visitor

    e1, e2 = estates
    login_as("supervisor", [e1])
    stranger = make_user("clerk", [e2], full_name="Far Away")
    for estate in (e1, e2):
        resp = client.post("/visits/visitors", data={"estate_id": estate.id, "user_id": stranger.id})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 422 and "Far Away" not in page and e2.name not in page
    assert count(db, Visitor) == 0


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", ROOT / "plugins", ROOT / "core", ROOT / "tests" / "sample_plugin"]
# A name is translated through its plugin's catalog: text of the code, not of a user.
ALLOWED_VARIABLE_GETTEXT = {"r.m.name", "r.m.summary", "info.manifest.name"}


def _sources(*suffixes):
    for root in TEMPLATE_DIRS:
        for path in root.rglob("*"):
            if path.suffix in suffixes and "node_modules" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


def test_no_template_marks_text_safe_or_translates_a_variable():
    """User text is never marked safe nor passed to gettext (in a template ``_()`` returns
    markup: a variable given to it is shown as live HTML)."""
    import re

    bad = []
    call = re.compile(r"(?<![\w.])(?:_|gettext|pgettext|ngettext)\(\s*([^'\"\s)][^,)]*)")
    for path, text in _sources(".html"):
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\|\s*safe\b", line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: |safe")
            for arg in call.findall(line):
                if arg.strip() not in ALLOWED_VARIABLE_GETTEXT:
                    bad.append(f"{path.relative_to(ROOT)}:{n}: _({arg})")
    assert not bad, bad


def test_python_never_formats_text_into_markup_nor_translates_a_variable():
    import re

    bad = []
    markup = re.compile(r"Markup\(\s*(f['\"]|['\"][^'\"]*['\"]\s*%|[a-z_]+\s*%)")
    call = re.compile(r"(?<![\w.])(?:_|_l|gettext|lazy_gettext|pgettext|ngettext)\(\s*([^'\"\s)rbfu][^,)]*)")
    for path, text in _sources(".py"):
        for n, line in enumerate(text.splitlines(), 1):
            if markup.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: Markup with % or f-string")
            for arg in call.findall(line):
                if arg.strip() not in ALLOWED_VARIABLE_GETTEXT and not arg.startswith(("\"", "'")):
                    bad.append(f"{path.relative_to(ROOT)}:{n}: _({arg})")
    assert not bad, bad
