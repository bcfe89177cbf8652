"""A UI hook that returns the wrong thing costs only its own slot, never the page:
the slot shows the warning box (menus and search leave the item out), the log names the plugin."""

import logging

import pytest
from sqlalchemy import select

from core.testing import TEST_PASSWORD

PLUGINS = {
    "badnav": """
        from core import hookimpl

        @hookimpl
        def nav_items(user, estates):
            return "Parking"  # a string, not a list of NavItem
    """,
    "badendpoint": """
        from core import hookimpl
        from core.ui import NavItem

        @hookimpl
        def nav_items(user, estates):
            return [NavItem("Ghost page", "ghost.index", "operations", None, 10),
                    NavItem("Wrong args", "estates.unit", "operations", None, 11, url_args={"nope": 1}),
                    NavItem("Odd order", "main.search", "operations", None, "first"),
                    NavItem("Lamp search", "main.search", "operations", None, 12)]
    """,
    "badwidget": """
        from core import hookimpl

        @hookimpl
        def dashboard_widgets(user, estates):
            return "a widget"
    """,
    "badpanel": """
        from core import hookimpl
        from core.ui import Widget

        @hookimpl
        def unit_panels(unit, user):
            return "a panel"

        @hookimpl
        def resident_panels(resident, user):
            return [Widget("w", "A widget, not a panel", "none.html")]
    """,
    "badperm": """
        from core import hookimpl
        from core.permissions import Permission

        @hookimpl
        def permissions():
            return [Permission("badperm.view", "See it", ("clerk",)), "badperm.edit"]
    """,
    "badsearch": """
        from core import hookimpl

        @hookimpl
        def search(query, user, estates, limit):
            return [{"title": "a dict, not a SearchHit"}]
    """,
}


@pytest.fixture
def bad_site(make_app, temp_plugin, make_user, estates):
    extra = dict(temp_plugin(code, {"code": code, "name": code.title(), "version": "1"}, src)
                 for code, src in PLUGINS.items())
    app = make_app(plugins=["notices"], extra=extra)
    make_user("manager", [estates[0]], username="mgr")  # in the ``app`` fixture's context: same database
    client = app.test_client()
    assert client.post("/login", data={"username": "mgr", "password": TEST_PASSWORD}).status_code == 302
    return app, client


def test_wrong_hook_results_leave_the_menu_and_dashboard_alive(bad_site, caplog):
    _app, client = bad_site
    caplog.set_level(logging.ERROR)
    resp = client.get("/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-widget="notices-current"' in page  # the others still render
    box = page.split('data-widget="badwidget-error"', 1)[1].split("</section>", 1)[0]
    assert "slot-error" in box and "dashboard_widgets from badwidget" in box
    assert "Lamp search" in page  # the good item of a plugin with bad ones
    assert "Ghost page" not in page and "Wrong args" not in page and "Odd order" not in page
    assert "hook nav_items of plugin badnav returned str, not a list of NavItem" in caplog.text
    assert "nav item 'Ghost page' of plugin badendpoint points at unknown endpoint 'ghost.index'" in caplog.text
    assert "nav item 'Wrong args' of plugin badendpoint has no URL" in caplog.text
    assert "hook dashboard_widgets of plugin badwidget returned str" in caplog.text


def test_wrong_panels_show_a_warning_in_their_slot(bad_site, estates, caplog):
    from core.extensions import db
    from core.models import Resident, Unit

    _app, client = bad_site
    caplog.set_level(logging.ERROR)
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id))
    resident = db.session.scalar(select(Resident).where(Resident.estate_id == estates[0].id))
    unit_id, unit_number, resident_id, resident_name = unit.id, unit.number, resident.id, resident.name
    resp = client.get(f"/estates/units/{unit_id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and unit_number in page
    assert "unit_panels from badpanel" in page and "slot-error" in page
    resp = client.get(f"/residents/{resident_id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resident_name in page
    assert "resident_panels from badpanel" in page
    assert "hook unit_panels of plugin badpanel returned str" in caplog.text
    assert "hook resident_panels of plugin badpanel returned Widget among its items, not Panel" in caplog.text


def test_a_search_hook_returning_foreign_objects_is_reported_not_a_500(bad_site, estates, caplog):
    _app, client = bad_site
    caplog.set_level(logging.ERROR)
    resp = client.get("/search?q=1-1-101")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "1-1-101" in page  # the core's own unit hit
    assert "Some modules could not search: badsearch" in page
    assert "hook search of plugin badsearch returned dict among its items, not SearchHit" in caplog.text


def test_a_permissions_hook_returning_strings_keeps_the_roles_page(bad_site, make_user, caplog):
    from core.extensions import db
    from core.models import Role

    app, _client = bad_site
    make_user("admin", username="boss", all_estates=True)
    client = app.test_client()
    client.post("/login", data={"username": "boss", "password": TEST_PASSWORD})
    role = db.session.scalar(select(Role).where(Role.code == "clerk"))
    resp = client.get(f"/admin/roles/{role.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'value="badperm.view"' in page and "badperm.edit" not in page
    assert "hook permissions returned 'badperm.edit', not a Permission" in caplog.text
