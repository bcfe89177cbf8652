"""Event hooks the surveys plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def surveys_closed(survey):
    """Called inside the transaction when ``survey`` is closed (its figures are final)."""
