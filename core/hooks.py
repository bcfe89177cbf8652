"""The core's own implementations of its hooks: menu, search, panels, widgets, jobs."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from core import hookimpl
from core.extensions import db
from core.permissions import CORE_PERMISSIONS
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return CORE_PERMISSIONS


@hookimpl
def nav_items(user, estates):
    return [
        NavItem(_l("Units"), "estates.units", "estates", "core.estates.view", 10, icon="house-door"),
        NavItem(_l("Residents"), "residents.index", "estates", "core.residents.view", 20, icon="people"),
        NavItem(_l("Buildings"), "estates.buildings", "estates", "core.estates.view", 30, icon="building"),
        NavItem(_l("Estates"), "estates.index", "estates", "core.estates.view", 40, icon="map"),
        NavItem(_l("Staff"), "admin.users", "admin", "core.users.admin", 10, icon="person-badge"),
        NavItem(_l("Departments"), "admin.departments", "admin", "core.users.admin", 15, icon="diagram-3"),
        NavItem(_l("Roles"), "admin.roles", "admin", "core.roles.admin", 20, icon="shield-lock"),
        NavItem(_l("Modules"), "admin.plugins", "admin", "core.plugins.admin", 30, icon="puzzle"),
        NavItem(_l("Audit log"), "admin.audit", "admin", "core.audit.view", 40, icon="journal-text"),
    ] + ([NavItem(_l("Settings"), "settings.index", "admin", None, 50, icon="sliders")]
         if _has_settings() else [])


def _has_settings() -> bool:
    from core.permissions import has_permission
    from core.settings import specs

    return any(has_permission(s.permission) for s in specs())


def _like(text: str) -> str:
    from core.listing import like_pattern

    return like_pattern(text)


@hookimpl
def search(query, user, estates, limit):
    from core.models import Resident, Unit
    from core.permissions import has_permission

    hits: list[SearchHit] = []
    if not estates:
        return hits
    pattern = _like(query)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    digits = "".join(ch for ch in query if ch.isdigit())
    # SQLite's LIKE folds the case of ASCII letters only: for a query without one (a unit
    # number, a phone, a Chinese name) ``instr`` finds exactly the same rows, a fifth faster.
    plain = sqlite and not any("a" <= ch.lower() <= "z" for ch in query)

    def contains(column):
        return func.instr(column, query) > 0 if plain else column.like(pattern, escape="\\")

    if has_permission("core.estates.view", user):
        rows = db.session.execute(
            # Only columns of ``ix_core_unit_estate_number`` (and the row id): the scan of the
            # estates' unit numbers reads that index alone, not the table (half the time).
            select(Unit.id, Unit.number, Unit.estate_id)
            .where(Unit.estate_id.in_(estates), contains(Unit.number))
            .order_by(func.length(Unit.number), Unit.number)
            .limit(limit)
        ).all()
        hits += [
            SearchHit(_l("Unit"), r.number, url_for("estates.unit", unit_id=r.id), "", r.estate_id)
            for r in rows
        ]
    if has_permission("core.residents.view", user) and len(hits) < limit:
        conds = []
        # A query of three or more digits and no letter (``174-2-503``, ``138 1234``) is a phone
        # or a unit number, never part of a name: only phones are searched, by those digits.
        if len(digits) < 3 or any(ch.isalpha() for ch in query):
            conds.append(contains(Resident.name))
        if len(digits) >= 3:
            # Digits have no case and no wildcard: on SQLite ``instr`` finds them at a third
            # of the cost of ``LIKE … ESCAPE``; PostgreSQL keeps ``LIKE``, which its trigram
            # index answers (migration core_0004).
            conds.append(func.instr(Resident.phone, digits) > 0 if sqlite
                         else Resident.phone.like(_like(digits), escape="\\"))
        rows = db.session.execute(
            # Only columns of ``ix_core_resident_estate_name_phone``: the scan reads that index
            # alone. Ordered by an expression, not the bare column: with statistics (ANALYZE)
            # SQLite would otherwise walk the whole name index to spare the sort and read
            # every resident's row for its phone (~300 ms on 100,000 residents, not ~20).
            select(Resident.id, Resident.name, Resident.phone, Resident.estate_id)
            .where(Resident.estate_id.in_(estates), or_(*conds))
            .order_by(Resident.name.concat(""), Resident.id)
            .limit(limit - len(hits))
        ).all()
        from core.i18n import mask_phone

        units = resident_units([r.id for r in rows])
        hits += [
            SearchHit(_l("Resident"), r.name, url_for("residents.detail", resident_id=r.id),
                      " · ".join(filter(None, [", ".join(units.get(r.id, [])), mask_phone(r.phone)])),
                      r.estate_id)
            for r in rows
        ]
    return hits


def resident_units(resident_ids: list[int]) -> dict[int, list[str]]:
    """The numbers of the units each resident lives in or owns now (occupancies not ended),
    in one query: a search hit names them, so two people of the same name are told apart."""
    from core.i18n import today_local
    from core.models import Occupancy, Unit

    if not resident_ids:
        return {}
    today = today_local()
    rows = db.session.execute(
        select(Occupancy.resident_id, Unit.number).join(Unit, Unit.id == Occupancy.unit_id)
        .where(Occupancy.resident_id.in_(resident_ids),
               or_(Occupancy.start_date.is_(None), Occupancy.start_date <= today),
               or_(Occupancy.end_date.is_(None), Occupancy.end_date >= today))
        .order_by(Occupancy.resident_id, func.length(Unit.number), Unit.number)
    ).all()
    out: dict[int, list[str]] = {}
    for rid, number in rows:
        if number not in out.setdefault(rid, []):
            out[rid].append(number)
    return out


@hookimpl
def dashboard_widgets(user, estates):
    from core.models import Building, Resident, Unit

    if not estates:
        return []

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id.in_(estates)))

    from core.views.estates import USE_LABELS

    # One pass over the (estate_id, use) index gives both the total and the split.
    uses = db.session.execute(
        select(Unit.use, func.count()).where(Unit.estate_id.in_(estates)).group_by(Unit.use)
    ).all()
    by_use = {str(USE_LABELS.get(use, use)): n for use, n in uses}
    return [
        Widget(
            "core-estate-summary",
            _l("Estates at a glance"),
            "core/widgets/estate_summary.html",
            {"buildings": count(Building), "units": sum(n for _u, n in uses), "residents": count(Resident),
             "by_use": by_use},
            permission="core.estates.view",
            sequence=10,
            width=4,
        )
    ]


@hookimpl
def unit_panels(unit, user):
    from core.i18n import today_local

    return [
        Panel("core-occupancy", _l("Residents of this unit"), "core/panels/unit_occupancy.html",
              {"unit": unit, "today": today_local()}, permission="core.residents.view", sequence=10, side=True)
    ]


@hookimpl
def resident_panels(resident, user):
    return [
        Panel("core-resident-units", _l("Units"), "core/panels/resident_units.html",
              {"resident": resident}, permission="core.estates.view", sequence=10)
    ]


def purge_login_attempts():
    from core.models import LoginAttempt, utcnow

    cutoff = utcnow() - timedelta(days=7)
    res = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    return f"{res.rowcount} old failed logins removed"


def purge_once_keys():
    """Forget used one-time form keys once no form can bring them back (a form's key expires
    after ``ONCE_KEY_DAYS``; a day's margin)."""
    from core.forms import ONCE_KEY_DAYS
    from core.models import OnceKey, utcnow

    cutoff = utcnow() - timedelta(days=ONCE_KEY_DAYS + 1)
    res = db.session.execute(delete(OnceKey).where(OnceKey.at < cutoff))
    return f"{res.rowcount} used one-time form keys forgotten"


@hookimpl
def scheduled_jobs():
    from core.jobs import Job

    return [Job("core.purge_login_attempts", _l("Forget failed logins older than a week"),
                timedelta(days=1), purge_login_attempts),
            Job("core.purge_once_keys", _l("Forget the one-time keys of forms too old to be sent"),
                timedelta(days=1), purge_once_keys)]
