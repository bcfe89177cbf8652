"""One rule for every form (issue 15): a POST whose form is refused answers 422 with the form
shown again, the error beside its field, and nothing saved — the core's forms (residents,
estates, users, departments, the password), the notices' and the service desk's alike. The
residents and notices forms answered 200; the core's ``answer_refused_forms`` now says 422
for any view that shows a refused form again, whatever status the view gave."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, render_template_string
from sqlalchemy import func, select

from core.extensions import db as _db
from core.forms import Form
from core.models import Department, Estate, Occupancy, Resident, Unit, User


def _count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def _first(model, *where):
    return _db.session.scalar(select(model).where(*where).order_by(model.id))


def _notice_count():
    from plugins.notices.models import Notice

    return _count(Notice)


def _complaint_count():
    from plugins.complaints.models import Complaint

    return _count(Complaint)


def _repair_count():
    from plugins.repairs.models import Repair

    return _count(Repair)


def _password_hash():
    return _first(User, User.username == "walker").password_hash


# (name, path(e1), data(e1), what must not change, field with the error, its message)
CASES = [
    ("resident", lambda e: "/residents/new", lambda e: {"estate_id": e.id, "name": "", "kind": "person"},
     lambda: _count(Resident), "name", "This field is required."),
    ("resident phone", lambda e: "/residents/new",
     lambda e: {"estate_id": e.id, "name": "李雷", "kind": "person", "phone": "abc"},
     lambda: _count(Resident), "phone", "Enter a phone number of 5 to 20 digits."),
    ("occupancy", lambda e: f"/residents/{_first(Resident, Resident.estate_id == e.id).id}/occupancies",
     lambda e: {"unit_number": "9-9-999", "role": "owner"},
     lambda: _count(Occupancy), "unit_number", "There is no unit 9-9-999 in this estate."),
    ("end occupancy", lambda e: f"/residents/occupancies/{_first(Occupancy, Occupancy.estate_id == e.id).id}/end",
     lambda e: {"end_date": "2026-02-30"},
     lambda: _count(Occupancy, Occupancy.end_date.is_not(None)), "end_date", "Not a valid date value."),
    ("end occupancy empty", lambda e: f"/residents/occupancies/{_first(Occupancy, Occupancy.estate_id == e.id).id}/end",
     lambda e: {"end_date": ""},
     lambda: _count(Occupancy, Occupancy.end_date.is_not(None)), "end_date", "Enter the date it ended."),
    ("notice", lambda e: "/notices/new",
     lambda e: {"estate_id": e.id, "title": "停水通知", "category": "water", "body": "明日停水",
                "posted_from": "2026-02-30"},
     _notice_count, "posted_from", "Not a valid date value."),
    ("estate", lambda e: "/estates/new", lambda e: {"code": "", "name": "", "kind": "residential",
                                                     "timezone": "Asia/Shanghai"},
     lambda: _count(Estate), "code", "This field is required."),
    ("unit", lambda e: "/estates/units/new",
     lambda e: {"building_id": _first(Unit, Unit.estate_id == e.id).building_id, "number": "3-2-1299",
                "use": "residence", "area": "1e3"},
     lambda: _count(Unit), "area", "Enter an amount such as 1280.50."),
    ("user", lambda e: "/admin/users/new", lambda e: {"username": "", "full_name": "", "locale": ""},
     lambda: _count(User), "full_name", "This field is required."),
    ("department", lambda e: "/admin/departments", lambda e: {"code": "", "name": ""},
     lambda: _count(Department), "name", "This field is required."),
    ("password", lambda e: "/profile", lambda e: {"current": "wrong", "new": "NewPass1234", "confirm": "NewPass1234"},
     _password_hash, "current", "The current password is wrong."),
    ("complaint", lambda e: "/complaints/new",
     lambda e: {"estate_id": e.id, "received_at": "2026-02-30T10:00", "channel": "phone", "unit_number": "3-2-1201",
                "contact_name": "王建国", "contact_phone": "13912345678", "category": "noise",
                "content": "楼上深夜装修噪音", "kind": "venting", "severity": "normal"},
     _complaint_count, "received_at", "Not a valid datetime value."),
    ("repair", lambda e: "/repairs/new",
     lambda e: {"estate_id": e.id, "unit_number": "3-2-1201", "resident_id": "", "contact_name": "王芳",
                "contact_phone": "13800001234", "channel": "phone", "category": "water", "description": "x",
                "area": "private", "priority": "normal"},
     _repair_count, "description", "Too short: write at least 2 characters."),
]


@pytest.mark.parametrize("name,path,data,unchanged,field,message", CASES, ids=[c[0] for c in CASES])
def test_a_refused_form_answers_422_with_its_error_and_saves_nothing(client, login_as, db, estates, name, path,
                                                                      data, unchanged, field, message):
    e1, _e2 = estates
    login_as("admin", all_estates=True, username="walker")
    before = unchanged()
    resp = client.post(path(e1), data=data(e1))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422, (name, resp.status_code, resp.headers.get("Location"))
    errors = re.findall(rf'data-field="{field}">([^<]*)<', page)
    assert errors and message in errors[0], (name, errors)
    assert "<form" in page  # the form is shown again, not a bare error page
    db.session.expire_all()
    assert unchanged() == before


@pytest.mark.fresh_app  # it adds a route
def test_the_rule_holds_for_a_view_that_forgot_the_status(app, client, login_as, estates):
    """A plugin's view that shows its refused form again with a plain 200 answers 422; a
    redirect, a GET and an htmx request keep what the view gave."""
    from wtforms import StringField
    from wtforms.validators import DataRequired

    class NameForm(Form):
        name = StringField("Name", validators=[DataRequired()])

    bp = Blueprint("forgot422", __name__)

    @bp.route("/forgot422", methods=["GET", "POST"])
    def page():
        form = NameForm()
        if form.validate_on_submit():
            return "saved", 302, {"Location": "/"}
        return render_template_string("<form>{{ form.name.errors|join }}</form>", form=form)

    app.register_blueprint(bp)
    login_as("clerk", estates=[estates[0]])
    resp = client.post("/forgot422", data={"name": ""})
    assert resp.status_code == 422 and "This field is required." in resp.get_data(as_text=True)
    assert client.post("/forgot422", data={"name": "李雷"}).status_code == 302
    assert client.get("/forgot422").status_code == 200
    assert client.post("/forgot422", data={"name": ""}, headers={"HX-Request": "true"}).status_code == 200
