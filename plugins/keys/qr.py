"""QR codes of key tag numbers for the printed tag sheet (``segno``, pure Python, inline SVG).

The code is a regular QR code (never a Micro QR: phone scanners do not read those) of the tag
number exactly as stored, error correction level M, a quiet zone of 2 modules. The SVG carries
no text of its own — only the modules' path — so it is safe to put in the page as it is.
"""

from __future__ import annotations

import segno
from markupsafe import Markup

#: Error correction level of the printed codes (M: 15 % of a scratched tag may be lost).
ERROR = "m"
BORDER = 2


def tag_qr(tag: str) -> segno.QRCode:
    """The QR code of ``tag`` (the same one the sheet draws)."""
    return segno.make_qr(tag, error=ERROR, boost_error=False)


def tag_qr_svg(tag: str) -> Markup:
    """The inline ``<svg>`` of the tag's QR code; its size is set by the sheet's CSS."""
    svg = tag_qr(tag).svg_inline(scale=1, border=BORDER, omitsize=True, svgclass="key-qr", lineclass=None,
                                 svgid=None)
    return Markup(svg)  # noqa: S704 - segno's own markup, built from module positions only
