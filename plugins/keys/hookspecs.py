"""Event hooks the keys plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def keys_handed_over(handover):
    """Called inside the transaction when an owner's keys are handed over (usually at move-in).

    ``handover`` has ``id, number, estate_id, unit_id, owner_name, handed_at, source, source_ref``
    and ``lines`` (each with ``key`` and ``copies``). A move-in plugin marks its checklist item
    done here. An exception rolls the handover back.
    """
