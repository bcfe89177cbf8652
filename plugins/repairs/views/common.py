"""Helpers shared by the repairs pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import render_template
from flask_login import current_user

from core.attachments import attachments_of
from core.extensions import db
from core.i18n import estate_timezone
from core.models import Estate, User
from plugins.repairs import labels, services
from plugins.repairs.forms import (
    AcceptForm,
    CloseForm,
    CompleteForm,
    DispatchForm,
    PhotoForm,
    ReasonForm,
)


def local_to_utc(value: datetime | None, estate_id: int | None) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    estate = db.session.get(Estate, estate_id) if estate_id else None
    tz = estate.timezone if estate is not None else estate_timezone()
    return value.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(estate_timezone())).astimezone(UTC)


def technician_choices(estate_ids) -> list[tuple]:
    """Technicians of one estate (an id) or of several (a list), in one query."""
    stmt = services.technicians_query(estate_ids).with_only_columns(User.id, User.full_name)
    return [(tid, name) for tid, name in db.session.execute(stmt)]


def render_detail(repair, status: int = 200, **forms):
    """The repair page with the action forms this user may use (a failed one keeps its errors)."""
    dispatch_form = forms.get("dispatch_form") or DispatchForm()
    dispatch_form.technician_id.choices = [("", "—")] + technician_choices(repair.estate_id)
    complete_form = forms.get("complete_form") or CompleteForm()
    is_technician = (repair.current_order is not None
                     and repair.current_order.technician_id == current_user.id)
    page = render_template(
        "repairs/detail.html", repair=repair, labels=labels, photos=attachments_of(repair),
        dispatch_form=dispatch_form, complete_form=complete_form,
        accept_form=forms.get("accept_form") or AcceptForm(),
        cancel_form=forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        reopen_form=forms.get("reopen_form") or ReasonForm(prefix="reopen"),
        close_form=forms.get("close_form") or CloseForm(),
        photo_form=forms.get("photo_form") or PhotoForm(),
        is_technician=is_technician, overdue=repair.is_overdue(),
    )
    return page, status
