"""Start-up time of ``create_app``: every discovered plugin vs none, in fresh interpreters.

Each run is a new ``python`` process, so the imports of Flask, SQLAlchemy, the
core and the plugins count. The first run of each kind is a warm-up (it also
compiles bytecode into the benchmark's own cache folder) and is not counted.
"""

from __future__ import annotations

import json
import subprocess
import time

from bench.common import PYTHON, ROOT, bench_env, median

SNIPPET = """
import json, time
t0 = time.perf_counter()
from core import create_app
app = create_app()
t1 = time.perf_counter()
pm = app.extensions["propdesk_plugins"]
print(json.dumps({"create_app_s": t1 - t0, "plugins": list(pm.order),
                  "skipped": {c: i.skip_reason for c, i in pm.infos.items() if i.skip_reason}}))
"""


def one_run(env: dict) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", SNIPPET], cwd=str(ROOT), env=env, capture_output=True,
                          text=True, timeout=120)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"create_app failed:\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_s"] = wall
    data["stderr_tracebacks"] = proc.stderr.count("Traceback (most recent call last)")
    return data


def measure_startup(db_url: str, instance, pycache, runs: int = 7) -> dict:
    """Median ``create_app`` time (imports included) and whole-process time, all vs none."""
    envs = {
        "all": bench_env(db_url, instance, plugins=None, pycache=pycache),
        "none": bench_env(db_url, instance, plugins=[], pycache=pycache),
    }
    for env in envs.values():  # warm-up: bytecode cache, OS file cache
        one_run(env)
    samples: dict[str, list[dict]] = {"all": [], "none": []}
    for _ in range(runs):
        for kind, env in envs.items():  # interleaved, so drift hits both alike
            samples[kind].append(one_run(env))
    out: dict = {"runs": runs}
    for kind, rows in samples.items():
        out[kind] = {
            "create_app_s": round(median([r["create_app_s"] for r in rows]), 4),
            "process_s": round(median([r["process_s"] for r in rows]), 4),
            "plugins": rows[-1]["plugins"],
            "skipped": rows[-1]["skipped"],
            "stderr_tracebacks": rows[-1]["stderr_tracebacks"],
        }
    out["plugin_cost_s"] = round(out["all"]["create_app_s"] - out["none"]["create_app_s"], 4)
    return out
