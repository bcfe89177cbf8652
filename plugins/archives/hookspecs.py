"""Event hooks the archives plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def archives_document_filed(entry):
    """Called inside the transaction when a document is added to a file's contents log (by
    :func:`plugins.archives.services.file_document` or the archivist's page).

    ``entry`` has ``id, estate_id, file_id, file`` (with ``number, kind, unit_id``), ``title,
    source, source_ref, at`` and ``recorded_by_id``. An exception rolls the filing back.
    """
