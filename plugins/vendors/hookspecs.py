"""Event hooks the vendors plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def vendors_rectification_closed(rectification, user, checked_on):
    """Called inside the transaction when a rectification notice is re-checked as passed (closed).

    ``rectification`` has ``id, number, estate_id, contract_id, state`` (``"closed"``),
    ``closed_at``, ``source`` and ``source_ref`` (the plugin that raised it through
    ``raise_rectification`` and its record, plain data); ``user`` recorded the re-check and
    ``checked_on`` is the day it was made (the estate's calendar, as typed; it may be before
    ``closed_at``, the moment it was recorded). An implementation may take only the arguments
    it needs. A plugin that raised the notice may mark
    its own record done here (patrol marks the problem *rectified*; cleaning and greening mark
    the inspection *verified*). An exception rolls the
    re-check back.
    """
