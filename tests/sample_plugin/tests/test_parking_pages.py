"""What the staff see: the menu, the forms with their errors, the unit page, the dashboard, search."""

from datetime import date

from core.extensions import db


def test_the_menu_shows_parking_to_the_front_desk_but_not_to_a_technician(client, login_as, estates):
    login_as("frontdesk", estates=[estates[0]])
    assert 'href="/parking/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as("technician", estates=[estates[0]])
    assert 'href="/parking/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/parking/").status_code == 403


def test_a_manager_adds_a_space_and_a_duplicate_number_is_refused_beside_the_field(
        client, login_as, estates):
    login_as("manager", estates=[estates[0]])
    form = {"estate_id": estates[0].id, "code": "B1-023", "tenure": "owned", "note": "near lift 2"}
    page = client.post("/parking/new", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Space B1-023 added." in page and "near lift 2" in page
    page = client.post("/parking/new", data=form).get_data(as_text=True)
    assert 'data-field="code">Space B1-023 exists already in this estate.' in page
    listing = client.get("/parking/").get_data(as_text=True)
    assert listing.count("B1-023") == 1 and "Owned" in listing


def test_a_clerk_may_look_but_not_add_spaces(client, login_as, estates, add_space):
    login_as("clerk", estates=[estates[0]])
    add_space("B1-001")
    assert "B1-001" in client.get("/parking/").get_data(as_text=True)
    assert client.post("/parking/new", data={"estate_id": estates[0].id, "code": "B1-002",
                                            "tenure": "rental"}).status_code == 403
    from propdesk_parking.models import ParkingSpace

    assert [s.code for s in db.session.query(ParkingSpace)] == ["B1-001"]


def test_assigning_a_space_shows_it_on_the_unit_page(client, login_as, estates, add_space, unit):
    login_as("manager", estates=[estates[0]])
    space = add_space("B1-023")
    bad = client.post(f"/parking/{space.id}/assign", data={
        "unit_number": "9-9-999", "plate": "粤B12345", "starts_on": "2026-01-01"})
    assert bad.status_code == 422
    assert 'data-field="unit_number">No unit 9-9-999 in this estate.' in bad.get_data(as_text=True)
    ok = client.post(f"/parking/{space.id}/assign", data={
        "unit_number": "3-2-1201", "plate": "粤B12345", "starts_on": "2026-01-01"}, follow_redirects=True)
    assert "Space B1-023 assigned to 3-2-1201." in ok.get_data(as_text=True)
    panel = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert 'data-slot="parking-unit"' in panel and "B1-023" in panel and "粤B12345" in panel


def test_the_dashboard_counts_free_spaces_and_shows_the_attendant_s_alerts(
        client, login_as, estates, add_space, manager):
    from propdesk_parking import services

    from plugins.notices import services as notices

    for code in ("B1-001", "B1-002", "B1-003"):
        add_space(code)
    services.assign(manager, add_space("B1-004"), unit_number="1-1-101", plate="",
                    starts_on=date(2020, 1, 1), ends_on=None)
    n = notices.save_draft(manager, None, estate_id=estates[0].id, title="Garage lights off on Friday",
                           body="B1 lighting works", category="maintenance", buildings="",
                           posted_from=date(2026, 5, 1), posted_until=None)
    db.session.flush()
    notices.publish(manager, n)
    db.session.commit()
    login_as("frontdesk", estates=[estates[0]])
    page = client.get("/").get_data(as_text=True)
    widget = page.split('data-widget="parking-occupancy"', 1)[1].split("</section>", 1)[0]
    assert "3 <small" in widget and "of 4 spaces free" in widget
    assert "Garage lights off on Friday" in widget
    assert 'Parking<span class="badge rounded-pill text-bg-danger ms-1">1</span>' in page  # the menu
    index = client.get("/parking/").get_data(as_text=True)
    alert_id = index.split('data-alert="', 1)[1].split('"', 1)[0]
    client.post(f"/parking/alerts/{alert_id}/acknowledge")
    after = client.get("/parking/").get_data(as_text=True)
    assert "Garage lights off on Friday" not in after and 'Parking<span class="badge' not in after


def test_search_finds_a_space_by_plate_only_in_the_user_s_estates(
        client, login_as, estates, make_user, add_space, manager):
    from propdesk_parking import services

    services.assign(manager, add_space("B1-023"), unit_number="3-2-1201", plate="粤B12345",
                    starts_on=date(2026, 1, 1), ends_on=None)
    other = make_user("manager", [estates[1]])
    services.assign(other, services.add_space(other, estate_id=estates[1].id, code="B9-999",
                                              tenure="rental"),
                    unit_number="2-1-201", plate="粤B12399", starts_on=date(2026, 1, 1), ends_on=None)
    db.session.commit()
    login_as("frontdesk", estates=[estates[0]])
    page = client.get("/search?q=粤b123").get_data(as_text=True)
    assert "B1-023" in page and "粤B12345" in page
    assert "B9-999" not in page and "粤B12399" not in page


def test_a_disabled_parking_plugin_vanishes_and_keeps_its_spaces(client, login_as, estates, add_space):
    from core.site import disable, enable

    add_space("B1-023")
    login_as("manager", estates=[estates[0]])
    disable("parking")
    assert 'href="/parking/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/parking/").status_code == 404
    enable("parking")
    assert "B1-023" in client.get("/parking/").get_data(as_text=True)


def test_the_plugin_ships_its_own_catalog_and_flask_babel_merges_it(app):
    from babel.support import Translations

    from core.manifest import package_path

    folder = str(package_path("propdesk_parking") / "translations")
    assert folder in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    catalog = Translations.load(folder, ["zh_CN"])
    assert catalog.gettext("Parking") == "车位管理" and catalog.gettext("Owned") == "产权"


def test_a_chinese_speaking_clerk_sees_the_plugin_s_pages_in_chinese(client, login_as, estates, add_space):
    add_space("B1-023", tenure="owned")
    login_as("clerk", estates=[estates[0]], locale="zh_CN")
    page = client.get("/parking/").get_data(as_text=True)
    assert "车位管理" in page  # the menu entry
    assert "产权" in page  # 'Owned'
    # The built-in complaints plugin says "Parking" too, as a complaint category (停车): it
    # gives that word a context, so neither catalog changes the other's pages.
    form = client.get("/complaints/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert '<option value="parking">停车</option>' in html and "车位管理" in html  # the option; the menu
