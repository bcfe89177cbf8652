"""Event hooks the decoration plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def decoration_accepted(application):
    """Called inside the transaction when a renovation is accepted (验收).

    ``application`` has ``id, number, estate_id, unit_id, permit_number, contractor,
    applicant_name, applicant_phone, owner_name, description, accepted_at, accepted_by_id``
    (and ``estate``, ``unit``). The fees plugin marks the deposits held for
    ``application.number`` releasable and requests their refund; the visits plugin plans the
    owner's decoration return visit. An exception rolls the acceptance back.
    """
