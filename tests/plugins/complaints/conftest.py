"""Shared helpers for the complaints plugin's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def depts(app):
    """Two departments of the office: maintenance and customer service."""
    from core.extensions import db
    from core.models import Department

    maint = Department(code="maint", name="维修部 Maintenance")
    cs = Department(code="cs", name="客服部 Customer service")
    db.session.add_all([maint, cs])
    db.session.commit()
    return maint, cs


@pytest.fixture
def staff(make_user, estates):
    """One user per role working for estate E01."""
    return {role: make_user(role, [estates[0]], username=f"{role}-e1")
            for role in ("clerk", "frontdesk", "supervisor", "manager", "technician")}
