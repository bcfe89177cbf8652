"""What every page of the shell needs: menu, estate switcher, notifications."""

from __future__ import annotations

from functools import partial

from flask import g, session
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select


def _menu(user, estates) -> tuple:
    """The user's menu for this estate view and locale (``core.ui.Menu``), made once and
    kept until users, roles, grants, memberships or the enabled set change
    (``core.revisions``), or the minute changes: badges whose query compares with "now"
    hold the time they were made, so a menu is made again every minute. Its one badge
    statement runs only when a write moved the counters since (:func:`_counted`).

    Returns the menu, its key and version (the badges are kept under them, see
    :func:`_counted`) and whether the session holds changes not committed yet."""
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
    return menu, subject, version, unsettled


def _counted(menu, subject, version, unsettled: bool) -> tuple[list, int, dict]:
    """The menu's sections with their badges and the unread notifications: the badge
    statement runs when a write moved the ``data`` or ``notifications`` counter since it
    last ran for this user's menu, or the minute changed (in ``version``), not on every page.
    The third item holds the menu's HTML per page kind (:func:`_sidebar`)."""
    from core import revisions

    revs = revisions.current()
    version = (version, revs.get(revisions.DATA), revs.get(revisions.NOTIFICATIONS))
    unsettled = unsettled or revisions.unsettled(revisions.DATA)
    found = None if unsettled else revisions.kept("badges", subject, version)
    if found is None:
        counts: dict = {}
        found = (menu.counted(counts), counts.get("unread", 0), {})
        if not unsettled:
            revisions.keep("badges", subject, version, found)
    return found


def _no_sidebar(_endpoint=None) -> Markup:
    return Markup("")


def _sidebar(nav: list, rendered: dict, endpoint: str | None) -> Markup:
    """The menu's links (``core/_sidebar.html``) with the current page's marked: rendered
    once per menu, badges and endpoint, then reused as long as the badges are."""
    html = rendered.get(endpoint)
    if html is None:
        from flask import current_app

        template = current_app.jinja_env.get_template("core/_sidebar.html")
        html = rendered[endpoint] = Markup(template.render(nav=nav, shell_endpoint=endpoint))
    return html


def _topbar(ctx: dict) -> Markup:
    """The top bar (``core/_topbar.html``: estate switcher, search box, bell, language, user),
    rendered once per user, locale, estate view, estates and unread count — kept until users,
    estates or the enabled set change (``core.revisions``) — with what differs per request
    filled in here: the form token, the page to come back to and, on the search page, the
    query. The markers are HTML comments, which no escaped text can contain."""
    from flask import current_app, request
    from flask_wtf.csrf import generate_csrf
    from markupsafe import escape

    from core import revisions
    from core.i18n import select_locale
    from core.plugins import plugins

    locale = select_locale()
    estate = ctx["current_estate"].id if ctx["current_estate"] is not None else None
    subject = (current_user.id, locale, estate, request.script_root)
    version = (plugins().revision, revisions.current().get(revisions.ACCESS), ctx["unread"],
               current_user.full_name)
    unsettled = revisions.unsettled(revisions.ACCESS)
    html = None if unsettled else revisions.kept("topbar", subject, version)
    if html is None:
        template = current_app.jinja_env.get_template("core/_topbar.html")
        html = template.render(my_estates=ctx["my_estates"], current_estate=ctx["current_estate"],
                               unread=ctx["unread"], shell_locale=locale, full_name=current_user.full_name)
        if not unsettled:
            revisions.keep("topbar", subject, version, html)
    query = request.args.get("q", "") if request.endpoint == "main.search" else ""
    return Markup(html.replace("<!--csrf-->", str(escape(generate_csrf())))
                  .replace("<!--next-->", str(escape(request.full_path)))
                  .replace("<!--q-->", str(escape(query))))


def shell_context() -> dict:
    from core.plugins import request_cache

    cache = request_cache()
    if "shell" in cache:
        return cache["shell"]
    ctx: dict = {"nav": [], "my_estates": [], "current_estate": None, "unread": 0, "sidebar": _no_sidebar,
                 "topbar": _no_sidebar}
    # An error page sent while the database is unusable reads nothing from it.
    if getattr(current_user, "is_authenticated", False) and not g.get("propdesk_minimal_shell"):
        from core.security import current_estate_ids, estate_choices

        # The estates kept per user give the switcher and the estate scope.
        ctx["my_estates"] = estate_choices()
        chosen = session.get("estate_id")
        ctx["current_estate"] = next((e for e in ctx["my_estates"] if e.id == chosen), None)
        estates = current_estate_ids()
        ctx["nav"], ctx["unread"], rendered = _counted(*_menu(current_user, estates))
        ctx["sidebar"] = partial(_sidebar, ctx["nav"], rendered)
        ctx["topbar"] = partial(_topbar, ctx)
    cache["shell"] = ctx
    return ctx
