"""When things break: a friendly 503 for a database that is down, error pages, isolation."""

from core.testing import TEST_PASSWORD


def test_a_database_that_is_down_gives_a_friendly_503(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    resp = app.test_client().get("/login")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "The database is not reachable right now." in page and "Traceback" not in page


def test_an_unknown_page_gives_a_translated_404(client, login_as):
    login_as("clerk")
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "Not found." in resp.get_data(as_text=True)


def test_a_failing_widget_shows_an_error_box_and_the_page_survives(make_app, temp_plugin, make_user):
    code, package = temp_plugin("brokenwidget", {"code": "brokenwidget", "name": "B", "version": "1"}, """
        from core import hookimpl

        @hookimpl
        def dashboard_widgets(user, estates):
            raise ZeroDivisionError("bad maths")

        @hookimpl
        def nav_items(user, estates):
            raise KeyError("menu")
    """)
    app = make_app(plugins=["notices"], extra={code: package})
    with app.app_context():
        make_user("manager", username="mgr", all_estates=True)
    c = app.test_client()
    c.post("/login", data={"username": "mgr", "password": TEST_PASSWORD})
    resp = c.get("/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "slot-error" in page and "brokenwidget" in page
    assert 'data-widget="notices-current"' in page  # the others still render
