"""Supervisor pages: designated visitors, routine batches, and the statistics report."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.listing import export_format, xlsx_bytes
from core.models import User
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.visits import batches, services, stats
from plugins.visits.forms import (
    METHOD_LABELS,
    SATISFIED_LABELS,
    BatchForm,
    StatsFilter,
    VisitorForm,
)
from plugins.visits.models import KINDS, ReturnVisit, VisitBatch, Visitor
from plugins.visits.rules import KIND_LABELS
from plugins.visits.views import bp


def staff_choices(estate_ids) -> list[tuple[int, str]]:
    """Active staff of these estates who may record visits (candidates for designation)."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)).all()
    return [(u.id, f"{u.full_name} ({u.username})") for u in users
            if u.can("visits.record") and set(user_estate_ids(u)) & set(estate_ids)]


@bp.route("/visitors", methods=["GET", "POST"])
@require("visits.manage")
def visitors():
    form = VisitorForm()
    form.estate_id.choices = estate_choices()
    form.user_id.choices = staff_choices(current_estate_ids())
    if request.method == "GET" and current_estate_ids():
        form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            row = services.designate(current_user, estate_id=form.estate_id.data, user_id=form.user_id.data,
                                     note=form.note.data or "")
            db.session.commit()
            flash(_("%(name)s may now record return visits in %(estate)s.", name=row.user.full_name,
                    estate=row.estate.name), "success")
            return redirect(url_for("visits.visitors"))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    rows = db.session.scalars(scoped(Visitor, estate_ids=current_estate_ids())
                              .order_by(Visitor.estate_id, Visitor.active.desc(), Visitor.user_id)).all()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("visits/visitors.html", form=form, rows=rows), status


@bp.route("/visitors/<int:visitor_id>/withdraw", methods=["POST"])
@require("visits.manage")
def withdraw_visitor(visitor_id):
    row = get_scoped_or_404(Visitor, visitor_id)

    def act():
        services.withdraw_visitor(current_user, row)
        return _("%(name)s no longer makes return visits in %(estate)s.", name=row.user.full_name,
                 estate=row.estate.name)

    back = url_for("visits.visitors")
    return record_action(None, act, redirect_to=back, rerender=lambda _form: redirect(back))


@bp.route("/batches", methods=["GET", "POST"])
@require("visits.manage")
def batch_list():
    form = BatchForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
    if form.validate_on_submit():
        try:
            batch = batches.plan_batch(
                current_user, estate_id=form.estate_id.data, title=form.title.data,
                due_date=form.due_date.data, buildings=form.buildings.data or "",
                unit_from=form.unit_from.data or "", unit_to=form.unit_to.data or "", today=today_local())
            db.session.commit()
            flash(_("%(n)s routine visits planned (%(s)s units skipped: a visit is already open).",
                    n=batch.planned_count, s=batch.skipped_count), "success")
            return redirect(url_for("visits.batch_detail", batch_id=batch.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    rows = db.session.scalars(scoped(VisitBatch, estate_ids=current_estate_ids())
                              .order_by(VisitBatch.id.desc()).limit(50)).all()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("visits/batches.html", form=form, rows=rows), status


def _batch_visits(batch):
    return db.session.scalars(select(ReturnVisit).where(ReturnVisit.batch_id == batch.id)
                              .order_by(ReturnVisit.id)).all()


@bp.route("/batches/<int:batch_id>")
@require("visits.view")
def batch_detail(batch_id):
    batch = get_scoped_or_404(VisitBatch, batch_id)
    return render_template("visits/batch.html", batch=batch, visits=_batch_visits(batch),
                           satisfied_labels=SATISFIED_LABELS)


@bp.route("/batches/<int:batch_id>/print")
@require("visits.view")
def batch_print(batch_id):
    batch = get_scoped_or_404(VisitBatch, batch_id)
    return render_template("visits/print.html", visits=_batch_visits(batch), kinds=KIND_LABELS,
                           methods=METHOD_LABELS, satisfied_labels=SATISFIED_LABELS,
                           title=_("Return Visit Record"), number=batch.title)


# -- statistics ------------------------------------------------------------------
def _parse_month(raw: str | None, today: date) -> date:
    try:
        y, m = (int(x) for x in (raw or "").split("-", 1))
        return date(y, m, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def report_figures():
    filters = StatsFilter(request.args)
    ids = current_estate_ids()
    filters.estate.choices = [("", _("All my estates"))] + [(str(i), n) for i, n in estate_choices()
                                                              if i in ids]
    if filters.estate.data and filters.estate.data.isdigit():
        chosen = int(filters.estate.data)
        if chosen not in ids:
            abort(404)
        ids = [chosen]
    last = _parse_month(filters.until.data, today_local())
    count = 12 if filters.months.data == "12" else 6
    if not filters.until.data:
        filters.until.data = f"{last.year}-{last.month:02d}"
    fig = stats.compute(ids, stats.month_list(last, count))
    return filters, fig


def _rate(value):
    return "" if value is None else f"{value}%"


@bp.route("/statistics")
@require("visits.view")
def statistics():
    filters, fig = report_figures()
    if export_format(("xlsx",)) == "xlsx":
        if not has_permission("core.export"):
            abort(403)
        headers = [_("Month"), _("Kind"), _("To visit"), _("Done"), _("On time"), _("Return-visit rate (%)"),
                   _("On-time rate (%)"), _("Target (%)"), _("Satisfied (%)")]
        rows = []
        for (y, m) in fig.months:
            for k in KINDS:
                c = fig.cell((y, m), k)
                rows.append([f"{y}-{m:02d}", str(KIND_LABELS[k]), c.due, c.done, c.on_time, c.rate,
                             c.on_time_rate, fig.targets[k], c.satisfied_rate])
        data = xlsx_bytes(_("Return visit statistics"), headers, rows)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="return-visit-statistics.xlsx"'})
    template = "visits/statistics_print.html" if request.args.get("print") else "visits/statistics.html"
    labels = [str(KIND_LABELS[k]) for k in KINDS]
    datasets = [
        {"label": _("Return-visit rate (%)"), "data": [fig.total(k).rate for k in KINDS]},
        {"label": _("On-time rate (%)"), "data": [fig.total(k).on_time_rate for k in KINDS]},
        {"label": _("Target (%)"), "data": [fig.targets[k] for k in KINDS], "type": "line"},
    ]
    return render_template(template, filters=filters, fig=fig, kinds=KINDS, kind_labels=KIND_LABELS,
                           rate=_rate, labels=labels, datasets=_jsonable(datasets))


def _jsonable(datasets):
    return [{**d, "data": [None if v is None else float(v) for v in d["data"]]} for d in datasets]
