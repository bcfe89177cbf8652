"""List exports on a big data set: time and peak memory of ``GET <list>?export=xlsx|csv``.

    python -m bench.export --db sqlite:////tmp/big.db [--url /estates/units] [--formats xlsx,csv]

The database is one made by ``bench.generate`` (100,000 units by default). Each export runs
in a fresh subprocess (logged in as ``manager``, Flask test client, the whole body read):
its wall and CPU time, the rows in the file, and the process's peak resident memory above
what it held just before the request (``VmHWM`` − ``VmRSS``, Linux). Results in
``bench/out/export.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench.common import OUT_DIR, PYTHON, ROOT, app_config, use_bench_env
from bench.inproc import logged_in_client


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return 0


def one(db_url: str, url: str, fmt: str) -> dict:
    """In this process: log in, export once, report."""
    from core import create_app

    inst = tempfile.mkdtemp(prefix="propdesk-export-")
    use_bench_env(inst)
    app = create_app(app_config(db_url, inst))
    client = logged_in_client(app)
    client.get(url)  # warm: templates, mappers
    rss = _status("VmRSS")
    # The peak so far is reset so VmHWM measures the export alone (Linux ≥ 4.0).
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    sep = "&" if "?" in url else "?"
    c0, t0 = time.process_time(), time.perf_counter()
    resp = client.get(f"{url}{sep}export={fmt}", buffered=False)
    size = 0
    chunks = []
    for chunk in resp.response:
        size += len(chunk)
        if fmt == "csv" and len(chunks) < 1:
            chunks.append(chunk)
        elif fmt == "xlsx":
            chunks.append(chunk)
    resp.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status("VmHWM")
    body = b"".join(chunks) if fmt == "xlsx" else b""
    rows = None
    if fmt == "xlsx":
        import io

        from openpyxl import load_workbook

        rows = sum(1 for _ in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows()) - 1
    return {"format": fmt, "url": url, "status": resp.status_code, "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2), "bytes": size, "rows": rows,
            "peak_above_start_mb": round((peak - rss) / 1024, 1), "rss_start_mb": round(rss / 1024, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--url", default="/estates/units")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.db, args.url, args.one)))
        return 0
    results = []
    for fmt in args.formats.split(","):
        load = os.getloadavg()[0]
        out = subprocess.run([PYTHON, "-m", "bench.export", "--db", args.db, "--url", args.url, "--one", fmt],
                             cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res["load_average"] = load
        results.append(res)
        print(f"{fmt:<5} {args.url}: {res['seconds']} s ({res['cpu_seconds']} s CPU), {res['bytes']:,} bytes, "
              f"rows {res['rows']}, peak memory +{res['peak_above_start_mb']} MB, load {load:.1f}", flush=True)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "export.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
