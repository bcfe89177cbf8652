"""What the shell and the dashboard keep across requests is never stale (core/revisions.py):
a removed permission, a membership taken away, a new case or the clock moving past a due
time show on the very next page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select

from core import revisions
from core.models import Building, Estate, Revision, Role, RolePermission, Unit, utcnow
from core.testing import TEST_PASSWORD


def counters(db) -> dict:
    return dict(db.session.execute(select(Revision.name, Revision.value)).all())


def statements(db, fn):
    seen: list[str] = []

    def listen(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return seen


def menu_badge(page: str, label: str) -> str | None:
    found = re.search(re.escape(label) + r'(<span class="badge[^>]*>(\d+)</span>)?</a>', page)
    assert found, f"{label} is not in the menu"
    return found.group(2)


def building_of(db, estate) -> Building:
    return db.session.scalar(select(Building).where(Building.estate_id == estate.id).limit(1))


def test_a_commit_moves_the_counter_of_what_it_changed_and_a_rollback_nothing(app, db, estates):
    e1, _e2 = estates
    before = counters(db)
    building = building_of(db, e1)
    db.session.add(Unit(estate_id=e1.id, building_id=building.id, number="9-9-909", use="residential"))
    db.session.rollback()
    assert counters(db) == before
    building = building_of(db, e1)
    building.name = "North tower"
    db.session.commit()
    after = counters(db)
    assert after[revisions.DATA] == before.get(revisions.DATA, 0) + 1
    assert after.get(revisions.ACCESS) == before.get(revisions.ACCESS)
    role = db.session.scalar(select(Role).where(Role.code == "clerk"))
    db.session.execute(delete(RolePermission).where(RolePermission.role_id == role.id,
                                                   RolePermission.code == "core.export"))
    db.session.commit()
    moved = counters(db)
    assert moved[revisions.ACCESS] == after.get(revisions.ACCESS, 0) + 1
    assert moved[revisions.DATA] == after[revisions.DATA]


def test_a_savepoint_rolled_back_keeps_the_outer_change_counted(app, db, estates):
    e1, _e2 = estates
    before = counters(db).get(revisions.DATA, 0)
    building = building_of(db, e1)
    building.name = "South tower"
    db.session.flush()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.add(Unit(estate_id=e1.id, building_id=building.id, number="9-9-908",
                            use="residential"))
        db.session.flush()
        raise RuntimeError("refused")
    db.session.commit()
    assert counters(db)[revisions.DATA] == before + 1


def test_the_shell_reads_no_user_estates_or_permissions_once_it_knows_them(client, login_as, db, estates):
    login_as("clerk", estates=[estates[0]])
    client.get("/estates/units")
    sql = statements(db, lambda: client.get("/estates/units"))
    assert not [s for s in sql if "core_role_permission" in s or "core_user_estate" in s]


def test_a_removed_permission_takes_effect_on_the_next_request(client, login_as, db, estates):
    user = login_as("clerk", estates=[estates[0]])
    page = client.get("/estates/units").get_data(as_text=True)
    assert client.get("/estates/units").status_code == 200 and "Units" in page
    role = db.session.scalar(select(Role).where(Role.code == "clerk"))
    db.session.execute(delete(RolePermission).where(RolePermission.role_id == role.id,
                                                   RolePermission.code == "core.estates.view"))
    db.session.commit()
    assert client.get("/estates/units").status_code == 403
    assert 'href="/estates/units"' not in client.get("/").get_data(as_text=True)
    # and given back, it is back on the next request too
    db.session.add(RolePermission(role_id=role.id, code="core.estates.view"))
    db.session.commit()
    assert client.get("/estates/units").status_code == 200
    assert user.id


def test_a_membership_taken_away_leaves_the_switcher_and_the_scope_at_once(client, login_as, db, estates):
    e1, e2 = estates
    user = login_as("clerk", estates=[e1, e2])
    page = client.get("/").get_data(as_text=True)
    assert "Sunshine Garden" in page and "Riverside Park" in page
    user = db.session.merge(user)
    user.estates = [e1]
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Sunshine Garden" in page and "Riverside Park" not in page
    units = client.get("/estates/units").get_data(as_text=True)
    assert "2-1-201" not in units  # E02's own unit number
    e1 = db.session.get(Estate, e1.id)
    e1.name = "Sunshine Garden Phase II"
    db.session.commit()
    assert "Sunshine Garden Phase II" in client.get("/").get_data(as_text=True)


@pytest.mark.plugins("repairs")
def test_the_dashboard_figures_move_with_a_new_repair_and_with_the_clock(client, db, estates, make_user,
                                                                        clock):
    from core.audit import acting_as
    from plugins.repairs import services

    e1, _e2 = estates
    clerk = make_user("supervisor", [e1], username="sup9")
    client.post("/login", data={"username": clerk.username, "password": TEST_PASSWORD})

    def figures():
        page = client.get("/").get_data(as_text=True)
        total = re.search(r'repairs-open-total">(\d+)<', page).group(1)
        late = re.search(r'repairs-overdue-total">(\d+)<', page).group(1)
        return int(total), int(late), menu_badge(page, "Repairs")

    assert figures() == (0, 0, None)
    assert figures() == (0, 0, None)  # kept: the second page computes nothing
    kept = statements(db, lambda: client.get("/"))
    assert not [s for s in kept if "repairs_repair" in s and "GROUP BY" in s]
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "1-1-101"))
    with acting_as(clerk):
        repair = services.record(clerk, estate_id=e1.id, unit_id=unit.id, contact_name="王芳",
                                 contact_phone="13800001234", category="water",
                                 description="厨房水龙头漏水", channel="phone")
        db.session.commit()
    assert figures() == (1, 0, None)  # the new repair, on the next page
    repair.due_at = utcnow() + timedelta(minutes=2)
    db.session.commit()
    assert figures() == (1, 0, None)
    clock.shift(timedelta(minutes=5))  # past its due time: overdue, with nothing written
    assert figures() == (1, 1, "1")


def bell(page: str) -> str | None:
    found = re.search(r'bi-bell"></i>(<span class="badge[^>]*>(\d+)</span>)?</a>', page)
    assert found, "no bell in the top bar"
    return found.group(2)


def test_the_badges_are_counted_when_something_changed_not_on_every_page(client, login_as, db, estates):
    from core.models import User
    from core.notify import notify

    user = login_as("clerk", estates=[estates[0]])
    assert bell(client.get("/estates/units").get_data(as_text=True)) is None
    sql = statements(db, lambda: client.get("/estates/units"))
    assert not [s for s in sql if "core_notification" in s]  # kept: no badge statement
    before = counters(db)
    notify([db.session.get(User, user.id)], "Water off on Friday")
    db.session.commit()
    after = counters(db)
    assert after[revisions.NOTIFICATIONS] == before.get(revisions.NOTIFICATIONS, 0) + 1
    assert after.get(revisions.DATA) == before.get(revisions.DATA)  # the dashboard keeps its figures
    page = client.get("/estates/units").get_data(as_text=True)
    assert bell(page) == "1" and 'class="sidebar-link active" href="/estates/units"' in page
    assert client.post("/notifications/read").status_code == 302  # marked read (an UPDATE statement)
    assert bell(client.get("/estates/units").get_data(as_text=True)) is None


def test_the_user_row_is_read_once_and_again_as_soon_as_users_change(client, login_as, db, estates):
    """The shell keeps the signed-in user's row until users, roles or grants change: a page
    reads no ``core_user`` row, yet a rename, a deactivation or a sign-out everywhere shows
    on the very next request."""
    from core.models import User

    uid = login_as("clerk", estates=[estates[0]]).id
    for _ in range(2):  # the test's session keeps no user object the request could reuse
        db.session.remove()
        client.get("/estates/units")
    db.session.remove()
    sql = statements(db, lambda: client.get("/estates/units"))
    assert not [s for s in sql if "FROM core_user " in s or "FROM core_user\n" in s], sql
    row = db.session.get(User, uid)
    row.full_name = "Renamed Clerk"
    db.session.commit()
    db.session.remove()
    assert "Renamed Clerk" in client.get("/estates/units").get_data(as_text=True)
    row = db.session.get(User, uid)
    row.active = False
    db.session.commit()
    db.session.remove()
    resp = client.get("/estates/units")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_top_bar_is_rendered_once_and_filled_in_on_every_request(app, client, login_as, db, estates,
                                                                      monkeypatch):
    """The top bar (switcher, search box, bell, language, user) is rendered once per user's view
    and kept; the form token, the page to come back to and the search query are its own on
    every request, escaped, and a switch of estate shows at once."""
    import re

    e1, e2 = estates
    login_as("clerk", estates=[e1, e2])
    renders = []
    get_template = app.jinja_env.get_template

    def counting(name, *a, **kw):
        if name == "core/_topbar.html":
            renders.append(name)
        return get_template(name, *a, **kw)

    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    first = client.get("/estates/units?page=1").get_data(as_text=True)
    second = client.get("/search?q=%3Cb%3E1-1").get_data(as_text=True)
    assert len(renders) == 1
    assert 'name="next" value="/estates/units?page=1"' in first
    assert 'name="next" value="/search?q=%3Cb%3E1-1"' in second
    assert 'value="&lt;b&gt;1-1"' in second and "<!--" not in second.split("</nav>")[0]
    assert 'id="global-search"' in first and 'value=""' in first.split('id="global-search"')[1][:200]
    token = re.search(r'name="csrf_token" value="([^"]+)"', second).group(1)
    assert client.post("/estate", data={"estate_id": e2.id, "csrf_token": token, "next": "/"}).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert re.search(rf'<option value="{e2.id}" selected>', page)


@pytest.mark.plugins("repairs")
def test_a_kept_dashboard_renders_no_widget_markup_until_something_changes(app, client, login_as, db, estates,
                                                                          monkeypatch):
    """The row of widget cards is kept with the widgets (``core.ui.dashboard_html``): a known
    dashboard renders none of it, a write renders it again with the new figure."""
    asked: list[str] = []
    get_template = app.jinja_env.get_template

    def spy(name, *a, **kw):
        asked.append(name if isinstance(name, str) else getattr(name, "name", ""))
        return get_template(name, *a, **kw)

    monkeypatch.setattr(app.jinja_env, "get_template", spy)
    login_as("supervisor", estates=[estates[0]])
    first = client.get("/").get_data(as_text=True)
    assert 'data-widget="repairs' in first and "main/_widgets.html" in asked
    asked.clear()
    again = client.get("/").get_data(as_text=True)
    assert "main/_widgets.html" not in asked
    row = re.compile(r'<div class="row g-3 dashboard">.*?</div>\s*</main>', re.S)
    assert row.search(again).group(0) == row.search(first).group(0)
    building = building_of(db, estates[0])
    building.name = "North tower"
    db.session.commit()
    asked.clear()
    client.get("/")
    assert "main/_widgets.html" in asked


def test_a_sign_in_moves_no_counter_but_a_rename_does(client, db, make_user, estates):
    """A sign-in writes the user's last sign-in time, which no kept page shows: it must not
    empty every user's kept menu, top bar and row. A rename still shows on the next page."""
    from core.models import User

    user = make_user("clerk", [estates[0]], username="quietclerk")
    stamped = (user.updated_at, user.updated_by_id)
    before = counters(db)
    assert client.post("/login", data={"username": "quietclerk", "password": TEST_PASSWORD}).status_code == 302
    db.session.expire_all()
    signed_in = db.session.get(User, user.id)
    assert signed_in.last_login_at is not None  # the sign-in was written
    assert (signed_in.updated_at, signed_in.updated_by_id) == stamped  # and is no edit of the user
    assert counters(db) == before
    client.get("/estates/units")
    row = db.session.get(User, user.id)
    row.full_name = "Quiet Renamed"
    db.session.commit()
    assert counters(db)[revisions.ACCESS] == before.get(revisions.ACCESS, 0) + 1
    assert "Quiet Renamed" in client.get("/estates/units").get_data(as_text=True)
