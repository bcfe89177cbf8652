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
