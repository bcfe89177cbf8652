"""Event hooks the complaints plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def complaints_closed(complaint):
    """Called inside the transaction when ``complaint`` has been answered and is closed.

    The ``visits`` plugin schedules a return visit from it. ``complaint`` offers
    ``id, number, estate_id, unit_id, contact_name, contact_phone, category,
    closed_at, state``. An exception rolls the closing back.
    """
