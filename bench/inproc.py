"""In-process measurements with the Flask test client: plugin overhead per request, search.

Every page is fetched logged in as the benchmark user, after a warm-up, many
times; the figure is the median wall time of ``client.get`` (the whole server
side of the request, plus the test client's small WSGI overhead).
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from urllib.parse import quote

from bench.common import BENCH_USER, DEMO_PASSWORD, median, ms, p90, sample, sample_many

_INPUT_RE = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
_VALUE_RE = re.compile(r"\bvalue=\"([^\"]*)\"")


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page (the login form on /login)."""
    tag = _INPUT_RE.search(html)
    value = _VALUE_RE.search(tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError("no csrf_token field on the page")
    return value.group(1)


def logged_in_client(app, username: str = BENCH_USER, password: str = DEMO_PASSWORD):
    """A test client logged in through the real form (CSRF token scraped from /login)."""
    client = app.test_client()
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    resp = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    if resp.status_code != 302:
        raise RuntimeError(f"login of {username!r} failed with {resp.status_code}")
    return client


def _get(client, url: str):
    def call():
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} answered {resp.status_code}")
        return resp

    return call


class QueryLog:
    """Records each SQL statement (text, parameters, seconds) run on an engine."""

    def __init__(self, engine):
        self.engine = engine
        self.items: list[tuple[str, object, float]] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        t0 = conn.info["bench_t0"].pop()
        self.items.append((statement, parameters, time.perf_counter() - t0))

    @contextmanager
    def recording(self):
        from sqlalchemy import event

        self.items = []
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)

    def summary(self, top: int = 3) -> dict:
        counts: dict[str, int] = {}
        for stmt, _p, _t in self.items:
            key = " ".join(stmt.split())
            counts[key] = counts.get(key, 0) + 1
        slowest = sorted(self.items, key=lambda i: -i[2])[:top]
        return {
            "statements": len(self.items),
            "sql_ms": ms(sum(t for _s, _p, t in self.items)),
            "repeated": {k[:200]: n for k, n in counts.items() if n > 2},
            "slowest": [{"ms": ms(t), "sql": " ".join(s.split())[:400]} for s, _p, t in slowest],
        }


def profile_request(app, client, url: str) -> dict:
    """Run ``url`` once more while recording its SQL."""
    from core.extensions import db

    with app.app_context():
        engine = db.engine
    log = QueryLog(engine)
    with log.recording():
        _get(client, url)()
    return log.summary()


def measure_overhead(app_all, app_none, pages: list[str], budget: float) -> dict:
    """Median server time of each page with every plugin vs none (interleaved runs)."""
    c_all, c_none = logged_in_client(app_all), logged_in_client(app_none)
    out = {}
    for url in pages:
        t = sample_many({"all": _get(c_all, url), "none": _get(c_none, url)}, budget=budget,
                        min_n=20, warmup=5)
        t_all, t_none = t["all"], t["none"]
        m_all, m_none = median(t_all), median(t_none)
        out[url] = {
            "all_ms": ms(m_all), "none_ms": ms(m_none), "n": len(t_all),
            "all_p90_ms": ms(p90(t_all)), "none_p90_ms": ms(p90(t_none)),
            "overhead_pct": round((m_all - m_none) / m_none * 100.0, 1),
            "queries_all": profile_request(app_all, c_all, url),
            "queries_none": profile_request(app_none, c_none, url),
        }
    return out


# -- search ---------------------------------------------------------------------
def pick_fragments(app) -> list[tuple[str, str]]:
    """(label, fragment): common ones, one naming a single unit, one matching nothing."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Unit

    with app.app_context():
        last = db.session.scalar(select(Unit.number).order_by(Unit.id.desc()).limit(1)) or "1-1-101"
        db.session.remove()
    return [("common", "1201"), ("prefix", "3-2-"), ("rare", last), ("none", "Q9Q")]


@contextmanager
def user_request(app, username: str = BENCH_USER, path: str = "/search"):
    """A GET request context of ``path`` with ``username`` logged in (for calling hooks
    and view helpers directly)."""
    from flask_login import login_user
    from sqlalchemy import select

    from core.extensions import db
    from core.models import User
    from core.site import refresh

    with app.test_request_context(path):
        refresh(force=True)
        user = db.session.scalar(select(User).where(User.username == username))
        login_user(user)
        try:
            yield user
        finally:
            db.session.remove()


def raw_connection(app):
    """A bare DBAPI connection of the app's engine (no ORM, no Flask)."""
    from core.extensions import db

    with app.app_context():
        return db.engine.raw_connection()


def explain(app, statements) -> list[str]:
    """SQLite's query plan of each statement (empty on other databases)."""
    from core.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return []
        raw = db.engine.raw_connection()
    try:
        plans = []
        for stmt, params, _t in statements:
            rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + stmt, params).fetchall()
            plans.append(" | ".join(r[-1] for r in rows))
        return plans
    finally:
        raw.close()


def measure_search(app, hook_app, fragments, budget: float) -> dict:
    """Per fragment: /search page, all search hooks, the core hook alone, and its raw SQL.

    The four are sampled interleaved. The hooks run in a request context of
    ``hook_app`` (a second app on the same database), so each page request of
    ``app`` still gets its own app context, session and transaction.
    """
    from core import hooks as core_hooks
    from core.extensions import db
    from core.security import current_estate_ids
    from core.views.main import SEARCH_LIMIT, run_search

    client = logged_in_client(app)
    with hook_app.app_context():
        engine = db.engine
    out = {}
    for label, q in fragments:
        row: dict = {"q": q}
        raw = raw_connection(app)
        try:
            with user_request(hook_app) as user:
                estates = current_estate_ids()

                def hook(estates=estates, user=user, q=q):
                    return core_hooks.search(query=q, user=user, estates=estates, limit=SEARCH_LIMIT)

                def all_hooks(q=q):
                    return run_search(q)

                log = QueryLog(engine)
                with log.recording():
                    hits = hook()
                statements = list(log.items)
                row["hits_core"] = len(hits)
                row["hits_all"] = len(all_hooks()[0])
                t = sample_many({
                    "page": _get(client, f"/search?q={quote(q)}"), "hooks": all_hooks, "hook": hook,
                    "raw": _replay(raw, statements), "raw_unit": _replay(raw, statements[:1]),
                }, budget=budget, min_n=15, warmup=3)
        finally:
            raw.close()
        t_page, t_hooks, t_hook, t_raw, t_raw_unit = (
            t["page"], t["hooks"], t["hook"], t["raw"], t["raw_unit"])
        row.update(
            page_ms=ms(median(t_page)), page_p90_ms=ms(p90(t_page)),
            hooks_all_ms=ms(median(t_hooks)), hook_core_ms=ms(median(t_hook)),
            raw_ms=ms(median(t_raw)), raw_unit_query_ms=ms(median(t_raw_unit)),
            statements=len(statements),
            sql=[" ".join(s.split()) for s, _p, _t in statements],
            params=[repr(p) for _s, p, _t in statements],
            plan=explain(app, statements),
        )
        row["page_vs_raw"] = round(row["page_ms"] / row["raw_ms"], 2) if row["raw_ms"] else None
        row["hook_vs_raw"] = round(row["hook_core_ms"] / row["raw_ms"], 2) if row["raw_ms"] else None
        out[label] = row
    return out


def _replay(raw, statements):
    """Run the captured statements on ``raw`` and fetch every row, as the hook does."""

    def run():
        cur = raw.cursor()
        try:
            for stmt, params, _t in statements:
                cur.execute(stmt, params)
                cur.fetchall()
        finally:
            cur.close()
        if not getattr(raw.driver_connection, "autocommit", True):
            raw.rollback()  # PostgreSQL: do not keep a transaction open between runs

    return run


def measure_probes(app, budget: float) -> dict:
    """Informational: other list pages on the big data set (deep page, one unit, residents)."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Unit

    with app.app_context():
        units = db.session.scalar(select(func.count()).select_from(Unit)) or 1
        unit_id = db.session.scalar(select(Unit.id).order_by(Unit.id.desc()).limit(1)) or 1
        db.session.remove()
    size = app.config["PROPDESK_PAGE_SIZE"]
    middle = max(1, units // size // 2)
    urls = ["/estates/units?building=1", f"/estates/units?page={middle}", f"/estates/units/{unit_id}",
            "/residents/", "/estates/buildings"]
    client = logged_in_client(app)
    out = {}
    for url in urls:
        times = sample(_get(client, url), budget=budget, min_n=5, max_n=100, warmup=1)
        out[url] = {"ms": ms(median(times)), "n": len(times),
                    "queries": profile_request(app, client, url)}
    return out
