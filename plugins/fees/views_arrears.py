"""Arrears pages (催缴): the aged list (screen, A4, XLSX), reminder notices printed singly or
in batches, and each unit's reminder log with calls, visits and messages.

Every page needs ``fees.arrears``; units and reminders are read through the estate scope
(another estate's unit or batch is a 404). Printing notices is a POST (it records the
reminders); the printed batch can be opened again from the unit's log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.errors import DomainError
from core.extensions import db
from core.forms import Form, options
from core.i18n import today_local
from core.listing import FilterForm, export_format
from core.models import Building, Estate, Unit, User
from core.permissions import has_permission, require
from core.redirects import safe_next
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.ui import NavItem
from core.views.estates import estate_choices
from plugins.fees import arrears
from plugins.fees.blueprint import bp

PER_PAGE = 100
PRINT_MAX = 5000


def nav_items(user, estates):
    return [NavItem(_l("Arrears"), "fees.arrears", "money", "fees.arrears", 40, icon="exclamation-triangle")]


class ArrearsFilter(FilterForm):
    estate = SelectField(_l("Estate"), validate_choice=False)
    building = SelectField(_l("Building"), validate_choice=False)
    as_of = DateField(_l("As of"), validators=[Optional()])
    age = SelectField(_l("Oldest bill overdue by"), validate_choice=False)
    amounts = SelectField(_l("Amounts"), choices=options([("now", _l("Owed now")),
                                                  ("then", _l("As the books stood that day"))]),
                          validate_choice=False)


class NoticeForm(Form):
    pay_by = DateField(_l("Pay by"), validators=[DataRequired(message=_l("Enter the date to pay by."))])


class ReminderForm(Form):
    method = SelectField(_l("How"), choices=options([(m, arrears.REMINDER_LABELS[m]) for m in arrears.LOGGED_METHODS]))
    sent_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired(message=_l("Enter when the owner was reminded."))])
    note = TextAreaField(_l("What was said or sent"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2})
    response = TextAreaField(_l("The owner's response"), validators=[Optional(), Length(max=500)],
                             render_kw={"rows": 2})


# --- the list -------------------------------------------------------------------------------

def _int(raw) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _filters():
    """The filter form and what it selects: estates, building, as-of date, minimum age."""
    filters = ArrearsFilter(request.args)
    mine = current_estate_ids()
    filters.estate.choices = [("", _("All my estates"))] + [(str(k), v) for k, v in estate_choices()
                                                           if k in mine]
    estates = mine
    chosen = _int(request.args.get("estate"))
    if chosen:
        if chosen not in mine:
            abort(404)
        estates = [chosen]
    buildings = db.session.execute(
        select(Building.id, Building.name, Estate.code).join(Estate, Estate.id == Building.estate_id)
        .where(Building.estate_id.in_(estates or [0])).order_by(Estate.code, Building.code)).all()
    filters.building.choices = [("", _("All buildings"))] + [(str(b), f"{c} {n}") for b, n, c in buildings]
    building = _int(request.args.get("building"))
    if building and building not in {b for b, _n, _c in buildings}:
        abort(404)
    filters.age.choices = [("0", _("Any time"))] + [(str(b), arrears.BUCKET_LABELS[b]) for b in arrears.BUCKETS[1:]]
    age = _int(request.args.get("age")) or 0
    if age not in arrears.BUCKETS:
        age = 0
    as_of = filters.as_of.data if filters.as_of.data and not filters.as_of.errors else today_local()
    filters.as_of.data = as_of
    history = request.args.get("amounts") == "then"
    filters.amounts.data = "then" if history else "now"
    return filters, {"estate_ids": estates, "as_of": as_of, "building_id": building, "min_age": age,
                     "history": history}


@bp.route("/arrears", endpoint="arrears")
@require("fees.arrears")
def arrears_list():
    filters, sel = _filters()
    if export_format(("xlsx",)) == "xlsx":
        return _export(sel)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    summary = arrears.summary(**sel)
    total = summary.units
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = arrears.arrears_rows(**sel, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    form = NoticeForm(formdata=None, pay_by=today_local() + timedelta(days=15))
    args = request.args.to_dict()
    args.pop("page", None)
    args.pop("tick", None)  # the links set their own (a second 'tick' keyword was a 500)
    return render_template("fees/arrears/index.html", filters=filters, sel=sel, rows=rows, total=total,
                           page=page, pages=pages, summary=summary, form=form, args=args,
                           labels=arrears.BUCKET_LABELS, buckets=arrears.BUCKETS,
                           reminder_labels=arrears.REMINDER_LABELS)


@bp.route("/arrears/print")
@require("fees.arrears")
def arrears_print():
    _filters_form, sel = _filters()
    rows = arrears.arrears_rows(**sel, limit=PRINT_MAX)
    return render_template("fees/arrears/print_list.html", sel=sel, rows=rows, summary=arrears.summary(**sel),
                           labels=arrears.BUCKET_LABELS, buckets=arrears.BUCKETS,
                           reminder_labels=arrears.REMINDER_LABELS, estate=_one_estate(sel["estate_ids"]))


def _one_estate(ids):
    return db.session.get(Estate, ids[0]) if len(ids) == 1 else None


def _export(sel) -> Response:
    if not has_permission("core.export"):
        abort(403)
    from plugins.fees.reports import arrears_xlsx

    rows = arrears.arrears_rows(**sel, limit=200_000)
    data = arrears_xlsx(rows, arrears.summary(**sel), sel["as_of"])
    name = f"arrears-{sel['as_of'].isoformat()}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- notices --------------------------------------------------------------------------------

@bp.route("/arrears/notices", methods=["POST"])
@require("fees.arrears")
def arrears_notices():
    """Print reminder notices for the units ticked (or the one unit of a log page)."""
    form = NoticeForm()
    ids = [i for i in (_int(v) for v in request.form.getlist("unit")) if i]
    units = db.session.scalars(scoped(Unit, estate_ids=current_estate_ids()).where(Unit.id.in_(ids or [0]))).all()
    if len(units) != len(set(ids)):
        abort(404)
    back = safe_next(request.form.get("back"), url_for("fees.arrears"))  # only a page of this site
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "danger")
        return redirect(back)
    try:
        made = arrears.print_notices(current_user, units, today_local(), form.pay_by.data, today_local())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    batches = sorted({r.batch for r in made})
    flash(_("%(n)s reminder notices recorded in batch %(batch)s.", n=len(made), batch=", ".join(batches)),
          "success")
    return redirect(url_for("fees.arrears_batch", batch=batches[0], more=batches[1:]))


@bp.route("/arrears/batches/<batch>")
@require("fees.arrears")
def arrears_batch(batch):
    """The notices of one or more batches, one A4 page each, ready to print."""
    wanted = [batch] + request.args.getlist("more")
    reminders = [r for b in wanted for r in arrears.batch_reminders(b, current_estate_ids())]
    if not reminders:
        abort(404)
    notices = []
    people = arrears.owners([r.unit_id for r in reminders])
    for r in reminders:
        day = r.sent_at.astimezone(ZoneInfo(r.unit.estate.timezone or "Asia/Shanghai")).date()
        notices.append({"reminder": r, "unit": r.unit, "estate": r.unit.estate,
                        "lines": arrears.notice_lines(arrears.overdue_bills(r.unit_id, day)),
                        "owner": people.get(r.unit_id, ("", ""))[0], "day": day})
    return render_template("fees/arrears/notices.html", notices=notices, batches=wanted)


# --- a unit's reminder log ------------------------------------------------------------------

def _local_to_utc(value: datetime, unit: Unit) -> datetime:
    return value.replace(tzinfo=ZoneInfo(unit.estate.timezone or "Asia/Shanghai")).astimezone(UTC)


@bp.route("/arrears/units/<int:unit_id>", methods=["GET", "POST"])
@require("fees.arrears")
def arrears_unit(unit_id):
    unit = get_scoped_or_404(Unit, unit_id)
    today = today_local()
    form = ReminderForm()
    status = 200
    if request.method == "GET":
        form.sent_at.data = datetime.now(ZoneInfo(unit.estate.timezone or "Asia/Shanghai")).replace(
            second=0, microsecond=0, tzinfo=None)
    elif form.validate_on_submit():
        try:
            arrears.log_reminder(current_user, unit, method=form.method.data,
                                 sent_at=_local_to_utc(form.sent_at.data, unit), note=form.note.data or "",
                                 response=form.response.data or "", as_of=today)
            db.session.commit()
            flash(_("Reminder logged."), "success")
            return redirect(url_for("fees.arrears_unit", unit_id=unit.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
            status = 422
    else:
        status = 422
    owed, oldest = arrears.unit_arrears(unit.id, today)
    notice_form = NoticeForm(formdata=None, pay_by=today + timedelta(days=15))
    reminders = arrears.reminders_of(unit.id)
    names = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({r.sent_by_id for r in reminders if r.sent_by_id}))).all()) if reminders else {}
    return render_template("fees/arrears/unit.html", unit=unit, form=form, notice_form=notice_form,
                           owed=owed, oldest=oldest, months=arrears.months_overdue(oldest, today) if oldest else 0,
                           bills=arrears.overdue_bills(unit.id, today), reminders=reminders, names=names,
                           reminder_labels=arrears.REMINDER_LABELS, owner=arrears.owners([unit.id]).get(unit.id),
                           today=today), status

