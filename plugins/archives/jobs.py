"""The scheduled job: an overdue file is reported once to the estate's archivists (who keep the
archive) and office managers (who approved it), in each one's language."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.i18n import fmt_datetime
from core.models import User, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.archives.models import ArchiveLoan
from plugins.archives.services import overdue_filter


def notify_overdue(now=None) -> str:
    now = now or utcnow()
    loans = db.session.scalars(select(ArchiveLoan).where(
        overdue_filter(now), ArchiveLoan.overdue_notified_at.is_(None)).order_by(ArchiveLoan.id)).all()
    staff: dict[int, list[User]] = {}
    for loan in loans:
        if loan.estate_id not in staff:
            staff[loan.estate_id] = (users_with_permission(loan.estate_id, "archives.manage")
                                     + users_with_permission(loan.estate_id, "archives.approve"))
        recipients = {u.id: u for u in staff[loan.estate_id]}

        def message(loan=loan):
            return (_("File %(number)s is overdue", number=loan.file.number),
                    _("%(name)s was to return file %(number)s by %(due)s.", name=loan.borrower_name,
                      number=loan.file.number,
                      due=fmt_datetime(loan.due_at, tz=loan.estate.timezone)))

        notify_each(recipients.values(), message, f"/archives/{loan.file_id}", loan.estate_id)
        loan.overdue_notified_at = now
    return f"{len(loans)} overdue files notified"
