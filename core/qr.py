"""QR codes for printed forms (``segno``, pure Python, inline SVG): key tags, checkpoint
labels, goods-out passes — any plugin's paper a phone should read.

A code is always a regular QR code (never a Micro QR: phone scanners do not read those), error
correction level M (15 % of a scratched label may be lost), with a quiet zone of 2 modules.
The SVG carries no text of its own — only the modules' path — so it is safe to put in the page
as it is; its size is set by the form's CSS through its class.
"""

from __future__ import annotations

import segno
from markupsafe import Markup

#: Error correction level of the printed codes.
ERROR = "m"
#: The quiet zone around the code, in modules.
BORDER = 2


def qr_code(data: str) -> segno.QRCode:
    """The QR code of ``data`` exactly as given (the same one :func:`qr_svg` draws)."""
    return segno.make_qr(data, error=ERROR, boost_error=False)


def qr_svg(data: str, css_class: str) -> Markup:
    """The inline ``<svg class="css_class">`` of ``data``'s QR code."""
    svg = qr_code(data).svg_inline(scale=1, border=BORDER, omitsize=True, svgclass=css_class, lineclass=None,
                                   svgid=None)
    return Markup(svg)  # noqa: S704 - segno's own markup, built from module positions only
