"""Attachments: only real images are kept, and only the estate's staff can fetch them."""

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.attachments import Attachment, attachments_of, save_upload
from core.errors import DomainError
from core.models import Unit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(data, name="leak.png"):
    return FileStorage(io.BytesIO(data), filename=name)


def test_a_photo_is_stored_and_served_to_the_estates_staff(client, login_as, db, estates):
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id))
    att = save_upload(upload(PNG), unit)
    db.session.commit()
    assert attachments_of(unit) == [att] and att.content_type == "image/png" and att.size == len(PNG)
    login_as("clerk", estates=[estates[0]])
    resp = client.get(f"/attachments/{att.id}")
    assert resp.status_code == 200 and resp.data == PNG and resp.mimetype == "image/png"


def test_another_estates_photo_is_not_found(client, login_as, db, estates):
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estates[1].id))
    att = save_upload(upload(PNG), unit)
    db.session.commit()
    login_as("clerk", estates=[estates[0]])
    assert client.get(f"/attachments/{att.id}").status_code == 404


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.png", "is empty"),
    (b"MZ\x90\x00 an exe renamed", "photo.jpg", "is not a photo"),
    (b"%PDF-1.4 a pdf", "scan.pdf", "is not a photo"),
    (b"\xff\xd8\xff" + b"0" * (9 * 1024 * 1024), "huge.jpg", "is larger than 8 MB"),
])
def test_unfit_files_are_refused_and_nothing_is_kept(app, db, estates, data, name, message):
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id))
    with pytest.raises(DomainError, match=message):
        save_upload(upload(data, name), unit)
    assert db.session.scalar(select(Attachment)) is None
