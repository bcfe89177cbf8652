"""Patrol benchmark (issue 13): 2,000,000 checkpoint visits; today's patrol board.

    python -m bench.patrol --db URL [--visits 2000000] [--routes 10] [--checkpoints 20] [--units 2000]
                           [--estates 2] [--quick] [--no-generate [--at ISO] | --generate-only]

Fills ``--db`` first (estates, units and accounts from ``bench.generate``, then per estate
``--routes`` routes of ``--checkpoints`` checkpoints, and patrols of every route seven times a
day — each visiting every checkpoint, one in twenty with a problem — going back as many days as
``--visits`` needs, today's included: done before now, due after), then measures, logged in as
``manager`` with the estate switcher on the first estate:

- **today's patrol board, one estate**: the board's data work as the page runs it
  (``services.board`` for today's bounds: patrols with route and patroller, visits and problems
  per patrol, checkpoints per route) against the very SQL it issued replayed on a bare DB-API
  connection;
- the whole page ``GET /patrol/`` and the building log of today, reported without a target.

Target (issue 13): under 50 ms and ≤ 2× its raw SQL, on SQLite and PostgreSQL. Prints one line
per figure and writes ``bench/out/patrol.json``. See ``bench/README.md`` ("Patrol").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import (
    BenchRun,
    app_config,
    bulk_load,
    first_estate_id,
    ratio_figures,
    use_bench_env,
)
from bench.generate import BATCH, estate_code, generate
from bench.run import _dispose, run_section

TARGET_RATIO = 2.0
TARGET_MS = 50.0
PER_DAY = 7  # patrols of each route a day, two hours apart from 06:00
TZ = ZoneInfo("Asia/Shanghai")

FULL = {"budget": 5.0, "min_n": 9, "max_n": 300, "warmup": 2, "statement_runs": 5}
QUICK = {"budget": 1.5, "min_n": 5, "max_n": 100, "warmup": 1, "statement_runs": 3}

PATROL_COLUMNS = ("estate_id", "number", "route_id", "plan_id", "patroller_id", "kind", "due_at", "due_by", "state",
                  "started_at", "finished_at", "note", "created_at", "updated_at", "created_by_id", "updated_by_id")
VISIT_COLUMNS = ("estate_id", "patrol_id", "checkpoint_id", "visited_at", "visited_by_id", "result", "note",
                 "created_at", "updated_at", "created_by_id", "updated_by_id")


def _bulk(conn, table, columns, rows, postgres: bool) -> None:
    bulk_load(conn, table, columns, rows, postgres, BATCH)


def generate_patrols(db_url: str, visits: int = 2_000_000, routes: int = 10, checkpoints: int = 20,
                     units: int = 2000, estates: int = 2, seed: int = 42, say=print) -> dict:
    from sqlalchemy import func, select

    from bench.servicedesk_generate import vacuum_analyze
    from core import create_app
    from core.extensions import db
    from core.models import Estate, User
    from plugins.patrol.models import Patrol, PatrolCheckpoint, PatrolRoute, PatrolVisit

    t_all = time.perf_counter()
    summary: dict = {"base": generate(db_url, units, estates, seed, quiet=True)}
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    summary["now"] = now.isoformat()
    rng = random.Random(seed)
    with app.app_context():
        ids = list(db.session.scalars(select(Estate.id).where(
            Estate.code.in_([estate_code(i) for i in range(estates)])).order_by(Estate.id)))
        patroller = db.session.scalar(select(User.id).where(User.username == "clerk"))
        present = db.session.scalar(select(func.count()).select_from(PatrolRoute).where(PatrolRoute.estate_id.in_(ids)))
        if present:
            say(f"patrol: {present} routes already in the generated estates: kept as they are")
            summary["routes_present"] = present
            db.session.remove()
            return summary
        postgres = db.engine.dialect.name == "postgresql"
        stamp = (now, now, None, None)
        conn = db.session.connection()
        for estate_id in ids:
            for r in range(routes):
                conn.execute(PatrolRoute.__table__.insert(), [{
                    "estate_id": estate_id, "name": f"路线 {r + 1:02d}", "description": "", "active": True,
                    "created_at": now, "updated_at": now}])
        route_rows = db.session.execute(select(PatrolRoute.id, PatrolRoute.estate_id).where(
            PatrolRoute.estate_id.in_(ids)).order_by(PatrolRoute.id)).all()
        points: dict[int, list[int]] = {}
        n = 0
        for route_id, estate_id in route_rows:
            rows = []
            for c in range(checkpoints):
                n += 1
                rows.append({"estate_id": estate_id, "route_id": route_id, "code": f"C{n:05d}",
                             "name": f"巡视点 {n}", "sequence": (c + 1) * 10, "checks": "facilities,fire",
                             "instructions": "", "active": True, "created_at": now, "updated_at": now})
            conn.execute(PatrolCheckpoint.__table__.insert(), rows)
            points[route_id] = list(db.session.scalars(select(PatrolCheckpoint.id).where(
                PatrolCheckpoint.route_id == route_id).order_by(PatrolCheckpoint.sequence)))
        db.session.commit()
        # Patrols: every route PER_DAY times a day, back as many days as the visits need.
        per_day_visits = len(route_rows) * PER_DAY * checkpoints
        days = max(1, visits // per_day_visits)
        today = now.astimezone(TZ).date()
        t0 = time.perf_counter()
        patrol_rows, counter = [], 0
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            for k in range(PER_DAY):
                due = datetime(day.year, day.month, day.day, 6 + 2 * k, tzinfo=TZ).astimezone(UTC)
                for route_id, estate_id in route_rows:
                    counter += 1
                    done = due + timedelta(minutes=90) < now
                    started = due if due < now else None
                    finished = due + timedelta(minutes=rng.randint(40, 130)) if done else None
                    state = "done" if done else ("in_progress" if started else "due")
                    patrol_rows.append((estate_id, f"XS-{estate_id}-{day.year}-{counter:07d}", route_id, None,
                                        patroller, "staff", due, due + timedelta(minutes=120), state, started,
                                        finished, "", *stamp))
        for start in range(0, len(patrol_rows), 100_000):
            _bulk(db.session.connection(), Patrol.__table__, PATROL_COLUMNS, patrol_rows[start:start + 100_000],
                  postgres)
            db.session.commit()
        summary["patrols"] = len(patrol_rows)
        say(f"patrols: {len(patrol_rows):,} over {days} days ({time.perf_counter() - t0:.0f} s)")
        t0 = time.perf_counter()
        made = db.session.execute(select(Patrol.id, Patrol.estate_id, Patrol.route_id, Patrol.due_at, Patrol.state)
                                  .where(Patrol.estate_id.in_(ids)).order_by(Patrol.id)).all()
        chunk, total = [], 0
        for i, (pid, estate_id, route_id, due, state) in enumerate(made):
            if state != "due":
                at = due
                # An in-progress patrol has visited part of its route; a done one, one in fifty missed one.
                route_points = points[route_id]
                if state == "in_progress":
                    route_points = route_points[: max(1, int((now - due).total_seconds() // 300))]
                skip = rng.randrange(len(route_points)) if state == "done" and rng.random() < 0.02 else -1
                for j, cp in enumerate(route_points):
                    at += timedelta(minutes=4)
                    if j == skip or at > now:
                        continue
                    problem = rng.random() < 0.05
                    chunk.append((estate_id, pid, cp, at, patroller, "problem" if problem else "ok",
                                  "地面湿滑" if problem else "", *stamp))
            if len(chunk) >= 100_000 or i == len(made) - 1:
                _bulk(db.session.connection(), PatrolVisit.__table__, VISIT_COLUMNS, chunk, postgres)
                db.session.commit()
                total += len(chunk)
                chunk = []
                say(f"  visits: {total:,} ({time.perf_counter() - t0:.0f} s)")
        summary["visits"] = total
        summary["visits_s"] = round(time.perf_counter() - t0, 1)
        if not postgres:
            db.session.connection().exec_driver_sql("ANALYZE")
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    summary["vacuum_analyze_s"] = vacuum_analyze(db_url)
    summary["total_s"] = round(time.perf_counter() - t_all, 1)
    say(f"patrol data ready in {summary['total_s']} s")
    return summary


def measure_board(app, hook_app, estate_id, cfg) -> dict:
    """Today's board's data work, as the page runs it, against its SQL replayed raw."""
    from flask import session

    from bench.inproc import user_request
    from bench.servicedesk import _compare, _record, against_raw
    from core.extensions import db
    from core.i18n import estate_timezone, today_local
    from core.plugins import reset_request_cache
    from core.security import current_estate_ids
    from plugins.patrol import services

    with hook_app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    with user_request(hook_app, path="/patrol/"):
        session["estate_id"] = estate_id

        def call():
            reset_request_cache()
            start, end = services.day_bounds(today_local(), estate_timezone())
            return services.board(current_estate_ids(), start, end)

        rows = call()
        statements = _record(engine, call)
        times, prof = against_raw(app, dialect, call, statements, cfg)
        visited = sum(r.visited for r in rows)
        return {"board": _compare(f"today's patrol board, one estate ({len(rows)} patrols, {visited} visits): data",
                                  times, statements, prof)}


def measure_pages(app, estate_id, cfg) -> dict:
    from bench.inproc import _get, logged_in_client
    from bench.servicedesk import _compare, _record, against_raw
    from core.extensions import db

    client = logged_in_client(app)
    with client.session_transaction() as sess:
        sess["estate_id"] = estate_id
    with app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    for key, label, url in [("board_page", "GET /patrol/ (today's board): whole page", "/patrol/"),
                            ("log_page", "GET /patrol/log (today's building log): whole page", "/patrol/log")]:
        page = _get(client, url)
        page()
        statements = _record(engine, page)
        times, prof = against_raw(app, dialect, page, statements, cfg)
        out[key] = {"url": url, **_compare(label, times, statements, prof)}
    return out


def data_sizes(app) -> dict:
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.patrol.models import Patrol, PatrolCheckpoint, PatrolVisit

    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        out = {"checkpoints": count(PatrolCheckpoint), "patrols": count(Patrol), "visits": count(PatrolVisit)}
        db.session.remove()
    return out


def _figures(res: dict, figures: list, judged: bool = True) -> None:
    ratio_figures("patrol", res, figures, TARGET_RATIO, TARGET_MS, judged)


def main(argv=None) -> int:
    from bench.servicedesk_generate import absolute_sqlite

    parser = argparse.ArgumentParser(prog="python -m bench.patrol", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=absolute_sqlite, help="sqlite:///path.db or postgresql+psycopg://…")
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--routes", type=int, default=10)
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--estates", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="shorter sampling, rougher figures")
    parser.add_argument("--at", help="measure with the clock at this ISO date-time (with its offset), e.g. "
                        "2026-12-02T16:30+08:00: today's board while its patrols are under way when the data was "
                        "generated at night (time-machine, as the tests move the clock; not with generation)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-generate", action="store_true", help="measure the database as it is")
    group.add_argument("--generate-only", action="store_true", help="fill the database, measure nothing")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    say = lambda *a: print(*a, flush=True)  # noqa: E731
    if args.at:
        if not args.no_generate:
            parser.error("--at needs --no-generate: the data is generated around the real clock")
        import time_machine

        # The wall clock (datetime.now, time.time) moves from there; perf_counter is untouched.
        time_machine.travel(datetime.fromisoformat(args.at), tick=True).start()
        say(f"clock moved to {args.at}")

    tmp_dir = tempfile.TemporaryDirectory(prefix="propdesk-bench-patrol-")
    instance = Path(tmp_dir.name) / "instance"
    use_bench_env(instance)
    gen = (args.db, args.visits, args.routes, args.checkpoints, args.units, args.estates, args.seed, say)
    if args.generate_only:
        generate_patrols(*gen)
        return 0
    with BenchRun("patrol", args.db, args.quick, cfg, {"ratio": TARGET_RATIO, "ms": TARGET_MS}, say) as run:
        results, errors, logged, figures = run.results, run.errors, run.logged, run.figures
        if not args.no_generate:
            results["generate"] = generate_patrols(*gen)
        from core import create_app
        from core.app import freeze_startup_objects

        app = create_app(app_config(args.db, instance, None))
        hook_app = create_app(app_config(args.db, instance, None))
        freeze_startup_objects()
        results["sizes"] = data_sizes(app)
        say("data: " + ", ".join(f"{k} {v:,}" for k, v in results["sizes"].items()))
        estate_id = first_estate_id(app)
        res = run_section("board", lambda: measure_board(app, hook_app, estate_id, cfg), errors, logged)
        if res:
            results["board"] = res
            _figures(res, figures)
        res = run_section("pages", lambda: measure_pages(app, estate_id, cfg), errors, logged)
        if res:
            results["pages"] = res
            _figures(res, figures, judged=False)
        _dispose(app, hook_app)
    tmp_dir.cleanup()
    return run.exit_code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
