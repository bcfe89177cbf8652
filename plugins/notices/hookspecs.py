"""Event hooks the notices plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def notices_published(notice):
    """Called inside the transaction when ``notice`` is published.

    Other plugins may react (send it to residents, post it elsewhere). An
    exception rolls the publication back.
    """
