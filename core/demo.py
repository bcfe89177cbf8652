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
#: (code, English, Chinese): demo records are in one language, see ``demo_text``.
DEPARTMENTS = [
    ("cs", "Customer service", "客服部"), ("maint", "Maintenance", "维修部"), ("security", "Security", "秩序部"),
    ("cleaning", "Cleaning & greening", "保洁绿化部"), ("finance", "Finance", "财务部"),
]
USER_DEPT = {"technician": "maint", "cleaning": "cleaning", "cashier": "finance"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
#: The same names in pinyin, for the English demo ("Wang Wei", "Li Xiuying").
SURNAMES_EN = ("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo").split()
GIVEN_EN = ("Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Juan Tao Ming Chao Xiu Xia Ping Gang Gui "
            "Ying Hua Yu Lan").split()
FIRMS = [("Shenke", "深科"), ("Huachuang", "华创"), ("Liantuo", "联拓"), ("Qihang", "启航"), ("Zhizao", "智造")]
TRADES = [("Electronics", "电子"), ("Technology", "科技"), ("Precision", "精密"), ("Logistics", "物流")]
#: (code, English name, Chinese name, kind, blocks, English address, Chinese address)
ESTATES = [
    ("E01", "Sunshine Garden", "阳光花园", "residential", 4, "1 Shifan Road", "示范路 1 号"),
    ("P01", "Tech Park", "科技园", "industrial", 2, "88 Chuangxin Avenue", "创新大道 88 号"),
]


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


def demo_locale() -> str:
    """The language of the demo data: ``zh_CN`` when the site's default locale
    (``PROPDESK_DEFAULT_LOCALE``) is Chinese, else ``en``."""
    from flask import current_app

    locale = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    return "zh_CN" if locale.lower().startswith("zh") else "en"


def demo_text(en: str, zh: str) -> str:
    """The demo data's wording in the site's default language (``PROPDESK_DEFAULT_LOCALE``).

    Demo records are data, not interface text, so they are not translated by
    Babel: a plugin's ``demo_data`` passes both wordings and gets the one the
    site speaks (Chinese when the default locale is ``zh_CN``, English otherwise).
    """
    return zh if demo_locale() == "zh_CN" else en


def person_name(rng: random.Random, given: int = 1) -> str:
    """A random person's name in the demo's language: 王伟 / "Wang Wei" (``given`` characters
    of given name: 1 or 2). Draws the same numbers in both languages."""
    s = rng.randrange(len(SURNAMES))
    g = [rng.randrange(len(GIVEN)) for _ in range(given)]
    return demo_text(SURNAMES_EN[s] + " " + "".join(GIVEN_EN[i] for i in g).capitalize(),
                     SURNAMES[s] + "".join(GIVEN[i] for i in g))


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
        for code, en, zh in DEPARTMENTS:
            d = db.session.scalar(select(Department).where(Department.code == code))
            if d is None:
                d = Department(code=code, name=demo_text(en, zh))
                db.session.add(d)
            depts[code] = d
        company = db.session.scalar(select(Company)) or Company(
            name=demo_text("Demo Property Services Co., Ltd.", "示范物业服务有限公司"))
        db.session.add(company)
        db.session.flush()
        estates = []
        for code, name_en, name_zh, kind, blocks, address_en, address_zh in ESTATES:
            est = db.session.scalar(select(Estate).where(Estate.code == code))
            if est is None:
                est = Estate(company_id=company.id, code=code, name=demo_text(name_en, name_zh), kind=kind,
                             address=demo_text(address_en, address_zh),
                             phone="0755-8888000" + ("1" if code == "E01" else "2"))
                db.session.add(est)
                db.session.flush()
                _demo_units(est, blocks, rng)
            estates.append(est)
        users = {}
        for role_code in ROLES:
            u = db.session.scalar(select(User).where(User.username == role_code))
            if u is None:
                u = User(username=role_code, full_name=person_name(rng),
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
        bld = Building(estate_id=est.id, code=str(b), name=(demo_text(f"Plant {b}", f"{b}号厂房") if industrial
                                                    else demo_text(f"Block {b}", f"{b}栋")),
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
        (firm_en, firm_zh), (trade_en, trade_zh) = rng.choice(FIRMS), rng.choice(TRADES)
        name = demo_text(f"{firm_en} {trade_en} Co., Ltd.", f"{firm_zh}{trade_zh}有限公司")
        res = Resident(estate_id=est.id, name=name, kind="business", phone=_phone(rng))
        role = "tenant"
    else:
        name = person_name(rng, given=2 if rng.random() < .5 else 1)
        res = Resident(estate_id=est.id, name=name, kind="person", phone=_phone(rng),
                       id_number="44030" + "".join(rng.choice("0123456789") for _ in range(12)) + "X")
        role = "owner"
    db.session.add(res)
    db.session.flush()
    db.session.add(Occupancy(estate_id=est.id, unit_id=unit.id, resident_id=res.id, role=role,
                             start_date=date(rng.choice([2018, 2019, 2020, 2021, 2022, 2023]), rng.randint(1, 12), 1)))
