"""Small helpers shared by the benchmark modules: paths, environment, timing, statistics."""

from __future__ import annotations

import os
import socket
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SECRET_KEY = "propdesk-bench-not-secret"
DEMO_PASSWORD = "demo1234"
#: The account every measurement logs in as: it belongs to all generated estates.
BENCH_USER = "manager"


def bench_env(db_url: str, instance: str | Path, plugins: list[str] | None = None,
              pycache: str | Path | None = None) -> dict:
    """Environment for a PropDesk subprocess on ``db_url``.

    ``plugins=None`` leaves every discovered plugin allowed; ``[]`` allows none.
    The instance folder and secret key are the benchmark's own, so nothing is
    written to the project's ``instance/`` folder. With ``pycache``, compiled
    bytecode is kept there (as an installed site has it) instead of beside the sources.
    """
    env = {k: v for k, v in os.environ.items() if k != "PROPDESK_PLUGINS"}
    env.update(
        PROPDESK_DATABASE_URL=db_url,
        PROPDESK_INSTANCE=str(instance),
        PROPDESK_SECRET_KEY=SECRET_KEY,
    )
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if plugins is not None:
        env["PROPDESK_PLUGINS"] = ",".join(plugins)
    return env


def use_bench_env(instance: str | Path) -> None:
    """Point this process's PropDesk configuration at the benchmark's instance folder."""
    Path(instance).mkdir(parents=True, exist_ok=True)
    os.environ["PROPDESK_INSTANCE"] = str(instance)
    os.environ.setdefault("PROPDESK_SECRET_KEY", SECRET_KEY)


def app_config(db_url: str, instance: str | Path, plugins: list[str] | None = None) -> dict:
    """``create_app`` configuration; ``plugins=None`` means every discovered plugin."""
    return {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "PROPDESK_PLUGINS": plugins,
        "PROPDESK_INSTANCE": str(instance),
        "SECRET_KEY": SECRET_KEY,
        # The real form protection stays on: the clients scrape the token.
        "WTF_CSRF_ENABLED": True,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p90(values) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def sample(fn, *, budget: float, min_n: int = 15, max_n: int = 400, warmup: int = 3) -> list[float]:
    """Call ``fn`` repeatedly; return its durations in seconds.

    Runs ``warmup`` untimed calls, then at least ``min_n`` and at most ``max_n``
    timed ones, stopping once ``budget`` seconds have been spent.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_n and (len(times) < min_n or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def sample_many(fns: dict, *, budget: float, min_n: int = 15, max_n: int = 400,
                warmup: int = 3) -> dict[str, list[float]]:
    """Like :func:`sample` for several functions, interleaved round-robin (the first one
    rotating) so a burst of outside load hits them all alike instead of one of them."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    start = time.perf_counter()
    rounds = 0
    while rounds < max_n and (rounds < min_n or time.perf_counter() - start < budget):
        shift = rounds % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
        rounds += 1
    return times


def sample_cpu(fns: dict, budget: float, min_n: int = 15, warmup: int = 3):
    """Wall and CPU (this process) seconds of each call, interleaved round-robin. The CPU
    time moves less than the wall time when other work shares the machine's cores."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    wall: dict = {n: [] for n in fns}
    cpu: dict = {n: [] for n in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < min_n or time.perf_counter() - start < budget:
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
        rounds += 1
    return wall, cpu


def median_p90_ms(fn, n: int) -> tuple[float, float]:
    """Median and p90 in milliseconds of ``n`` calls of ``fn`` after one untimed call."""
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return median(times), p90(times)


# -- what the data-set benchmarks (patrol, keys, inventory…) share ------------------
def first_estate_id(app) -> int:
    """The id of the first generated estate (``BN01``); exits when the data is missing."""
    from sqlalchemy import select

    from bench.generate import estate_code
    from core.extensions import db
    from core.models import Estate

    with app.app_context():
        estate_id = db.session.scalar(select(Estate.id).where(Estate.code == estate_code(0)))
        db.session.remove()
    if estate_id is None:
        raise SystemExit(f"no estate {estate_code(0)}: generate the data first")
    return estate_id


def bulk_load(conn, table, columns, rows, postgres: bool, batch: int = 5000) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``: ``COPY … FROM STDIN``
    on PostgreSQL (psycopg 3), executemany of a plain ``INSERT`` in batches elsewhere."""
    if postgres:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    stmt = table.insert()
    for start in range(0, len(rows), batch):
        conn.execute(stmt, [dict(zip(columns, r, strict=True)) for r in rows[start:start + batch]])


def ratio_figures(section: str, res: dict, figures: list, target_ratio: float, target_ms: float,
                  judged: bool = True) -> None:
    """One figure per measurement of ``res`` (``servicedesk._compare`` results): the server
    time against its raw SQL, judged on ``≤ target_ratio × raw and < target_ms``."""
    from bench.run import Figure, emit

    for r in res.values():
        ok = None
        if judged and r["raw_ms"]:
            ok = r["server_ms"] <= target_ratio * r["raw_ms"] and r["server_ms"] < target_ms
        emit(figures, Figure(section, r["label"], r["server_ms"], "ms",
                             f"raw SQL {r['raw_ms']:.2f} ms ({r['statements']} stmt), ×{r['ratio']}",
                             f"≤ {target_ratio:g}× raw and < {target_ms:g} ms" if judged else "(reported)", ok))


class BenchRun:
    """The frame of a data-set benchmark's run: the results dict (when, database, machine,
    load), the sections' errors and logged problems, the figures, and at the end — whatever
    happened — ``bench/out/<name>.json`` written and the summary line printed.

        with BenchRun("patrol", args.db, args.quick, cfg, targets) as run:
            res = run.section("board", lambda: measure_board(...))
            ...
        return run.exit_code
    """

    def __init__(self, name: str, db_url: str, quick: bool, config: dict, targets: dict, say=print):
        import platform

        from bench.run import _cpus, _load, _safe_url

        self.name, self.say = name, say
        self.results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "db": _safe_url(db_url),
                              "quick": quick, "config": config, "python": platform.python_version(),
                              "machine": platform.machine(), "cpus": _cpus(), "load_avg_start": _load(),
                              "targets": targets}
        self.errors: dict = {}
        self.logged: dict = {}
        self.figures: list = []
        self.out = OUT_DIR / f"{name}.json"
        self.exit_code = 0

    def __enter__(self):
        import logging

        from bench.run import TALLY

        OUT_DIR.mkdir(parents=True, exist_ok=True)
        logging.getLogger().addHandler(TALLY)
        self._t0 = time.perf_counter()
        return self

    def section(self, name: str, fn):
        from bench.run import run_section

        return run_section(name, fn, self.errors, self.logged)

    def __exit__(self, *exc):
        import json

        from bench.run import _load

        r = self.results
        r["figures"] = [f.__dict__ for f in self.figures]
        r["errors"] = self.errors
        r["logged"] = self.logged
        r["total_s"] = round(time.perf_counter() - self._t0, 1)
        r["load_avg_end"] = _load()
        self.out.write_text(json.dumps(r, indent=2, ensure_ascii=False, default=str))
        if exc[0] is None:
            judged = [f for f in self.figures if f.ok is not None]
            self.say(f"\n{sum(1 for f in judged if f.ok)} of {len(judged)} targets met; {len(self.errors)} "
                     f"section(s) failed; {r['total_s']} s in all; details in "
                     f"{self.out.relative_to(OUT_DIR.parent.parent)}")
            self.exit_code = 1 if self.errors else 0
        return False
