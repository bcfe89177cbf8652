"""Fill a benchmark database with service-desk cases: repairs, their work orders, complaints.

    python -m bench.servicedesk_generate --db URL --repairs 1000000 --complaints 200000 [--units 100000]

First :func:`bench.generate.generate` makes (or keeps) the estates, units, residents
and demo accounts; then repairs and complaints spread over the last 12 months are
inserted with SQLAlchemy Core ``insert()`` in batches of 5,000, oldest first (so ids
grow with time, as on a real site), in every state, a share of the open ones overdue.
Numbers are the app's own (``BX-BN01-2026-000001``, ``WX-…``, ``TS-…``) and the
numbering counters are moved past them, so the app can go on recording cases.
Estates that already hold repairs (or complaints) are left alone.
"""

from __future__ import annotations

import argparse
import bisect
import os
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.common import OUT_DIR, use_bench_env
from bench.generate import BATCH, _insert, estate_code, generate

#: Commit every this many cases (keeps SQLite's WAL file and PostgreSQL's transaction small).
COMMIT_EVERY = 100_000
DAYS = 365

# (age limit in days, {state: weight}): the older a case, the more likely it is finished.
REPAIR_FATES = [
    (1, {"recorded": 25, "dispatched": 25, "in_progress": 25, "completed": 20, "cancelled": 5}),
    (7, {"recorded": 3, "dispatched": 5, "in_progress": 7, "completed": 35, "closed": 45, "cancelled": 5}),
    # A stale backlog: ~3 % of older repairs are still open (all of them overdue by now).
    (DAYS + 1, {"recorded": 0.5, "dispatched": 1, "in_progress": 1.5, "completed": 4, "closed": 88,
                "cancelled": 5}),
]
COMPLAINT_FATES = [
    (1, {"recorded": 30, "forwarded": 25, "investigating": 25, "escalated": 5, "decided": 5, "replied": 10}),
    (7, {"recorded": 2, "forwarded": 5, "investigating": 10, "escalated": 3, "decided": 3, "replied": 20,
         "closed": 30, "visited": 27}),
    (DAYS + 1, {"recorded": 0.3, "forwarded": 0.5, "investigating": 1, "escalated": 0.5, "decided": 0.2,
                "replied": 2.5, "closed": 10, "visited": 85}),
]
REPAIR_ORDER_STATE = {"dispatched": "issued", "in_progress": "accepted", "completed": "completed",
                      "closed": "completed"}
COMPLAINT_STEPS = ["recorded", "forwarded", "investigating", "escalated", "decided", "replied", "closed",
                   "visited"]
#: Complaint category → responsible department (codes of ``core.demo.DEPARTMENTS``).
COMPLAINT_DEPT = {"service_attitude": "cs", "repairs": "maint", "cleaning": "cleaning", "security": "security",
                  "greening": "cleaning", "fees": "finance", "noise": "security", "parking": "security",
                  "facilities": "maint", "other": "cs"}


class Fates:
    """Draw a state for a case of a given age from weighted tables (fast: one bisect)."""

    def __init__(self, table):
        self.limits = [limit for limit, _w in table]
        self.tables = []
        for _limit, weights in table:
            states = list(weights)
            total = sum(weights.values())
            acc, cum = 0.0, []
            for s in states:
                acc += weights[s] / total
                cum.append(acc)
            self.tables.append((states, cum))

    def draw(self, rng: random.Random, age_days: float) -> str:
        states, cum = self.tables[bisect.bisect_right(self.limits, age_days)]
        return states[min(bisect.bisect_right(cum, rng.random()), len(states) - 1)]


def _times(rng: random.Random, n: int, now: datetime) -> list[datetime]:
    """``n`` report times over the last year, oldest first (a little busier lately)."""
    out = []
    for _ in range(n):
        # The power skews towards recent days: the last month is busier than a year ago.
        age = DAYS * 86400 * (1 - rng.random() ** 0.85) + 600
        out.append(age)
    out.sort(reverse=True)
    return [now - timedelta(seconds=int(a)) for a in out]


class Numbers:
    """Per (prefix, estate, year) counters, as :mod:`core.numbering` would hand them out."""

    def __init__(self, codes: dict[int, str]):
        self.codes = codes
        self.last: dict[tuple[str, int, int], int] = {}

    def next(self, prefix: str, estate_id: int, when: datetime) -> str:
        key = (prefix, estate_id, when.year)
        value = self.last.get(key, 0) + 1
        self.last[key] = value
        return f"{prefix}-{self.codes[estate_id]}-{when.year}-{value:06d}"

    def save(self, conn) -> None:
        """Move the app's counters past the numbers given here."""
        from sqlalchemy import select, update

        from core.models.system import NumberSequence

        t = NumberSequence.__table__
        for (code, estate_id, year), value in sorted(self.last.items()):
            found = conn.execute(select(t.c.id, t.c.last_value).where(
                t.c.code == code, t.c.estate_id == estate_id, t.c.year == year)).first()
            if found is None:
                conn.execute(t.insert().values(code=code, estate_id=estate_id, year=year, last_value=value))
            elif found.last_value < value:
                conn.execute(update(t).where(t.c.id == found.id).values(last_value=value))


def _load_context(estate_codes: list[str]) -> dict:
    """Estate ids, the units with their owner, the demo users and the departments."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Department, Estate, Occupancy, Resident, Unit, User

    estates = {e.id: e.code for e in db.session.scalars(select(Estate).where(Estate.code.in_(estate_codes)))}
    places: dict[int, list[tuple]] = {eid: [] for eid in estates}
    owners = {}
    for unit_id, resident_id, name, phone in db.session.execute(
            select(Occupancy.unit_id, Resident.id, Resident.name, Resident.phone)
            .join(Resident, Resident.id == Occupancy.resident_id)
            .where(Occupancy.estate_id.in_(list(estates)), Occupancy.role == "owner")):
        owners[unit_id] = (resident_id, name, phone)
    for unit_id, estate_id, number in db.session.execute(
            select(Unit.id, Unit.estate_id, Unit.number).where(Unit.estate_id.in_(list(estates)))
            .order_by(Unit.id)):
        places[estate_id].append((unit_id, number) + owners.get(unit_id, (None, None, None)))
    users = {u.username: u.id for u in db.session.scalars(select(User))}
    depts = {d.code: d.id for d in db.session.scalars(select(Department))}
    return {"estates": estates, "places": places, "users": users, "depts": depts}


def _existing(model, estate_ids) -> int:
    from sqlalchemy import func, select

    from core.extensions import db

    return db.session.scalar(select(func.count()).select_from(model).where(
        model.estate_id.in_(list(estate_ids)))) or 0


def _stamp(at: datetime, last: datetime, user_id: int | None) -> dict:
    return {"created_at": at, "updated_at": last, "created_by_id": user_id, "updated_by_id": user_id}


# -- repairs --------------------------------------------------------------------
def _zh(text):
    """The Chinese of a demo text given as (English, Chinese): the bench data is Chinese."""
    return text[1] if isinstance(text, tuple) else text


def _repair_row(rng, fates, ctx, estate_id, when, now, numbers) -> tuple[dict, dict | None]:
    from plugins.repairs.demo import COMMON_PLACES, PROBLEMS, WORK

    category = rng.choice(_CATEGORIES)
    common = category in ("lift", "public_area") or rng.random() < 0.08
    places = ctx["places"][estate_id]
    unit_id = resident_id = None
    address = ""
    if common or not places:
        address = _zh(rng.choice(COMMON_PLACES)).format(b=rng.randint(1, 40))
        contact, phone = "巡查员", "0755-88880001"
    else:
        unit_id, _number, resident_id, contact, phone = places[rng.randrange(len(places))]
        if resident_id is None:
            contact, phone = "李先生", f"139{rng.randrange(10**8):08d}"
    urgent = category == "gas" or rng.random() < 0.12
    priority = "urgent" if urgent else "normal"
    due_at = when + timedelta(hours=4 if urgent else 24)
    state = fates.draw(rng, (now - when).total_seconds() / 86400)
    clerk, supervisor = ctx["users"].get("clerk"), ctx["users"].get("supervisor")
    row = {
        "number": numbers.next("BX", estate_id, when), "estate_id": estate_id, "unit_id": unit_id,
        "address": address, "resident_id": resident_id, "contact_name": contact, "contact_phone": phone,
        "category": category, "description": _zh(rng.choice(PROBLEMS[category])),
        "channel": "patrol" if common and rng.random() < 0.6 else rng.choice(_CHANNELS),
        "appointment_at": None if common else when + timedelta(hours=rng.choice((1, 2, 3))),
        "area": "common" if common else "private", "paid": not common and rng.random() < 0.35,
        "priority": priority, "state": state, "reported_at": when,
        "dispatch_due_at": when + timedelta(minutes=10 if urgent else 30), "due_at": due_at,
        "dispatched_at": None, "started_at": None, "completed_at": None, "closed_at": None,
        "closed_via": None, "close_note": None, "cancelled_at": None, "cancel_reason": None,
        "reopen_count": 0, "reopen_reason": None, "fee": None, "overdue_notified_at": None,
    }
    last = when
    order = None
    if state == "cancelled":
        row["cancelled_at"] = last = min(now, when + timedelta(minutes=25))
        row["cancel_reason"] = rng.choice(("业主自行修好", "重复报修", "业主取消预约"))
    elif state != "recorded":
        issued = min(now, when + timedelta(minutes=rng.randint(5, 50)))
        row["dispatched_at"] = last = issued
        order = {"number": numbers.next("WX", estate_id, issued), "estate_id": estate_id,
                 "technician_id": ctx["users"]["technician"], "state": REPAIR_ORDER_STATE[state],
                 "issued_at": issued, "due_at": due_at, "notes": rng.choice(_NOTES), "accepted_at": None,
                 "work_done": "", "materials": "", "minutes_spent": None, "fee": None, "completed_at": None,
                 "cancelled_at": None, **_stamp(issued, issued, supervisor)}
        if state != "dispatched":
            accepted = min(now, issued + timedelta(minutes=rng.randint(10, 90)))
            row["started_at"] = order["accepted_at"] = last = accepted
        if state in ("completed", "closed"):
            # Most are done within the service level; about one in seven is late.
            hours = (rng.choice((2, 3, 5, 8, 12, 18, 22, 30, 40)) if not urgent else rng.choice((1, 2, 3, 6)))
            done = max(when + timedelta(hours=hours), row["started_at"] + timedelta(minutes=30))
            done = min(now - timedelta(minutes=5), done)
            fee = Decimal(rng.choice(("30.00", "50.00", "80.00", "120.00", "260.00"))) if row["paid"] else None
            order.update(state="completed", completed_at=done, work_done=_zh(WORK[category][0]),
                         materials=_zh(WORK[category][1]), minutes_spent=rng.choice((20, 30, 45, 60, 90, 120)),
                         fee=fee, updated_at=done)
            row.update(completed_at=done, fee=fee)
            last = done
        if state == "closed":
            row["closed_at"] = last = min(now, row["completed_at"] + timedelta(days=rng.randint(1, 3)))
            if common:
                row["closed_via"], row["close_note"] = "supervisor", "公共区域维修，无需回访"
            else:
                row["closed_via"], row["close_note"] = "visit", rng.choice(("回访满意", "业主表示满意"))
            if rng.random() < 0.03:
                row["reopen_count"], row["reopen_reason"] = 1, "回访不满意：仍有渗水"
    row.update(_stamp(when, last, clerk))
    return row, order


_CATEGORIES = ("water", "electricity", "gas", "doors_windows", "lift", "public_area", "drainage", "other")
_CHANNELS = ("phone", "phone", "hotline", "walk_in", "web")
_NOTES = ("", "请带好备用配件", "业主下午在家", "先电话联系业主")


def generate_repairs(conn_of, ctx, n: int, now: datetime, seed: int, say) -> dict:
    from core.extensions import db
    from plugins.repairs.models import Repair, WorkOrder

    rng = random.Random(f"{seed}-repairs")
    fates = Fates(REPAIR_FATES)
    estate_ids = sorted(ctx["estates"])
    numbers = Numbers(ctx["estates"])
    weights = [max(1, len(ctx["places"][e])) for e in estate_ids]
    counts: dict[str, int] = {}
    orders_n = 0
    t0 = time.perf_counter()
    times = _times(rng, n, now)
    for start in range(0, n, BATCH):
        chunk = times[start:start + BATCH]
        picks = rng.choices(estate_ids, weights=weights, k=len(chunk))
        rows, orders = [], []
        for estate_id, when in zip(picks, chunk, strict=True):
            row, order = _repair_row(rng, fates, ctx, estate_id, when, now, numbers)
            rows.append(row)
            orders.append(order)
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        conn = conn_of()
        ids = _insert(conn, Repair.__table__, rows, want_ids=True)
        work = []
        for rid, order in zip(ids, orders, strict=True):
            if order is not None:
                order["repair_id"] = rid
                work.append(order)
        _insert(conn, WorkOrder.__table__, work, want_ids=False)
        orders_n += len(work)
        done = start + len(chunk)
        if done % COMMIT_EVERY < BATCH or done == n:
            numbers.save(conn)
            db.session.commit()
            say(f"  repairs: {done:,} of {n:,} ({time.perf_counter() - t0:.0f} s)")
    return {"repairs": n, "work_orders": orders_n, "repair_states": counts,
            "repairs_s": round(time.perf_counter() - t0, 1)}


# -- complaints -----------------------------------------------------------------
def _complaint_row(rng, fates, ctx, estate_id, when, now, numbers) -> dict:
    from plugins.complaints.demo import CASES, NAMES
    from plugins.complaints.models import CATEGORIES, CHANNELS, KINDS

    category = rng.choice(CATEGORIES)
    severity = rng.choices(("minor", "normal", "serious"), weights=(3, 6, 1))[0]
    forward_h = {"minor": 4, "normal": 2, "serious": 1}[severity]
    reply_h = {"minor": 48, "normal": 24, "serious": 12}[severity]
    content, answer = next(((_zh(c[4]), _zh(c[5])) for c in CASES if c[0] == category),
                           (_zh(CASES[0][4]), _zh(CASES[0][5])))
    places = ctx["places"][estate_id]
    unit_id = resident_id = None
    if places and rng.random() < 0.85:
        unit_id, _number, resident_id, contact, phone = places[rng.randrange(len(places))]
        if resident_id is None:
            contact, phone = _zh(rng.choice(NAMES)), f"139{rng.randrange(10**8):08d}"
    else:
        contact, phone = _zh(rng.choice(NAMES)), f"139{rng.randrange(10**8):08d}"
    state = fates.draw(rng, (now - when).total_seconds() / 86400)
    u = ctx["users"]
    clerk, handler, manager = u.get("clerk"), u.get("supervisor"), u.get("manager")
    row = {
        "number": numbers.next("TS", estate_id, when), "estate_id": estate_id, "unit_id": unit_id,
        "resident_id": resident_id, "contact_name": contact, "contact_phone": phone,
        "channel": rng.choice(CHANNELS), "category": category, "content": content, "kind": rng.choice(KINDS),
        "severity": severity, "received_at": when, "department_id": None,
        "forward_due_at": when + timedelta(hours=forward_h), "reply_due_at": when + timedelta(hours=reply_h),
        "state": state, "forwarded_at": None, "forwarded_by_id": None, "escalated_at": None,
        "escalation_reason": None, "escalated_by_id": None, "decision": None, "decided_at": None,
        "decided_by_id": None, "reply_text": None, "reply_at": None, "reply_method": None,
        "replied_by_id": None, "closed_at": None, "closed_by_id": None, "visited_at": None, "satisfied": None,
        "visit_remarks": "", "reopen_count": 0, "reopened_at": None, "forward_overdue_notified_at": None,
        "reply_overdue_notified_at": None,
    }
    step = COMPLAINT_STEPS.index(state)
    late = rng.random() < 0.1
    t = when
    room = (now - when) / 12  # every step stays before now

    def later(hours: float) -> datetime:
        nonlocal t
        t = min(t + min(timedelta(hours=hours), room), now - timedelta(minutes=1))
        return t

    if step >= 1:
        row.update(department_id=ctx["depts"].get(COMPLAINT_DEPT[category]), forwarded_by_id=handler,
                   forwarded_at=later(rng.uniform(0.2, 1.5) * (3 if late else 1)))
    escalate = state in ("escalated", "decided") or (step >= 5 and severity == "serious" and rng.random() < 0.6)
    if escalate and step >= 2:
        row.update(escalated_at=later(rng.uniform(0.5, 3)), escalated_by_id=handler,
                   escalation_reason="涉及费用或第三方责任，超出客服部处理权限。")
        if state != "escalated":
            row.update(decided_at=later(rng.uniform(0.5, 2)), decided_by_id=manager,
                       decision="同意按整改方案处理，费用由管理处先行承担。")
    if step >= 5:
        row.update(reply_at=later(rng.uniform(1, 18) * (4 if late else 1)), reply_text=answer,
                   reply_method=rng.choice(("letter", "letter", "visit", "email")), replied_by_id=handler)
    if step >= 6:
        row.update(closed_at=later(rng.uniform(0.5, 4)), closed_by_id=handler)
    if step >= 7:
        satisfied = rng.random() < 0.92
        row.update(visited_at=later(rng.uniform(24, 72)), satisfied=satisfied,
                   visit_remarks="业主表示满意" if satisfied else "业主认为处理不彻底")
    row.update(_stamp(when, t, clerk))
    return row


def generate_complaints(conn_of, ctx, n: int, now: datetime, seed: int, say) -> dict:
    from core.extensions import db
    from plugins.complaints.models import Complaint

    rng = random.Random(f"{seed}-complaints")
    fates = Fates(COMPLAINT_FATES)
    estate_ids = sorted(ctx["estates"])
    numbers = Numbers(ctx["estates"])
    weights = [max(1, len(ctx["places"][e])) for e in estate_ids]
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    times = _times(rng, n, now)
    for start in range(0, n, BATCH):
        chunk = times[start:start + BATCH]
        picks = rng.choices(estate_ids, weights=weights, k=len(chunk))
        rows = [_complaint_row(rng, fates, ctx, e, w, now, numbers) for e, w in zip(picks, chunk, strict=True)]
        for row in rows:
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        conn = conn_of()
        _insert(conn, Complaint.__table__, rows, want_ids=False)
        done = start + len(chunk)
        if done % COMMIT_EVERY < BATCH or done == n:
            numbers.save(conn)
            db.session.commit()
            say(f"  complaints: {done:,} of {n:,} ({time.perf_counter() - t0:.0f} s)")
    return {"complaints": n, "complaint_states": counts, "complaints_s": round(time.perf_counter() - t0, 1)}


def vacuum_analyze(db_url: str) -> float:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would have done on a settled site
    (fresh statistics for the planner, visibility map for index-only scans)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if make_url(db_url).get_backend_name() != "postgresql":
        return 0.0
    t0 = time.perf_counter()
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return round(time.perf_counter() - t0, 1)


def refresh_day_stats(db_url: str, say=print) -> dict:
    """What the ``repairs.day_stats`` and ``complaints.day_stats`` jobs do every 5 minutes on
    a running site: store the figures of the days that are over and not stored yet (all of
    them after generating; on a later run, the days that ended since); and
    ``complaints.month_figures``, those of the months over per category and department."""
    from core import create_app
    from core.db import immediate
    from core.extensions import db
    from plugins.complaints import daystats as complaint_days
    from plugins.repairs import daystats as repair_days

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    out = {}
    with app.app_context():
        from plugins.complaints import breakdown as complaint_months

        for label, mod in (("repairs", repair_days), ("complaints", complaint_days),
                           ("complaint months", complaint_months)):
            t0 = time.perf_counter()
            with immediate():
                done = mod.refresh()
            db.session.commit()
            out[label] = {**done, "s": round(time.perf_counter() - t0, 2)}
            if done["rows"]:
                say(f"{label}: stored {done['rows']:,} day figures in {out[label]['s']} s")
        db.session.remove()
        db.engine.dispose()
    return out


def generate_servicedesk(db_url: str, repairs: int = 1_000_000, complaints: int = 200_000,
                         units: int = 100_000, estates: int = 5, seed: int = 42, quiet: bool = False) -> dict:
    """Estates and units (``bench.generate``), then repairs, work orders and complaints."""
    from core import create_app
    from core.extensions import db
    from plugins.complaints.models import Complaint
    from plugins.repairs.models import Repair

    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    t_all = time.perf_counter()
    summary: dict = {"base": generate(db_url, units, estates, seed, quiet=quiet)}
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    # Anchored at this hour, so "overdue" means the same thing when measured soon after.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    summary["now"] = now.isoformat()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.connection().exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while inserting
        ctx = _load_context([estate_code(i) for i in range(estates)])
        if "technician" not in ctx["users"]:
            raise SystemExit("no 'technician' account: bench.generate did not make the demo accounts")
        conn_of = db.session.connection
        for model, wanted, fn, label in ((Repair, repairs, generate_repairs, "repairs"),
                                         (Complaint, complaints, generate_complaints, "complaints")):
            present = _existing(model, ctx["estates"])
            if present:
                say(f"{label}: {present:,} already in the generated estates: kept as they are")
                summary[f"{label}_present"] = present
                continue
            if wanted:
                say(f"inserting {wanted:,} {label}…")
                summary.update(fn(conn_of, ctx, wanted, now, seed, say))
        db.session.remove()
        db.engine.dispose()
    summary["day_stats"] = refresh_day_stats(db_url, say)
    summary["vacuum_analyze_s"] = vacuum_analyze(db_url)
    summary["total_s"] = round(time.perf_counter() - t_all, 1)
    say(f"service desk data ready in {summary['total_s']} s"
        + (f" (VACUUM ANALYZE {summary['vacuum_analyze_s']} s)" if summary["vacuum_analyze_s"] else ""))
    return summary


def absolute_sqlite(db_url: str) -> str:
    """A relative SQLite path is taken from the current folder (Flask-SQLAlchemy would
    otherwise look for it in the instance folder)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not os.path.isabs(url.database):
        return url.set(database=os.path.abspath(url.database)).render_as_string(hide_password=False)
    return db_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, type=absolute_sqlite,
                        help="sqlite:///path.db or postgresql+psycopg://…")
    parser.add_argument("--repairs", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--estates", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servicedesk_generate",
                                     description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    use_bench_env(os.environ.get("PROPDESK_INSTANCE") or OUT_DIR / "instance")
    generate_servicedesk(args.db, args.repairs, args.complaints, args.units, args.estates, args.seed)


if __name__ == "__main__":
    main()
