"""Benchmark of a billing run (issue 4): 50,000 units × 4 fee items = 200,000 bills.

    python -m bench.fees_billing --db URL [--units 50000] [--rounds 3]

The database is created or migrated with ``bench.generate`` (one estate ``BN01``, kept if
present) and given four fee items that every unit pays — property fee by area, a fixed
monthly fee, water from each unit's own meter (one reading per unit) and shared common
electricity allocated by area — with their prices, meters and readings.

Each round, interleaved:

* **run**: ``billing.run_billing(estate, period)`` and the commit — the whole service: the
  plan of every bill (prices, readings, the shared allocation), the idempotency check and
  the Core bulk insert, chunk by chunk, plus the run record;
* **raw**: the same 200,000 rows (read back from the run) inserted with one plain
  ``INSERT`` through the bare DB-API cursor's ``executemany`` and a commit.

The bills of the period are deleted between measurements (this is a throw-away benchmark
database: nothing is ever deleted in the application). Target: run ≤ 3 × raw. Also reported:
a second run of the same period (nothing new to create: the idempotency check alone).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from bench.common import OUT_DIR, use_bench_env

PERIOD = date(2026, 11, 1)
BATCH = 5000


def _items(estate):
    """The four fee items, their prices and the meters and readings they need (idempotent)."""
    from sqlalchemy import func, insert, select

    from core.extensions import db
    from core.models import Unit
    from plugins.fees import billing
    from plugins.fees.models import FeeItem, Meter, MeterReading

    wanted = [
        dict(code="PROP", name="Property service fee", kind="area", price="2.80"),
        dict(code="MGMT", name="Garbage and security fee", kind="fixed", price="15.00"),
        dict(code="WATER", name="Water", kind="meter", meter_kind="water", price="4.1000", on_behalf=True),
        dict(code="SHARE", name="Shared common electricity", kind="shared", meter_kind="electricity",
             allocation="area", price="0.5283"),
    ]
    items = {}
    for data in wanted:
        item = db.session.scalar(select(FeeItem).where(FeeItem.estate_id == estate.id, FeeItem.code == data["code"]))
        if item is None:
            price = Decimal(data.pop("price"))
            item = billing.create_item(estate, data)
            billing.add_price(item, price=price, valid_from=date(2026, 1, 1))
        items[item.code] = item
    db.session.commit()
    if not db.session.scalar(select(func.count(Meter.id)).where(Meter.estate_id == estate.id)):
        common = billing.save_meter(estate, dict(code="COMMON-E", kind="electricity", item_id=items["SHARE"].id))
        db.session.add(MeterReading(estate_id=estate.id, meter_id=common.id, period=PERIOD, previous=Decimal(0),
                                    value=Decimal("123456.78"), usage=Decimal("123456.78"), read_on=PERIOD))
        db.session.commit()
        now = datetime.now(UTC)
        unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.estate_id == estate.id).order_by(Unit.id)))
        conn = db.session.connection()
        stamp = dict(created_at=now, updated_at=now)
        for i in range(0, len(unit_ids), BATCH):
            part = unit_ids[i:i + BATCH]
            meter_ids = conn.execute(insert(Meter.__table__).returning(Meter.__table__.c.id, sort_by_parameter_order=True),
                                     [dict(stamp, estate_id=estate.id, code=f"W{u}", kind="water", unit_id=u,
                                           location="", active=True) for u in part]).scalars().all()
            conn.execute(insert(MeterReading.__table__), [
                dict(stamp, estate_id=estate.id, meter_id=m, period=PERIOD, previous=Decimal("100.00"),
                     value=Decimal(100 + (m % 23)), usage=Decimal(m % 23), read_on=PERIOD,
                     confirmed_unusual=False, note="") for m in meter_ids])
        db.session.commit()
    return items


def _clear(estate_id: int, runs: bool = True) -> None:
    from sqlalchemy import delete

    from core.extensions import db
    from plugins.fees.models import Bill, BillingRun

    db.session.execute(delete(Bill).where(Bill.estate_id == estate_id, Bill.period_start == PERIOD))
    if runs:
        db.session.execute(delete(BillingRun).where(BillingRun.estate_id == estate_id))
    db.session.commit()


def _raw_rows(columns: list[str], estate_id: int, run_id: int) -> list[tuple]:
    """The run's bills as the database stores them, read with the bare DB-API cursor."""
    from core.extensions import db

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        cur.execute(f"SELECT {', '.join(columns)} FROM fees_bill WHERE estate_id = {mark} AND run_id = {mark}",
                    (estate_id, run_id))
        rows = [tuple(r) for r in cur.fetchall()]
        raw.commit()
        return rows
    finally:
        raw.close()


def _raw_insert(rows: list[tuple], columns: list[str], dialect: str) -> float:
    """Insert ``rows`` with the bare DB-API cursor (one INSERT, executemany) and commit."""
    from core.extensions import db

    mark = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO fees_bill ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    raw = db.engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cur = raw.cursor()
        if dialect == "sqlite":
            cur.execute("BEGIN")
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i:i + BATCH])
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def _raw_copy(rows: list[tuple], columns: list[str]) -> float:
    """PostgreSQL only: the same rows with ``COPY … FROM STDIN`` (the fastest raw load)."""
    from core.extensions import db

    raw = db.engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cur = raw.cursor()
        with cur.copy(f"COPY fees_bill ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def measure(db_url: str, units: int, rounds: int) -> dict:
    from sqlalchemy import func, select

    from bench.generate import estate_code, generate
    from core import create_app
    from core.extensions import db
    from core.models import Estate, Unit
    from plugins.fees import billing
    from plugins.fees.models import Bill

    generate(db_url, units=units, estates=1, quiet=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    result: dict = {"db": db_url.split("@")[-1], "units": units, "rounds": []}
    with app.app_context():
        dialect = db.engine.dialect.name
        estate = db.session.scalar(select(Estate).where(Estate.code == estate_code(0)))
        result["units"] = db.session.scalar(select(func.count(Unit.id)).where(Unit.estate_id == estate.id))
        _items(estate)
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        columns = [c.name for c in Bill.__table__.columns if c.name != "id"]
        for n in range(rounds):
            _clear(estate.id)
            t0 = time.perf_counter()
            run = billing.run_billing(estate, PERIOD, None)
            db.session.commit()
            t_run = time.perf_counter() - t0
            created = run.bills_created
            t0 = time.perf_counter()
            again = billing.run_billing(estate, PERIOD, None)
            db.session.commit()
            t_again = time.perf_counter() - t0
            assert again.bills_created == 0 and again.bills_existing == created
            rows = _raw_rows(columns, estate.id, run.id)
            _clear(estate.id, runs=False)
            t_raw = _raw_insert(rows, columns, dialect)
            db.session.commit()
            entry = {"run_s": round(t_run, 3), "raw_s": round(t_raw, 3), "second_run_s": round(t_again, 3),
                     "bills": created}
            copy_note = ""
            if dialect == "postgresql":
                _clear(estate.id, runs=False)
                entry["copy_s"] = round(_raw_copy(rows, columns), 3)
                copy_note = f", COPY {entry['copy_s']:.2f} s (×{t_run / entry['copy_s']:.2f})"
            result["rounds"].append(entry)
            print(f"round {n + 1}: run_billing {t_run:.2f} s, raw insert {t_raw:.2f} s "
                  f"(×{t_run / t_raw:.2f}){copy_note}, second run {t_again:.2f} s, {created} bills")
        _clear(estate.id)
        db.session.remove()
        db.engine.dispose()
    run_s = statistics.median(r["run_s"] for r in result["rounds"])
    raw_s = statistics.median(r["raw_s"] for r in result["rounds"])
    result.update(run_s=run_s, raw_s=raw_s, ratio=round(run_s / raw_s, 2), target=3.0)
    if "copy_s" in result["rounds"][0]:
        copy_s = statistics.median(r["copy_s"] for r in result["rounds"])
        result.update(copy_s=copy_s, copy_ratio=round(run_s / copy_s, 2))
        print(f"(PostgreSQL COPY of the same rows: {copy_s:.2f} s, run = ×{result['copy_ratio']} of it)")
    verdict = "OK" if result["ratio"] <= 3 else "MISSED"
    print(f"billing run of {result['rounds'][0]['bills']} bills: {run_s:.2f} s vs raw SQL {raw_s:.2f} s "
          f"= ×{result['ratio']} (target ≤ 3) [{verdict}]")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fees_billing", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="sqlite:///path.db or postgresql+psycopg://…")
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    use_bench_env(os.environ.get("PROPDESK_INSTANCE") or OUT_DIR / "instance")
    result = measure(args.db, args.units, args.rounds)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    name = "fees_billing_pg.json" if args.db.startswith("postgresql") else "fees_billing_sqlite.json"
    (OUT_DIR / name).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
