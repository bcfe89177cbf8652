"""Scheduled jobs: parcels not collected after the estate's N days are flagged and the desk told
once; dog licences about to expire are reported once to the desk (who calls the owner)."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import ngettext

from core.extensions import db
from core.models import utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.frontdesk import services


def flag_parcels(now=None) -> str:
    now = now or utcnow()
    flagged = services.flag_uncollected(now)
    by_estate = defaultdict(list)
    for row in flagged:
        by_estate[row.estate_id].append(row)
    for estate_id, rows in by_estate.items():
        numbers = ", ".join(r.number for r in rows[:10])

        def message(rows=rows, numbers=numbers):
            return (ngettext("%(num)d parcel not collected", "%(num)d parcels not collected", len(rows)),
                    _("Not collected after %(days)d days: %(numbers)s. Call the residents again.",
                      days=services.parcel_days(rows[0].estate_id), numbers=numbers))

        notify_each(users_with_permission(estate_id, "frontdesk.record"), message, "/frontdesk/parcels?scope=overdue",
                    estate_id)
    db.session.flush()
    return f"{len(flagged)} parcels flagged"


def remind_licences(now=None) -> str:
    from core.models import Estate

    now = now or utcnow()
    estate_ids = [e.id for e in db.session.query(Estate).all()]
    rows = services.licences_expiring(estate_ids)
    for row in rows:
        def message(row=row):
            return (_("Dog licence %(number)s expires on %(day)s", number=row.licence_number,
                      day=row.valid_until.isoformat()),
                    _("%(owner)s, unit %(unit)s: remind the owner to renew the licence and the vaccination.",
                      owner=row.owner_name, unit=row.unit.number))

        notify_each(users_with_permission(row.estate_id, "frontdesk.record"), message,
                    f"/frontdesk/licences?q={row.licence_number}", row.estate_id)
        row.reminded_at = now
    db.session.flush()
    return f"{len(rows)} dog licence reminders"
