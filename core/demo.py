"""Demo data for ``make run``: two estates, their people, and one account per role.

Demo accounts are named after their role (``admin``, ``manager``, …) with the
password ``demo1234``. They are for trying PropDesk out only.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.audit import acting_as
from core.extensions import db
from core.models import Building, Company, Department, Estate, Occupancy, Resident, Role, Unit, User
from core.permissions import ROLES, all_permissions

DEMO_PASSWORD = "demo1234"
DEPARTMENTS = [
    ("cs", "客服部 Customer service"), ("maint", "维修部 Maintenance"), ("security", "秩序部 Security"),
    ("cleaning", "保洁绿化 Cleaning & greening"), ("finance", "财务部 Finance"),
]
USER_DEPT = {"technician": "maint", "cleaning": "cleaning", "cashier": "finance"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def ensure_roles() -> dict[str, Role]:
    """Create the standard roles that do not exist yet, with their default permissions.

    Existing roles are never changed: their permission sets belong to the site.
    """
    perms = all_permissions()
    roles = {r.code: r for r in db.session.scalars(select(Role))}
    for code, title in ROLES.items():
        if code in roles:
            continue
        role = Role(code=code, name=str(title), description="")
        granted = [p.code for p in perms] if code == "admin" else [
            p.code for p in perms if code in p.default_roles]
        role.set_permissions(granted)
        db.session.add(role)
        roles[code] = role
    db.session.flush()
    return roles


def demo_text(en: str, zh: str) -> str:
    """The demo data's wording in the site's default language (``PROPDESK_DEFAULT_LOCALE``).

    Demo records are data, not interface text, so they are not translated by
    Babel: a plugin's ``demo_data`` passes both wordings and gets the one the
    site speaks (Chinese when the default locale is ``zh_CN``, English otherwise).
    """
    from flask import current_app

    locale = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    return zh if locale.lower().startswith("zh") else en


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def load_demo(only_if_empty: bool = False, seed: int = 7) -> bool:
    from core.plugins import plugins
    from core.site import refresh

    if only_if_empty and db.session.scalar(select(func.count()).select_from(Estate)):
        return False
    refresh(force=True)
    rng = random.Random(seed)
    with acting_as(None):
        roles = ensure_roles()
        depts = {}
        for code, name in DEPARTMENTS:
            d = db.session.scalar(select(Department).where(Department.code == code))
            if d is None:
                d = Department(code=code, name=name)
                db.session.add(d)
            depts[code] = d
        company = db.session.scalar(select(Company)) or Company(name="示范物业服务有限公司 Demo Property Services")
        db.session.add(company)
        db.session.flush()
        estates = []
        for code, name, kind, blocks in (
            ("E01", "阳光花园 Sunshine Garden", "residential", 4),
            ("P01", "科技园 Tech Park", "industrial", 2),
        ):
            est = db.session.scalar(select(Estate).where(Estate.code == code))
            if est is None:
                est = Estate(company_id=company.id, code=code, name=name, kind=kind,
                             address="示范路 1 号" if code == "E01" else "创新大道 88 号",
                             phone="0755-8888000" + ("1" if code == "E01" else "2"))
                db.session.add(est)
                db.session.flush()
                _demo_units(est, blocks, rng)
            estates.append(est)
        users = {}
        for role_code in ROLES:
            u = db.session.scalar(select(User).where(User.username == role_code))
            if u is None:
                u = User(username=role_code, full_name=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)} ({role_code})",
                         phone=_phone(rng), all_estates=role_code == "admin",
                         department_id=depts[USER_DEPT.get(role_code, "cs")].id)
                u.set_password(DEMO_PASSWORD)
                u.roles = [roles[role_code]]
                u.estates = list(estates) if role_code in ("admin", "manager") else [estates[0]]
                db.session.add(u)
            users[role_code] = u
        db.session.flush()
        for est in estates:
            for _code, _res, err in plugins().call_each("demo_data", estate=est, users=users):
                if err:
                    raise err
    db.session.commit()
    return True


def _demo_units(est: Estate, blocks: int, rng: random.Random) -> None:
    industrial = est.kind == "industrial"
    for b in range(1, blocks + 1):
        bld = Building(estate_id=est.id, code=str(b), name=(f"{b}号厂房" if industrial else f"{b}栋"),
                       floors=5 if industrial else 18)
        db.session.add(bld)
        db.session.flush()
        entrances = 1 if industrial else 2
        floors = range(1, 6) if industrial else range(1, 19)
        for e in range(1, entrances + 1):
            for f in floors:
                for r in (1, 2):
                    number = f"{b}-{f}0{r}" if industrial else f"{b}-{e}-{f}{r:02d}"
                    use = "plant" if industrial else ("shop" if f == 1 and r == 1 else "residence")
                    area = Decimal(rng.choice(["89.50", "102.30", "128.75", "143.20"])) if not industrial \
                        else Decimal(rng.choice(["850.00", "1200.00", "1560.40"]))
                    unit = Unit(estate_id=est.id, building_id=bld.id, number=number, floor=f,
                                area=area, use=use)
                    db.session.add(unit)
                    if rng.random() < 0.85:
                        db.session.flush()
                        _demo_resident(est, unit, rng, industrial)


def _demo_resident(est: Estate, unit: Unit, rng: random.Random, industrial: bool) -> None:
    if industrial:
        name = rng.choice(["深科", "华创", "联拓", "启航", "智造"]) + rng.choice(["电子", "科技", "精密", "物流"]) + "有限公司"
        res = Resident(estate_id=est.id, name=name, kind="business", phone=_phone(rng))
        role = "tenant"
    else:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < .5 else "")
        res = Resident(estate_id=est.id, name=name, kind="person", phone=_phone(rng),
                       id_number="44030" + "".join(rng.choice("0123456789") for _ in range(12)) + "X")
        role = "owner"
    db.session.add(res)
    db.session.flush()
    db.session.add(Occupancy(estate_id=est.id, unit_id=unit.id, resident_id=res.id, role=role,
                             start_date=date(rng.choice([2018, 2019, 2020, 2021, 2022, 2023]), rng.randint(1, 12), 1)))
