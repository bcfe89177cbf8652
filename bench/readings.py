"""The meter readings page (``/fees/readings``) for an estate of 5,000 meters.

    python -m bench.readings --db sqlite:////tmp/readings.db [--units 5000] [--seconds 3]

Data: ``bench.generate`` (one estate ``BN01`` of ``--units`` units, kept if present) and the
fee items, meters (one water meter per unit plus the common electricity meter) and one
November 2026 reading each, as ``bench.fees_billing`` makes them. Measured, logged in as
``manager`` with the estate chosen (Flask test client, interleaved, wall and CPU time of this
process): the page for the whole estate (its buildings with their meter counts when there
are more than ``readings.GRID_MAX`` meters), the grid of its largest building for December
(last readings carried over), and the estate's own meters. Target: each under 200 ms.
Results in ``bench/out/readings.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from bench.common import OUT_DIR, app_config, median, ms, sample_cpu, use_bench_env

TARGET_MS = 200.0


def prepare(db_url: str, units: int) -> None:
    from sqlalchemy import select

    from bench.fees_billing import _items
    from bench.generate import estate_code, generate
    from core import create_app
    from core.extensions import db
    from core.models import Estate

    generate(db_url, units=units, estates=1, quiet=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    with app.app_context():
        _items(db.session.scalar(select(Estate).where(Estate.code == estate_code(0))))
        db.session.remove()


def measure(db_url: str, seconds: float) -> dict:
    from sqlalchemy import func, select

    from bench.common import first_estate_id
    from bench.inproc import QueryLog, logged_in_client
    from core import create_app
    from core.extensions import db
    from core.models import Unit
    from plugins.fees.models import Meter

    inst = tempfile.mkdtemp(prefix="propdesk-readings-")
    use_bench_env(inst)
    app = create_app(app_config(db_url, inst))
    estate_id = first_estate_id(app)
    with app.app_context():
        engine = db.engine
        meters = db.session.scalar(select(func.count(Meter.id)).where(Meter.estate_id == estate_id))
        building = db.session.execute(
            select(Unit.building_id, func.count()).join(Meter, Meter.unit_id == Unit.id)
            .where(Meter.estate_id == estate_id).group_by(Unit.building_id).order_by(func.count().desc())
            .limit(1)).first()
        db.session.remove()
    client = logged_in_client(app)
    with client.session_transaction() as sess:
        sess["estate_id"] = estate_id
    base = f"/fees/readings?estate={estate_id}&period=2026-12"
    pages = {f"whole estate ({meters:,} meters)": base,
             f"largest building ({building[1]} meters)": f"{base}&building={building[0]}",
             "the estate's own meters": f"{base}&building=estate"}

    def get(url):
        def call():
            resp = client.get(url)
            if resp.status_code != 200:
                raise RuntimeError(f"GET {url} answered {resp.status_code}")
        return call

    wall, cpu = sample_cpu({name: get(url) for name, url in pages.items()}, budget=seconds, min_n=5)
    out: dict = {"meters": meters}
    for name, url in pages.items():
        log = QueryLog(engine)
        with log.recording():
            get(url)()
        summary = log.summary()
        w, c = ms(median(wall[name])), ms(median(cpu[name]))
        out[name] = {"url": url, "ms": w, "cpu_ms": c, "statements": summary["statements"],
                     "sql_ms": summary["sql_ms"], "repeated": summary["repeated"], "ok": c < TARGET_MS}
        print(f"[{'OK' if c < TARGET_MS else 'MISSED'}] {name:<34} {w:8.1f} ms  {c:8.1f} ms CPU  "
              f"{summary['statements']:3d} stmt (target < {TARGET_MS:g} ms)", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    use_bench_env(tempfile.mkdtemp(prefix="propdesk-readings-"))
    prepare(args.db, args.units)
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}", flush=True)
    res = measure(args.db, args.seconds)
    res["load_average"] = [load, os.getloadavg()[0]]
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "readings.json").write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
