"""Issue 15, screens and wording: the estate column of a list says nothing to a user of one
estate (hidden) and tells the estates apart for a user of several (shown); the admin user form's
language choice reads clearly in both languages; the visit form and the printed work order offer
one satisfaction scale, and the visits catalog keeps no entry of its own for it."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from core import i18n_tools


def _heads(html: str) -> list[str]:
    return re.findall(r'<th class="[^"]*" data-col="([^"]+)"', html)


def test_the_estate_column_shows_only_for_a_user_of_several_estates(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    one = client.get("/residents/")
    assert one.status_code == 200
    assert _heads(one.text) and "estate" not in _heads(one.text)
    client.post("/logout")
    login_as("clerk", estates=list(estates))
    both = client.get("/residents/")
    assert "estate" in _heads(both.text)


def test_exports_keep_the_estate_column_for_a_user_of_one_estate(app, estates, make_user):
    """The page hides it; the file keeps every column (a spreadsheet is read and merged later)."""
    from flask_login import login_user
    from sqlalchemy import select

    from core.listing import Column, ListPage
    from core.models import Resident

    user = make_user("clerk", [estates[0]])
    with app.test_request_context("/residents/"):
        login_user(user)
        page = ListPage(select(Resident), [Column("name", "Name", lambda r: r.name),
                                           Column("estate", "Estate", lambda r: r.estate_id)], "name")
        assert [c.key for c in page.columns] == ["name"]
        assert [c.key for c in page.export_columns] == ["name", "estate"]


def test_the_user_form_says_the_language_follows_the_browser(client, login_as, estates):
    login_as("admin", all_estates=True)
    en = client.get("/admin/users/new", headers={"Accept-Language": "en"})
    assert "Same as the browser" in en.text and "Browser default" not in en.text
    zh = client.get("/admin/users/new", headers={"Accept-Language": "zh-CN"})
    assert "跟随浏览器" in zh.text


def test_one_satisfaction_scale_on_the_visit_form_and_the_printed_work_order(app):
    from core.ui import satisfaction_scale
    from plugins.visits.forms import RecordForm

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        form = RecordForm(meta={"csrf": False})
        offered = [str(c[1]) for c in form.satisfied.iter_choices() if c[0]]
        assert offered == [str(label) for _value, label in satisfaction_scale()] == ["Satisfied", "Not satisfied"]


def test_the_visits_catalog_keeps_no_unused_satisfaction_entry():
    """"Not satisfied" is the core's word (core.ui.SATISFACTION); the visits plugin never says
    it, so its catalog must not carry a second translation of it."""
    tdir = next(t for t, _src in i18n_tools.catalogs() if t.parent.name == "visits")
    with (tdir / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        ids = {m.id for m in read_po(f)}
    assert "Not satisfied" not in ids
