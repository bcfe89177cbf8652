"""The scheduled job: the patrols the plans call for, made ahead (today and tomorrow, in each
estate's local time). Running it again makes nothing twice (``uq_patrol_patrol_plan_due``)."""

from __future__ import annotations

from plugins.patrol.services import generate_due


def make_due(now=None) -> str:
    return f"{generate_due(now)} patrols made"
