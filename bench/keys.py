"""Keys benchmark (issue 11): 20,000 keys and 1,000,000 loan records.

    python -m bench.keys --db URL [--keys 20000] [--loans 1000000] [--units 20000] [--estates 2]
                         [--attempts 1000] [--clients 20] [--quick] [--no-generate | --generate-only]

Fills ``--db`` first (estates, units and accounts from ``bench.generate``, then keys and
loans in bulk; a database that already holds keys in the generated estates is kept), then:

- **keys out now, one estate**: ``GET /keys/loans`` (the loan register's default scope, "out
  now") with the estate switcher on the first estate — the whole page, and the list's data work
  alone (``views.filtered_loans`` + ``ListPage.page()``: count, page rows) — each against the
  very SQL it issued replayed on a bare DB-API connection;
- the whole pages of the loan register (out now, overdue, all loans newest first, the month's
  printed register) and the key register, reported without a target;
- **a unit's keys**: the ``unit_panels`` hook of the keys plugin for a unit with keys (the keys
  and who has them now) against its SQL replayed raw;
- **parallel loans**: ``--attempts`` lend attempts from ``--clients`` threads, each with its own
  session and request (a designated keeper), on a pool of 20 keys; each client takes its last
  loan back before its next attempt, so the keys go round: how many were lent, refused as
  "already out", and the **double loans** — a loan committed while another client's loan of the
  same key was still out (as the clients saw it), plus keys with more than one open loan in the
  database afterwards.

Target (issue 11): each of the first two under 50 ms and ≤ 2× its raw SQL; 0 double loans (an
attempt that failed otherwise — SQLite's lock wait running out under load — is counted apart).
Prints one line per figure and writes ``bench/out/keys.json``. See ``bench/README.md`` ("Keys").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    BenchRun,
    app_config,
    bulk_load,
    first_estate_id,
    ratio_figures,
    use_bench_env,
)
from bench.generate import BATCH, estate_code, generate
from bench.run import Figure, _dispose, _load, emit, run_section

TARGET_RATIO = 2.0
TARGET_MS = 50.0
KEEPER = "clerk"  # bench.generate's clerk belongs to the first estate
POOL = 20  # keys the parallel clients fight over

FULL = {"budget": 5.0, "min_n": 9, "max_n": 300, "warmup": 2, "statement_runs": 5}
QUICK = {"budget": 1.5, "min_n": 5, "max_n": 100, "warmup": 1, "statement_runs": 3}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
REASONS = [("repair", "维修"), ("decoration", "装修进场"), ("inspection", "设备巡检"), ("emergency", "漏水抢修"),
           ("other", "查看管井")]


# -- the data ---------------------------------------------------------------------
def _key_rows(rng, estate_id, n, units, buildings, stamp) -> list[dict]:
    """``n`` keys of one estate: owner keys (security door, mailbox) per unit, and one key in
    ten a meter-box or equipment-room key of a building."""
    rows = []
    n_place = n // 10
    owner = n - n_place
    kinds = ("security_door", "mailbox")
    for i in range(owner):
        unit_id, building_id, floor = units[(i // 2) % len(units)]
        rows.append({**stamp, "estate_id": estate_id, "tag": f"K{i + 1:06d}", "kind": kinds[i % 2],
                     "unit_id": unit_id, "building_id": building_id, "floor": floor, "location": "",
                     "position": f"{chr(65 + (i // 400) % 26)}-{i % 400 + 1:03d}", "copies": 2,
                     "emergency_spare": False, "state": "in_service", "note": ""})
    for j in range(n_place):
        rows.append({**stamp, "estate_id": estate_id, "tag": f"P{j + 1:05d}",
                     "kind": "meter_box" if j % 2 else "equipment_room", "unit_id": None,
                     "building_id": buildings[j % len(buildings)], "floor": None,
                     "location": f"{'表箱' if j % 2 else '设备间'} {j + 1}", "position": f"Z-{j % 300 + 1:03d}",
                     "copies": 1, "emergency_spare": False, "state": "in_service", "note": ""})
    rng.shuffle(rows)  # ids not in tag order, as on a board filled over the years
    return rows


def _loans_of_key(rng, estate_id, key_id, count, now, lender, out_share) -> list[tuple]:
    """``count`` loans of one key, one after the other over the last three years; the last one
    still out for ``out_share`` of the keys (a fifth of those overdue)."""
    rows = []
    t = now - timedelta(days=1095) + timedelta(minutes=rng.randrange(60 * 24 * 20))
    gap = (1095 * 24 * 60) // max(count, 1)
    still_out = rng.random() < out_share
    for i in range(count):
        lent = t + timedelta(minutes=rng.randrange(max(gap // 2, 1)))
        if lent >= now - timedelta(hours=6):
            lent = now - timedelta(hours=6, minutes=count - i)
        hours = rng.choice((1, 2, 4, 8, 24, 72))
        due = lent + timedelta(hours=hours)
        last = i == count - 1
        if last and still_out:
            returned = None
            if rng.random() >= 0.2:  # not overdue: due some time from now
                due = now + timedelta(hours=rng.randrange(1, 72))
        else:
            returned = lent + timedelta(minutes=rng.randrange(10, hours * 60 + 120))
            if returned > now:
                returned = now - timedelta(minutes=1)
        kind, reason = REASONS[rng.randrange(len(REASONS))]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        order = f"WX-{estate_id}-{lent.year}-{rng.randrange(1, 999999):06d}" if kind == "repair" else ""
        rows.append((estate_id, key_id, ("staff", "contractor", "owner")[i % 3], name,
                     f"13{rng.randrange(10**9):09d}", "", kind, reason, order, lent, due, lender, None,
                     returned, lender if returned else None, "good" if returned else None, "", None,
                     lent, returned or lent, lender, lender))
        t = max(lent, returned or lent) + timedelta(minutes=30)
    return rows


LOAN_COLUMNS = ("estate_id", "key_id", "borrower_kind", "borrower_name", "borrower_phone", "borrower_id_number",
                "reason_kind", "reason", "work_order_number", "lent_at", "expected_return", "lent_by_id",
                "approval_id", "returned_at", "returned_to_id", "condition", "return_note", "overdue_notified_at",
                "created_at", "updated_at", "created_by_id", "updated_by_id")


def _load_loans(conn, rows, postgres: bool) -> None:
    from plugins.keys.models import KeyLoan

    bulk_load(conn, KeyLoan.__table__, LOAN_COLUMNS, rows, postgres, BATCH)


def generate_keys(db_url: str, keys: int = 20_000, loans: int = 1_000_000, units: int = 20_000,
                  estates: int = 2, seed: int = 42, say=print) -> dict:
    """Estates and units (``bench.generate``), then ``keys`` keys and ``loans`` loans."""
    from sqlalchemy import func, select

    from bench.servicedesk_generate import vacuum_analyze
    from core import create_app
    from core.extensions import db
    from core.models import Building, Estate, Unit, User
    from plugins.keys.models import Key, KeyKeeper

    t_all = time.perf_counter()
    summary: dict = {"base": generate(db_url, units, estates, seed, quiet=True)}
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    summary["now"] = now.isoformat()
    rng = random.Random(seed)
    with app.app_context():
        ids = list(db.session.scalars(select(Estate.id).where(
            Estate.code.in_([estate_code(i) for i in range(estates)])).order_by(Estate.id)))
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        lender = users[KEEPER]
        present = db.session.scalar(select(func.count()).select_from(Key).where(Key.estate_id.in_(ids)))
        conn = db.session.connection()
        if present:
            say(f"keys: {present:,} already in the generated estates: kept as they are")
            summary["keys_present"] = present
        else:
            t0 = time.perf_counter()
            stamp = {"created_at": now, "updated_at": now, "created_by_id": None, "updated_by_id": None}
            per_estate = [keys // len(ids) + (1 if i < keys % len(ids) else 0) for i in range(len(ids))]
            for estate_id, n in zip(ids, per_estate, strict=True):
                unit_rows = db.session.execute(select(Unit.id, Unit.building_id, Unit.floor)
                                               .where(Unit.estate_id == estate_id).order_by(Unit.id)).all()
                buildings = list(db.session.scalars(select(Building.id).where(Building.estate_id == estate_id)))
                rows = _key_rows(rng, estate_id, n, [tuple(r) for r in unit_rows], buildings, stamp)
                for start in range(0, len(rows), BATCH):
                    conn.execute(Key.__table__.insert(), rows[start:start + BATCH])
            # The keeper who lends in the parallel test: the clerk, in the first estate.
            if db.session.scalar(select(KeyKeeper.id).where(KeyKeeper.estate_id == ids[0],
                                                            KeyKeeper.user_id == lender)) is None:
                conn.execute(KeyKeeper.__table__.insert(), [{**stamp, "estate_id": ids[0], "user_id": lender,
                                                            "active": True, "note": "bench"}])
            db.session.commit()
            summary["keys_s"] = round(time.perf_counter() - t0, 1)
            say(f"keys: {keys:,} in {summary['keys_s']} s")
            t0 = time.perf_counter()
            key_ids = db.session.execute(select(Key.id, Key.estate_id).where(Key.estate_id.in_(ids))
                                         .order_by(Key.id)).all()
            per_key = loans // len(key_ids)
            extra = loans - per_key * len(key_ids)
            postgres = db.engine.dialect.name == "postgresql"
            chunk, done = [], 0
            for i, (key_id, estate_id) in enumerate(key_ids):
                chunk.extend(_loans_of_key(rng, estate_id, key_id, per_key + (1 if i < extra else 0), now,
                                           lender, out_share=0.03))
                if len(chunk) >= 100_000 or i == len(key_ids) - 1:
                    conn = db.session.connection()
                    _load_loans(conn, chunk, postgres)
                    db.session.commit()
                    done += len(chunk)
                    chunk = []
                    say(f"  loans: {done:,} of {loans:,} ({time.perf_counter() - t0:.0f} s)")
            summary["loans_s"] = round(time.perf_counter() - t0, 1)
            if not postgres:
                db.session.connection().exec_driver_sql("ANALYZE")
                db.session.commit()
        db.session.remove()
        db.engine.dispose()
    summary["vacuum_analyze_s"] = vacuum_analyze(db_url)
    summary["total_s"] = round(time.perf_counter() - t_all, 1)
    say(f"keys data ready in {summary['total_s']} s")
    return summary


# -- measuring ----------------------------------------------------------------------
def page_urls(now: datetime) -> list[tuple[str, str, str]]:
    """(key, label, url): the loan register as staff open it, one estate in view."""
    month = f"{now.year}-{now.month:02d}"
    return [
        ("out_now_page", "GET /keys/loans (out now): whole page", "/keys/loans"),
        ("overdue_page", "GET /keys/loans?scope=overdue: whole page", "/keys/loans?scope=overdue"),
        ("all_page", "GET /keys/loans?scope=all (newest first): whole page", "/keys/loans?scope=all"),
        ("month_print", f"GET /keys/loans/print?month={month}: whole page", f"/keys/loans/print?month={month}"),
        ("register_page", "GET /keys/ (key register): whole page", "/keys/"),
    ]


def measure_pages(app, estate_id, cfg) -> dict:
    """Whole requests with the estate switcher on one estate, each against all its SQL."""
    from bench.inproc import _get, logged_in_client
    from bench.servicedesk import _compare, _record, against_raw
    from core.extensions import db

    client = logged_in_client(app)
    with client.session_transaction() as sess:
        sess["estate_id"] = estate_id
    with app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    for key, label, url in page_urls(datetime.now(UTC)):
        page = _get(client, url)
        page()
        statements = _record(engine, page)
        times, prof = against_raw(app, dialect, page, statements, cfg)
        out[key] = {"url": url, **_compare(label, times, statements, prof)}
    return out


def measure_data(app, hook_app, estate_id, cfg) -> dict:
    """The list's data work and the unit panel's query, as the plugin runs them."""
    from flask import request, session
    from sqlalchemy import func, select

    from bench.inproc import user_request
    from bench.servicedesk import _compare, _record, against_raw
    from core.extensions import db
    from core.plugins import reset_request_cache
    from plugins import keys as keys_plugin
    from plugins.keys import views
    from plugins.keys.forms import LoanFilter
    from plugins.keys.models import Key, KeyLoan

    with hook_app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    out = {}
    with user_request(hook_app, path="/keys/loans") as user:
        session["estate_id"] = estate_id
        out_now = db.session.scalar(select(func.count()).select_from(KeyLoan).where(
            KeyLoan.estate_id == estate_id, KeyLoan.returned_at.is_(None)))

        def call():
            reset_request_cache()
            return views.loans_page(LoanFilter(request.args)).page()

        call()
        statements = _record(engine, call)
        times, prof = against_raw(app, dialect, call, statements, cfg)
        out["out_now"] = _compare(f"keys out now, one estate ({out_now} loans): list data", times, statements, prof)
        # A unit with keys, one of them out now if there is one.
        unit_id = db.session.scalar(select(Key.unit_id).join(KeyLoan, KeyLoan.key_id == Key.id).where(
            Key.estate_id == estate_id, Key.unit_id.is_not(None), KeyLoan.returned_at.is_(None)).limit(1)) \
            or db.session.scalar(select(Key.unit_id).where(Key.estate_id == estate_id,
                                                           Key.unit_id.is_not(None)).limit(1))
        from core.models import Unit

        unit = db.session.get(Unit, unit_id)

        def panel():
            reset_request_cache()
            (p,) = keys_plugin.unit_panels(unit=unit, user=user)
            return [(k.tag, k.borrower_name if k.loan_id else "") for k in p.context["keys"]]

        panel()
        statements = _record(engine, panel)
        times, prof = against_raw(app, dialect, panel, statements, cfg)
        n = len(panel())
        out["unit_keys"] = _compare(f"a unit's keys (unit panel, {n} keys)", times, statements, prof)
    return out


def parallel_loans(app, estate_id, attempts: int, clients: int, seed: int) -> dict:
    """``attempts`` lend attempts from ``clients`` threads on a pool of keys; count double loans."""
    from flask_login import login_user
    from sqlalchemy import func, select

    from core.errors import DomainError
    from core.extensions import db
    from core.models import User, utcnow
    from core.site import refresh
    from plugins.keys import services
    from plugins.keys.models import Key, KeyLoan

    with app.app_context():
        refresh(force=True)  # the enabled plugins, as a request would load them (a new app knows none yet)
        on_board = select(KeyLoan.key_id).where(KeyLoan.returned_at.is_(None))
        pool = list(db.session.scalars(select(Key.id).where(
            Key.estate_id == estate_id, Key.state == "in_service", Key.emergency_spare.is_(False),
            Key.id.not_in(on_board)).order_by(Key.id).limit(POOL)))
        keeper_id = db.session.scalar(select(User.id).where(User.username == KEEPER))
        db.session.remove()
    holder: dict[int, int | None] = dict.fromkeys(pool)
    lock = threading.Lock()
    counts = {"lent": 0, "refused": 0, "returned": 0, "errors": 0, "double_loans": 0}
    errors: list[str] = []
    reasons: Counter = Counter()
    tickets = iter(range(attempts))
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with app.test_request_context("/keys/lend", method="POST"):  # writes: BEGIN IMMEDIATE on SQLite
            login_user(db.session.get(User, keeper_id))
            db.session.commit()  # hold no transaction (on SQLite: no write lock) while waiting
            start.wait()
            held = None  # (key id, loan id): each client keeps its last loan until its next attempt

            def give_back() -> None:
                key_id, loan_id = held
                with lock:  # let go before the return commits: a later loan is then no false alarm
                    holder[key_id] = None
                try:
                    services.take_back(db.session.get(User, keeper_id), db.session.get(KeyLoan, loan_id),
                                       condition="good")
                    db.session.commit()
                    with lock:
                        counts["returned"] += 1
                except Exception as exc:  # noqa: BLE001 - counted and shown, never hidden
                    db.session.rollback()
                    with lock:
                        counts["errors"] += 1
                        errors.append(f"return: {type(exc).__name__}: {exc}"[:200])

            while True:
                with lock:
                    ticket = next(tickets, None)
                if ticket is None:
                    break
                if held is not None:
                    give_back()
                    held = None
                key_id = rng.choice(pool)
                try:
                    key = db.session.get(Key, key_id)
                    loan = services.lend(
                        db.session.get(User, keeper_id), key, borrower_kind="contractor",
                        borrower_name=f"Client {n}", borrower_phone="13800000000", reason_kind="inspection",
                        reason="bench", expected_return=utcnow() + timedelta(hours=4))
                    db.session.commit()
                except DomainError as exc:
                    db.session.rollback()
                    with lock:
                        counts["refused"] += 1
                        reasons[str(exc.message)[:80]] += 1
                    continue
                except Exception as exc:  # noqa: BLE001 - counted and shown, never hidden
                    db.session.rollback()
                    with lock:
                        counts["errors"] += 1
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                with lock:
                    counts["lent"] += 1
                    if holder[key_id] is not None:  # another client's loan of this key is still out
                        counts["double_loans"] += 1
                    holder[key_id] = n
                held = (key_id, loan.id)
                if rng.random() < 0.3:
                    time.sleep(0.01)  # the borrower takes a moment: others try the key meanwhile
            if held is not None:
                give_back()
            db.session.remove()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    with app.app_context():
        counts["keys_with_two_open_loans"] = len(db.session.execute(
            select(KeyLoan.key_id).where(KeyLoan.key_id.in_(pool), KeyLoan.returned_at.is_(None))
            .group_by(KeyLoan.key_id).having(func.count() > 1)).all())
        counts["open_after"] = db.session.scalar(select(func.count()).select_from(KeyLoan).where(
            KeyLoan.key_id.in_(pool), KeyLoan.returned_at.is_(None)))
        db.session.remove()
    return {**counts, "attempts": attempts, "clients": clients, "pool": len(pool), "seconds": round(elapsed, 2),
            "attempts_per_s": round(attempts / elapsed, 1), "error_samples": errors[:5],
            "refusals": dict(reasons.most_common())}


def data_sizes(app) -> dict:
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.keys.models import Key, KeyLoan
    from plugins.keys.services import overdue_filter

    with app.app_context():
        count = lambda model, *where: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(*where))
        out = {"keys": count(Key), "loans": count(KeyLoan), "out_now": count(KeyLoan, KeyLoan.returned_at.is_(None)),
               "overdue": count(KeyLoan, overdue_filter())}
        db.session.remove()
    return out


def _figures(res: dict, figures: list, judged: bool = True) -> None:
    ratio_figures("keys", res, figures, TARGET_RATIO, TARGET_MS, judged)


def main(argv=None) -> int:
    from bench.servicedesk_generate import absolute_sqlite

    parser = argparse.ArgumentParser(prog="python -m bench.keys", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=absolute_sqlite, help="sqlite:///path.db or postgresql+psycopg://…")
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--estates", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="shorter sampling, rougher figures")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-generate", action="store_true", help="measure the database as it is")
    group.add_argument("--generate-only", action="store_true", help="fill the database, measure nothing")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    say = lambda *a: print(*a, flush=True)  # noqa: E731

    tmp_dir = tempfile.TemporaryDirectory(prefix="propdesk-bench-keys-")
    instance = Path(tmp_dir.name) / "instance"
    use_bench_env(instance)
    if args.generate_only:
        generate_keys(args.db, args.keys, args.loans, args.units, args.estates, args.seed, say)
        return 0
    with BenchRun("keys", args.db, args.quick, cfg, {"ratio": TARGET_RATIO, "ms": TARGET_MS}, say) as run:
        results, errors, logged, figures = run.results, run.errors, run.logged, run.figures
        if not args.no_generate:
            results["generate"] = generate_keys(args.db, args.keys, args.loans, args.units, args.estates,
                                                args.seed, say)
        if results["load_avg_start"] and _load()[0] > 1.0:
            say(f"note: load average {_load()[0]:.2f}: other work on this machine makes the figures noisy")
        from core import create_app
        from core.app import freeze_startup_objects

        app = create_app(app_config(args.db, instance, None))
        hook_app = create_app(app_config(args.db, instance, None))
        freeze_startup_objects()
        results["sizes"] = data_sizes(app)
        say("data: " + ", ".join(f"{k} {v:,}" for k, v in results["sizes"].items()))
        estate_id = first_estate_id(app)
        res = run_section("data", lambda: measure_data(app, hook_app, estate_id, cfg), errors, logged)
        if res:
            results["data"] = res
            _figures(res, figures)
        res = run_section("pages", lambda: measure_pages(app, estate_id, cfg), errors, logged)
        if res:
            results["pages"] = res
            _figures(res, figures, judged=False)
        # One connection per client, as a server with that many workers would hold (the default
        # pool, 5 + 10 overflow, would make clients wait for a connection instead of the key).
        par_app = create_app({**app_config(args.db, instance, None), "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True, "pool_size": args.clients, "max_overflow": 2}})
        res = run_section("parallel loans", lambda: parallel_loans(par_app, estate_id, args.attempts, args.clients,
                                                                   args.seed), errors, logged)
        if res:
            results["parallel"] = res
            emit(figures, Figure(
                "keys", f"double loans, {res['attempts']} attempts / {res['clients']} clients", res["double_loans"]
                + res["keys_with_two_open_loans"], "",
                f"{res['lent']} lent, {res['refused']} refused, {res['returned']} returned, {res['errors']} errors, "
                f"{res['attempts_per_s']}/s", "= 0", res["double_loans"] + res["keys_with_two_open_loans"] == 0))
            for e in res["error_samples"]:
                say(f"      error: {e}")
        _dispose(app, hook_app, par_app)
    tmp_dir.cleanup()
    return run.exit_code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
