"""Scheduled jobs: contracts about to expire and overdue rectification notices, each reported
once (per contract end, per deadline) to the estate's people who manage vendors."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.notify import notify_each
from core.security import users_with_permission
from plugins.vendors.models import Contract, Rectification
from plugins.vendors.services import estate_today, expiry_days


def notify_expiring(now=None) -> str:
    contracts = db.session.scalars(select(Contract).where(Contract.expiry_notified_on.is_(None))
                                   .order_by(Contract.id)).all()
    done = 0
    for c in contracts:
        today = estate_today(c.estate)
        if not (today <= c.end_on <= today + timedelta(days=expiry_days(c.estate_id))):
            continue

        def message(c=c):
            return (_("Contract %(number)s ends on %(day)s", number=c.number, day=c.end_on.isoformat()),
                    _("The contract with %(vendor)s ends on %(day)s: renew it or find another vendor.",
                      vendor=c.vendor.name, day=c.end_on.isoformat()))

        notify_each(users_with_permission(c.estate_id, "vendors.manage"), message,
                    f"/vendors/contracts/{c.id}", c.estate_id)
        c.expiry_notified_on = today
        done += 1
    return f"{done} expiring vendor contracts notified"


def notify_overdue(now=None) -> str:
    rows = db.session.scalars(select(Rectification).where(
        Rectification.state == "open", Rectification.overdue_notified_on.is_(None)).order_by(Rectification.id)).all()
    done = 0
    for r in rows:
        today = estate_today(r.estate)
        if r.deadline >= today:
            continue
        recipients = {u.id: u for u in users_with_permission(r.estate_id, "vendors.inspect")}
        if r.issued_by is not None and r.issued_by.active:
            recipients[r.issued_by.id] = r.issued_by

        def message(r=r):
            return (_("Rectification %(number)s is overdue", number=r.number),
                    _("%(vendor)s was to rectify \"%(title)s\" by %(day)s.", vendor=r.contract.vendor.name,
                      title=r.title, day=r.deadline.isoformat()))

        notify_each(recipients.values(), message, f"/vendors/rectifications/{r.id}", r.estate_id)
        r.overdue_notified_on = today
        done += 1
    return f"{done} overdue rectification notices notified"
