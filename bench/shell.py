"""The page shell and the demo pages, in-process, on the demo data of ``make run``.

    python -m bench.shell --db sqlite:////tmp/demo.db [--seconds 3] [--roles manager,clerk]

The database must hold the demo data (``flask upgrade`` and ``flask demo load``).
For each role: the median server time (Flask test client, logged in through the real
login form) and the SQL statements of a trivial page (``/__bench_trivial``: a view that
renders ``base.html`` with nothing in it — the shell's cost alone), a 403 page, the
dashboard and a list page. Interleaved samples; results in ``bench/out/shell.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from bench.common import OUT_DIR, app_config, median, ms, p90, sample_cpu, use_bench_env
from bench.inproc import QueryLog, logged_in_client

PAGES = {
    "shell (trivial page)": "/__bench_trivial",
    "403 page": "/admin/users",
    "dashboard": "/",
    "unit list": "/estates/units",
}


def add_trivial_page(app) -> None:
    """A logged-in page rendering the shell (``base.html``) and nothing else."""
    from flask import render_template
    from flask_login import login_required

    template = app.jinja_env.from_string("{% extends 'base.html' %}{% block content %}x{% endblock %}")

    @login_required
    def trivial():
        return render_template(template)

    app.add_url_rule("/__bench_trivial", "bench_trivial", trivial)


def measure(db_url: str, roles: list[str], seconds: float) -> dict:
    import gc

    from core import create_app
    from core.extensions import db

    inst = tempfile.mkdtemp(prefix="propdesk-shell-")
    use_bench_env(inst)
    app = create_app(app_config(db_url, inst))
    add_trivial_page(app)
    with app.app_context():
        engine = db.engine
    gc.collect()
    gc.freeze()
    out: dict = {}
    for role in roles:
        client = logged_in_client(app, role)

        def get(url, client=client, role=role):
            def call():
                resp = client.get(url)
                if resp.status_code not in (200, 403):
                    raise RuntimeError(f"GET {url} as {role} answered {resp.status_code}")
            return call

        times, cpu = sample_cpu({name: get(url) for name, url in PAGES.items()}, budget=seconds)
        out[role] = {}
        for name, url in PAGES.items():
            log = QueryLog(engine)
            with log.recording():
                get(url)()
            summary = log.summary()
            out[role][name] = {"ms": ms(median(times[name])), "p90_ms": ms(p90(times[name])),
                               "cpu_ms": ms(median(cpu[name])), "sql": [" ".join(s.split())[:300] for s, _p, _t in log.items],
                               "n": len(times[name]), "statements": summary["statements"],
                               "sql_ms": summary["sql_ms"], "repeated": summary["repeated"]}
            print(f"{role:<12} {name:<22} {ms(median(times[name])):8.2f} ms  {ms(median(cpu[name])):8.2f} ms CPU  "
                  f"{summary['statements']:3d} stmt  {summary['sql_ms']:6.2f} ms SQL", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--roles", default="manager,clerk,technician,cashier")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f}", flush=True)
    res = measure(args.db, args.roles.split(","), args.seconds)
    res["load_average"] = [load[0], os.getloadavg()[0]]
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "shell.json").write_text(json.dumps(res, indent=1))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
