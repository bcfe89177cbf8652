"""Demo move-ins: a handover campaign under way — units handed over over the past weeks, cases
open with part of the checklist ticked, an acceptance inspection with a defect (a repair order
when repairs is enabled), keys handed over through the keys plugin when it is enabled, and one
move-out open. Everything goes through the services; only the dates are set back afterwards so
the campaign spreads over the weeks. An estate where no clerk or front desk works gets nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.errors import DomainError
from core.extensions import db
from core.models import Occupancy, Unit, utcnow
from core.plugins import is_enabled
from core.security import user_estate_ids
from plugins.movein import services
from plugins.movein.models import MoveinCase

OWNERS = [(("Chen Jianhua", "陈建华"), "13811110001"), (("Liu Fang", "刘芳"), "13811110002"),
          (("Zhang Ming", "张明"), "13811110003"), (("Wang Li", "王丽"), "13811110004"),
          (("Zhao Qiang", "赵强"), "13811110005"), (("Sun Yan", "孙燕"), "13811110006")]


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _tick_all(user, case) -> None:
    for item in case.items:
        if item.done_at is not None:
            continue
        try:
            with db.session.begin_nested():
                if item.code == "keys" and is_enabled("keys"):
                    services.hand_over_keys(user, case, note=demo_text("Handed over after the inspection",
                                                                                "验房后当场交付"))
                else:
                    note = demo_text("Done as required", "按规定办理") if item.code != "keys" else demo_text(
                        "3 front door keys, 2 mailbox keys", "防盗门钥匙3把、信箱钥匙2把")
                    services.tick(user, case, item, note)
        except DomainError:
            continue  # e.g. fees still owed, or no key on the board: the case stays open


def _meter(user, case, element: str, reading: str) -> None:
    """A meter line; when fees refuses the figure (its demo meters are read this month already),
    the reading stays on the form only."""
    try:
        with db.session.begin_nested():
            services.add_check(user, case, room="whole", element=element, ok=True, reading=reading)
    except DomainError:
        services.add_check(user, case, room="whole", element=element, ok=True, reading=reading, to_fees=False)


def _ready(unit) -> bool:
    if is_enabled("fees"):
        from plugins.fees import ledger

        if ledger.balance(unit.id) > 0:
            return False
    if is_enabled("keys"):
        from plugins.keys import services as keys

        return bool(keys.keys_on_board(unit.id))
    return True


def load(estate, users) -> None:
    if db.session.scalar(select(MoveinCase.id).where(MoveinCase.estate_id == estate.id).limit(1)):
        return
    handler = next((users.get(r) for r in ("clerk", "frontdesk") if _member(users.get(r), estate)), None)
    if handler is None:
        return
    occupied = select(Occupancy.unit_id).where(Occupancy.estate_id == estate.id)
    lived_in = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id, Unit.id.in_(occupied))
                                  .order_by(Unit.sort_key.desc()).limit(1)).all()
    # Units nobody has moved into first (the developer's handover); a small estate uses its others.
    empty = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id, Unit.id.not_in(occupied))
                               .order_by(Unit.sort_key).limit(len(OWNERS))).all()
    if len(empty) < len(OWNERS):
        empty += db.session.scalars(select(Unit).where(
            Unit.estate_id == estate.id, Unit.id.in_(occupied), Unit.id.not_in([u.id for u in lived_in] or [0]))
            .order_by(Unit.sort_key).limit(len(OWNERS) - len(empty))).all()
    # Handed over first: the units that owe nothing (fees) and whose keys are on the board (keys).
    empty.sort(key=lambda u: not _ready(u))
    now = utcnow()
    with acting_as(handler):
        cases = []
        for n, unit in enumerate(empty):
            name, phone = OWNERS[n]
            case = services.open_case(handler, estate_id=estate.id, unit_number=unit.number, kind="in",
                                      owner_name=demo_text(*name), owner_phone=phone, owner_id_number="")
            services.add_check(handler, case, room="living", element="walls", ok=True)
            _meter(handler, case, "water_meter", "0.00")
            _meter(handler, case, "electricity_meter", "12.50")
            if n % 3 == 1:
                services.add_check(handler, case, room="bathroom", element="plumbing", ok=False,
                                   defect=demo_text("Bathroom floor drain backs up: to be cleared",
                                                  "卫生间地漏返水，需疏通"))
            cases.append(case)
        # The first half handed over in the past weeks; the rest under way, part of the list ticked.
        for n, case in enumerate(cases):
            if n < len(cases) // 2 + 1:
                _tick_all(handler, case)
                try:
                    with db.session.begin_nested():
                        services.complete(handler, case)
                except DomainError:
                    pass
            else:
                first = case.items[0]
                services.tick(handler, case, first, demo_text("ID card and purchase contract originals checked",
                                                             "身份证、购房合同原件已核对"))
            case.opened_at = now - timedelta(days=7 * (len(cases) - n) + 2)
            if case.completed_at is not None:
                case.completed_at = now - timedelta(days=7 * (len(cases) - n))
        for unit in lived_in:
            occ = unit.occupancies[0] if unit.occupancies else None
            owner = occ.resident if occ else None
            services.open_case(handler, estate_id=estate.id, unit_number=unit.number, kind="out",
                               owner_name=owner.name if owner else demo_text("Mr Zhou", "周业主"),
                               owner_phone=(owner.phone if owner and owner.phone else "13811110009"),
                               note=demo_text("Flat sold: moving out", "出售房屋，办理迁出"))
    db.session.flush()
