"""Who is calling: the caller of a desk form (a repair, a complaint…) chosen the same way everywhere.

A form that records what a resident reports has a unit number, a phone and a
``resident_id`` select (:func:`caller_field`). As the clerk types, the unit's residents
and the residents with that phone (with their units) are looked up — htmx asks
``GET /residents/caller`` (``core.views.residents.caller``), which renders the
``residents/_caller.html`` fragment — and the template lays the fields out with the
``caller_fields`` macro of ``macros/caller.html``::

    {% from "macros/caller.html" import caller_fields %}
    {{ caller_fields(form, lookup) }}

The view builds ``lookup`` with :func:`look_up` (for the first page and for a refused
form shown again) and, after validation, takes the caller's unit with
:func:`unit_of_caller` when a resident was chosen but no unit typed. Every lookup goes
through the user's estate scope: a unit or a phone of another estate finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from core.extensions import db
from core.forms import PHONE_RE, normalise_phone

#: The fewest digits a phone must have before it is looked up.
MIN_PHONE_DIGITS = 5
#: The most phone matches listed.
MAX_MATCHES = 10


def optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def caller_field(label=None) -> SelectField:
    """The ``resident_id`` select of a desk form (its choices come from :func:`look_up`)."""
    return SelectField(label or _l("Caller on file"), coerce=optional_int, validate_choice=False)


@dataclass
class CallerOption:
    resident_id: int
    label: str
    unit_number: str = ""


@dataclass
class CallerLookup:
    """What the caller block shows: the unit found, the residents to choose from (the
    unit's first, then those with the phone), the one chosen, and what was (not) found."""

    estate_id: int | None = None
    unit: object | None = None
    options: list[CallerOption] = field(default_factory=list)
    selected: int | None = None
    notes: list[str] = field(default_factory=list)


def _in_scope(estate_id) -> bool:
    from core.security import current_estate_ids

    return bool(estate_id) and estate_id in current_estate_ids()


def _phone_text(phone: str) -> str:
    from core.i18n import mask_phone
    from core.permissions import has_permission

    return phone if has_permission("core.residents.private") else mask_phone(phone)


def find_unit(estate_id, number: str):
    """The unit of this number in the estate, if the user may see it."""
    from core.models import Unit
    from core.security import scoped

    number = (number or "").strip()
    if not number or not _in_scope(estate_id):
        return None
    return db.session.scalar(scoped(Unit, estate_ids=[estate_id]).where(Unit.number == number))


def _current(occupancies):
    return [o for o in occupancies if o.end_date is None]


def look_up(estate_id, unit_number: str = "", phone: str = "", selected=None) -> CallerLookup:
    """The caller block for what was typed (see the module doc)."""
    from core.models import Occupancy, Resident
    from core.security import scoped
    from core.views.residents import ROLE_LABELS

    found = CallerLookup(estate_id=estate_id if _in_scope(estate_id) else None)
    selected = optional_int(selected)
    if found.estate_id is None:
        return found
    number = (unit_number or "").strip()
    unit = found.unit = find_unit(estate_id, number)
    seen = set()
    if unit is not None:
        people = db.session.scalars(select(Occupancy).where(Occupancy.unit_id == unit.id)
                                    .order_by(Occupancy.id)).all()
        for occ in _current(people):
            if occ.resident_id in seen:
                continue
            seen.add(occ.resident_id)
            bits = [occ.resident.name, str(ROLE_LABELS.get(occ.role, occ.role))]
            if occ.resident.phone:
                bits.append(_phone_text(occ.resident.phone))
            found.options.append(CallerOption(occ.resident_id, " · ".join(bits), unit.number))
        if not seen:
            found.notes.append(_("No resident of unit %(n)s is on file.", n=unit.number))
    elif number:
        found.notes.append(_("There is no unit %(n)s in this estate.", n=number))
    digits = normalise_phone(phone)
    matches = []
    if len(digits) >= MIN_PHONE_DIGITS and PHONE_RE.match(digits):
        matches = db.session.scalars(scoped(Resident, estate_ids=[estate_id])
                                     .where(Resident.phone == digits).order_by(Resident.name, Resident.id)
                                     .limit(MAX_MATCHES)).all()
        if not matches:
            found.notes.append(_("No resident of this estate has the phone %(p)s.", p=digits))
    for person in matches:
        homes = [o.unit for o in _current(person.occupancies) if o.unit.estate_id == estate_id]
        if person.id in seen:
            continue
        seen.add(person.id)
        units = ", ".join(u.number for u in homes)
        label = " · ".join(filter(None, [person.name, units or _("no unit on file"), _phone_text(person.phone)]))
        found.options.append(CallerOption(person.id, label, homes[0].number if len(homes) == 1 else ""))
    ids = [o.resident_id for o in found.options]
    if selected in ids:
        found.selected = selected
    elif len(matches) == 1 and matches[0].id in ids:
        found.selected = matches[0].id  # the phone found the caller: chosen at once
    return found


def choices(lookup: CallerLookup) -> list[tuple]:
    """The ``resident_id`` choices of the form for this lookup."""
    return [("", _("Caller not on file"))] + [(o.resident_id, o.label) for o in lookup.options]


def unit_of_caller(estate_id, resident_id):
    """The one unit of the estate the chosen resident lives in (their unit when no unit
    number was typed), or None when they live in none or in several."""
    from core.models import Resident
    from core.security import scoped

    if not resident_id or not _in_scope(estate_id):
        return None
    person = db.session.scalar(scoped(Resident, estate_ids=[estate_id]).where(Resident.id == resident_id))
    if person is None:
        return None
    homes = [o.unit for o in _current(person.occupancies) if o.unit.estate_id == estate_id]
    return homes[0] if len(homes) == 1 else None
