"""The money reports: the monthly income and expenditure statement (收支明细表) and the
collection rate (收缴率), on screen, on A4 paper and as formatted spreadsheets.

Rules implemented here:

* the statement counts the receipts of the estate whose **business date** (the cashier's
  working day) falls in the month. Live receipts are income, split by fee item (the bills
  they paid), prepaid credit and deposits (by deposit item), and by payment method; voided
  receipts of the month are shown apart and are not income;
* expenditure is the refunds **paid out** in the month (deposits by item, prepaid credit),
  by method; net = income − expenditure. Items collected on behalf of a utility (代收代缴)
  are marked and subtotalled apart;
* the collection rate of a period covers the live bills whose period starts in it: billed =
  their amounts, collected = what was paid on them (receipts and prepaid credit applied),
  rate = collected ÷ billed, in per cent with one decimal, rounded half up;
* every sum is taken in SQL as Numeric and handled as ``Decimal``; nothing is float.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, type_coerce

from core.extensions import db
from core.models import Building, Estate
from plugins.fees.ledger import money
from plugins.fees.models import METHODS, Bill, Deposit, FeeItem, Payment, PaymentLine, Refund
from plugins.fees.periods import add_months

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MONEY = Bill.__table__.c.amount.type
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.0"


def rate(collected: Decimal, billed: Decimal) -> Decimal | None:
    """Collected ÷ billed in per cent, one decimal, half up; ``None`` when nothing was billed."""
    if not billed:
        return None
    return (collected * HUNDRED / billed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _sum(col):
    return type_coerce(func.coalesce(func.sum(col), 0), MONEY)


# --- income and expenditure -------------------------------------------------------------------

@dataclass
class Line:
    label: str
    amount: Decimal = ZERO
    count: int = 0
    on_behalf: bool = False
    key: str = ""


@dataclass
class Statement:
    estate: Estate
    month: date
    items: list[Line] = field(default_factory=list)  # bills paid, by fee item
    prepayments: Line | None = None
    deposits: list[Line] = field(default_factory=list)
    methods: list[Line] = field(default_factory=list)
    income: Decimal = ZERO
    on_behalf: Decimal = ZERO
    receipts: int = 0
    voided: list[Line] = field(default_factory=list)  # one per voided receipt
    voided_total: Decimal = ZERO
    refunds: list[Line] = field(default_factory=list)  # by kind / deposit item
    refund_methods: list[Line] = field(default_factory=list)
    expenditure: Decimal = ZERO
    net: Decimal = ZERO


def income_statement(estate: Estate, month: date) -> Statement:
    """The 收支明细表 of ``estate`` for the month starting ``month``."""
    from plugins.fees.desk import METHOD_LABELS

    start, end = month.replace(day=1), add_months(month, 1)
    st = Statement(estate=estate, month=start)
    in_month = (Payment.estate_id == estate.id, Payment.business_date >= start, Payment.business_date < end)
    live = in_month + (Payment.voided_at.is_(None),)

    for _item_id, name, code, behalf, total, n in db.session.execute(
            select(FeeItem.id, FeeItem.name, FeeItem.code, FeeItem.on_behalf, _sum(PaymentLine.amount),
                   func.count(PaymentLine.id))
            .select_from(PaymentLine).join(Payment, Payment.id == PaymentLine.payment_id)
            .join(Bill, Bill.id == PaymentLine.bill_id).join(FeeItem, FeeItem.id == Bill.item_id)
            .where(*live, PaymentLine.kind == "bill")
            .group_by(FeeItem.id, FeeItem.name, FeeItem.code, FeeItem.on_behalf, FeeItem.sequence)
            .order_by(FeeItem.sequence, FeeItem.code)).all():
        st.items.append(Line(name, money(total), n, bool(behalf), code))
        if behalf:
            st.on_behalf += money(total)

    total, n = db.session.execute(
        select(_sum(PaymentLine.amount), func.count(PaymentLine.id)).join(
            Payment, Payment.id == PaymentLine.payment_id).where(*live, PaymentLine.kind == "prepayment")).one()
    st.prepayments = Line(_("Prepaid credit (advance payments)"), money(total), n, key="prepayment")

    for name, code, total, n in db.session.execute(
            select(FeeItem.name, FeeItem.code, _sum(PaymentLine.amount), func.count(PaymentLine.id))
            .select_from(PaymentLine).join(Payment, Payment.id == PaymentLine.payment_id)
            .join(Deposit, Deposit.id == PaymentLine.deposit_id).join(FeeItem, FeeItem.id == Deposit.item_id)
            .where(*live, PaymentLine.kind == "deposit")
            .group_by(FeeItem.name, FeeItem.code).order_by(FeeItem.code)).all():
        st.deposits.append(Line(name, money(total), n, key=code))

    by_method = {m: (ZERO, 0) for m in METHODS}
    for method, total, n in db.session.execute(
            select(Payment.method, _sum(Payment.amount), func.count(Payment.id)).where(*live)
            .group_by(Payment.method)).all():
        by_method[method] = (money(total), n)
    st.methods = [Line(str(METHOD_LABELS.get(m, m)), by_method[m][0], by_method[m][1], key=m) for m in METHODS]
    st.income = sum((line.amount for line in st.methods), ZERO)
    st.receipts = sum(line.count for line in st.methods)

    for number, amount, reason in db.session.execute(
            select(Payment.number, Payment.amount, Payment.void_reason)
            .where(*in_month, Payment.voided_at.is_not(None)).order_by(Payment.seq)).all():
        st.voided.append(Line(f"{number} {reason or ''}".strip(), money(amount), 1, key=number))
    st.voided_total = sum((v.amount for v in st.voided), ZERO)

    paid_out = (Refund.estate_id == estate.id, Refund.state == "paid", Refund.business_date >= start,
                Refund.business_date < end)
    for name, code, total, n in db.session.execute(
            select(FeeItem.name, FeeItem.code, _sum(Refund.amount), func.count(Refund.id))
            .select_from(Refund).join(Deposit, Deposit.id == Refund.deposit_id)
            .join(FeeItem, FeeItem.id == Deposit.item_id)
            .where(*paid_out, Refund.kind == "deposit").group_by(FeeItem.name, FeeItem.code)
            .order_by(FeeItem.code)).all():
        st.refunds.append(Line(_("Deposit refunded: %(item)s", item=name), money(total), n, key=code))
    total, n = db.session.execute(select(_sum(Refund.amount), func.count(Refund.id))
                                  .where(*paid_out, Refund.kind == "credit")).one()
    st.refunds.append(Line(_("Prepaid credit refunded"), money(total), n, key="credit"))
    out_by_method = {m: (ZERO, 0) for m in METHODS}
    for method, total, n in db.session.execute(
            select(Refund.method, _sum(Refund.amount), func.count(Refund.id)).where(*paid_out)
            .group_by(Refund.method)).all():
        out_by_method[method] = (money(total), n)
    st.refund_methods = [Line(str(METHOD_LABELS.get(m, m)), out_by_method[m][0], out_by_method[m][1], key=m)
                         for m in METHODS]
    st.expenditure = sum((line.amount for line in st.refund_methods), ZERO)
    st.net = st.income - st.expenditure
    return st


# --- collection rate --------------------------------------------------------------------------

GROUPINGS = ("estate", "building", "item")


@dataclass
class RateRow:
    key: str
    label: str
    bills: int
    billed: Decimal
    collected: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.billed - self.collected

    @property
    def rate(self) -> Decimal | None:
        return rate(self.collected, self.billed)


@dataclass
class Rates:
    by: str
    first: date
    last: date
    rows: list[RateRow]
    total: RateRow


def _live_bills(estate_ids: list[int], first: date, last: date) -> tuple:
    return (Bill.estate_id.in_(estate_ids), Bill.voided_at.is_(None), Bill.period_start >= first.replace(day=1),
            Bill.period_start < add_months(last, 1))


def collection_rates(estate_ids: list[int], first: date, last: date, by: str = "estate") -> Rates:
    """Billed vs collected for the bills whose period starts from ``first``'s month to ``last``'s."""
    where = _live_bills(estate_ids, first, last)
    figures = (func.count(Bill.id), _sum(Bill.amount), _sum(Bill.paid))
    if by == "building":
        from core.models import Unit

        stmt = (select(Building.id, Estate.code, Building.name, *figures).select_from(Bill)
                .join(Unit, Unit.id == Bill.unit_id).join(Building, Building.id == Unit.building_id)
                .join(Estate, Estate.id == Bill.estate_id).where(*where)
                .group_by(Building.id, Estate.code, Building.name, Building.code).order_by(Estate.code, Building.code))
    elif by == "item":
        stmt = (select(FeeItem.id, Estate.code, FeeItem.name, *figures).select_from(Bill)
                .join(FeeItem, FeeItem.id == Bill.item_id).join(Estate, Estate.id == Bill.estate_id).where(*where)
                .group_by(FeeItem.id, Estate.code, FeeItem.name, FeeItem.sequence, FeeItem.code)
                .order_by(Estate.code, FeeItem.sequence, FeeItem.code))
    else:
        by = "estate"
        stmt = (select(Estate.id, Estate.code, Estate.name, *figures).select_from(Bill)
                .join(Estate, Estate.id == Bill.estate_id).where(*where)
                .group_by(Estate.id, Estate.code, Estate.name).order_by(Estate.code))
    rows = [RateRow(str(key), f"{code} {name}", n, money(billed), money(paid))
            for key, code, name, n, billed, paid in db.session.execute(stmt).all()]
    n, billed, paid = db.session.execute(select(*figures).where(*where)).one()
    return Rates(by, first.replace(day=1), last.replace(day=1), rows,
                 RateRow("total", _("Total"), n or 0, money(billed), money(paid)))


def monthly_rates(estate_ids: list[int], months: list[date]) -> list[RateRow]:
    """Billed, collected and rate for each month (bills by the month their period starts), one query."""
    if not months:
        return []
    found = {}
    for period, n, billed, paid in db.session.execute(
            select(Bill.period_start, func.count(Bill.id), _sum(Bill.amount), _sum(Bill.paid))
            .where(*_live_bills(estate_ids, months[0], months[-1])).group_by(Bill.period_start)).all():
        key = period.replace(day=1)
        old = found.get(key, (0, ZERO, ZERO))
        found[key] = (old[0] + n, old[1] + money(billed), old[2] + money(paid))
    return [RateRow(f"{m:%Y-%m}", f"{m:%Y-%m}", *found.get(m, (0, ZERO, ZERO))) for m in months]


# --- spreadsheets -----------------------------------------------------------------------------

def _sheet(title: str):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31].replace("/", "-") or "Sheet"
    return wb, ws


def _finish(wb, ws, widths: list[int], freeze: str) -> bytes:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = freeze
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _put(ws, row: int, values: list, bold: bool = False, money_cols=(), rate_cols=()) -> None:
    from openpyxl.styles import Font

    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        if bold:
            cell.font = Font(bold=True)
        if col in money_cols and value is not None and value != "":
            cell.number_format = MONEY_FORMAT
        if col in rate_cols and value is not None and value != "":
            cell.number_format = RATE_FORMAT


def statement_xlsx(st: Statement) -> bytes:
    """The statement as one sheet: section, line, count, amount; bold headers and totals."""
    wb, ws = _sheet(_("Income %(month)s", month=f"{st.month:%Y-%m}"))
    _put(ws, 1, [_("Income and expenditure statement"), f"{st.estate.code} {st.estate.name}",
                 f"{st.month:%Y-%m}"], bold=True)
    _put(ws, 2, [_("Section"), _("Line"), _("Count"), _("Amount")], bold=True)
    row = 3
    money_cols = (4,)

    def put(section, line: Line, bold=False):
        nonlocal row
        _put(ws, row, [section, line.label, line.count, line.amount], bold=bold, money_cols=money_cols)
        row += 1

    income = _("Income")
    for line in st.items:
        put(income, Line(line.label + (" " + _("(collected on behalf)") if line.on_behalf else ""),
                         line.amount, line.count))
    put(income, st.prepayments)
    for line in st.deposits:
        put(income, Line(_("Deposit: %(item)s", item=line.label), line.amount, line.count))
    put(_("Total income"), Line(_("All receipts"), st.income, st.receipts), bold=True)
    if st.on_behalf:
        put(income, Line(_("of which collected on behalf of utilities"), st.on_behalf, 0))
    for line in st.methods:
        put(_("Income by method"), line)
    for line in st.refunds:
        put(_("Expenditure"), line)
    for line in st.refund_methods:
        put(_("Expenditure by method"), line)
    put(_("Total expenditure"), Line(_("All refunds paid out"), st.expenditure,
                                     sum(r.count for r in st.refund_methods)), bold=True)
    put(_("Net"), Line(_("Income less expenditure"), st.net, 0), bold=True)
    for line in st.voided:
        put(_("Voided receipts (not income)"), line)
    put(_("Voided receipts (not income)"), Line(_("Total voided"), st.voided_total, len(st.voided)), bold=True)
    return _finish(wb, ws, [28, 44, 10, 16], "A3")


def rates_xlsx(rates: Rates, group_label: str) -> bytes:
    """The collection rate table: a bold frozen header, money and rate formats, a bold totals row."""
    wb, ws = _sheet(_("Collection %(first)s", first=f"{rates.first:%Y-%m}"))
    headers = [group_label, _("Bills"), _("Billed"), _("Collected"), _("Outstanding"), _("Collection rate (%)")]
    _put(ws, 1, headers, bold=True)
    money_cols, rate_cols = (3, 4, 5), (6,)
    row = 2
    for r in rates.rows + [rates.total]:
        _put(ws, row, [r.label, r.bills, r.billed, r.collected, r.outstanding, r.rate],
             bold=r is rates.total, money_cols=money_cols, rate_cols=rate_cols)
        row += 1
    widths = [max(16, min(50, max((len(r.label) for r in rates.rows), default=0) * 2 + 2)), 10, 16, 16, 16, 18]
    return _finish(wb, ws, widths, "A2")


def arrears_xlsx(rows, summary, as_of: date) -> bytes:
    """The arrears list: one row per unit with its aged amounts, a totals row, then the buildings."""
    from plugins.fees.arrears import BUCKET_LABELS, BUCKETS

    wb, ws = _sheet(_("Arrears %(day)s", day=as_of.isoformat()))
    headers = [_("Unit"), _("Building"), _("Owner"), _("Oldest due"), _("Months overdue"), _("Bills")] + \
        [str(BUCKET_LABELS[b]) for b in BUCKETS] + [_("Total owed"), _("Last reminder")]
    _put(ws, 1, headers, bold=True)
    money_cols = tuple(range(7, 7 + len(BUCKETS) + 1))
    row = 2
    for r in rows:
        last = r.last_reminder
        _put(ws, row, [r.number, r.building, r.owner, r.oldest, r.months, r.bills]
             + [r.by_bucket[b] for b in BUCKETS] + [r.total, last.sent_at.date() if last else None],
             money_cols=money_cols)
        ws.cell(row=row, column=4).number_format = "yyyy-mm-dd"
        if last:
            ws.cell(row=row, column=len(headers)).number_format = "yyyy-mm-dd"
        row += 1
    _put(ws, row, [_("Total"), "", "", None, None, summary.units]
         + [summary.by_bucket[b] for b in BUCKETS] + [summary.total, None], bold=True, money_cols=money_cols)
    row += 2
    _put(ws, row, [_("Building"), "", "", "", "", _("Units")] + [str(BUCKET_LABELS[b]) for b in BUCKETS]
         + [_("Total owed")], bold=True)
    for b in summary.buildings:
        row += 1
        _put(ws, row, [f"{b['estate_code']} {b['name']}", "", "", None, None, b["units"]]
             + [b["by_bucket"][k] for k in BUCKETS] + [b["total"]], money_cols=money_cols)
    return _finish(wb, ws, [14, 14, 16, 12, 10, 8] + [16] * len(BUCKETS) + [16, 14], "A2")
