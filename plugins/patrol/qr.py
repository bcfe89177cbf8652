"""QR codes of checkpoint labels (``segno``, pure Python, inline SVG).

A label's code holds the full URL of the checkpoint's check form (``/patrol/c/<id>``): a phone's
camera opens it, the login page comes first when needed and leads back to it. A regular QR code
(never a Micro QR), error correction level M, a quiet zone of 2 modules; the SVG carries only the
modules' path, so it is safe to put in the page as it is.
"""

from __future__ import annotations

import segno
from flask import url_for
from markupsafe import Markup

ERROR = "m"
BORDER = 2


def checkpoint_url(point) -> str:
    """The address the label's code holds (this site's own, as the request reached it)."""
    return url_for("patrol.checkpoint", checkpoint_id=point.id, _external=True)


def url_qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR, boost_error=False)


def url_qr_svg(url: str) -> Markup:
    svg = url_qr(url).svg_inline(scale=1, border=BORDER, omitsize=True, svgclass="patrol-qr", lineclass=None,
                                 svgid=None)
    return Markup(svg)  # noqa: S704 - segno's own markup, built from module positions only
