"""Hooks the meetings plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def meetings_open_matters(user, estate_id):
    """The open matters of ``estate_id`` that ``user`` may see, offered to a shift handover.

    Called when the outgoing shift writes a handover record (the list it picks from) and when a
    handover is shown (to say which of its matters are still open). Return a list of dicts, each
    with ``reference`` (the case number, unique across plugins: ``TS-E01-2026-000012``),
    ``label`` (what the case is, in the user's language: "Complaint TS-… 1-1-101 noise at
    night"), ``url`` (the case's page) and ``kind`` (a short translated word: "Complaint").
    Return ``[]`` when the user may not see your cases. Keep it to the open cases (at most a
    few hundred), newest first. The meetings plugin copies label and url onto the handover
    record, so a matter stays readable after the case is closed or its plugin disabled. Only
    enabled plugins are asked; an exception is logged and that plugin's matters are left out.
    """
