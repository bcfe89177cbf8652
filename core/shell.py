"""What every page of the shell needs: menu, estate switcher, notifications."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user
from sqlalchemy import func, select


def shell_context() -> dict:
    from core.plugins import request_cache

    cache = request_cache()
    if "shell" in cache:
        return cache["shell"]
    ctx: dict = {"nav": [], "my_estates": [], "current_estate": None, "unread": 0}
    # An error page sent while the database is unusable reads nothing from it.
    if getattr(current_user, "is_authenticated", False) and not g.get("propdesk_minimal_shell"):
        from core.models import Notification
        from core.security import current_estate_ids, user_estates
        from core.ui import nav_for

        # The estates loaded once per request give the switcher and the estate scope.
        ctx["my_estates"] = user_estates()
        chosen = session.get("estate_id")
        ctx["current_estate"] = next((e for e in ctx["my_estates"] if e.id == chosen), None)
        counts = {"unread": select(func.count()).select_from(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))}
        ctx["nav"] = nav_for(current_user, current_estate_ids(), counts)
        ctx["unread"] = counts["unread"]
    cache["shell"] = ctx
    return ctx
