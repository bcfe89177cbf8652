"""The meetings_open_matters hook: the answers of every enabled plugin are collected; a plugin
that raises or answers something else is left out (logged), the others still offered."""

from __future__ import annotations

import pytest

GOOD = '''
from core import hookimpl

@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    return [{"reference": "GOOD-1", "label": "lift 2 stopped", "url": "/x", "kind": "Lift"},
            {"label": "no reference"}, "not a dict"]
'''
RAISES = '''
from core import hookimpl

@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    raise RuntimeError("down")
'''
WRONG = '''
from core import hookimpl

@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    return "GOOD-2"
'''


@pytest.fixture
def app(make_app, temp_plugin):
    extra = dict(temp_plugin(code, {"code": code, "name": code.title(), "version": "1.0.0"}, src)
                 for code, src in (("goodm", GOOD), ("raisesm", RAISES), ("wrongm", WRONG)))
    app = make_app(plugins=["meetings"], extra=extra)
    with app.app_context():
        from core.demo import ensure_roles
        from core.extensions import db
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        for code in ("meetings", "goodm", "raisesm", "wrongm"):
            enable(code)
        db.session.commit()
        refresh(force=True)
        yield app


def test_bad_answers_are_left_out(app, db, make_user, estates, caplog):
    from core.audit import acting_as
    from plugins.meetings import services

    user = make_user("frontdesk", [estates[0]])
    other = make_user("clerk", [estates[0]])
    offered = services.open_matters(user, estates[0].id)
    assert [m["reference"] for m in offered] == ["GOOD-1"]
    assert "raisesm" in caplog.text and "wrongm" in caplog.text
    with acting_as(user):
        h = services.hand_over(user, estate_id=estates[0].id, shift="day", incoming_id=other.id,
                               references=["GOOD-1"], handed_over="对讲机")
    assert [(m.reference, m.label, m.url, m.kind) for m in h.matters] == [("GOOD-1", "lift 2 stopped", "/x", "Lift")]
