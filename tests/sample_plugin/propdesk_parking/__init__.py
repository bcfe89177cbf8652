"""Parking: spaces of an estate and their assignment to units (车位管理).

A third-party PropDesk plugin, the worked example of ``docs/writing-plugins.md``.
Every hook below *returns* something; the core decides whether to show it
(the plugin is enabled, the user holds the permission) and isolates failures.
Imports of models and views stay inside the hooks: the package is imported
at start-up, before the app is ready.
"""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget

STAFF = ("manager", "supervisor", "clerk", "frontdesk", "cashier")


@hookimpl
def permissions():
    return [
        Permission("parking.view", _l("See parking spaces and the attendant's alerts"), STAFF),
        Permission("parking.manage", _l("Add parking spaces and assign them to units"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from propdesk_parking.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from propdesk_parking.services import open_alerts_query

    return [NavItem(_l("Parking"), "parking.index", "operations", "parking.view", 50,
                    badge=open_alerts_query(estates) if estates else None, icon="p-square")]


@hookimpl
def dashboard_widgets(user, estates):
    from core.i18n import today_local
    from propdesk_parking.services import occupancy

    return [Widget("parking-occupancy", _l("Car park"), "parking/widget.html",
                   occupancy(estates, today_local()), "parking.view", sequence=70, width=4)]


@hookimpl
def unit_panels(unit, user):
    from core.i18n import today_local
    from propdesk_parking.forms import TENURE_LABELS
    from propdesk_parking.services import spaces_of_unit

    return [Panel("parking-unit", _l("Parking spaces"), "parking/panel.html",
                  {"assignments": spaces_of_unit(unit.id, today_local()), "tenures": TENURE_LABELS},
                  "parking.view", sequence=60)]


@hookimpl
def search(query, user, estates, limit):
    """A space number (B1-023) or a plate (粤B12345) finds the space."""
    from sqlalchemy import or_, select

    from core.extensions import db
    from core.permissions import has_permission
    from propdesk_parking.models import ParkingSpace, SpaceAssignment

    if not estates or not has_permission("parking.view", user):
        return []
    text = query.upper()
    rows = db.session.scalars(
        select(ParkingSpace).outerjoin(SpaceAssignment)
        .where(ParkingSpace.estate_id.in_(estates),
               or_(ParkingSpace.code.contains(text, autoescape=True),
                   SpaceAssignment.plate.contains(text, autoescape=True)))
        .distinct().order_by(ParkingSpace.code).limit(limit)
    ).all()
    return [SearchHit(_l("Parking space"), s.code, url_for("parking.space", space_id=s.id),
                      ", ".join(a.plate for a in s.assignments if a.plate), s.estate_id) for s in rows]


@hookimpl(optionalhook=True)
def notices_published(notice):
    """The notices plugin's event hook: optional, so parking loads without notices."""
    from propdesk_parking.services import alert_from_notice

    alert_from_notice(notice)


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from propdesk_parking.forms import ParkingSettingsForm

    return [SettingsSpec("parking", _l("Parking"), ParkingSettingsForm,
                         {"alert_categories": ["outage", "maintenance"]}, scope="estate")]


@hookimpl
def scheduled_jobs():
    from core.jobs import Job
    from propdesk_parking.services import close_stale_alerts

    return [Job("parking.close_stale_alerts", _l("Close attendant alerts left open for two weeks"),
                timedelta(days=1), close_stale_alerts)]


@hookimpl
def demo_data(estate, users):
    from datetime import date

    from sqlalchemy import select

    from core.demo import demo_text
    from core.extensions import db
    from core.models import Unit
    from propdesk_parking import services

    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id).limit(3)).all()
    for n, unit in enumerate(units, start=1):
        space = services.add_space(users["manager"], estate_id=estate.id, code=f"B1-{n:03d}",
                                   tenure="owned" if n == 1 else "rental")
        db.session.flush()
        services.assign(users["manager"], space, unit_number=unit.number, plate=demo_text(f"GD-B{n:05d}", f"粤B{n:05d}"),
                        starts_on=date.today(), ends_on=None)
