"""Event hooks this plugin offers to others: prefixed with its code, ``parking_``.

Another plugin implements one with ``@hookimpl(optionalhook=True)`` so that it
still loads when parking is not installed.
"""

from core import hookspec


@hookspec
def parking_space_assigned(assignment):
    """Called inside the transaction when a space is assigned to a unit.

    An exception rolls the assignment back (e.g. a fees plugin that cannot
    open the monthly charge).
    """
