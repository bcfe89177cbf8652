"""Fee collection (收费管理): fee items and published prices, billing runs, the cashier desk
and its receipts, prepaid credit, deposits and refunds, the daily close (日收日清), arrears
(催缴) and the income reports.

Areas and their modules:

* billing — ``billing.py`` (prices, periods, meter readings, shared-meter allocation, billing
  runs), ``views_billing.py``;
* the desk — ``ledger.py`` (the money rules), ``desk.py``, ``views_desk.py``; the daily
  close — ``close.py``, ``views_close.py``;
* arrears and reports — ``arrears.py``, ``reports.py``, ``views_arrears.py``,
  ``views_reports.py``, ``widgets.py``, ``jobs.py``.

Other plugins reach this one only through hooks: it listens to ``repairs_completed`` (a paid
repair becomes a bill) and ``decoration_accepted`` (the decoration deposit may be refunded),
and offers ``fees_receipt_issued`` / ``fees_receipt_voided`` (see hookspecs.py).
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission


@hookimpl
def permissions():
    return [
        Permission("fees.view", _l("See bills, receipts and balances"),
                   ("manager", "supervisor", "cashier", "clerk", "frontdesk")),
        Permission("fees.collect", _l("Take payments and issue receipts (cashier)"), ("cashier",)),
        Permission("fees.void", _l("Void receipts and bills"), ("manager",)),
        Permission("fees.close", _l("Close one's own day and hand over the takings"), ("cashier",)),
        Permission("fees.confirm", _l("Confirm daily handovers (finance cashier)"), ("manager",)),
        Permission("fees.reopen", _l("Reopen a confirmed daily close"), ("manager",)),
        Permission("fees.manage", _l("Manage fee items, prices, meters and billing runs"), ("manager",)),
        Permission("fees.readings", _l("Enter and import meter readings"), ("manager", "supervisor", "clerk")),
        Permission("fees.refund", _l("Request refunds of deposits and prepaid credit"),
                   ("cashier", "supervisor", "manager")),
        Permission("fees.refund_approve", _l("Approve or reject refunds"), ("manager",)),
        Permission("fees.arrears", _l("Chase arrears: reminders and notices"),
                   ("manager", "supervisor", "clerk", "cashier")),
        Permission("fees.reports", _l("See income statements and collection rates"),
                   ("manager", "supervisor", "cashier")),
    ]


@hookimpl
def blueprints():
    from plugins.fees import (  # noqa: F401
        models,
        views_arrears,
        views_billing,
        views_close,
        views_desk,
        views_reports,
    )
    from plugins.fees.blueprint import bp

    return [bp]


@hookimpl
def settings_spec():
    from plugins.fees.settings import settings_spec as spec

    return [spec()]


@hookimpl
def nav_items(user, estates):
    from plugins.fees import views_arrears, views_billing, views_close, views_desk, views_reports

    items = []
    for module in (views_desk, views_close, views_billing, views_arrears, views_reports):
        items.extend(module.nav_items(user, estates))
    return items


@hookimpl
def dashboard_widgets(user, estates):
    from plugins.fees.widgets import dashboard_widgets as widgets

    return widgets(user, estates)


@hookimpl
def unit_panels(unit, user):
    from plugins.fees.widgets import unit_panels as panels

    return panels(unit, user)


@hookimpl
def search(query, user, estates, limit):
    from plugins.fees.desk import search as search_receipts

    return search_receipts(query, user, estates, limit)


@hookimpl
def scheduled_jobs():
    from plugins.fees.jobs import scheduled_jobs as jobs

    return jobs()


@hookimpl
def demo_data(estate, users):
    from plugins.fees.demo import load

    load(estate, users)


# -- events of other plugins (optional: they may be absent) ----------------------------
@hookimpl(optionalhook=True)
def repairs_completed(repair):
    from plugins.fees.billing import bill_repair

    bill_repair(repair)


@hookimpl(optionalhook=True)
def decoration_accepted(application):
    from plugins.fees.desk import release_deposits

    release_deposits(application)
