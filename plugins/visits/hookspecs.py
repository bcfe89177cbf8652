"""Event hooks the visits plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def visits_recorded(visit):
    """Called inside the transaction when the result of return visit ``visit`` is recorded.

    ``visit.source_type`` is ``"repair"``, ``"complaint"``, ``"decoration"`` or ``"routine"``;
    ``visit.source_id`` / ``visit.source_number`` name the case; ``visit.satisfied`` is
    ``True`` or ``False``; ``visit.remarks`` says why when not satisfied. The plugin that owns
    the source closes its case ("visited") or reopens it. An exception rolls the record back.
    Not called for a visit marked missed or cancelled.
    """
