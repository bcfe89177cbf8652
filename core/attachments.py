"""Attachments (photos, scans) kept for any business record, checked and stored safely.

Plugins call :func:`save_upload` from a view with the uploaded file and the
record it belongs to; files live under ``instance/uploads/<estate>/`` with a
random name, and are served only to users who can see the estate
(``/attachments/<id>``). Attachments are never deleted, only voided.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from core.errors import DomainError
from core.extensions import db
from core.models.base import BusinessRecord, EstateScopedMixin, UTCDateTime, VoidableMixin

IMAGE_TYPES = {
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"GIF87a": ("gif", "image/gif"),
    b"GIF89a": ("gif", "image/gif"),
    b"RIFF": ("webp", "image/webp"),
}
PDF_MAGIC = b"%PDF-"
MAX_BYTES = 8 * 1024 * 1024


class Attachment(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """A file attached to a record (``owner_table``, ``owner_id``)."""

    __tablename__ = "core_attachment"
    __table_args__ = (sa.Index("ix_core_attachment_owner", "owner_table", "owner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_table: Mapped[str] = mapped_column(sa.String(80))
    owner_id: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int] = mapped_column()
    stored_as: Mapped[str] = mapped_column(sa.String(200))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def sniff(data: bytes, allow_pdf: bool = False) -> tuple[str, str] | None:
    """(extension, content type) from the file's first bytes, or None if not allowed."""
    for magic, kind in IMAGE_TYPES.items():
        if data.startswith(magic):
            if magic == b"RIFF" and data[8:12] != b"WEBP":
                return None
            return kind
    if allow_pdf and data.startswith(PDF_MAGIC):
        return ("pdf", "application/pdf")
    return None


def check_upload(storage, allow_pdf: bool = False, max_bytes: int = MAX_BYTES) -> tuple[bytes, str, str]:
    """Read and check an uploaded file; :class:`DomainError` (field ``photos``) if unfit."""
    data = storage.read(max_bytes + 1)
    if not data:
        raise DomainError(_("The file %(name)s is empty.", name=storage.filename or "?"), "photos")
    if len(data) > max_bytes:
        raise DomainError(_("The file %(name)s is larger than %(mb)s MB.", name=storage.filename,
                            mb=max_bytes // (1024 * 1024)), "photos")
    kind = sniff(data, allow_pdf)
    if kind is None:
        raise DomainError(_("The file %(name)s is not a photo (JPEG, PNG, GIF or WebP).",
                            name=storage.filename or "?"), "photos")
    return data, kind[0], kind[1]


def save_upload(storage, owner, allow_pdf: bool = False) -> Attachment:
    """Store one uploaded file for ``owner`` (a model with ``id`` and ``estate_id``)."""
    data, ext, ctype = check_upload(storage, allow_pdf)
    folder = Path(current_app.config["PROPDESK_INSTANCE"]) / "uploads" / str(owner.estate_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    (folder / name).write_bytes(data)
    att = Attachment(estate_id=owner.estate_id, owner_table=owner.__tablename__, owner_id=owner.id,
                     filename=(storage.filename or name)[-200:], content_type=ctype, size=len(data),
                     stored_as=f"{owner.estate_id}/{name}")
    db.session.add(att)
    return att


def attachments_of(owner) -> list[Attachment]:
    return db.session.scalars(
        sa.select(Attachment).where(Attachment.owner_table == owner.__tablename__,
                                    Attachment.owner_id == owner.id, Attachment.voided_at.is_(None))
        .order_by(Attachment.id)
    ).all()


bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.route("/<int:att_id>")
def serve(att_id):
    from flask_login import login_required  # noqa: F401  (login is enforced for every route)

    from core.plugins import is_enabled, table_owner
    from core.security import get_scoped_or_404

    att = get_scoped_or_404(Attachment, att_id)
    if att.voided_at is not None:
        abort(404)
    # A disabled plugin's files are not served: its record rules (which may keep a file to
    # fewer people than its estate's staff, as archives' scans) are not applied while it is
    # off, and its pages are gone too.
    owner = table_owner(att.owner_table)
    if owner is None or (owner != "core" and not is_enabled(owner)):
        abort(404)
    path = Path(current_app.config["PROPDESK_INSTANCE"]) / "uploads" / att.stored_as
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=att.content_type, download_name=att.filename, max_age=3600)
