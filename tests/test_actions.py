"""core.actions.record_action: the shared body of "act on this record" POST views."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from core.actions import Once, claim_once_key, record_action
from core.errors import DomainError
from core.extensions import db as db_
from core.forms import Form, OnceKeyField, is_once_key, new_once_key
from core.models import Department, OnceKey


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


# --- one-time forms (core.forms.OnceKeyField, record_action(once=...)) ------------------------

class OnceNameForm(Form):
    once_key = OnceKeyField()
    name = StringField("Name", validators=[DataRequired()])


def _once(dept_code):
    """What the form makes: the department ``dept_code``; its page is /departments/<id>."""
    def made():
        return db_.session.scalar(select(Department.id).where(Department.code == dept_code))
    return Once("core_department", made, lambda i: f"/departments/{i}")


def _send_once(app, data, code="fin"):
    def act():
        db_.session.add(Department(code=code, name=data.get("name", "")))
        db_.session.flush()
        return "Saved."

    with app.test_request_context("/x", method="POST", data=data):
        form = OnceNameForm()
        result = record_action(form, act, field="name", redirect_to="/done", once=_once(code),
                               rerender=lambda f: ("again", 422, f.once_key.data, list(f.form_errors)))
        from flask import get_flashed_messages

        return result, get_flashed_messages(with_categories=True)


def test_a_once_key_is_new_at_each_render_and_never_made_up_for_a_submission(app):
    with app.test_request_context("/x"):
        keys = {OnceNameForm(formdata=None).once_key.data for _ in range(20)}
        assert len(keys) == 20 and all(is_once_key(k) for k in keys)
        html = OnceNameForm(formdata=None).hidden_tag()
        assert 'name="once_key" type="hidden"' in str(html)
    with app.test_request_context("/x", method="POST", data={"name": "x"}):
        form = OnceNameForm()
        assert form.once_key.data == "" and not form.validate()  # missing: no fresh default slips in
    with app.test_request_context("/x", method="POST", data={"name": "x", "once_key": new_once_key()}):
        assert OnceNameForm().validate()
    for bad in ("short", "a b" * 12, "x" * 65, "é" * 30):
        assert not is_once_key(bad)


def test_a_once_form_acts_once_and_a_second_submission_goes_to_the_result(app, db):
    key = new_once_key()
    result, flashes = _send_once(app, {"name": "Finance", "once_key": key})
    dept = db.session.scalar(select(Department).where(Department.code == "fin"))
    assert result.status_code == 302 and result.location == "/done" and flashes == [("success", "Saved.")]
    row = db.session.scalar(select(OnceKey).where(OnceKey.key == key))
    assert (row.table_name, row.record_id) == ("core_department", dept.id)
    result, flashes = _send_once(app, {"name": "Finance again", "once_key": key}, code="fin2")
    assert result.status_code == 302 and result.location == f"/departments/{dept.id}"
    assert flashes[0][0] == "info" and "sent already" in flashes[0][1]
    assert _names(db) == {"fin"}


def test_a_missing_or_bad_once_key_is_refused_with_a_new_key_and_changes_nothing(app, db):
    for data in ({"name": "x"}, {"name": "x", "once_key": "bad"}, {"name": "x", "once_key": "\x00" * 30}):
        result, flashes = _send_once(app, data)
        assert result[0] == "again" and result[1] == 422 and flashes == []
        assert is_once_key(result[2]) and result[2] != data.get("once_key")  # the form comes back sendable
        assert "lost its one-time key" in str(result[3][0])
    assert _names(db) == set() and db.session.scalar(select(OnceKey)) is None


def test_a_refused_once_form_keeps_its_key_for_the_next_try(app, db):
    """A refusal rolls the key back with the change: the corrected form is sent with the same key."""
    key = new_once_key()
    result, _ = _send_once(app, {"name": "", "once_key": key})
    assert result[0] == "again" and result[2] == key and db.session.scalar(select(OnceKey)) is None
    result, _ = _send_once(app, {"name": "Finance", "once_key": key})
    assert result.status_code == 302 and _names(db) == {"fin"}


def test_two_submissions_of_one_form_at_the_same_moment_the_unique_index_decides(app, db):
    """The first holds its key uncommitted while the second arrives: on PostgreSQL the second's
    insert waits on the unique index, fails when the first commits and rolls back; on SQLite it
    waits for the write lock and then finds the key. Either way: one department, and the second
    is sent to it."""
    key = new_once_key()
    claimed = threading.Event()
    outcome = {}

    def first():
        with app.test_request_context("/x", method="POST", data={}):
            claim_once_key(key, "core_department")
            dept = Department(code="first", name="First")
            db_.session.add(dept)
            db_.session.flush()
            claim_id = dept.id
            claimed.set()
            time.sleep(1.0)  # the second is now waiting
            db_.session.query(OnceKey).filter_by(key=key).update({"record_id": claim_id})
            db_.session.commit()
            outcome["first"] = claim_id
            db_.session.remove()

    def second():
        claimed.wait(30)
        with app.test_request_context("/x", method="POST", data={"name": "Second", "once_key": key}):
            form = OnceNameForm()
            outcome["second"] = record_action(
                form, lambda: db_.session.add(Department(code="second", name="Second")), redirect_to="/done",
                rerender=lambda f: ("again", 422), once=_once("second"))
            db_.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcome["second"].status_code == 302
    assert outcome["second"].location == f"/departments/{outcome['first']}"
    db.session.rollback()  # end this thread's read transaction: see what the others committed
    assert _names(db) == {"first"}


def test_a_form_kept_open_longer_than_the_key_lives_is_refused_and_the_purge_forgets_old_keys(app, db, clock):
    """A key says when it was issued: past ONCE_KEY_DAYS the form is refused (reload it) and the
    daily job forgets keys used before then, so ``core_once_key`` does not grow for ever."""
    from datetime import timedelta

    from core.forms import ONCE_KEY_DAYS, once_key_issued
    from core.hooks import purge_once_keys
    from core.models import utcnow

    opened = utcnow()
    old_key, kept_key = new_once_key(), new_once_key()
    assert abs((once_key_issued(old_key) - opened).total_seconds()) < 5
    clock.shift(timedelta(days=ONCE_KEY_DAYS, minutes=1))
    result, _ = _send_once(app, {"name": "Finance", "once_key": old_key})
    assert result[0] == "again" and result[1] == 422 and result[2] != old_key
    assert f"more than {ONCE_KEY_DAYS} days ago" in str(result[3][0])
    assert _names(db) == set() and db.session.scalar(select(OnceKey)) is None
    # A key used on time is remembered for the key's life, then forgotten by the job.
    fresh = new_once_key()
    result, _ = _send_once(app, {"name": "Finance", "once_key": fresh})
    assert result.status_code == 302 and _names(db) == {"fin"}
    db.session.add(OnceKey(key=kept_key, table_name="core_department", at=utcnow() - timedelta(days=ONCE_KEY_DAYS)))
    db.session.add(OnceKey(key="t00000000" + "x" * 24, table_name="core_department",
                           at=utcnow() - timedelta(days=ONCE_KEY_DAYS + 2)))
    db.session.commit()
    assert purge_once_keys() == "1 used one-time form keys forgotten"
    db.session.commit()
    assert set(db.session.scalars(select(OnceKey.key))) == {fresh, kept_key}
    assert once_key_issued("a" * 32) is None  # keys made before keys said when: not expired
