"""Event hooks the patrol plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def patrol_problem_found(problem):
    """Called inside the transaction when a patroller records a problem at a checkpoint.

    ``problem`` has ``id, estate_id, patrol_id, checkpoint_id, category, description, found_at,
    state, repair_id, repair_number`` (the repair order the repairs plugin made of it, when that
    plugin is enabled; else empty), ``rectification_id, rectification_number, service_kind`` (the
    notice the vendors plugin raised when the patroller sent the problem to the vendor — patrol
    calls vendors' documented ``raise_rectification`` itself; else empty) and ``checkpoint``
    (``code, name, route``). An exception rolls the visit back.
    """
