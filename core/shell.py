"""What every page of the shell needs: menu, estate switcher, notifications."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user
from sqlalchemy import func, select


def _menu(user, estates):
    """The user's menu for this estate view and locale (``core.ui.Menu``), made once and
    kept until users, roles, grants, memberships or the enabled set change
    (``core.revisions``), or the minute changes: badges whose query compares with "now"
    hold the time they were made, so a menu is made again every minute. Only its one
    badge statement runs on each page."""
    from flask_babel import get_locale

    from core import revisions
    from core.models import Notification, utcnow
    from core.plugins import plugins
    from core.ui import build_menu

    revs = revisions.current()
    now = utcnow()
    subject = (user.id, str(get_locale()), tuple(estates))
    version = (plugins().revision, revs.get(revisions.ACCESS), now.replace(second=0, microsecond=0))
    unsettled = revisions.unsettled(revisions.ACCESS)
    menu = None if unsettled else revisions.kept("menu", subject, version)
    if menu is None:
        unread = {"unread": select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))}
        menu = build_menu(user, estates, unread)
        if not unsettled:
            revisions.keep("menu", subject, version, menu)
    return menu


def shell_context() -> dict:
    from core.plugins import request_cache

    cache = request_cache()
    if "shell" in cache:
        return cache["shell"]
    ctx: dict = {"nav": [], "my_estates": [], "current_estate": None, "unread": 0}
    # An error page sent while the database is unusable reads nothing from it.
    if getattr(current_user, "is_authenticated", False) and not g.get("propdesk_minimal_shell"):
        from core.security import current_estate_ids, estate_choices

        # The estates kept per user give the switcher and the estate scope.
        ctx["my_estates"] = estate_choices()
        chosen = session.get("estate_id")
        ctx["current_estate"] = next((e for e in ctx["my_estates"] if e.id == chosen), None)
        estates = current_estate_ids()
        menu = _menu(current_user, estates)
        counts: dict = {}
        ctx["nav"] = menu.counted(counts)
        ctx["unread"] = counts.get("unread", 0)
    cache["shell"] = ctx
    return ctx
