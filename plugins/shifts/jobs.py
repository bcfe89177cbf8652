"""The scheduled job: each estate's monthly attendance report is prepared ``reminder_days`` before
its report day (and recomputed until the supervisor confirms it); the estate's approvers are told
once, when it is first prepared."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.models import Estate, utcnow
from core.notify import notify_each
from core.security import users_with_permission
from plugins.shifts.models import AttendanceReport, Roster
from plugins.shifts.services import estate_today, month_start, prepare_report, report_due, setting


def prepare_reports(now=None) -> str:
    now = now or utcnow()
    estate_ids = db.session.scalars(select(Roster.estate_id).distinct()).all()
    made = 0
    for estate in db.session.scalars(select(Estate).where(Estate.id.in_(estate_ids or [0])).order_by(Estate.id)):
        today = estate_today(estate, now)
        month = month_start(today)
        due = report_due(estate.id, month)
        if today < due - timedelta(days=setting(estate.id, "reminder_days")):
            continue
        report = db.session.scalar(select(AttendanceReport).where(AttendanceReport.estate_id == estate.id,
                                                                  AttendanceReport.month == month))
        if report is not None and report.state == "confirmed":
            continue
        first_time = report is None
        report = prepare_report(estate, month)
        if first_time:
            made += 1

            def message(month=month, due=due, estate=estate):
                return (_("Attendance report %(month)s ready to confirm", month=month.strftime("%Y-%m")),
                        _("Check and confirm the attendance report of %(estate)s by %(day)s.",
                          estate=estate.name, day=due.isoformat()))

            notify_each(users_with_permission(estate.id, "shifts.approve"), message,
                        f"/shifts/reports/{report.id}", estate.id)
    return f"{made} attendance reports prepared"
