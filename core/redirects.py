"""The one check for a redirect target that came from the user (``next``, ``back``…).

Every view that redirects to an address taken from the request — the login page's
``?next=``, the estate switcher's and the language switch's ``next``, a list's
``back`` — passes it through :func:`safe_next`. Only a path on this site is
accepted: it starts with a single ``/``, has no scheme or host, and contains no
backslash and no control character (tab, newline, NUL…). Browsers
drop tabs and newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example``
and ``/\\evil.example`` would otherwise reach another site. Anything else gives the
fallback (the dashboard unless the caller names a page).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for

#: Longer targets are refused (a page of this site never needs more).
MAX_LENGTH = 2000


def is_safe_path(target) -> bool:
    """True when ``target`` is a relative path on this site (see the module's doc)."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(unicodedata.category(ch) == "Cc" for ch in target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def safe_next(target, fallback: str | None = None) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (default: the dashboard)."""
    if is_safe_path(target):
        return target
    return fallback if fallback is not None else url_for("main.index")
