"""The test kit itself works: a real migrated database, roles, estates, logins."""

from sqlalchemy import func, select


def test_the_database_is_migrated_and_emptied_between_tests(app, db, estates):
    from core.models import Unit

    assert db.session.scalar(select(func.count()).select_from(Unit)) == 6


def test_a_logged_in_clerk_sees_the_dashboard(client, estates, login_as):
    login_as("clerk", estates=[estates[0]])
    page = client.get("/").get_data(as_text=True)
    assert "Dashboard" in page
    assert "Sunshine Garden" in page and "Riverside Park" not in page
