"""Store rooms (库房): items, receipts, issues to repair work orders and departments, returns,
transfers, stock counts, reversals; stock on hand and value (moving average), low-stock alerts,
purchase plan and consumption. Stock never goes negative and always equals the sum of its
movements (the database keeps both rules). See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("inventory.view", _l("See store rooms, stock on hand and stock movements"),
                   ("manager", "supervisor", "clerk", "technician", "cleaning")),
        Permission("inventory.keep", _l("Storekeeper: receive, issue, take back and transfer items, count stock"),
                   ("supervisor", "clerk")),
        Permission("inventory.manage", _l("Add store rooms and items, post stock counts, reverse movements"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.inventory.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.inventory.services import low_stock_query

    badge = low_stock_query(estates) if has_permission("inventory.view", user) else None
    return [
        NavItem(_l("Store room"), "inventory.index", "operations", "inventory.view", 50, badge=badge, icon="box-seam"),
        NavItem(_l("Stock movements"), "inventory.movements", "operations", "inventory.view", 51,
                icon="arrow-left-right"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.inventory.models import Item
    from plugins.inventory.services import low_stock_filter, low_stock_query

    ids = estates or [0]
    low = db.session.scalar(low_stock_query(ids))
    rows = db.session.scalars(select(Item).where(Item.estate_id.in_(ids), low_stock_filter())
                              .order_by(Item.on_hand / (Item.min_stock + 1), Item.code).limit(5)).all()
    return [Widget("inventory-low", _l("Low stock"), "inventory/widget.html", {"low": low, "rows": rows},
                   "inventory.view", sequence=70, width=4)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.listing import like_pattern
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.inventory.models import Item
    from plugins.inventory.services import fmt_qty

    if not estates or not has_permission("inventory.view", user):
        return []
    rows = search_records(select(Item).where(
        Item.estate_id.in_(estates), or_(Item.code == query, Item.code.startswith(query, autoescape=True),
                                         Item.name.like(like_pattern(query), escape="\\")))
        .order_by(Item.code).limit(limit))
    return [SearchHit(_l("Store item"), f"{i.code} {i.name}", url_for("inventory.item", item_id=i.id),
                      f"{i.store.name} · {fmt_qty(i.on_hand)} {i.unit}", i.estate_id) for i in rows]


@hookimpl
def demo_data(estate, users):
    from plugins.inventory.demo import load

    load(estate, users)
