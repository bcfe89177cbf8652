"""The scheduled job: an overdue key loan is reported once to the keeper who lent it and to the
estate's supervisors (those who may approve key matters)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.i18n import fmt_datetime
from core.models import User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.keys.models import KeyLoan
from plugins.keys.services import overdue_filter


def notify_overdue(now=None) -> str:
    now = now or utcnow()
    loans = db.session.scalars(select(KeyLoan).where(
        overdue_filter(now), KeyLoan.overdue_notified_at.is_(None)).order_by(KeyLoan.id)).all()
    supervisors: dict[int, list[User]] = {}
    for loan in loans:
        if loan.estate_id not in supervisors:
            supervisors[loan.estate_id] = users_with_permission(loan.estate_id, "keys.approve")
        recipients = {u.id: u for u in supervisors[loan.estate_id]}
        if loan.lent_by is not None and loan.lent_by.active:
            recipients[loan.lent_by.id] = loan.lent_by

        def message(loan=loan):
            return (_("Key %(tag)s is overdue", tag=loan.key.tag),
                    _("%(name)s was to return key %(tag)s by %(due)s.", name=loan.borrower_name, tag=loan.key.tag,
                      due=fmt_datetime(loan.expected_return, tz=loan.estate.timezone)))

        notify_each(recipients.values(), message, f"/keys/{loan.key_id}", loan.estate_id)
        loan.overdue_notified_at = now
    return f"{len(loans)} overdue key loans notified"
