"""Shared test set-up. The fixtures themselves live in ``core/testing.py`` (a pytest plugin)."""

import os

import pytest

REQUIRE_ALL = os.environ.get("PROPDESK_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str):
    """Skip a test whose requirement is missing — or fail it when CI demands everything run."""
    if REQUIRE_ALL:
        pytest.fail(f"PROPDESK_REQUIRE_ALL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres_only(propdesk_database):
    if not propdesk_database.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (PROPDESK_TEST_DB=postgres)")
    return propdesk_database
