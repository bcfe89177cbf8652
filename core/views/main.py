"""Dashboard, global search, estate switcher, notification centre, health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, text, update

from core.extensions import db
from core.models import Notification, utcnow
from core.redirects import safe_next
from core.security import current_estate_ids, user_estate_ids
from core.ui import render_slots

bp = Blueprint("main", __name__)
SEARCH_LIMIT = 20


@bp.route("/")
@login_required
def index():
    widgets = render_slots("dashboard_widgets", user=current_user, estates=current_estate_ids())
    return render_template("main/dashboard.html", widgets=widgets)


def run_search(query: str, limit: int = SEARCH_LIMIT):
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
    return hits[: limit * 3], failed


@bp.route("/search")
@login_required
def search():
    query = (request.args.get("q") or "").strip()[:100]
    hits, failed = run_search(query) if query else ([], [])
    if request.headers.get("HX-Request"):
        return render_template("main/_search_results.html", hits=hits, query=query, failed=failed)
    return render_template("main/search.html", hits=hits, query=query, failed=failed)


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
