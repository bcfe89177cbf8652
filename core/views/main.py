"""Dashboard, global search, estate switcher, notification centre, health check."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, text, update

from core.extensions import db
from core.models import Notification, utcnow
from core.redirects import safe_next
from core.security import current_estate_ids, user_estate_ids
from core.ui import dashboard_html

bp = Blueprint("main", __name__)
SEARCH_LIMIT = 20


@bp.route("/")
@login_required
def index():
    widgets_html = dashboard_html(current_user, current_estate_ids())
    return render_template("main/dashboard.html", widgets_html=widgets_html)


def run_search(query: str, limit: int = SEARCH_LIMIT, cap: bool = True):
    from core.plugins import plugins
    from core.ui import SearchHit, hook_items

    hits, failed = [], []
    estates = current_estate_ids()
    for code, result, err in plugins().call_each(
        "search", query=query, user=current_user, estates=estates, limit=limit
    ):
        items = hook_items("search", code, result, SearchHit) if err is None else None
        if items is None:  # an exception, or not a list of SearchHit: logged
            failed.append(code)
            continue
        hits.extend(h for h in items if h.estate_id is None or h.estate_id in estates)
    return (hits[: limit * 3] if cap else hits), failed


#: The full results page asks each plugin for this many hits and shows the first
#: ``SEARCH_GROUP_SHOWN`` of each kind, with a link that shows the rest of that kind.
SEARCH_PAGE_LIMIT = 100
SEARCH_GROUP_SHOWN = 10


@dataclass
class HitGroup:
    kind: str
    hits: list
    expanded: bool

    @property
    def shown(self) -> list:
        return self.hits if self.expanded else self.hits[:SEARCH_GROUP_SHOWN]

    @property
    def capped(self) -> bool:
        """As many hits as one plugin may give: there may be more than are listed."""
        return len(self.hits) >= SEARCH_PAGE_LIMIT


def group_hits(hits, expand: str = "") -> list[HitGroup]:
    """The hits by kind, in the order the kinds first appear."""
    groups: dict[str, HitGroup] = {}
    for h in hits:
        kind = str(h.kind)
        if kind not in groups:
            groups[kind] = HitGroup(kind, [], kind == expand)
        groups[kind].hits.append(h)
    return list(groups.values())


@bp.route("/search")
@login_required
def search():
    """The search box: as you type, a short list of hits (htmx); on Enter, this page with every
    hit grouped by kind (the first ten of each, and a link to the rest)."""
    query = (request.args.get("q") or "").strip()[:100]
    if request.headers.get("HX-Request"):
        hits, failed = run_search(query) if query else ([], [])
        return render_template("main/_search_results.html", hits=hits, query=query, failed=failed)
    hits, failed = run_search(query, SEARCH_PAGE_LIMIT, cap=False) if query else ([], [])
    groups = group_hits(hits, (request.args.get("more") or "")[:100])
    return render_template("main/search.html", groups=groups, total=len(hits), query=query, failed=failed,
                           page_limit=SEARCH_PAGE_LIMIT)


@bp.route("/estate", methods=["POST"])
@login_required
def switch_estate():
    raw = request.form.get("estate_id", "")
    if raw in ("", "all"):
        session.pop("estate_id", None)
    else:
        try:
            chosen = int(raw)
        except ValueError:
            abort(400)
        if chosen not in user_estate_ids():
            abort(404)
        session["estate_id"] = chosen
    return redirect(safe_next(request.form.get("next")))


@bp.route("/notifications")
@login_required
def notifications():
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.at.desc()).limit(100)
    ).all()
    return render_template("main/notifications.html", items=items)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read():
    db.session.execute(
        update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("main.notifications"))


@bp.route("/health")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
