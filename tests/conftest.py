"""Shared test set-up. The fixtures themselves live in ``core/testing.py`` (a pytest plugin)."""

import pytest

from core.testing import skip_or_fail  # noqa: F401  (re-exported for test modules)


@pytest.fixture
def postgres_only(propdesk_database):
    if not propdesk_database.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (PROPDESK_TEST_DB=postgres)")
    return propdesk_database
