"""The daily close pages: the cashier's day and its handover form, the list of forms, the
printable form, confirmation by the finance cashier and reopening by a manager."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.actions import Once, record_action
from core.extensions import db
from core.i18n import fmt_date
from core.listing import Column, ListPage
from core.models import Estate, User
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.ui import NavItem
from plugins.fees import close as closing
from plugins.fees import desk, ledger
from plugins.fees.blueprint import bp
from plugins.fees.forms_desk import CloseFilter, CloseForm, ConfirmForm, ReasonForm
from plugins.fees.models import DailyClose

STATE_LABELS = {"submitted": _l("Awaiting confirmation"), "confirmed": _l("Confirmed"),
                "reopened": _l("Reopened")}


def nav_items(user, estates):
    return [
        NavItem(_l("Close my day"), "fees.close_day", "money", "fees.close", 30, icon="journal-check"),
        NavItem(_l("Daily handovers"), "fees.closes", "money", "fees.view", 35, icon="journal-text"),
    ]


def _estate():
    """The estate the cashier works in: the one in view (the switcher), else their only one."""
    ids = current_estate_ids()
    wanted = request.values.get("estate", type=int)
    if wanted in ids:
        return db.session.get(Estate, wanted)
    if not ids:
        abort(404)
    return db.session.get(Estate, ids[0])


def _day(estate):
    raw = request.values.get("day")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            abort(404)
    return ledger.business_date_of(estate)


def render_day(estate, day, status=200, form=None):
    form = form or CloseForm(formdata=None)
    people = closing.receivers(estate.id, current_user.id)
    form.handed_to.choices = [("", "—")] + [(u.id, u.full_name) for u in people]
    if form.handed_to.data is None and len(people) == 1:
        form.handed_to.data = people[0].id
    return render_template("fees/close/day.html", estate=estate, day=day, form=form,
                           f=closing.figures(estate.id, current_user.id, day),
                           closed=ledger.day_is_closed(estate.id, current_user.id, day),
                           estates=[db.session.get(Estate, i) for i in current_estate_ids()],
                           labels=desk), status


@bp.route("/close", methods=["GET", "POST"], endpoint="close_day")
@require("fees.close")
def close_day_page():
    estate = _estate()
    day = _day(estate)
    if request.method == "GET":
        return render_day(estate, day)
    form = CloseForm()
    form.handed_to.choices = [(u.id, u.full_name) for u in closing.receivers(estate.id, current_user.id)]
    made = {}

    def act():
        made["close"] = close = closing.close_day(current_user, estate, day, form.handed_to.data, form.note.data)
        return _("Handover form %(number)s submitted: %(day)s is closed.", number=close.number, day=fmt_date(day))

    # flash_unplaced: "closed already" comes back on a page that no longer shows the form.
    return record_action(form, act, redirect_to=lambda: _close_url(made["close"].id),
                         rerender=lambda f: render_day(db.session.get(Estate, estate.id), day, 422, f),
                         flash_unplaced=True, once=Once("fees_daily_close", lambda: made["close"].id, _close_url,
                                                        estate.id))


def _close_url(close_id: int) -> str:
    return url_for("fees.close_detail", close_id=close_id)


@bp.route("/closes")
@require("fees.view")
def closes():
    filters = CloseFilter(request.args)
    stmt = scoped(DailyClose, estate_ids=current_estate_ids())
    if not (has_permission("fees.confirm") or has_permission("fees.reopen")):
        stmt = stmt.where(DailyClose.cashier_id == current_user.id)
    if filters.state.data:
        stmt = stmt.where(DailyClose.state == filters.state.data)
    if filters.date_from.data:
        stmt = stmt.where(DailyClose.business_date >= filters.date_from.data)
    if filters.date_to.data:
        stmt = stmt.where(DailyClose.business_date <= filters.date_to.data)
    states = {k: str(v) for k, v in STATE_LABELS.items()}
    page = ListPage(stmt, [
        Column("number", _l("Handover form"), lambda c: c.number, DailyClose.number,
               link=lambda c: url_for("fees.close_detail", close_id=c.id)),
        Column("day", _l("Day"), lambda c: c.business_date, DailyClose.business_date, fmt="date"),
        Column("cashier", _l("Cashier"), lambda c: c.cashier.full_name, DailyClose.cashier_id),
        Column("count", _l("Receipts"), lambda c: c.receipt_count, DailyClose.receipt_count, css="text-end"),
        Column("total", _l("Amount received"), lambda c: c.total, DailyClose.total, css="text-end", fmt="money"),
        Column("cash", _l("Cash to hand over"), lambda c: c.cash_to_hand_over, css="text-end", fmt="money"),
        Column("large", _l("Large amounts"), lambda c: c.large_count or "", css="text-end"),
        Column("state", _l("State"), lambda c: states.get(c.state, c.state), DailyClose.state),
    ], "-day", _("Daily handovers"), "daily-handovers")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("fees/close/list.html", page=page, result=page.page(), filters=filters)


def _visible(close_id):
    close = get_scoped_or_404(DailyClose, close_id)
    if close.cashier_id != current_user.id and not (has_permission("fees.confirm") or has_permission("fees.reopen")):
        abort(404)
    return close


def _close_context(close):
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (close.cashier_id, close.handed_to_id, close.confirmed_by_id, close.reopened_by_id) if i])))}
    return dict(close=close, users=users, labels=desk, states=STATE_LABELS,
                estate=db.session.get(Estate, close.estate_id),
                f=closing.figures(close.estate_id, close.cashier_id, close.business_date))


def render_close(close, status=200, confirm_form=None, reopen_form=None):
    return render_template("fees/close/detail.html", confirm_form=confirm_form or ConfirmForm(formdata=None),
                           reopen_form=reopen_form or ReasonForm(formdata=None), **_close_context(close)), status


@bp.route("/closes/<int:close_id>")
@require("fees.view")
def close_detail(close_id):
    return render_close(_visible(close_id))


@bp.route("/closes/<int:close_id>/print")
@require("fees.view")
def close_print(close_id):
    return render_template("fees/close/print.html", **_close_context(_visible(close_id)))


@bp.route("/closes/<int:close_id>/confirm", methods=["POST"])
@require("fees.confirm")
def close_confirm(close_id):
    close = get_scoped_or_404(DailyClose, close_id)
    form = ConfirmForm()

    def act():
        closing.confirm(current_user, close, form.note.data)
        return _("Handover form %(number)s confirmed.", number=close.number)

    return record_action(form, act, field="note", redirect_to=_close_url(close_id),
                         rerender=lambda f: render_close(db.session.get(DailyClose, close_id), 422, confirm_form=f),
                         once=Once("fees_daily_close", close_id, _close_url, close.estate_id))


@bp.route("/closes/<int:close_id>/reopen", methods=["POST"])
@require("fees.reopen")
def close_reopen(close_id):
    close = get_scoped_or_404(DailyClose, close_id)
    form = ReasonForm()

    def act():
        closing.reopen(current_user, close, form.reason.data)
        return _("Handover form %(number)s reopened: the cashier closes the day again.", number=close.number)

    return record_action(form, act, field="reason", redirect_to=_close_url(close_id),
                         rerender=lambda f: render_close(db.session.get(DailyClose, close_id), 422, reopen_form=f),
                         once=Once("fees_daily_close", close_id, _close_url, close.estate_id))
