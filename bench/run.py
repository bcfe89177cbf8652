"""Run every PropDesk benchmark and print each figure with its floor and target.

    python -m bench.run [--units 100000] [--db URL] [--quick]

Without ``--db`` a database is generated in a temporary folder (see
``bench/generate.py``) and removed afterwards. Results also go to
``bench/out/results.json``. See ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import OUT_DIR, app_config, bench_env, use_bench_env

STARTUP_TARGET_S = 2.0
OVERHEAD_TARGET_PCT = 10.0
SEARCH_MAX_RATIO = 2.0
SEARCH_MAX_MS = 50.0
PAGES = ["/", "/estates/units"]

FULL = {"startup_runs": 7, "overhead_budget": 5.0, "search_budget": 4.0, "probe_budget": 1.5,
        "http_seconds": 10.0, "http_threads": 4}
QUICK = {"startup_runs": 3, "overhead_budget": 1.5, "search_budget": 1.0, "probe_budget": 0.5,
         "http_seconds": 3.0, "http_threads": 4}


@dataclass
class Figure:
    section: str
    name: str
    value: float | None
    unit: str
    floor: str = ""
    target: str = ""
    ok: bool | None = None

    def line(self) -> str:
        value = "n/a" if self.value is None else f"{self.value:g} {self.unit}"
        verdict = {True: "OK", False: "MISSED", None: "info"}[self.ok]
        parts = [f"({self.section}) {self.name:<44} {value:>14}"]
        if self.floor:
            parts.append(f"floor: {self.floor}")
        if self.target:
            parts.append(f"target: {self.target}")
        return "   ".join(parts) + f"   [{verdict}]"


class LogTally(logging.Handler):
    """Counts warnings and errors logged by the app (a failing plugin hook, say) instead
    of printing every traceback; each section reports what it saw."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.counts: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        first = record.getMessage().splitlines()[0][:160] if record.getMessage() else ""
        self.counts[f"{record.levelname} {record.name}: {first}"] += 1


TALLY = LogTally()


def emit(figures: list[Figure], fig: Figure) -> None:
    figures.append(fig)
    print(fig.line(), flush=True)


def startup_figures(res: dict, figures: list[Figure]) -> None:
    a, n = res["all"], res["none"]
    emit(figures, Figure(
        "a", f"start-up, all {len(a['plugins'])} plugins", round(a["create_app_s"], 3), "s",
        f"{n['create_app_s']:.3f} s with no plugin", f"≤ {STARTUP_TARGET_S:g} s",
        a["create_app_s"] <= STARTUP_TARGET_S))
    emit(figures, Figure("a", "start-up cost of the plugins", round(res["plugin_cost_s"], 3), "s",
                         target="(reported)"))
    emit(figures, Figure("a", "whole process, all plugins (python + app)", round(a["process_s"], 3),
                         "s", f"{n['process_s']:.3f} s with no plugin", "(reported)"))


def overhead_figures(res: dict, figures: list[Figure]) -> None:
    for url, r in res.items():
        emit(figures, Figure(
            "b", f"plugin overhead GET {url}", r["overhead_pct"], "%",
            f"{r['none_ms']:.1f} ms no plugin vs {r['all_ms']:.1f} ms all (n={r['n']})",
            f"≤ {OVERHEAD_TARGET_PCT:g} %", r["overhead_pct"] <= OVERHEAD_TARGET_PCT))


def search_figures(res: dict, figures: list[Figure]) -> None:
    for label, r in res.items():
        raw = r["raw_ms"]
        page_ok = r["page_ms"] <= SEARCH_MAX_RATIO * raw and r["page_ms"] < SEARCH_MAX_MS
        emit(figures, Figure(
            "c", f"GET /search?q={r['q']} ({label}, {r['hits_all']} hits)", r["page_ms"], "ms",
            f"raw SQL {raw:.1f} ms ({r['statements']} stmt), ×{r['page_vs_raw']}",
            f"≤ {SEARCH_MAX_RATIO:g}× raw and < {SEARCH_MAX_MS:g} ms", page_ok))
        hook_ok = r["hook_core_ms"] <= SEARCH_MAX_RATIO * raw and r["hook_core_ms"] < SEARCH_MAX_MS
        emit(figures, Figure(
            "c", f"core search hook q={r['q']}", r["hook_core_ms"], "ms",
            f"raw SQL {raw:.1f} ms, ×{r['hook_vs_raw']}",
            f"≤ {SEARCH_MAX_RATIO:g}× raw and < {SEARCH_MAX_MS:g} ms", hook_ok))


def rps_figures(res: dict, figures: list[Figure]) -> None:
    pd, hello = res["propdesk"], res["hello"]
    emit(figures, Figure(
        "d", f"gunicorn -w {res['workers']}: PropDesk dashboard", pd["rps"], "req/s",
        f"bare Flask hello {hello['rps']:g} req/s", "(reported)",
        None if not pd["errors"] else False))
    emit(figures, Figure("d", "PropDesk dashboard / hello", res["ratio"], "×", target="(reported)"))
    problems = pd.get("server_log") or {}
    if problems.get("tracebacks") or problems.get("error_lines"):
        print(f"    [d: the PropDesk server logged {problems['tracebacks']} tracebacks, "
              f"{problems['error_lines']} error lines; first: {problems['first_error']}]", flush=True)


def prepare_database(args, tmp: Path) -> tuple[str, dict]:
    from bench.generate import generate

    if args.db:
        db_url = args.db
        info = generate(db_url, args.units, args.estates, quiet=False) if args.generate else {}
    else:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        print(f"generating {args.units} units in {db_url}", flush=True)
        info = generate(db_url, args.units, args.estates, quiet=True)
    return db_url, info


def check_database(db_url: str, instance: Path) -> dict:
    from sqlalchemy import func, select

    from core import create_app
    from core.extensions import db
    from core.models import Unit, User

    app = create_app(app_config(db_url, instance))
    with app.app_context():
        units = db.session.scalar(select(func.count()).select_from(Unit))
        has_user = db.session.scalar(select(func.count()).select_from(User).where(User.username == "manager"))
        db.session.remove()
        db.engine.dispose()
    if not units or not has_user:
        raise SystemExit(f"{db_url} has no units or no 'manager' account: "
                         "fill it with `python -m bench.generate --db URL` first")
    return {"units_in_db": units}


def run_section(name: str, fn, errors: dict, logged: dict):
    started = time.perf_counter()
    before = Counter(TALLY.counts)
    try:
        return fn()
    except Exception as exc:  # one broken measurement must not hide the others
        errors[name] = f"{type(exc).__name__}: {exc}"
        print(f"({name}) FAILED: {errors[name]}", flush=True)
        traceback.print_exc()
        return None
    finally:
        seen = TALLY.counts - before
        if seen:
            logged[name] = dict(seen.most_common())
            top, n = seen.most_common(1)[0]
            print(f"    [{name}: the app logged {sum(seen.values())} warnings/errors, "
                  f"most often ({n}×): {top}]", flush=True)
        print(f"    [{name} took {time.perf_counter() - started:.1f} s]", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=100_000, help="units to generate (default 100000)")
    parser.add_argument("--estates", type=int, default=5)
    parser.add_argument("--db", help="an existing database made by bench.generate (not generated again)")
    parser.add_argument("--generate", action="store_true", help="with --db: generate into it first")
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    parser.add_argument("--skip-http", action="store_true", help="leave out the gunicorn figures (d)")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL

    tmp_dir = tempfile.TemporaryDirectory(prefix="propdesk-bench-")
    tmp = Path(tmp_dir.name)
    instance, pycache = tmp / "instance", tmp / "pycache"
    use_bench_env(instance)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick, "config": cfg,
                     "python": platform.python_version(), "machine": platform.machine(),
                     "cpus": _cpus(), "load_avg_start": _load()}
    if results["load_avg_start"] and results["load_avg_start"][0] > 1.0:
        print(f"note: load average {results['load_avg_start'][0]:.2f} before the run: "
              "other work on this machine makes the figures noisy", flush=True)
    errors: dict = {}
    logged: dict = {}
    figures: list[Figure] = []
    logging.getLogger().addHandler(TALLY)
    t_all = time.perf_counter()
    try:
        t0 = time.perf_counter()
        db_url, gen = prepare_database(args, tmp)
        results.update(db=_safe_url(db_url) if args.db else "temporary SQLite file", generate=gen,
                       generate_s=round(time.perf_counter() - t0, 2), **check_database(db_url, instance))
        print(f"database ready: {results['units_in_db']} units ({results['generate_s']} s)", flush=True)
        if gen.get("plugins_enabled") is not None:
            print(f"plugins enabled: {', '.join(gen['plugins_enabled']) or 'none'}", flush=True)
        for code, why in (gen.get("plugins_not_enabled") or {}).items():
            print(f"plugin {code} not enabled: {why}", flush=True)

        from bench import inproc, startup

        res = run_section("a", lambda: startup.measure_startup(
            db_url, instance, pycache, cfg["startup_runs"]), errors, logged)
        if res:
            results["startup"] = res
            startup_figures(res, figures)

        from core import create_app

        app_all = create_app(app_config(db_url, instance, None))
        app_none = create_app(app_config(db_url, instance, []))
        res = run_section("b", lambda: inproc.measure_overhead(
            app_all, app_none, PAGES, cfg["overhead_budget"]), errors, logged)
        if res:
            results["overhead"] = res
            overhead_figures(res, figures)
        app_hooks = create_app(app_config(db_url, instance, None))
        res = run_section("c", lambda: inproc.measure_search(
            app_all, app_hooks, inproc.pick_fragments(app_all), cfg["search_budget"]),
            errors, logged)
        if res:
            results["search"] = res
            search_figures(res, figures)

        if not args.skip_http:
            from bench.server import measure_rps

            res = run_section("d", lambda: measure_rps(
                bench_env(db_url, instance, None, pycache), bench_env(db_url, instance, None, pycache),
                tmp, duration=cfg["http_seconds"], threads=cfg["http_threads"]), errors, logged)
            if res:
                results["rps"] = res
                rps_figures(res, figures)

        res = run_section("e", lambda: inproc.measure_probes(app_all, cfg["probe_budget"]),
                          errors, logged)
        if res:
            results["probes"] = res
            for url, r in res.items():
                emit(figures, Figure("e", f"GET {url}", r["ms"], "ms", target="(reported)"))
        _dispose(app_all, app_none, app_hooks)
    finally:
        results["figures"] = [asdict(f) for f in figures]
        results["errors"] = errors
        results["logged"] = logged
        results["total_s"] = round(time.perf_counter() - t_all, 1)
        results["load_avg_end"] = _load()
        out = OUT_DIR / "results.json"
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        tmp_dir.cleanup()
    judged = [f for f in figures if f.ok is not None]
    met = sum(1 for f in judged if f.ok)
    print(f"\n{met} of {len(judged)} targets met; {len(errors)} section(s) failed; "
          f"{results['total_s']} s in all; details in {out.relative_to(OUT_DIR.parent.parent)}")
    return 1 if errors else 0


def _dispose(*apps) -> None:
    from core.extensions import db

    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _load() -> list[float] | None:
    import os

    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _cpus() -> int | None:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
