"""Service-desk benchmark (issue 3): the repair list and the dashboard widgets on a big data set.

    python -m bench.servicedesk --db URL [--repairs 1000000] [--complaints 200000] [--units 100000]
                                [--quick] [--no-generate | --generate-only]

Fills ``--db`` first (``bench/servicedesk_generate.py``; data already there is kept),
then measures, logged in as the benchmark user, each figure against the very SQL
it issued replayed on a bare DB-API connection:

- ``GET /repairs/`` filtered by estate + state + overdue, its first and its last page,
  an estate + state list at page 2000 (deep ``OFFSET``), and the unfiltered list of all
  the user's estates (what a manager opens first): the whole page (menu,
  badges, forms, template) against all the SQL it ran;
- the same three lists' data work alone (count, ids, rows, as the view does it);
- ``GET /`` (the dashboard) and each repairs / complaints widget's queries.

Prints one line per figure and writes ``bench/out/servicedesk.json``. See
``bench/README.md`` ("Service desk").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import OUT_DIR, BenchRun, app_config, median, ms, p90, sample_many, use_bench_env
from bench.generate import estate_code
from bench.inproc import QueryLog, _get, logged_in_client, raw_connection, user_request
from bench.run import Figure, _dispose, _load, emit, run_section

TARGET_RATIO = 2.0
TARGET_MS = 100.0
LIST_STATE = "in_progress"  # the biggest open state: the one with the most overdue rows
DEEP_STATE = "closed"  # the biggest state of all: deep pages exist
DEEP_PAGE = 2000

FULL = {"budget": 5.0, "min_n": 9, "max_n": 300, "warmup": 2, "statement_runs": 5}
QUICK = {"budget": 1.5, "min_n": 5, "max_n": 100, "warmup": 1, "statement_runs": 3}


# -- replaying and explaining captured SQL ----------------------------------------
def _finish(raw) -> None:
    """End what the replay began: SQLite's captured ``BEGIN``, PostgreSQL's implicit transaction."""
    conn = raw.driver_connection
    if getattr(conn, "in_transaction", False) or not getattr(conn, "autocommit", True):
        raw.rollback()


def replay(raw, statements):
    """Run the captured statements on ``raw``, fetching every row, as the app does."""

    def run():
        cur = raw.cursor()
        try:
            for stmt, params, _t in statements:
                cur.execute(stmt, params)
                if cur.description is not None:
                    cur.fetchall()
        finally:
            cur.close()
        _finish(raw)

    return run


def _flat(stmt: str) -> str:
    return " ".join(stmt.split())


def statement_times(raw, statements, runs: int) -> list[dict]:
    """Each distinct statement alone: median of ``runs`` executions, rows fetched."""
    seen: dict[tuple, dict] = {}
    for stmt, params, _t in statements:
        key = (stmt, repr(params))
        if key in seen:
            seen[key]["count"] += 1
            continue
        times = []
        rows = 0
        for _ in range(runs):
            cur = raw.cursor()
            t0 = time.perf_counter()
            cur.execute(stmt, params)
            rows = len(cur.fetchall()) if cur.description is not None else 0
            times.append(time.perf_counter() - t0)
            cur.close()
            _finish(raw)
        seen[key] = {"ms": ms(median(times)), "rows": rows, "count": 1, "sql": _flat(stmt),
                     "params": repr(params), "_stmt": stmt, "_params": params}
    return list(seen.values())


def explain(raw, dialect: str, stmt: str, params) -> list[str]:
    """SQLite: ``EXPLAIN QUERY PLAN``; PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)`` (reads only)."""
    if not stmt.lstrip().upper().startswith("SELECT"):
        return []
    cur = raw.cursor()
    try:
        if dialect == "sqlite":
            rows = cur.execute("EXPLAIN QUERY PLAN " + stmt, params).fetchall()
            return [f"{r[1]}>{r[0]} {r[-1]}" for r in rows]
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params)
        return [r[0] for r in cur.fetchall()]
    finally:
        cur.close()
        _finish(raw)


def profile(raw, dialect: str, statements, runs: int, top: int = 4) -> dict:
    """Per-statement times, the slowest ones with their plans, and the repeated ones."""
    timed = statement_times(raw, statements, runs)
    slowest = sorted(timed, key=lambda s: -s["ms"])[:top]
    for s in slowest:
        s["plan"] = explain(raw, dialect, s["_stmt"], s["_params"])
    shapes: dict[str, int] = {}
    for stmt, _p, _t in statements:
        shapes[_flat(stmt)] = shapes.get(_flat(stmt), 0) + 1
    clean = [{k: v for k, v in s.items() if not k.startswith("_")} for s in timed]
    return {
        "statements": len(statements),
        "sum_of_statements_ms": round(sum(s["ms"] * s["count"] for s in timed), 3),
        "repeated": {k[:240]: n for k, n in shapes.items() if n > 2},
        "slowest": [{k: v for k, v in s.items() if not k.startswith("_")} for s in slowest],
        "each": clean,
    }


# -- what is measured -------------------------------------------------------------
def list_urls(app) -> list[tuple[str, str, str]]:
    """(key, label, url) of the repair-list pages: filter estate BN01 + state + overdue."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Estate
    from plugins.repairs.models import Repair
    from plugins.repairs.queries import overdue_clause

    size = app.config["PROPDESK_PAGE_SIZE"]
    with app.app_context():
        estate_id = db.session.scalar(select(Estate.id).where(Estate.code == estate_code(0)))
        if estate_id is None:
            raise SystemExit(f"no estate {estate_code(0)}: generate the data first")
        overdue = db.session.scalar(select(func.count()).select_from(Repair).where(
            Repair.estate_id == estate_id, Repair.state == LIST_STATE, overdue_clause()))
        deep_rows = db.session.scalar(select(func.count()).select_from(Repair).where(
            Repair.estate_id == estate_id, Repair.state == DEEP_STATE))
        db.session.remove()
    last = max(1, -(-overdue // size))
    deep = min(DEEP_PAGE, max(1, -(-deep_rows // size)))
    base = {"estate": estate_id, "state": LIST_STATE, "overdue": "1"}
    return [
        ("list_first", f"GET /repairs/ estate+{LIST_STATE}+overdue p.1 ({overdue} rows)",
         "/repairs/?" + urlencode(base)),
        ("list_last", f"GET /repairs/ estate+{LIST_STATE}+overdue p.{last} (last)",
         "/repairs/?" + urlencode({**base, "page": last})),
        ("list_deep", f"GET /repairs/ estate+{DEEP_STATE} p.{deep} ({deep_rows} rows)",
         "/repairs/?" + urlencode({"estate": estate_id, "state": DEEP_STATE, "page": deep})),
        # What a manager sees first: every estate of theirs, no filter, newest first.
        ("list_all", "GET /repairs/ no filter, all estates, p.1", "/repairs/"),
        ("dashboard", "GET / (dashboard)", "/"),
    ]


def widget_calls(user, estates) -> dict:
    """Each widget of the two plugins, called as their ``dashboard_widgets`` hooks call them."""
    from core.i18n import estate_timezone, today_local
    from core.ui import nav_for
    from plugins.complaints import widgets as complaint_widgets
    from plugins.repairs import queries as repair_queries

    return {
        "repairs-open": ("repairs widget: open and overdue",
                         lambda: repair_queries.open_figures(user, estates)),
        "repairs-trend": ("repairs widget: completion time, 6 months",
                          lambda: repair_queries.trend(user, estates, today_local(), estate_timezone())),
        "complaints-rate": ("complaints widget: handling rate, 6 months",
                            lambda: complaint_widgets.rate_widget(estates)),
        "complaints-open": ("complaints widget: open complaints",
                            lambda: complaint_widgets.open_widget(estates)),
        # Not a widget: the menu with every plugin's badge, computed on every page.
        "nav": ("menu badges (every page)", lambda: nav_for(user, estates)),
    }


def _record(engine, fn) -> list:
    log = QueryLog(engine)
    with log.recording():
        fn()
    return list(log.items)


#: Other pages of the service desk a manager opens every day: reported, no target (the
#: issue names the list and the widgets); a regression shows here first.
OTHER_PAGES = [
    ("orders_open", "GET /repairs/orders (open work orders, all estates)", "/repairs/orders"),
    ("orders_all", "GET /repairs/orders?state=all (newest first)", "/repairs/orders?state=all"),
    ("repair_stats", "GET /repairs/stats (this month)", "/repairs/stats"),
    ("complaints_list", "GET /complaints/ (all estates)", "/complaints/"),
    ("complaint_stats", "GET /complaints/statistics (this year)", "/complaints/statistics"),
    ("visits_list", "GET /visits/", "/visits/"),
]


def _compare(label: str, times: dict, statements, prof: dict) -> dict:
    server, raw = times["server"], times["raw"]
    row = {"label": label, "server_ms": ms(median(server)), "server_p90_ms": ms(p90(server)),
           "raw_ms": ms(median(raw)), "raw_p90_ms": ms(p90(raw)), "n": len(server),
           "statements": len(statements), "profile": prof}
    row["ratio"] = round(row["server_ms"] / row["raw_ms"], 2) if row["raw_ms"] else None
    return row


def against_raw(app, dialect: str, call, statements, cfg) -> tuple[dict, dict]:
    """``call`` and its ``statements`` replayed raw, sampled interleaved; the statements' profile."""
    raw = raw_connection(app)
    try:
        times = sample_many({"server": call, "raw": replay(raw, statements)}, budget=cfg["budget"],
                            min_n=cfg["min_n"], max_n=cfg["max_n"], warmup=cfg["warmup"])
        return times, profile(raw, dialect, statements, cfg["statement_runs"])
    finally:
        raw.close()


def measure_pages(app, urls, cfg) -> dict:
    from core.extensions import db

    client = logged_in_client(app)
    with app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    for key, label, url in urls:
        page = _get(client, url)
        page()  # warm: templates compiled, caches filled
        statements = _record(engine, page)
        times, prof = against_raw(app, dialect, page, statements, cfg)
        out[key] = {"url": url, **_compare(label, times, statements, prof)}
    return out


def measure_list_data(app, hook_app, urls, cfg) -> dict:
    """The list's own data work, as the view does it (``repairs.views.records.list_page``:
    the scoped, filtered count, the page's ids, its rows), called in a request of that URL,
    against the same statements replayed raw: what the ORM and the list helper add to the
    SQL, without the page around it (menu, forms, template)."""
    from flask import request

    from core.extensions import db
    from core.plugins import reset_request_cache
    from plugins.repairs.forms import RepairFilter
    from plugins.repairs.views.records import list_page

    with hook_app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    for key, label, url in urls:
        if not key.startswith("list_"):
            continue
        with user_request(hook_app, path=url):

            def call():
                reset_request_cache()  # as a new request would find it
                return list_page(RepairFilter(request.args)).page()

            call()
            statements = _record(engine, call)
            times, prof = against_raw(app, dialect, call, statements, cfg)
        out[key.replace("list_", "data_")] = {"url": url, **_compare(
            label.replace("GET /repairs/", "list data (count, ids, rows):"), times, statements, prof)}
    return out


def measure_widgets(app, hook_app, cfg) -> dict:
    from core.extensions import db
    from core.plugins import reset_request_cache
    from core.security import current_estate_ids

    with hook_app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    with user_request(hook_app) as user:
        estates = current_estate_ids()
        for key, (label, fn) in widget_calls(user, estates).items():

            def call(fn=fn):
                reset_request_cache()  # as a new request would find it
                return fn()

            call()
            statements = _record(engine, call)
            times, prof = against_raw(app, dialect, call, statements, cfg)
            out[key] = _compare(label, times, statements, prof)
            out[key]["estates"] = len(estates)
    return out


def data_sizes(app) -> dict:
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Unit
    from plugins.complaints.models import Complaint
    from plugins.repairs.models import Repair, WorkOrder
    from plugins.repairs.queries import overdue_clause

    with app.app_context():
        count = lambda model, *where: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(*where))
        out = {"units": count(Unit), "repairs": count(Repair), "work_orders": count(WorkOrder),
               "repairs_overdue": count(Repair, overdue_clause()), "complaints": count(Complaint)}
        db.session.remove()
    return out


# -- figures ------------------------------------------------------------------------
def figures_for(section: str, res: dict, figures: list[Figure], judged: bool = True) -> None:
    for _key, r in res.items():
        ok = None
        if judged and r["raw_ms"]:
            ok = r["server_ms"] <= TARGET_RATIO * r["raw_ms"] and r["server_ms"] < TARGET_MS
        slow = r["profile"]["slowest"][0] if r["profile"]["slowest"] else None
        emit(figures, Figure(
            section, r["label"], r["server_ms"], "ms",
            f"raw SQL {r['raw_ms']:.1f} ms ({r['statements']} stmt), ×{r['ratio']}",
            f"≤ {TARGET_RATIO:g}× raw and < {TARGET_MS:g} ms" if judged else "(reported)", ok))
        if slow and slow["ms"] >= 10:
            print(f"      slowest statement {slow['ms']:.1f} ms: {slow['sql'][:150]}…", flush=True)


def main(argv=None) -> int:
    from bench.servicedesk_generate import add_arguments, generate_servicedesk

    parser = argparse.ArgumentParser(prog="python -m bench.servicedesk", description=__doc__.split("\n")[0])
    add_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="shorter sampling, rougher figures")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-generate", action="store_true", help="measure the database as it is")
    group.add_argument("--generate-only", action="store_true", help="fill the database, measure nothing")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL

    if args.generate_only:
        use_bench_env(OUT_DIR / "instance")
        generate_servicedesk(args.db, args.repairs, args.complaints, args.units, args.estates, args.seed)
        return 0
    tmp_dir = tempfile.TemporaryDirectory(prefix="propdesk-bench-sd-")
    instance = Path(tmp_dir.name) / "instance"
    use_bench_env(instance)
    say = lambda *a: print(*a, flush=True)  # noqa: E731
    with BenchRun("servicedesk", args.db, args.quick, cfg, {"ratio": TARGET_RATIO, "ms": TARGET_MS}, say) as run:
        results, errors, logged, figures = run.results, run.errors, run.logged, run.figures
        if not args.no_generate:
            t0 = time.perf_counter()
            results["generate"] = generate_servicedesk(args.db, args.repairs, args.complaints, args.units,
                                                       args.estates, args.seed)
            results["generate_s"] = round(time.perf_counter() - t0, 1)
            print(f"generation: {results['generate_s']} s", flush=True)
        else:
            from bench.servicedesk_generate import refresh_day_stats

            # As the plugins' day_stats jobs (cron, every 5 minutes) would have by now.
            results["day_stats"] = refresh_day_stats(args.db)
        if results["load_avg_start"] and _load()[0] > 1.0:
            print(f"note: load average {_load()[0]:.2f}: other work on this machine makes the figures noisy",
                  flush=True)

        from core import create_app

        app = create_app(app_config(args.db, instance, None))
        hook_app = create_app(app_config(args.db, instance, None))
        from core.app import freeze_startup_objects

        freeze_startup_objects()  # as the serving process does (wsgi.py)
        results["sizes"] = data_sizes(app)
        print("data: " + ", ".join(f"{k} {v:,}" for k, v in results["sizes"].items()), flush=True)

        urls = list_urls(app)
        res = run_section("list", lambda: measure_pages(app, urls, cfg), errors, logged)
        if res:
            results["pages"] = res
            figures_for("i", res, figures)
        res = run_section("list data", lambda: measure_list_data(app, hook_app, urls, cfg), errors, logged)
        if res:
            results["list_data"] = res
            figures_for("i", res, figures)
        res = run_section("widgets", lambda: measure_widgets(app, hook_app, cfg), errors, logged)
        if res:
            results["widgets"] = res
            nav = {"nav": res.pop("nav")} if "nav" in res else {}
            figures_for("ii", res, figures)
            figures_for("ii", nav, figures, judged=False)
        res = run_section("other pages", lambda: measure_pages(app, OTHER_PAGES, cfg), errors, logged)
        if res:
            results["other_pages"] = res
            figures_for("iii", res, figures, judged=False)
        _dispose(app, hook_app)
    tmp_dir.cleanup()
    return run.exit_code


if __name__ == "__main__":
    sys.exit(main())
