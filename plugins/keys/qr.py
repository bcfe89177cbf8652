"""QR codes of key tag numbers for the printed tag sheet (:mod:`core.qr`: a regular QR code of
the tag number exactly as stored, level M, a quiet zone of 2 modules, inline SVG)."""

from __future__ import annotations

import segno
from markupsafe import Markup

from core.qr import qr_code, qr_svg


def tag_qr(tag: str) -> segno.QRCode:
    """The QR code of ``tag`` (the same one the sheet draws)."""
    return qr_code(tag)


def tag_qr_svg(tag: str) -> Markup:
    """The inline ``<svg class="key-qr">`` of the tag's QR code; its size is set by the sheet's CSS."""
    return qr_svg(tag, "key-qr")
