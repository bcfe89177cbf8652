"""Generate a large, deterministic PropDesk database for the benchmarks.

    python -m bench.generate --db sqlite:///bench/out/bench.db --units 100000 [--estates 5]

The database is created or migrated (core + every discovered plugin that is
meant to be enabled), the standard roles and the demo accounts (password
``demo1234``; ``manager`` belongs to every generated estate) are ensured, then
the company, estates, buildings, units, residents and occupancies are inserted
with SQLAlchemy Core ``insert()`` in batches. Estates already present (same
code) are left alone, so running it twice adds nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from bench.common import OUT_DIR, use_bench_env

BATCH = 5000
ESTATE_PREFIX = "BN"
#: (kind, share of shops on the ground floor, share of offices) per estate, cycled.
ESTATE_KINDS = [("residential", 0.5, 0.0), ("residential", 0.5, 0.0), ("mixed", 1.0, 0.3),
                ("residential", 0.5, 0.0), ("commercial", 1.0, 0.8)]
AREAS = [Decimal(a) for a in ("56.20", "89.50", "102.30", "128.75", "143.20", "188.00")]


def estate_code(index: int) -> str:
    return f"{ESTATE_PREFIX}{index + 1:02d}"


def plan_buildings(rng: random.Random, n_units: int) -> list[tuple[int, int, int]]:
    """Building shapes ``(entrances, floors, rooms per floor)`` holding at least ``n_units``."""
    shapes, total = [], 0
    while total < n_units:
        shape = (rng.randint(1, 3), rng.randint(6, 33), rng.randint(2, 4))
        shapes.append(shape)
        total += shape[0] * shape[1] * shape[2]
    return shapes


def _insert(conn, table, rows: list[dict], want_ids: bool) -> list[int]:
    """Batched executemany insert; returns the new ids in row order when asked."""
    from sqlalchemy import insert

    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        if want_ids:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids.extend(conn.execute(stmt, batch).scalars().all())
        else:
            conn.execute(insert(table), batch)
    return ids


def _stamp(now: datetime) -> dict:
    return {"created_at": now, "updated_at": now, "created_by_id": None, "updated_by_id": None}


def _person(rng: random.Random, surnames: str, given: str) -> tuple[str, str, str]:
    name = rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.5 else "")
    phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    return name, phone, f"44030{rng.randrange(10**12):012d}X"


def generate_estate(conn, company_id: int, index: int, n_units: int, seed: int) -> dict:
    """Insert one estate with its buildings, units, residents and occupancies."""
    from core.demo import GIVEN, SURNAMES
    from core.models import Building, Estate, Occupancy, Resident, Unit
    from core.models import estates as estate_models

    # Derived columns the ORM fills in (e.g. a natural sort key set when ``number`` is):
    # Core inserts bypass the ORM, so they are computed here the same way.
    natural_key = getattr(estate_models, "natural_key", None)
    has_sort_key = natural_key is not None and "sort_key" in Unit.__table__.c
    rng = random.Random(f"{seed}-{index}")
    now = datetime(2025, 1, 1, tzinfo=UTC)
    kind, shop_share, office_share = ESTATE_KINDS[index % len(ESTATE_KINDS)]
    code = estate_code(index)
    (estate_id,) = _insert(conn, Estate.__table__, [{
        **_stamp(now), "company_id": company_id, "code": code, "name": f"Bench Estate {index + 1}",
        "kind": kind, "address": f"Benchmark Road {index + 1}", "phone": f"0755-8000{index:04d}",
        "timezone": "Asia/Shanghai", "active": True,
    }], want_ids=True)
    shapes = plan_buildings(rng, n_units)
    building_ids = _insert(conn, Building.__table__, [
        {**_stamp(now), "estate_id": estate_id, "code": str(b + 1), "name": f"Building {b + 1}",
         "floors": floors}
        for b, (_e, floors, _r) in enumerate(shapes)
    ], want_ids=True)

    units: list[dict] = []
    for b, (entrances, floors, rooms) in enumerate(shapes):
        for e in range(1, entrances + 1):
            for f in range(1, floors + 1):
                for r in range(1, rooms + 1):
                    if len(units) >= n_units:
                        break
                    if f == 1 and rng.random() < shop_share:
                        use = "shop"
                    elif rng.random() < office_share:
                        use = "office"
                    else:
                        use = "residence"
                    number = f"{b + 1}-{e}-{f}{r:02d}"
                    row = {**_stamp(now), "estate_id": estate_id, "building_id": building_ids[b],
                           "number": number, "floor": f, "area": rng.choice(AREAS), "use": use,
                           "note": ""}
                    if has_sort_key:
                        row["sort_key"] = natural_key(number)
                    units.append(row)
    unit_ids = _insert(conn, Unit.__table__, units, want_ids=True)

    # ~90 % of units have an owner; ~15 % of those also a tenant.
    residents: list[dict] = []
    links: list[tuple[int, str, date, date | None]] = []
    for unit_id in unit_ids:
        if rng.random() >= 0.9:
            continue
        start = date(rng.randint(2005, 2024), rng.randint(1, 12), 1)
        parties = [("owner", start, None)]
        if rng.random() < 0.15:
            t_start = date(max(start.year, 2020) + 1, rng.randint(1, 12), 1)
            t_end = date(t_start.year + 2, t_start.month, 1) if rng.random() < 0.5 else None
            parties.append(("tenant", t_start, t_end))
        for role, begin, end in parties:
            name, phone, id_number = _person(rng, SURNAMES, GIVEN)
            residents.append({**_stamp(now), "estate_id": estate_id, "name": name, "kind": "person",
                              "phone": phone, "id_number": id_number, "note": ""})
            links.append((unit_id, role, begin, end))
    resident_ids = _insert(conn, Resident.__table__, residents, want_ids=True)
    _insert(conn, Occupancy.__table__, [
        {**_stamp(now), "estate_id": estate_id, "unit_id": unit_id, "resident_id": rid, "role": role,
         "start_date": begin, "end_date": end}
        for rid, (unit_id, role, begin, end) in zip(resident_ids, links, strict=True)
    ], want_ids=False)
    return {"estate": code, "buildings": len(building_ids), "units": len(unit_ids),
            "residents": len(resident_ids)}


def ensure_accounts(estate_ids: list[int]) -> None:
    """Roles, departments and one demo account per role, as ``core.demo`` makes them."""
    from sqlalchemy import select

    from core.audit import acting_as
    from core.demo import DEMO_PASSWORD, DEPARTMENTS, USER_DEPT, ensure_roles
    from core.extensions import db
    from core.models import Department, Estate, User
    from core.permissions import ROLES

    estates = list(db.session.scalars(select(Estate).where(Estate.id.in_(estate_ids)).order_by(Estate.id)))
    with acting_as(None):
        roles = ensure_roles()
        depts = {}
        for code, name, _zh in DEPARTMENTS:
            dept = db.session.scalar(select(Department).where(Department.code == code))
            if dept is None:
                dept = Department(code=code, name=name)
                db.session.add(dept)
            depts[code] = dept
        db.session.flush()
        for role_code in ROLES:
            user = db.session.scalar(select(User).where(User.username == role_code))
            wanted = estates if role_code in ("admin", "manager") else estates[:1]
            if user is None:
                user = User(username=role_code, full_name=f"Bench {role_code}",
                            all_estates=role_code == "admin",
                            department_id=depts[USER_DEPT.get(role_code, "cs")].id)
                user.set_password(DEMO_PASSWORD)
                user.roles = [roles[role_code]]
                user.estates = list(wanted)
                db.session.add(user)
            elif role_code == "manager":
                user.estates = list(user.estates) + [e for e in wanted if e not in user.estates]
        db.session.commit()


def enable_every_plugin() -> tuple[list[str], dict[str, str]]:
    """Enable every loaded plugin (some are off by default), so "all plugins" means all."""
    from core.extensions import db
    from core.plugins import plugins
    from core.site import enable

    pm = plugins()
    failed: dict[str, str] = {}
    for code in pm.order:
        if code not in pm.enabled:
            try:
                enable(code)
            except Exception as exc:  # a plugin that cannot be enabled is reported, not fatal
                db.session.rollback()
                failed[code] = str(getattr(exc, "message", exc))
    failed.update({c: i.skip_reason for c, i in pm.infos.items() if i.skip_reason})
    return sorted(pm.enabled), failed


def generate(db_url: str, units: int = 100_000, estates: int = 5, seed: int = 42,
             quiet: bool = False) -> dict:
    """Create/migrate ``db_url`` and fill it; returns what was inserted and how long it took."""
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from core import create_app
    from core.extensions import db
    from core.models import Company, Estate, Unit
    from core.site import upgrade_site

    say = (lambda *a: None) if quiet else print
    if units < estates:
        raise SystemExit("--units must be at least --estates")
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    summary: dict = {"db": make_url(db_url).render_as_string(hide_password=True), "seed": seed,
                     "estates": []}
    with app.app_context():
        t0 = time.perf_counter()
        migrated = upgrade_site()
        summary["migrate_s"] = round(time.perf_counter() - t0, 3)
        say(f"migrated core{''.join(', ' + c for c in migrated)} in {summary['migrate_s']} s")
        summary["plugins_enabled"], summary["plugins_not_enabled"] = enable_every_plugin()
        if summary["plugins_not_enabled"]:
            say(f"plugins that could not be enabled: {summary['plugins_not_enabled']}")
        t0 = time.perf_counter()
        company_id = db.session.scalar(select(Company.id).order_by(Company.id))
        if company_id is None:
            now = datetime(2025, 1, 1, tzinfo=UTC)
            (company_id,) = _insert(db.session.connection(), Company.__table__,
                                    [{**_stamp(now), "name": "Bench Property Services"}], want_ids=True)
        per = [units // estates + (1 if i < units % estates else 0) for i in range(estates)]
        ids = []
        for index, n in enumerate(per):
            code = estate_code(index)
            existing = db.session.scalar(select(Estate.id).where(Estate.code == code))
            if existing is not None:
                say(f"estate {code} already present: kept as it is")
                ids.append(existing)
                continue
            info = generate_estate(db.session.connection(), company_id, index, n, seed)
            db.session.commit()
            summary["estates"].append(info)
            ids.append(db.session.scalar(select(Estate.id).where(Estate.code == code)))
            say(f"estate {code}: {info['buildings']} buildings, {info['units']} units, "
                f"{info['residents']} residents")
        summary["insert_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        ensure_accounts(ids)
        summary["accounts_s"] = round(time.perf_counter() - t0, 3)
        summary["units_total"] = db.session.scalar(
            select(func.count()).select_from(Unit).where(Unit.estate_id.in_(ids)))
        db.session.remove()
        db.engine.dispose()
    say(f"bulk insert {summary['insert_s']} s, accounts {summary['accounts_s']} s, "
        f"{summary['units_total']} units in the generated estates")
    return summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="sqlite:///path.db or postgresql+psycopg://…")
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--estates", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    use_bench_env(os.environ.get("PROPDESK_INSTANCE") or OUT_DIR / "instance")
    generate(args.db, args.units, args.estates, args.seed)


if __name__ == "__main__":
    main()
