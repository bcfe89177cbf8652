"""Languages, time zones, and locale-aware formatting of dates, times and money."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from markupsafe import Markup

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


def locale_code() -> str:
    """Our code ("en", "zh_CN") for Flask-Babel's current locale (also under ``force_locale``)."""
    from flask_babel import get_locale

    loc = get_locale()
    if loc is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for code in current_app.config["PROPDESK_LOCALES"]:
        if code.split("_")[0] == loc.language:
            return code
    return str(loc)


def get_translations():
    """The merged catalogs (core + every loaded plugin) for the current language.

    Replaces Flask-Babel's lookup for two reasons: it would look ``zh_CN`` up as
    ``zh_Hans_CN`` (Babel's likely-subtag name), and its cache is shared by every
    app of a process. Here catalogs are found by our locale code, cached per app,
    and a plugin without a catalog for the language cannot reset the plural rule.
    """
    from babel import support
    from flask import has_app_context

    if not has_app_context():
        return support.NullTranslations()
    code = locale_code()
    cache = current_app.extensions.setdefault("propdesk_translations", {})
    if code not in cache:
        dirs = current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
        merged, clashes = merge_catalogs(dirs[1:] + dirs[:1], code)
        owner = catalog_owners()
        for msgid, first, later in clashes[:20]:
            log.warning("translation clash (%s): %r is %r in %s (%s) but %r in %s (%s); the latter wins. "
                        "Give one of them a context (pgettext).", code, msgid,
                        first[1], owner.get(first[0], "a catalog"), first[0],
                        later[1], owner.get(later[0], "a catalog"), later[0])
        cache[code] = merged
    return cache[code]


def catalog_owners() -> dict[str, str]:
    """Whose each translation folder of the app is: ``"the core"`` or ``"plugin 'fees'"``."""
    from core.config import ROOT

    owners = {str(ROOT / "translations"): "the core"}
    pm = current_app.extensions.get("propdesk_plugins")
    for code in getattr(pm, "order", []):
        owners[str(pm.infos[code].path / "translations")] = f"plugin {code!r}"
    return owners


def catalog_text(directory, text: str) -> str:
    """``text`` as the one catalog in ``directory`` translates it into the current language
    (``text`` itself when it has no entry there).

    For a plugin's manifest name and summary (``PluginInfo.title``): they are the plugin's own
    texts, extracted into its own catalog by ``core.i18n_tools``, so they are looked up there —
    not in the merged catalogs, where another plugin's entry could answer — and this works for
    a plugin that is not loaded too (the Modules page lists it)."""
    from babel import support
    from flask import has_app_context

    if not text or not has_app_context():
        return text
    code = locale_code()
    cache = current_app.extensions.setdefault("propdesk_own_catalogs", {})
    key = (str(directory), code)
    if key not in cache:
        catalog = support.Translations.load(str(directory), [code], "messages")
        cache[key] = catalog if isinstance(catalog, support.Translations) else None
    catalog = cache[key]
    return catalog.gettext(text) if catalog is not None else text


def merge_catalogs(dirs: list[str], code: str):
    """One catalog of ``dirs``' catalogs for ``code`` (later ones win: plugins first, the
    core last, so a plugin cannot change the core's own terms), and the *clashes*: the
    same msgid (and context) translated differently in two of them, as
    ``(msgid, (first dir, text), (later dir, text))`` — one of them is then shown wrongly
    wherever the other plugin's word appears, so they are logged."""
    from babel import support

    merged = support.Translations()
    origin: dict = {}
    clashes = []
    for dirname in dirs:
        catalog = support.Translations.load(dirname, [code], "messages")
        if not isinstance(catalog, support.Translations):
            continue
        # ``_catalog`` is gettext's own mapping of the compiled entries, which Babel's
        # ``Translations.merge`` reads too; there is no public way to list a .mo's entries.
        for key, text in catalog._catalog.items():
            if not key:  # the catalog's header
                continue
            if key in merged._catalog and merged._catalog[key] != text:
                msgid = key[0] if isinstance(key, tuple) else key
                clashes.append((msgid.replace("\x04", " | "), (origin[key], merged._catalog[key]), (dirname, text)))
            origin[key] = dirname
        merged.merge(catalog)
        merged.plural = catalog.plural
    return merged, clashes


def select_locale() -> str:
    supported = current_app.config["PROPDESK_LOCALES"]
    if has_request_context():
        if getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
            return current_user.locale
        if session.get("locale") in supported:
            return session["locale"]
        if not current_app.config.get("PROPDESK_LOCALE_FROM_BROWSER", True):
            return current_app.config["BABEL_DEFAULT_LOCALE"]
        best = request.accept_languages.best_match(["en", "zh-CN", "zh"])
        if best in ("zh-CN", "zh"):
            return "zh_CN"
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def estate_timezone() -> str:
    """The time zone of the estate in view (Asia/Shanghai by default)."""
    from core.plugins import request_cache

    cache = request_cache() if has_request_context() else {}
    if "estate_tz" in cache:
        return cache["estate_tz"]
    tz = current_app.config["PROPDESK_DEFAULT_TIMEZONE"]
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        from core.models import Estate
        from core.security import current_estate_ids

        ids = current_estate_ids()
        if len(ids) == 1:
            from core.extensions import db

            est = db.session.get(Estate, ids[0])
            if est is not None:
                tz = est.timezone
        cache["estate_tz"] = tz
    return tz


def select_timezone() -> str:
    return estate_timezone()


def to_local(value: datetime, tz: str | None = None) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz or estate_timezone()))


#: The one date-time format of pages, printouts, flashes and notifications: unambiguous,
#: 24-hour and the same in every language ("2026-03-05 17:30"). The ``datetime`` filter and
#: :func:`fmt_datetime` use it unless given another (a Babel name or pattern).
DATETIME_FORMAT = "yyyy-MM-dd HH:mm"


def fmt_datetime(value, fmt: str | None = None, tz: str | None = None) -> str:
    """``value`` in the site's date-time format (:data:`DATETIME_FORMAT`), in the request's
    locale and zone — or in zone ``tz`` (an estate's, e.g. in a job's notification, which has
    no request). Every page, flash and message shows a time through this (or the filter)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if tz is not None:
            from babel.dates import format_datetime as babel_format_datetime

            return babel_format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC),
                                         fmt or DATETIME_FORMAT, tzinfo=ZoneInfo(tz), locale=get_locale())
        return datetime_formatter(fmt or DATETIME_FORMAT)(value)
    return format_date(value, fmt or "short")


def datetime_formatter(fmt: str = DATETIME_FORMAT):
    """A function formatting datetimes exactly as ``flask_babel.format_datetime(value, fmt)``
    (in the request's locale and time zone; naive values are UTC).

    The locale, the zone and Babel's patterns are looked up once per request and
    format rather than once per value: a list of 25 rows shows 75 dates. Under
    ``force_locale`` (a notice in its recipient's language) the locale object
    changes, and so does the formatter.
    """
    if not has_request_context():
        return lambda value: format_datetime(value, fmt)
    from flask_babel import get_timezone

    from core.plugins import request_cache

    locale, tz = get_locale(), get_timezone()
    cache = request_cache()
    hit = cache.get(("datetime_formatter", fmt))
    if hit is not None and hit[0] is locale and hit[1] is tz:
        return hit[2]
    formatter = _datetime_formatter(fmt, locale, tz)
    cache[("datetime_formatter", fmt)] = (locale, tz, formatter)
    return formatter


def _datetime_formatter(fmt: str, locale, tz):
    """Babel's ``format_datetime`` with its per-call lookups done once (babel.dates:
    a named format is the locale's date and time patterns in its datetime frame)."""
    from babel import dates

    normalize = getattr(tz, "normalize", None)  # pytz zones

    def local(value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(tz)
        return normalize(value) if normalize is not None else value

    if fmt not in ("full", "long", "medium", "short"):
        pattern = dates.parse_pattern(fmt)
        return lambda value: pattern.apply(local(value), locale)
    frame = dates.get_datetime_format(fmt, locale=locale).replace("'", "")
    date_p = dates.parse_pattern(dates.get_date_format(fmt, locale=locale))
    time_p = dates.parse_pattern(dates.get_time_format(fmt, locale=locale))

    def one(value: datetime) -> str:
        value = local(value)
        day = value.date()
        return (frame.replace("{0}", time_p.apply(value.timetz(), locale, reference_date=day))
                .replace("{1}", date_p.apply(day, locale)))

    return one


def fmt_date(value, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, fmt)


#: A date in a list on a phone: the date of :data:`DATETIME_FORMAT`, never broken over lines.
SHORT_DATE_FORMAT = "yyyy-MM-dd"


def list_date(value):
    """A date in a list cell: the locale's date (``2026年11月19日``, ``Nov 19, 2026``) from
    768 px on, and on a phone the short ``2026-11-19`` kept on one line (``static/css/app.css``,
    ``.date-long`` / ``.date-short``): the whole date fits beside number, unit, state and due."""
    if value is None:
        return Markup("")
    return Markup('<span class="date-long">{}</span><span class="date-short">{}</span>').format(
        fmt_date(value), fmt_date(value, SHORT_DATE_FORMAT))


CENT = Decimal("0.01")
#: What staff may type as an amount: digits, an optional point and decimals, thousands commas
#: (removed before matching). No exponent: "1e3" is not 1000.00 on a receipt.
PLAIN_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def plain_amount(text: str) -> Decimal | None:
    """``text`` as a Decimal when it is written as a plain amount, else None."""
    raw = text.strip().replace(",", "")
    if not PLAIN_AMOUNT.fullmatch(raw):
        return None
    return Decimal(raw)


def to_money(value) -> Decimal:
    """Parse money exactly: a ``Decimal`` with two places, or ``ValueError``."""
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    d = value if isinstance(value, Decimal) else plain_amount(str(value))
    if d is None or not d.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value, currency: str | None = None) -> str:
    if value is None:
        return ""
    currency = currency or current_app.config["PROPDESK_CURRENCY"]
    return format_currency(Decimal(value), currency, locale=str(get_locale()))


def fmt_number(value, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        return format_decimal(value, format="#,##0." + "0" * digits, locale=str(get_locale()))
    return format_decimal(value, locale=str(get_locale()))


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``."""
    digits = phone or ""
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id(number: str) -> str:
    """An ID number shows its first 4 and last 4 characters only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def today_local() -> date:
    return datetime.now(ZoneInfo(estate_timezone())).date()


def catalog_errors(tdir) -> str | None:
    """Why a plugin's ``translations`` folder cannot be read (a damaged ``.mo``), or ``None``.

    Checked when the plugin loads: the merged catalog is read on every page, so one
    damaged file would otherwise break every page in that language."""
    from pathlib import Path

    from babel import support

    for mo in sorted(Path(tdir).glob("*/LC_MESSAGES/*.mo")):
        st = mo.stat()
        key = (str(mo), st.st_mtime_ns, st.st_size)
        if key not in _CATALOGS_CHECKED:  # once per file and process (tests build many apps)
            try:
                with mo.open("rb") as fh:
                    support.Translations(fh, domain=mo.stem)
                _CATALOGS_CHECKED[key] = None
            except Exception as exc:
                _CATALOGS_CHECKED[key] = f"{mo.relative_to(Path(tdir).parent)}: {type(exc).__name__}: {exc}"
        if _CATALOGS_CHECKED[key]:
            return _CATALOGS_CHECKED[key]
    return None


_CATALOGS_CHECKED: dict[tuple[str, int, int], str | None] = {}
