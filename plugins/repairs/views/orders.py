"""Work orders: the technician's own list (record rule), everybody else's overview, the print."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.listing import Column, ListPage
from core.models import utcnow
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from plugins.repairs import labels
from plugins.repairs.forms import OrderFilter
from plugins.repairs.models import OPEN_ORDER_STATES, WorkOrder
from plugins.repairs.views import bp


@bp.route("/orders")
@require("repairs.view")
def orders():
    filters = OrderFilter(request.args)
    now = utcnow()
    stmt = scoped(WorkOrder, estate_ids=current_estate_ids())
    if filters.state.data != "all":
        stmt = stmt.where(WorkOrder.state.in_(OPEN_ORDER_STATES))
    if filters.overdue.data == "1":  # past its due time and still with the technician
        stmt = stmt.where(WorkOrder.state.in_(OPEN_ORDER_STATES), WorkOrder.due_at < now)
    overdue = _("Overdue")
    page = ListPage(stmt, [
        Column("number", _l("Work order"), lambda o: o.number, WorkOrder.number,
               link=lambda o: url_for("repairs.detail", repair_id=o.repair_id)),
        Column("repair", _l("Repair"), lambda o: o.repair.number),
        Column("issued", _l("Issued at"), lambda o: o.issued_at, WorkOrder.issued_at, fmt="datetime"),
        Column("place", _l("Unit or place"), lambda o: o.repair.place),
        Column("category", _l("What is wrong"),
               lambda o: labels.CATEGORY_LABELS.get(o.repair.category, o.repair.category)),
        Column("appointment", _l("Appointment"), lambda o: o.repair.appointment_at, fmt="datetime"),
        Column("technician", _l("Technician"), lambda o: o.technician.full_name, WorkOrder.technician_id),
        Column("state", _l("State"), lambda o: labels.ORDER_STATE_LABELS.get(o.state, o.state), WorkOrder.state),
        Column("due", _l("Complete by"), lambda o: o.due_at, WorkOrder.due_at, fmt="datetime"),
        Column("overdue", _l("Overdue"), lambda o: overdue if (
            o.state in OPEN_ORDER_STATES and o.due_at is not None and o.due_at < now) else "", css="text-danger"),
    ], "due" if filters.state.data != "all" else "-issued", _("Work orders"), "work-orders")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("repairs/orders.html", page=page, result=page.page(), filters=filters)


@bp.route("/orders/<int:order_id>/print")
@require("repairs.view")
def print_order(order_id):
    order = get_scoped_or_404(WorkOrder, order_id)
    return render_template("repairs/print_order.html", order=order, repair=order.repair, labels=labels)
