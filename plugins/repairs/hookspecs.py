"""Event hooks the repairs plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def repairs_completed(repair):
    """Called inside the transaction when the technician completes ``repair``.

    ``repair`` has ``id, number, estate_id, unit_id`` (may be ``None``),
    ``contact_name, contact_phone, category, completed_at, state``. A return-visit
    plugin schedules its visit here. An exception rolls the completion back.
    """


@hookspec
def repairs_reopened(repair, reason):
    """Called inside the transaction when ``repair`` is reopened (a bad return visit, or
    the supervisor's decision); ``reason`` is the text given. The repair is back in
    state ``recorded``, ready to be dispatched again."""
