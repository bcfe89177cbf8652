"""Benchmark of the cashier desk (issue 4) on an estate of 50,000 units × 4 bills.

    python -m bench.fees_desk --db URL [--units 50000] [--payments 1000] [--clients 20]
                              [--workers 4] [--budget 5] [--skip-load]

Data: ``bench.generate`` (one estate ``BN01``, kept if present), four fee items and one open
bill per unit and item for October 2026, inserted with a raw Core bulk insert (kept if
present), and four cashier accounts ``desk1``…``desk4`` (password ``demo1234``).

(a) **Lookup + owed list** (target under 50 ms), in-process, logged in as a cashier, interleaved
    warm runs, for a few random unit numbers:

    * ``lookup``: ``GET /fees/desk?q=<unit number>`` as htmx sends it (the result rows with what
      each unit owes and its credit) — the whole server side of the request;
    * ``fragment``: the same lookup for the number without its last two characters (as typed);
    * ``owed``: ``GET /fees/desk/units/<id>`` — the unit's page: open bills oldest first, per-item
      sums, credit, deposits, latest receipts, the payment form;
    * ``service``: ``desk.find_units`` + ``desk.account`` called directly (no template, no shell);
    * ``raw``: the SQL that the service ran, replayed on a bare DB-API connection.

(b) **Payments under gunicorn** (``-w <workers>``): ``--clients`` concurrent HTTP clients, each
    logged in as one of the four cashiers with its CSRF token scraped from a unit page, POST
    ``--payments`` payments (every open bill of a distinct unit) plus 10 % duplicates (a second
    cashier paying the same bills with the same "paid as seen": each must be refused with the
    clear message, 422). Reported: payments per second, latency, outcome counts, then the
    integrity checks on the whole estate: receipt numbers gapless and unique per year, every
    bill paid at most its amount and exactly the sum of its live receipt lines plus credit
    applied, live receipts = bills paid + credit + deposits held, and one receipt per success.

Results go to ``bench/out/fees_desk_<dialect>.json``. Exit 1 on an integrity error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from bench.common import OUT_DIR, bench_env, median, ms, p90, sample_many, use_bench_env
from core.forms import new_once_key

PERIOD = date(2026, 10, 1)
ITEMS = [("DPROP", "Property service fee", "area", "256.10"), ("DMGMT", "Garbage and security fee", "fixed", "15.00"),
         ("DWATER", "Water", "meter", "42.35"), ("DSHARE", "Shared common electricity", "shared", "8.07")]
CASHIERS = [f"desk{i}" for i in range(1, 5)]
BATCH = 5000
STALE = "Another cashier has just taken a payment for this bill."


def prepare(db_url: str, units: int) -> dict:
    """Units (bench.generate), fee items, 4 open bills per unit, the cashier accounts."""
    from sqlalchemy import func, insert, select

    from bench.generate import generate
    from core import create_app
    from core.extensions import db
    from core.models import Estate, Role, Unit, User
    from plugins.fees.models import Bill, FeeItem

    info = {"generate": generate(db_url, units=units, estates=1, quiet=True)}
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    with app.app_context():
        estate = db.session.scalar(select(Estate).where(Estate.code == "BN01"))
        items = []
        for code, name, kind, amount in ITEMS:
            item = db.session.scalar(select(FeeItem).where(FeeItem.estate_id == estate.id, FeeItem.code == code))
            if item is None:
                item = FeeItem(estate_id=estate.id, code=code, name=name, kind=kind)
                db.session.add(item)
                db.session.flush()
            items.append((item.id, Decimal(amount)))
        role = db.session.scalar(select(Role).where(Role.code == "cashier"))
        for username in CASHIERS:
            if db.session.scalar(select(User).where(User.username == username)) is None:
                user = User(username=username, full_name=f"Bench {username}", roles=[role], estates=[estate])
                user.set_password("demo1234")
                db.session.add(user)
        db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Bill).where(
            Bill.estate_id == estate.id, Bill.period_start == PERIOD, Bill.item_id.in_([i for i, _a in items])))
        t0 = time.perf_counter()
        if not have:
            unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.estate_id == estate.id).order_by(Unit.id)))
            now = datetime.now(UTC)
            rows = [dict(estate_id=estate.id, unit_id=u, item_id=i, period_start=PERIOD, period_end=date(2026, 10, 31),
                         due_date=date(2026, 10, 31), quantity=Decimal("1"), unit_price=a, amount=a,
                         paid=Decimal("0.00"), state="open", source="manual", source_ref="", description="",
                         dedupe_key=f"bench:{i}:{u}:{PERIOD}", created_at=now, updated_at=now)
                    for u in unit_ids for i, a in items]
            for start in range(0, len(rows), BATCH):
                db.session.execute(insert(Bill), rows[start:start + BATCH])
            db.session.commit()
        info["bills_inserted"] = 0 if have else len(rows)
        info["bills_insert_s"] = round(time.perf_counter() - t0, 2)
        info["estate_id"] = estate.id
        info["units"] = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.estate_id == estate.id))
        info["bills"] = db.session.scalar(select(func.count()).select_from(Bill).where(Bill.estate_id == estate.id))
        db.session.remove()
        db.engine.dispose()
    return info


# --- (a) lookup and owed list ------------------------------------------------------------

def measure_lookup(db_url: str, budget: float, samples: int = 4) -> dict:
    from flask_login import login_user
    from sqlalchemy import select

    from bench.inproc import QueryLog, _replay, logged_in_client, raw_connection
    from core import create_app
    from core.extensions import db
    from core.models import Estate, Unit, User
    from core.security import current_estate_ids
    from plugins.fees import desk, ledger

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "WTF_CSRF_ENABLED": True})
    client = logged_in_client(app, CASHIERS[0], "demo1234")
    with app.app_context():
        engine = db.engine
        estate_id = db.session.scalar(select(Estate.id).where(Estate.code == "BN01"))
        numbers = db.session.execute(select(Unit.id, Unit.number).where(Unit.estate_id == estate_id)
                                     .order_by(Unit.id)).all()
        db.session.remove()
    picks = random.Random(7).sample(numbers, samples)
    out = {}
    for unit_id, number in picks:
        raw = raw_connection(app)
        try:
            with app.test_request_context("/fees/desk"):
                user = db.session.scalar(select(User).where(User.username == CASHIERS[0]))
                login_user(user)
                estates = current_estate_ids()

                def service(number=number, unit_id=unit_id, estates=estates):
                    hits = desk.find_units(number, estates)
                    unit = db.session.get(Unit, unit_id)
                    acct = desk.account(unit, ledger.business_date_of(db.session.get(Estate, unit.estate_id)))
                    db.session.rollback()
                    db.session.expire_all()
                    return hits, acct

                service()
                log = QueryLog(engine)
                with log.recording():
                    hits, acct = service()
                statements = [i for i in log.items if not i[0].lstrip().upper().startswith(
                    ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))]

                def lookup(number=number):
                    resp = client.get(f"/fees/desk?q={urllib.parse.quote(number)}", headers={"HX-Request": "true"})
                    assert resp.status_code == 200 and f'data-unit="{number}"' in resp.get_data(as_text=True)

                def fragment(number=number):  # as the cashier types: "3-2-12" of "3-2-1201"
                    resp = client.get(f"/fees/desk?q={urllib.parse.quote(number[:-2])}",
                                      headers={"HX-Request": "true"})
                    assert resp.status_code == 200

                def owed(unit_id=unit_id):
                    resp = client.get(f"/fees/desk/units/{unit_id}")
                    assert resp.status_code == 200

                t = sample_many({"lookup": lookup, "fragment": fragment, "owed": owed, "service": service,
                                 "raw": _replay(raw, statements)}, budget=budget, min_n=15, warmup=3)
        finally:
            raw.close()
        out[number] = {
            "hits": len(hits), "open_bills": len(acct.bills), "owed": str(acct.owed),
            "lookup_ms": ms(median(t["lookup"])), "owed_page_ms": ms(median(t["owed"])),
            "fragment": number[:-2], "fragment_lookup_ms": ms(median(t["fragment"])),
            "lookup_plus_owed_ms": ms(median(t["lookup"]) + median(t["owed"])),
            "service_ms": ms(median(t["service"])), "raw_sql_ms": ms(median(t["raw"])),
            "lookup_p90_ms": ms(p90(t["lookup"])), "owed_p90_ms": ms(p90(t["owed"])),
            "statements": len(statements), "n": len(t["lookup"]),
            "sql": [" ".join(s.split())[:300] for s, _p, _t in statements],
        }
        out[number]["service_vs_raw"] = round(out[number]["service_ms"] / out[number]["raw_sql_ms"], 2)
    return out


# --- (b) payments under gunicorn ---------------------------------------------------------

class Client:
    """One cashier at a keep-alive HTTP connection (reopened when the server closes it)."""

    def __init__(self, port: int, username: str):
        from bench.server import Cookies, login

        self.port = port
        self.cookies = Cookies()
        for pair in login(port, username, "demo1234").split("; "):
            name, _, value = pair.partition("=")
            self.cookies.jar[name] = value
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = None

    def request(self, method, path, body=None):
        headers = {"Cookie": self.cookies.header()}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                self.cookies.take(resp)
                return resp.status, resp.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def load_token(self, unit_id: int) -> None:
        status, html = self.request("GET", f"/fees/desk/units/{unit_id}")
        from bench.inproc import csrf_token

        if status != 200:
            raise RuntimeError(f"no payment form on the unit page ({status})")
        self.token = csrf_token(html)


def _jobs(db_url: str, estate_id: int, payments: int, rng: random.Random) -> list[dict]:
    """``payments`` units whose four bills are all open, as the payment form posts them."""
    from sqlalchemy import create_engine, select

    from plugins.fees.models import Bill

    t = Bill.__table__  # typed columns: amounts come back as Decimal on every database
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.unit_id, t.c.id, t.c.amount, t.c.paid).where(
            t.c.estate_id == estate_id, t.c.period_start == PERIOD, t.c.state == "open")
            .order_by(t.c.unit_id, t.c.due_date, t.c.id)).all()
    engine.dispose()
    by_unit: dict[int, list] = {}
    for unit_id, bill_id, amount, paid in rows:
        by_unit.setdefault(unit_id, []).append((bill_id, Decimal(amount), Decimal(paid)))
    units = [u for u, bills in by_unit.items() if len(bills) == len(ITEMS)]
    if len(units) < payments:
        raise SystemExit(f"only {len(units)} units with every bill open: make a new benchmark database")
    jobs = []
    for unit_id in rng.sample(units, payments):
        bills = by_unit[unit_id]
        jobs.append({"unit": unit_id, "amount": str(sum((a for _b, a, _p in bills), Decimal("0"))),
                     "bills": [(b, str(p)) for b, _a, p in bills]})
    return jobs


def measure_payments(db_url: str, estate_id: int, payments: int, clients: int, workers: int, logs: Path) -> dict:
    from bench.server import log_problems, start_gunicorn, stop

    rng = random.Random(11)
    jobs = _jobs(db_url, estate_id, payments, rng)
    duplicates = rng.sample(jobs, payments // 10)
    work = [(job, False) for job in jobs] + [(job, True) for job in duplicates]
    rng.shuffle(work)
    log = logs / "gunicorn-fees-desk.log"
    proc, port, boot = start_gunicorn("wsgi:app", bench_env(db_url, OUT_DIR / "instance"), log, workers=workers)
    try:
        pool = [Client(port, CASHIERS[i % len(CASHIERS)]) for i in range(clients)]
        for n, c in enumerate(pool):
            c.load_token(jobs[n]["unit"])
        lock = threading.Lock()
        next_job = [0]
        results: list[tuple[bool, int, bool, float]] = []

        def worker(client: Client):
            mine = []
            while True:
                with lock:
                    if next_job[0] >= len(work):
                        break
                    job, dup = work[next_job[0]]
                    next_job[0] += 1
                # each payment is its own form render: its own one-time key
                form = [("csrf_token", client.token), ("once_key", new_once_key()), ("method", "cash"),
                        ("amount", job["amount"]), ("payer", "bench")]
                for bill_id, seen in job["bills"]:
                    form += [("bill", str(bill_id)), (f"seen_{bill_id}", seen)]
                t0 = time.perf_counter()
                status, body = client.request("POST", f"/fees/desk/units/{job['unit']}/pay",
                                              urllib.parse.urlencode(form))
                mine.append((dup, status, STALE in body, time.perf_counter() - t0))
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=worker, args=(c,)) for c in pool]
        t_start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t_start
    finally:
        stop(proc)
    ok = [r for r in results if r[1] == 302]
    refused = [r for r in results if r[1] == 422]
    return {
        "workers": workers, "clients": clients, "attempts": len(work), "distinct_units": len(jobs),
        "duplicates_sent": len(duplicates), "seconds": round(elapsed, 2), "boot_s": round(boot, 2),
        "receipts_issued": len(ok), "refused_stale": sum(1 for r in refused if r[2]),
        "other_statuses": sorted({r[1] for r in results} - {302, 422}),
        "payments_per_second": round(len(ok) / elapsed, 1),
        "attempts_per_second": round(len(results) / elapsed, 1),
        "latency_p50_ms": ms(median([r[3] for r in ok])), "latency_p90_ms": ms(p90([r[3] for r in ok])),
        "server_log": log_problems(log),
    }


def integrity(db_url: str, estate_id: int) -> dict:
    """Every check over the whole estate; ``errors`` lists what failed (empty = none).
    Sums are taken in whole cents (integers) so that no database returns a float."""
    from sqlalchemy import create_engine, text

    def c(col):
        return f"CAST(round({col} * 100) AS BIGINT)"

    engine = create_engine(db_url)
    errors = []
    with engine.connect() as conn:
        def one(sql, **kw):
            return conn.execute(text(sql), {"e": estate_id, **kw}).scalar()

        for year, n, lo, hi, distinct in conn.execute(text(
                "SELECT year, count(*), min(seq), max(seq), count(DISTINCT seq) FROM fees_payment "
                "WHERE estate_id = :e GROUP BY year"), {"e": estate_id}):
            if not (lo == 1 and hi == n == distinct):
                errors.append(f"receipt numbers of {year}: {n} receipts, seq {lo}..{hi}, {distinct} distinct")
        if one("SELECT count(*) - count(DISTINCT number) FROM fees_payment WHERE estate_id = :e"):
            errors.append("duplicate receipt numbers")
        over = one(f"SELECT count(*) FROM fees_bill WHERE estate_id = :e AND ({c('paid')} > {c('amount')} "
                   f"OR {c('paid')} < 0)")
        if over:
            errors.append(f"{over} bills paid more than their amount")
        mismatched = one(
            f"SELECT count(*) FROM fees_bill b WHERE b.estate_id = :e AND {c('b.paid')} <> "
            f"COALESCE((SELECT sum({c('l.amount')}) FROM fees_payment_line l JOIN fees_payment p "
            "ON p.id = l.payment_id WHERE l.bill_id = b.id AND p.voided_at IS NULL), 0) - "
            f"COALESCE((SELECT sum({c('cr.amount')}) FROM fees_credit cr WHERE cr.bill_id = b.id "
            "AND cr.kind IN ('applied', 'unapplied')), 0)")
        if mismatched:
            errors.append(f"{mismatched} bills whose paid is not the sum of their live receipt lines and credit")
        receipts = one(f"SELECT COALESCE(sum({c('amount')}), 0) FROM fees_payment WHERE estate_id = :e "
                       "AND voided_at IS NULL")
        paid = one(f"SELECT COALESCE(sum({c('paid')}), 0) FROM fees_bill WHERE estate_id = :e")
        credit = one(f"SELECT COALESCE(sum({c('amount')}), 0) FROM fees_credit WHERE estate_id = :e")
        held = one(f"SELECT COALESCE(sum({c('amount')}), 0) FROM fees_deposit WHERE estate_id = :e "
                   "AND state = 'held'")
        if receipts != paid + credit + held:
            errors.append(f"live receipts {receipts} != bills paid {paid} + credit {credit} + deposits {held} "
                          "(cents)")
        lines_vs_amount = one(
            f"SELECT count(*) FROM fees_payment p WHERE p.estate_id = :e AND {c('p.amount')} <> "
            f"(SELECT COALESCE(sum({c('l.amount')}), 0) FROM fees_payment_line l WHERE l.payment_id = p.id)")
        if lines_vs_amount:
            errors.append(f"{lines_vs_amount} receipts whose lines do not add up to their amount")
        summary = {"receipts": one("SELECT count(*) FROM fees_payment WHERE estate_id = :e"),
                   "receipts_total": str(Decimal(receipts) / 100), "bills_paid_total": str(Decimal(paid) / 100),
                   "bills_paid": one("SELECT count(*) FROM fees_bill WHERE estate_id = :e AND state = 'paid'")}
    engine.dispose()
    return {"errors": errors, **summary}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fees_desk", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--budget", type=float, default=5.0, help="seconds of sampling per lookup figure")
    parser.add_argument("--skip-load", action="store_true", help="only the lookup figures")
    args = parser.parse_args(argv)
    use_bench_env(OUT_DIR / "instance")
    from sqlalchemy.engine import make_url

    dialect = make_url(args.db).get_backend_name()
    result: dict = {"db": make_url(args.db).render_as_string(hide_password=True), "dialect": dialect}
    t0 = time.perf_counter()
    result["data"] = prepare(args.db, args.units)
    result["data"]["prepare_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result["data"], default=str))
    result["lookup"] = measure_lookup(args.db, args.budget)
    for number, row in result["lookup"].items():
        print(f"{number}: lookup {row['lookup_ms']} ms + owed page {row['owed_page_ms']} ms "
              f"(typing {row['fragment']!r}: {row['fragment_lookup_ms']} ms); "
              f"service {row['service_ms']} ms vs raw SQL {row['raw_sql_ms']} ms ({row['statements']} statements)")
    if not args.skip_load:
        result["integrity_before"] = integrity(args.db, result["data"]["estate_id"])
        result["payments"] = measure_payments(args.db, result["data"]["estate_id"], args.payments, args.clients,
                                              args.workers, OUT_DIR)
        print(json.dumps(result["payments"]))
        result["integrity"] = integrity(args.db, result["data"]["estate_id"])
        issued = result["integrity"]["receipts"] - result["integrity_before"]["receipts"]
        if issued != result["payments"]["receipts_issued"]:
            result["integrity"]["errors"].append(
                f"{issued} new receipts in the database for {result['payments']['receipts_issued']} successes")
        print(json.dumps(result["integrity"]))
    out = OUT_DIR / f"fees_desk_{dialect}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"written {out}")
    if not args.skip_load and (result["integrity"]["errors"] or result["payments"]["other_statuses"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
