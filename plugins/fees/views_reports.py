"""Report pages: the monthly income and expenditure statement (收支明细表) of an estate and the
collection rate by estate, building or fee item — on screen, on A4 and as XLSX.

Every page needs ``fees.reports`` (the spreadsheet also ``core.export``); an estate outside
the user's view is a 404.
"""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from core.extensions import db
from core.forms import options
from core.i18n import today_local
from core.listing import FilterForm, export_format
from core.models import Estate
from core.permissions import has_permission, require
from core.security import current_estate_ids
from core.ui import NavItem
from core.views.estates import estate_choices
from plugins.fees import reports
from plugins.fees.blueprint import bp
from plugins.fees.periods import add_months, parse_period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_LABELS = {"estate": _l("Estate"), "building": _l("Building"), "item": _l("Fee item")}


def nav_items(user, estates):
    return [
        NavItem(_l("Income statement"), "fees.income_statement", "money", "fees.reports", 50, icon="journal-text"),
        NavItem(_l("Collection rates"), "fees.collection_rates", "money", "fees.reports", 51, icon="percent"),
    ]


class StatementFilter(FilterForm):
    estate = SelectField(_l("Estate"), validate_choice=False)
    month = StringField(_l("Month (YYYY-MM)"))


class RatesFilter(FilterForm):
    estate = SelectField(_l("Estate"), validate_choice=False)
    first = StringField(_l("From month (YYYY-MM)"))
    last = StringField(_l("To month (YYYY-MM)"))
    by = SelectField(_l("By"), choices=options([(k, v) for k, v in GROUP_LABELS.items()]), validate_choice=False)


def _estate_ids(raw) -> list[int]:
    mine = current_estate_ids()
    try:
        chosen = int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        abort(404)
    if chosen is None:
        return mine
    if chosen not in mine:
        abort(404)
    return [chosen]


def _xlsx(data: bytes, name: str) -> Response:
    if not has_permission("core.export"):
        abort(403)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- income statement ---------------------------------------------------------------------------

def _statement():
    filters = StatementFilter(request.args)
    choices = [(str(k), v) for k, v in estate_choices() if k in current_estate_ids()]
    filters.estate.choices = choices
    ids = _estate_ids(request.args.get("estate") or (choices[0][0] if choices else None))
    if not ids:
        abort(404)
    estate = db.session.get(Estate, ids[0])
    filters.estate.data = str(estate.id)
    month = parse_period(filters.month.data) or today_local().replace(day=1)
    if filters.month.data and parse_period(filters.month.data) is None:
        filters.month.errors = [_("Enter a month such as 2026-11.")]
    filters.month.data = f"{month:%Y-%m}"
    return filters, reports.income_statement(estate, month)


@bp.route("/reports/income")
@require("fees.reports")
def income_statement():
    filters, st = _statement()
    if export_format(("xlsx",)) == "xlsx":
        return _xlsx(reports.statement_xlsx(st), f"income-{st.estate.code}-{st.month:%Y-%m}.xlsx")
    return render_template("fees/reports/income.html", filters=filters, st=st)


@bp.route("/reports/income/print")
@require("fees.reports")
def income_statement_print():
    _filters, st = _statement()
    return render_template("fees/reports/income_print.html", st=st)


# --- collection rates ---------------------------------------------------------------------------

def _rates():
    filters = RatesFilter(request.args)
    filters.estate.choices = [("", _("All my estates"))] + [(str(k), v) for k, v in estate_choices()
                                                           if k in current_estate_ids()]
    ids = _estate_ids(request.args.get("estate"))
    this_month = today_local().replace(day=1)
    first = parse_period(filters.first.data)
    last = parse_period(filters.last.data)
    if filters.first.data and first is None:
        filters.first.errors = [_("Enter a month such as 2026-11.")]
    if filters.last.data and last is None:
        filters.last.errors = [_("Enter a month such as 2026-11.")]
    last = last or this_month
    first = first or add_months(last, -11)
    if first > last:
        filters.first.errors = [_("The first month must not be after the last.")]
        first = last
    filters.first.data, filters.last.data = f"{first:%Y-%m}", f"{last:%Y-%m}"
    by = filters.by.data if filters.by.data in reports.GROUPINGS else "estate"
    filters.by.data = by
    return filters, reports.collection_rates(ids, first, last, by)


@bp.route("/reports/collection")
@require("fees.reports")
def collection_rates():
    filters, rates = _rates()
    if export_format(("xlsx",)) == "xlsx":
        return _xlsx(reports.rates_xlsx(rates, str(GROUP_LABELS[rates.by])),
                     f"collection-{rates.by}-{rates.first:%Y-%m}-{rates.last:%Y-%m}.xlsx")
    return render_template("fees/reports/collection.html", filters=filters, rates=rates,
                           group_label=GROUP_LABELS[rates.by])


@bp.route("/reports/collection/print")
@require("fees.reports")
def collection_rates_print():
    _filters, rates = _rates()
    return render_template("fees/reports/collection_print.html", rates=rates, group_label=GROUP_LABELS[rates.by])
