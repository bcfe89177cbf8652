"""The monthly repair statistics: on screen, on A4 paper, and as a spreadsheet."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField

from core.i18n import estate_timezone, today_local
from core.listing import FilterForm, export_format, xlsx_bytes
from core.permissions import has_permission, require
from core.security import current_estate_ids
from core.views.estates import estate_choices
from plugins.repairs import labels
from plugins.repairs.models import CATEGORIES, STATES
from plugins.repairs.queries import monthly_statistics
from plugins.repairs.views import bp


class StatsFilter(FilterForm):
    month = StringField(_l("Month (YYYY-MM)"))
    estate = SelectField(_l("Estate"), validate_choice=False)


def _month(raw: str | None) -> tuple[int, int]:
    if raw:
        try:
            d = datetime.strptime(raw.strip(), "%Y-%m")
            return d.year, d.month
        except ValueError:
            pass
    today = today_local()
    return today.year, today.month


def _statistics():
    filters = StatsFilter(request.args)
    filters.estate.choices = [("", _("All my estates"))] + [(str(k), v) for k, v in estate_choices()]
    year, month = _month(filters.month.data)
    filters.month.data = f"{year}-{month:02d}"
    estates = current_estate_ids()
    chosen = request.args.get("estate", type=int)
    if chosen:
        if chosen not in estates:
            abort(404)
        estates = [chosen]
    stats = monthly_statistics(current_user, estates, year, month, estate_timezone())
    return filters, stats


@bp.route("/stats")
@require("repairs.view")
def stats():
    filters, stats = _statistics()
    if export_format(("xlsx",)) == "xlsx":
        return _export(stats)
    return render_template("repairs/stats.html", filters=filters, stats=stats, labels=labels,
                           categories=CATEGORIES, states=STATES)


@bp.route("/stats/print")
@require("repairs.view")
def stats_print():
    _filters, stats = _statistics()
    return render_template("repairs/stats_print.html", stats=stats, labels=labels,
                           categories=CATEGORIES, states=STATES)


def _export(stats) -> Response:
    if not has_permission("core.export"):
        abort(403)
    headers = [_("What is wrong")] + [str(labels.STATE_LABELS[s]) for s in STATES] + [_("Total")]
    rows = [[str(labels.CATEGORY_LABELS[c])] + [stats["grid"][c][s] for s in STATES] + [stats["row_totals"][c]]
            for c in CATEGORIES]
    rows.append([_("Total")] + [stats["col_totals"][s] for s in STATES] + [stats["total"]])
    comp = stats["completion"]
    rows += [
        [],
        [_("Completed in the month"), comp["completed"]],
        [_("Average time to complete (hours)"), comp["avg_hours"]],
        [_("Completed on time"), comp["on_time"]],
        [_("On-time completion rate") + " (%)", comp["on_time_rate"]],
        [_("Still overdue"), stats["overdue_now"]],
    ]
    title = _("Repairs %(y)s-%(m)s", y=stats["year"], m=f"{stats['month']:02d}")
    data = xlsx_bytes(title, headers, rows)
    name = f"repair-statistics-{stats['year']}-{stats['month']:02d}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
