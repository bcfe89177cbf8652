"""Event hooks the inventory plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def inventory_issued(movement):
    """Called inside the transaction when items are issued from a store room.

    ``movement`` has ``id, number, estate_id, store_id, item_id, quantity`` (negative: what left),
    ``value`` (negative), ``work_order_number`` (``""`` for an issue to a department),
    ``department_id``, ``received_by`` and ``moved_at``. An exception rolls the issue back.
    """
