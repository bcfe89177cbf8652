"""The monthly statistics report: effective handling rate per month, category, department."""

from __future__ import annotations

import io

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.i18n import estate_timezone, today_local
from core.listing import export_format
from core.permissions import has_permission, require
from core.security import current_estate_ids
from core.views.estates import estate_choices
from plugins.complaints import sla, stats
from plugins.complaints.forms import StatsFilter
from plugins.complaints.views import bp, tz_of
from plugins.complaints.widgets import rate_datasets

HEADERS = [_l("Received"), _l("Closed"), _l("Replied on time"), _l("Satisfied on the return visit"),
           _l("Effectively handled"), _l("Effective handling rate, per cent"), _l("Average hours to reply")]


def report_data():
    """The figures behind the page, its print and its export (same query arguments)."""
    filters = StatsFilter(request.args)
    this_year = today_local().year
    filters.year.choices = [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]
    filters.estate.choices = [("", _l("All my estates"))] + [(str(i), n) for i, n in estate_choices()]
    year = int(filters.year.data) if (filters.year.data or "").isdigit() else this_year
    if not this_year - 20 <= year <= this_year:
        year = this_year
    filters.year.data = str(year)
    ids = current_estate_ids()
    if (filters.estate.data or "").isdigit() and int(filters.estate.data) in ids:
        ids = [int(filters.estate.data)]
    tz = tz_of(ids[0]) if len(ids) == 1 else estate_timezone()
    months = [(year, m) for m in range(1, 13)]
    start, end = stats.month_start(year, 1, tz), stats.month_start(year + 1, 1, tz)
    monthly = stats.monthly(ids, months, tz)
    categories, departments = stats.breakdown(ids, start, end, tz)
    totals = stats.total(monthly)
    totals.label = _("Total")
    return {
        "filters": filters, "year": year, "target": sla.target_rate(ids), "monthly": monthly,
        "categories": categories, "departments": departments,
        "totals": totals,
    }


@bp.route("/statistics")
@require("complaints.view")
def statistics():
    data = report_data()
    if export_format(("xlsx",)) == "xlsx":
        return _xlsx(data)
    chart = {"labels": [f.label for f in data["monthly"]],
             "datasets": rate_datasets(data["monthly"], data["target"])}
    args = {k: v for k, v in request.args.items() if k != "export"}
    return render_template("complaints/statistics.html", chart=chart, **data,
                           print_url=url_for("complaints.statistics_print", **args),
                           xlsx_url=url_for("complaints.statistics", export="xlsx", **args))


@bp.route("/statistics/print")
@require("complaints.view")
def statistics_print():
    return render_template("complaints/statistics_print.html", **report_data())


def _sheet(wb, title, first, rows, target):
    from openpyxl.styles import Font, PatternFill

    ws = wb.create_sheet(title[:31])
    ws.append([str(first)] + [str(h) for h in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    low = PatternFill("solid", fgColor="F8D7DA")
    for f in rows:
        rate = float(f.rate) if f.rate is not None else None
        ws.append([f.label, f.received, f.closed, f.on_time, f.satisfied, f.effective, rate,
                   float(f.avg_reply_hours) if f.avg_reply_hours is not None else None])
        if rate is not None and rate < target:
            ws.cell(row=ws.max_row, column=7).fill = low
    ws.column_dimensions["A"].width = 24
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 16
    ws.freeze_panes = "B2"


def _xlsx(data) -> Response:
    if not has_permission("core.export"):
        abort(403)
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, _("By month"), _("Month"), data["monthly"] + [data["totals"]], data["target"])
    _sheet(wb, _("By category"), _("Category"), data["categories"], data["target"])
    _sheet(wb, _("By department"), _("Department"), data["departments"], data["target"])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="complaints-{data["year"]}.xlsx"'})
