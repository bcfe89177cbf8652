"""Dashboard widgets (collection rate trend against the target, arrears by age) and the unit
panel (balance, open bills, last receipts, last reminder).

The widget queries are aggregates over the (estate, state, due date) and (estate, period)
indexes of the bills: two or three statements whatever the estate's size. Figures are
``Decimal``; the charts receive them as strings (Chart.js reads numeric strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from core.extensions import db
from core.i18n import today_local
from core.permissions import has_permission
from core.ui import Panel, Widget
from plugins.fees import arrears, ledger, reports
from plugins.fees.models import Deposit, Payment
from plugins.fees.periods import add_months
from plugins.fees.settings import setting


def target_rate(estates: list[int]) -> Decimal:
    """The target collection rate: the estate's, or the average of the estates' targets."""
    targets = [Decimal(int(setting("collection_target", e))) for e in estates] or [Decimal(95)]
    return (sum(targets, Decimal(0)) / len(targets)).quantize(Decimal("0.1"))


def trend_widget(estates: list[int]) -> Widget:
    today = today_local()
    months = [add_months(today.replace(day=1), -i) for i in range(5, -1, -1)]
    rows = reports.monthly_rates(estates, months)
    target = target_rate(estates)
    return Widget("fees-collection", _l("Collection rate"), "fees/widgets/collection.html",
                  {"rows": rows, "target": target, "labels": [r.label for r in rows],
                   "rates": [str(r.rate) if r.rate is not None else None for r in rows],
                   "targets": [str(target)] * len(rows), "current": rows[-1] if rows else None},
                  "fees.reports", sequence=40, width=8)


def arrears_widget(estates: list[int]) -> Widget:
    today = today_local()
    s = arrears.bucket_totals(estates, today)
    return Widget("fees-arrears", _l("Arrears by age"), "fees/widgets/arrears.html",
                  {"summary": s, "buckets": arrears.BUCKETS,
                   "labels": [str(arrears.BUCKET_LABELS[b]) for b in arrears.BUCKETS],
                   "amounts": [str(s.by_bucket[b]) for b in arrears.BUCKETS], "today": today},
                  "fees.arrears", sequence=41, width=4)


def dashboard_widgets(user, estates):
    if not estates:
        return []
    out = []
    if has_permission("fees.reports", user):
        out.append(trend_widget(estates))
    if has_permission("fees.arrears", user):
        out.append(arrears_widget(estates))
    return out


def desk_url(unit_id: int) -> str | None:
    """The cashier desk opened on the unit: its unit page, or the desk with ``unit=<id>``
    (None when neither exists, e.g. in a trimmed-down build)."""
    for endpoint, args in (("fees.desk_unit", {"unit_id": unit_id}), ("fees.desk", {"unit": unit_id})):
        try:
            return url_for(endpoint, **args)
        except BuildError:
            continue
    return None


#: A fee item with more open bills than this shows folded on the unit page (its count and subtotal).
GROUP_FOLD = 3


@dataclass
class BillGroup:
    """One fee item's open bills on the unit page, oldest due first, with their subtotals."""

    item: object
    bills: list = field(default_factory=list)
    owed: Decimal = Decimal("0.00")
    overdue: Decimal = Decimal("0.00")


def bill_groups(bills, today) -> list[BillGroup]:
    """``bills`` (oldest due first) by fee item; the item owing the oldest bill first, so the
    oldest overdue comes first."""
    groups: dict[int, BillGroup] = {}
    for b in bills:
        g = groups.setdefault(b.item_id, BillGroup(b.item))
        g.bills.append(b)
        g.owed += b.amount - b.paid
        if b.due_date < today:
            g.overdue += b.amount - b.paid
    return sorted(groups.values(), key=lambda g: (g.bills[0].due_date, g.bills[0].id))


def unit_panels(unit, user):
    if not has_permission("fees.view", user):
        return []
    today = today_local()
    deposits = db.session.scalar(select(func.coalesce(func.sum(Deposit.amount), 0)).where(
        Deposit.unit_id == unit.id, Deposit.state.in_(("held", "refunding"))))
    payments = db.session.scalars(select(Payment).where(Payment.unit_id == unit.id)
                                  .order_by(Payment.received_at.desc(), Payment.id.desc()).limit(5)).all()
    bills = ledger.open_bills(unit.id)
    owed = ledger.outstanding(unit.id)
    overdue = sum((b.amount - b.paid for b in bills if b.due_date < today), Decimal("0.00"))
    last = arrears.last_reminders([unit.id]).get(unit.id)
    ctx = {"unit": unit, "owed": owed, "overdue": overdue, "credit": ledger.credit_balance(unit.id),
           "deposits": ledger.money(deposits or 0), "groups": bill_groups(bills, today), "fold": GROUP_FOLD,
           "payments": payments, "today": today,
           "last_reminder": last, "desk_url": desk_url(unit.id), "reminder_labels": arrears.REMINDER_LABELS,
           "balance": owed - ledger.credit_balance(unit.id)}
    return [Panel("fees-unit", _l("Fees"), "fees/panel.html", ctx, "fees.view", sequence=20)]

