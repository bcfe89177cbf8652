"""core.actions.record_action: the shared body of "act on this record" POST views."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from core.actions import record_action
from core.errors import DomainError
from core.forms import Form
from core.models import Department


class NameForm(Form):
    name = StringField("Name", validators=[DataRequired()])


def _names(db):
    db.session.expire_all()
    return set(db.session.scalars(select(Department.code)))


def _call(app, data, act):
    with app.test_request_context("/x", method="POST", data=data):
        form = NameForm()
        result = record_action(form, lambda: act(form), field="name", redirect_to="/done",
                               rerender=lambda f: ("again", 422, f.errors, list(f.form_errors)))
        from flask import get_flashed_messages

        return result, get_flashed_messages(with_categories=True)


def test_a_valid_form_runs_the_service_commits_flashes_and_redirects(app, db):
    def act(form):
        db.session.add(Department(code="fin", name=form.name.data))
        return "Saved."

    result, flashes = _call(app, {"name": "Finance"}, act)
    assert result.status_code == 302 and result.location == "/done"
    assert flashes == [("success", "Saved.")]
    assert "fin" in _names(db)


def test_an_invalid_form_rerenders_and_never_calls_the_service(app, db):
    calls = []
    result, flashes = _call(app, {"name": ""}, lambda form: calls.append(1))
    assert result[0] == "again" and result[1] == 422 and "name" in result[2]
    assert calls == [] and flashes == []


def test_a_refusal_rolls_back_and_puts_the_message_beside_the_named_field(app, db):
    def act(form):
        db.session.add(Department(code="half", name="Half saved"))
        db.session.flush()
        raise DomainError("No, because of the rule.", "name")

    result, flashes = _call(app, {"name": "Anything"}, act)
    assert result[0] == "again" and result[2] == {"name": ["No, because of the rule."]}
    assert "half" not in _names(db) and flashes == []


def test_a_refusal_for_a_field_the_form_lacks_goes_beside_the_default_field(app, db):
    def act(form):
        raise DomainError("Refused.", "amount")

    result, _flashes = _call(app, {"name": "x"}, act)
    assert result[2] == {"name": ["Refused."]}


def test_flash_unplaced_flashes_a_refusal_no_field_of_the_form_names(app, db):
    """For pages that hide the form once the record moved on ("dispatched already")."""
    def refuse(field):
        def act(form):
            db.session.add(Department(code="gone", name="Rolled back"))
            db.session.flush()
            raise DomainError("Someone did it first.", field)
        return act

    for field, placed in ((None, False), ("amount", False), ("name", True)):
        with app.test_request_context("/x", method="POST", data={"name": "x"}):
            form = NameForm()
            result = record_action(form, lambda form=form, field=field: refuse(field)(form), redirect_to="/done",
                                   flash_unplaced=True,
                                   rerender=lambda f: ("again", 422, f.errors, list(f.form_errors)))
            from flask import get_flashed_messages

            flashes = get_flashed_messages(with_categories=True)
        assert result[0] == "again" and "gone" not in _names(db)
        if placed:
            assert result[2] == {"name": ["Someone did it first."]} and flashes == []
        else:
            assert result[2] == {} and result[3] == [] and flashes == [("danger", "Someone did it first.")]
