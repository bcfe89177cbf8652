"""QR codes of checkpoint labels (:mod:`core.qr`, inline SVG).

A label's code holds the full URL of the checkpoint's check form (``/patrol/c/<id>``): a phone's
camera opens it, the login page comes first when needed and leads back to it.
"""

from __future__ import annotations

import segno
from flask import url_for
from markupsafe import Markup

from core.qr import qr_code, qr_svg


def checkpoint_url(point) -> str:
    """The address the label's code holds (this site's own, as the request reached it)."""
    return url_for("patrol.checkpoint", checkpoint_id=point.id, _external=True)


def url_qr(url: str) -> segno.QRCode:
    return qr_code(url)


def url_qr_svg(url: str) -> Markup:
    return qr_svg(url, "patrol-qr")
