"""Outsourced service providers (外包方): the vendor register, contracts per estate with expiry
warnings, inspections scored on a sheet per service kind, rectification notices (response,
re-check), monthly evaluations with their trend. An estate sees only its own contracts and
scores. Other plugins raise rectifications through
:func:`plugins.vendors.services.raise_rectification`. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("vendors.view", _l("See vendors, their contracts, inspections and scores (own estates)"),
                   ("manager", "supervisor", "clerk", "cleaning")),
        Permission("vendors.inspect", _l("Inspect vendors' work, issue rectification notices, record responses "
                                         "and re-checks"),
                   ("manager", "supervisor", "clerk", "cleaning")),
        Permission("vendors.manage", _l("Register vendors, their contracts and the scoring sheets"),
                   ("manager", "supervisor")),
        Permission("vendors.evaluate", _l("Evaluate vendors monthly and confirm the evaluations"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.vendors.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.vendors.forms import SettingsForm
    from plugins.vendors.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Vendors"), SettingsForm, dict(DEFAULTS), scope="estate",
                         permission="vendors.manage")]


def _today():
    from core.i18n import today_local

    return today_local()


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.vendors.services import overdue_count_query

    badge = overdue_count_query(estates, _today()) if has_permission("vendors.view", user) else None
    return [
        NavItem(_l("Vendors"), "vendors.index", "operations", "vendors.view", 70, icon="building-gear"),
        NavItem(_l("Rectification notices"), "vendors.rectifications", "operations", "vendors.view", 71,
                badge=badge, icon="exclamation-diamond"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.vendors.models import Contract, Rectification
    from plugins.vendors.services import expiring_filter, expiry_days, latest_scores, overdue_filter

    today = _today()
    ids = estates or [0]
    days = expiry_days(ids[0] if len(ids) == 1 else None)
    expiring = db.session.scalars(select(Contract).where(Contract.estate_id.in_(ids), expiring_filter(today, days))
                                  .order_by(Contract.end_on).limit(5)).all()
    overdue = db.session.scalar(select(func.count()).select_from(Rectification).where(
        Rectification.estate_id.in_(ids), overdue_filter(today)))
    return [Widget("vendor-scores", _l("Vendor scores"), "vendors/widget.html",
                   {"scores": latest_scores(ids), "expiring": expiring, "overdue": overdue},
                   "vendors.view", sequence=70, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.extensions import db
    from core.permissions import has_permission
    from plugins.vendors.models import Contract, Vendor

    if not estates or not has_permission("vendors.view", user):
        return []
    rows = db.session.execute(
        select(Vendor.id, Vendor.name, Contract.number, Contract.estate_id)
        .join(Contract, Contract.vendor_id == Vendor.id)
        .where(Contract.estate_id.in_(estates),
               or_(Vendor.name.contains(query, autoescape=True), Contract.number == query))
        .order_by(Vendor.name, Contract.number).limit(limit)).all()
    return [SearchHit(_l("Vendor"), r.name, url_for("vendors.vendor", vendor_id=r.id), r.number, r.estate_id)
            for r in rows]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.vendors.jobs import notify_expiring, notify_overdue

    return [Job("vendors.notify_expiring", _l("Warn managers of vendor contracts about to expire"),
                timedelta(hours=6), notify_expiring),
            Job("vendors.notify_overdue", _l("Warn about overdue rectification notices to vendors"),
                timedelta(hours=1), notify_overdue)]


@hookimpl
def demo_data(estate, users):
    from plugins.vendors.demo import load

    load(estate, users)
