"""What UI hooks return, and how the shell renders them in isolation."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from numbers import Number
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.sql import Select

from core.permissions import has_permission

log = logging.getLogger(__name__)

#: Menu sections in display order; plugins may add their own section names.
SECTIONS = ["service", "records", "money", "operations", "estates", "admin"]


@dataclass
class NavItem:
    label: Any
    endpoint: str
    section: str = "service"
    permission: str | None = None
    sequence: int = 100
    #: A number, or a query giving one (``select(func.count())…``): the menu runs the
    #: queries of every item in one statement (see :func:`nav_for`).
    badge: Any = None
    icon: str = "circle"
    url_args: dict = field(default_factory=dict)
    #: The link, built (and so checked) by the menu on the copy it shows.
    _href: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def url(self) -> str:
        return self._href if self._href is not None else url_for(self.endpoint, **self.url_args)


@dataclass
class Widget:
    code: str
    title: Any
    template: str
    context: dict = field(default_factory=dict)
    permission: str | None = None
    sequence: int = 100
    width: int = 4  # Bootstrap columns out of 12


@dataclass
class Panel:
    code: str
    title: Any
    template: str
    context: dict = field(default_factory=dict)
    permission: str | None = None
    sequence: int = 100
    #: Shown in the page's narrow side column (under the unit's or resident's facts) instead
    #: of the main one: for short panels such as who lives there.
    side: bool = False


#: The satisfaction scale wherever a resident says whether they are satisfied (a return visit's
#: result, the resident's opinion on a printed work order): one source of its labels, so the
#: paper and the screen offer the same choices. The ``satisfaction_scale`` template global.
SATISFACTION = {True: _l("Satisfied"), False: _l("Not satisfied")}


def satisfaction_scale() -> list[tuple[bool, Any]]:
    """The scale's (value, label) pairs, satisfied first."""
    return list(SATISFACTION.items())


@dataclass
class SearchHit:
    kind: Any
    title: str
    url: str
    subtitle: str = ""
    estate_id: int | None = None


def _error_box(what: str, plugin: str) -> Markup:
    msg = _("This part of the page could not be shown (%(what)s from %(plugin)s). "
            "The error was logged.", what=what, plugin=plugin)
    return Markup('<div class="alert alert-warning slot-error" role="alert">{}</div>').format(msg)


@dataclass
class Slot:
    """One rendered widget or panel (or its error box)."""

    code: str
    title: Any
    html: Markup
    plugin: str
    width: int = 12
    failed: bool = False
    side: bool = False


#: What each slot hook's items must be.
SLOT_TYPES = {"dashboard_widgets": "Widget", "unit_panels": "Panel", "resident_panels": "Panel"}


def hook_items(hook: str, code: str, result, kind: type) -> list | None:
    """A UI hook's result as a list of ``kind``, or ``None`` (logged, naming the plugin)
    when it is anything else: ``None`` alone means "nothing", a string is not a list."""
    if result is None:
        return []
    if not isinstance(result, list | tuple):
        log.error("hook %s of plugin %s returned %s, not a list of %s", hook, code,
                  type(result).__name__, kind.__name__)
        return None
    wrong = [type(i).__name__ for i in result if not isinstance(i, kind)]
    if wrong:
        log.error("hook %s of plugin %s returned %s among its items, not %s", hook, code,
                  ", ".join(sorted(set(wrong))), kind.__name__)
        return None
    return list(result)


def render_slots(hook: str, **kwargs) -> list[Slot]:
    """Call a UI hook plugin by plugin and render each item; failures (an exception, or a
    result that is not a list of the hook's type) become error boxes."""
    from core.plugins import plugins

    kind = {"Widget": Widget, "Panel": Panel}[SLOT_TYPES.get(hook, "Panel")]
    slots: list[tuple[int, Slot]] = []
    for code, result, err in plugins().call_each(hook, **kwargs):
        items = hook_items(hook, code, result, kind) if err is None else None
        if items is None:
            slots.append((999, Slot(f"{code}-error", code, _error_box(hook, code), code, 12, True)))
            continue
        for item in items:
            try:
                if item.permission and not has_permission(item.permission):
                    continue
                html = Markup(render_template(item.template, **item.context))
                failed = False
            except Exception:
                log.exception("%s %s of plugin %s failed to render", hook, item.code, code)
                html, failed = _error_box(hook, code), True
            sequence = item.sequence if isinstance(item.sequence, Number) else 999
            slots.append(
                (sequence, Slot(item.code, item.title, html, code, getattr(item, "width", 12), failed,
                                getattr(item, "side", False)))
            )
    slots.sort(key=lambda s: s[0])
    return [s for _seq, s in slots]


def nav_for(user, estates, extra_counts: dict | None = None) -> list[tuple[str, list[NavItem]]]:
    """The menu: (section, items) in order, items the user may use only.

    Badges given as queries are counted together in one statement, with
    ``extra_counts`` (name → query; the shell's unread notifications): their
    numbers are written back into ``extra_counts``.
    """
    from flask import current_app

    from core.plugins import plugins

    views = current_app.view_functions
    items: list[NavItem] = []
    owner: dict[int, str] = {}
    for code, result, err in plugins().call_each("nav_items", user=user, estates=estates):
        for i in (hook_items("nav_items", code, result, NavItem) or []) if err is None else []:
            if not isinstance(i.sequence, Number) or not isinstance(i.section, str):
                log.error("nav item %r of plugin %s has a sequence %r or section %r of the wrong "
                          "type: not shown", str(i.label), code, i.sequence, i.section)
                continue
            if i.permission and not has_permission(i.permission):
                continue
            if i.endpoint not in views:
                log.error("nav item %r of plugin %s points at unknown endpoint %r: not shown",
                          str(i.label), code, i.endpoint)
                continue
            try:
                href = url_for(i.endpoint, **(i.url_args or {}))
            except Exception as exc:
                log.error("nav item %r of plugin %s has no URL (%s: %s): not shown", str(i.label),
                          code, type(exc).__name__, exc)
                continue
            # A copy carries the link and the counted badge: the plugin may reuse its items.
            i = replace(i)
            i._href = href
            items.append(i)
            owner[id(i)] = code
    count_badges(items, owner, extra_counts)
    by_section: dict[str, list[NavItem]] = {}
    for item in sorted(items, key=lambda i: (i.sequence, str(i.label))):
        by_section.setdefault(item.section, []).append(item)
    order = SECTIONS + sorted(s for s in by_section if s not in SECTIONS)
    return [(s, by_section[s]) for s in order if s in by_section]


def count_badges(items: list[NavItem], owner: dict[int, str], extra: dict | None = None) -> None:
    """Replace each badge query by its number: one statement for all of them.

    One round trip instead of one per plugin on every page. If that statement
    fails (a plugin's query is broken), the session is rolled back and each query
    is run alone in a savepoint, so only the broken plugin's badge is lost (logged).
    """
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from core.extensions import db

    extra = extra if extra is not None else {}

    def who(target) -> str:
        return owner.get(id(target), "core") if isinstance(target, NavItem) else "core"

    queries: list[tuple[Any, Select]] = [(i, i.badge) for i in items if isinstance(i.badge, Select)]
    queries += [(name, q) for name, q in extra.items() if isinstance(q, Select)]
    if not queries:
        return
    stmt = select(*(q.scalar_subquery() for _target, q in queries))
    try:
        values = list(db.session.execute(stmt).one())
    except SQLAlchemyError:
        log.exception("the menu's badge statement failed; counting each badge alone")
        db.session.rollback()
        values = []
        for target, q in queries:
            try:
                with db.session.begin_nested():
                    values.append(db.session.scalar(q))
            except SQLAlchemyError:
                log.exception("badge query of plugin %s failed", who(target))
                values.append(None)
    for (target, _q), value in zip(queries, values, strict=True):
        if value is not None and not isinstance(value, Number):
            log.warning("badge query of plugin %s gave %r, not a number: no badge", who(target),
                        type(value).__name__)
            value = None
        if isinstance(target, NavItem):
            target.badge = value or None
        else:
            extra[target] = value or 0


_SECTION_TITLES = {
    "service": _l("Service desk"),
    "records": _l("Records and custody"),
    "money": _l("Money"),
    "operations": _l("Operations"),
    "estates": _l("Estates and people"),
    "admin": _l("Administration"),
}


def section_title(section: str) -> str:
    title = _SECTION_TITLES.get(section)
    return str(title) if title is not None else section.replace("_", " ").title()


def badge(value) -> Markup:
    if not value:
        return Markup("")
    return Markup('<span class="badge rounded-pill text-bg-danger ms-1">{}</span>').format(escape(value))
