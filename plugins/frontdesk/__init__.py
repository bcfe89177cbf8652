"""The front desk (前台): goods-out passes (applied, approved, printed, used once at the gate —
a unique index keeps it so), enquiries and calls (forwarded to repairs or complaints through
their services when enabled), mail and parcels, visitors, dog licences, vehicle passes,
certificates and the daily work log. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("frontdesk.view", _l("See the front desk's registers (passes, calls, parcels, visitors…)"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("frontdesk.record", _l("Record at the front desk: applications, calls, parcels, visitors, "
                                          "licences, vehicle passes, certificates, the work log"),
                   ("supervisor", "clerk", "frontdesk")),
        Permission("frontdesk.approve", _l("Approve or refuse goods-out passes"), ("manager", "supervisor")),
        Permission("frontdesk.gate", _l("Mark goods-out passes used at the gate"), ("supervisor", "frontdesk")),
    ]


@hookimpl
def blueprints():
    from plugins.frontdesk.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.frontdesk.forms import SettingsForm
    from plugins.frontdesk.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Front desk"), SettingsForm, dict(DEFAULTS), scope="estate",
                         permission="frontdesk.approve")]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.frontdesk.services import pending_passes_query

    badge = pending_passes_query(estates) if has_permission("frontdesk.approve", user) else None
    return [
        NavItem(_l("Front desk"), "frontdesk.index", "operations", "frontdesk.view", 80, icon="person-workspace"),
        NavItem(_l("Goods-out passes"), "frontdesk.passes", "operations", "frontdesk.view", 81, badge=badge,
                icon="box-arrow-right"),
        NavItem(_l("Mail and parcels"), "frontdesk.parcels", "operations", "frontdesk.view", 82, icon="box-seam"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.frontdesk.models import GoodsPass, Parcel
    from plugins.frontdesk.services import pending_passes_query, waiting_filter

    ids = estates or [0]
    waiting = db.session.scalar(select(func.count()).select_from(Parcel).where(Parcel.estate_id.in_(ids),
                                                                               waiting_filter()))
    flagged = db.session.scalar(select(func.count()).select_from(Parcel).where(
        Parcel.estate_id.in_(ids), waiting_filter(), Parcel.flagged_at.is_not(None)))
    pending = db.session.scalar(pending_passes_query(ids))
    to_approve = db.session.scalars(select(GoodsPass).where(GoodsPass.estate_id.in_(ids), GoodsPass.state == "applied")
                                    .order_by(GoodsPass.applied_at).limit(5)).all()
    return [
        Widget("frontdesk-parcels", _l("Parcels waiting"), "frontdesk/widget_parcels.html",
               {"waiting": waiting, "flagged": flagged}, "frontdesk.view", sequence=70, width=4),
        Widget("frontdesk-passes", _l("Passes to approve"), "frontdesk/widget_passes.html",
               {"pending": pending, "rows": to_approve}, "frontdesk.view", sequence=71, width=4),
    ]


def _panel_context(unit_ids):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.frontdesk.models import DogLicence, Parcel, VehiclePass

    return {
        "licences": db.session.scalars(select(DogLicence).where(DogLicence.unit_id.in_(unit_ids))
                                       .order_by(DogLicence.valid_until.desc()).limit(10)).all(),
        "vehicles": db.session.scalars(select(VehiclePass).where(VehiclePass.unit_id.in_(unit_ids),
                                                                 VehiclePass.returned_on.is_(None))
                                       .order_by(VehiclePass.issued_on.desc()).limit(10)).all(),
        "parcels": db.session.scalars(select(Parcel).where(Parcel.unit_id.in_(unit_ids), Parcel.collected_at.is_(None))
                                      .order_by(Parcel.received_at).limit(10)).all(),
    }


@hookimpl
def unit_panels(unit, user):
    ctx = _panel_context([unit.id])
    ctx["unit_id"] = unit.id
    return [Panel("frontdesk-unit", _l("Front desk"), "frontdesk/panel.html", ctx, "frontdesk.view", sequence=70)]


@hookimpl
def resident_panels(resident, user):
    from core.security import user_estate_ids

    ids = [o.unit_id for o in resident.occupancies if o.end_date is None and o.unit.estate_id in user_estate_ids(user)]
    if not ids:
        return []
    ctx = _panel_context(ids)
    ctx["unit_id"] = None
    return [Panel("frontdesk-resident", _l("Front desk"), "frontdesk/panel.html", ctx, "frontdesk.view", sequence=70)]


@hookimpl
def search(query, user, estates, limit):
    """Pass, parcel and vehicle-pass numbers, a parcel's tracking number, a plate: exact
    matches on indexed columns. A number is looked up only when the query has that record's
    prefix (``FX-``, ``KD-``, ``CZ-``, as ``next_number`` writes them), and rows are read as
    plain columns (with the unit's number), not as records with their four joined relations:
    the search page calls every plugin on every query, so this costs well under a millisecond."""
    from flask import url_for
    from sqlalchemy import and_, false, or_, select

    from core.extensions import db
    from core.models import Unit
    from core.permissions import has_permission
    from plugins.frontdesk.models import GoodsPass, Parcel, VehiclePass

    text = query.strip()
    if not estates or not text or not has_permission("frontdesk.view", user):
        return []
    upper = text.upper()
    plate = upper.replace(" ", "")

    def number_is(column, prefix):
        return column == upper if upper.startswith(prefix + "-") else false()

    hits = []
    rows = db.session.execute(
        select(GoodsPass.id, GoodsPass.number, GoodsPass.applicant_name, GoodsPass.vehicle_plate,
               GoodsPass.estate_id, Unit.number.label("unit"))
        .join(Unit, Unit.id == GoodsPass.unit_id)
        .where(GoodsPass.estate_id.in_(estates),
               or_(number_is(GoodsPass.number, "FX"),
                   and_(GoodsPass.vehicle_plate == plate, GoodsPass.number.is_not(None))))
        .order_by(GoodsPass.id).limit(limit)).all()
    by_number = [r for r in rows if r.number == upper]
    by_plate = [r for r in rows if r.number != upper]
    hits += [SearchHit(_l("Goods-out pass"), p.number, url_for("frontdesk.pass_detail", pass_id=p.id),
                       f"{p.unit} · {p.applicant_name}", p.estate_id) for p in by_number]
    rows = db.session.execute(
        select(Parcel.id, Parcel.number, Parcel.recipient_name, Parcel.estate_id, Unit.number.label("unit"))
        .join(Unit, Unit.id == Parcel.unit_id)
        .where(Parcel.estate_id.in_(estates), or_(number_is(Parcel.number, "KD"), Parcel.tracking_number == text))
        .order_by(Parcel.id).limit(limit)).all()
    hits += [SearchHit(_l("Parcel"), p.number, url_for("frontdesk.parcel_detail", parcel_id=p.id),
                       f"{p.unit} · {p.recipient_name}", p.estate_id) for p in rows]
    rows = db.session.execute(
        select(VehiclePass.plate, VehiclePass.number, VehiclePass.holder_name, VehiclePass.estate_id,
               Unit.number.label("unit"))
        .join(Unit, Unit.id == VehiclePass.unit_id)
        .where(VehiclePass.estate_id.in_(estates),
               or_(VehiclePass.plate == plate, number_is(VehiclePass.number, "CZ")))
        .order_by(VehiclePass.issued_on.desc()).limit(limit)).all()
    hits += [SearchHit(_l("Vehicle pass"), f"{v.plate} {v.number}",
                     url_for("frontdesk.vehicles", q=v.plate, scope="all"),
                     f"{v.unit} · {v.holder_name}", v.estate_id) for v in rows]
    hits += [SearchHit(_l("Goods-out pass"), p.number, url_for("frontdesk.pass_detail", pass_id=p.id),
                       f"{p.vehicle_plate} · {p.unit}", p.estate_id) for p in by_plate]
    return hits[:limit]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.frontdesk.jobs import flag_parcels, remind_licences

    return [Job("frontdesk.flag_parcels", _l("Flag parcels not collected in time and tell the desk"),
                timedelta(hours=1), flag_parcels),
            Job("frontdesk.remind_licences", _l("Remind the desk of dog licences about to expire"),
                timedelta(hours=12), remind_licences)]


@hookimpl
def demo_data(estate, users):
    from plugins.frontdesk.demo import load

    load(estate, users)
