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


def search_records(stmt: Select) -> list:
    """The records a search hook's ``select(Model).where(…).order_by(…).limit(n)`` finds, in
    its order: first the ids alone, then — only when there are some — the records by id.

    The search page calls every plugin's hook on every query and most find nothing; loading
    a model with its joined relations costs SQLAlchemy ~1 ms of set-up even for no row, a
    bare id column a fraction of that. Each hit's record is loaded as before (relations
    included), in one more statement."""
    from sqlalchemy import select

    from core.extensions import db

    model = stmt.column_descriptions[0]["entity"]
    ids = db.session.scalars(stmt.with_only_columns(model.id)).all()
    if not ids:
        return []
    found = {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


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


def dashboard_html(user, estates) -> Markup:
    """The dashboard's row of widget cards (``main/_widgets.html``): the widgets
    (``render_slots("dashboard_widgets")``) rendered into it once and kept per user, estate
    view and locale until anything is written to the database, the user's access or the
    enabled set changes (``core.revisions``), or the minute changes (figures such as
    "overdue" or "today" move with the clock). A visit to a known dashboard renders no widget
    markup at all; a page with a failed widget is not kept."""
    from flask import current_app
    from flask_babel import get_locale

    from core import revisions
    from core.models import utcnow
    from core.plugins import plugins

    revs = revisions.current()
    subject = (user.id, str(get_locale()), tuple(estates))
    version = (plugins().revision, revs.get(revisions.ACCESS), revs.get(revisions.DATA),
               utcnow().replace(second=0, microsecond=0))
    unsettled = revisions.unsettled(revisions.DATA) or revisions.unsettled(revisions.ACCESS)
    found = None if unsettled else revisions.kept("dashboard", subject, version)
    if found is None:
        slots = [replace(s, title=str(s.title)) for s in render_slots("dashboard_widgets", user=user,
                                                                      estates=estates)]
        found = Markup(current_app.jinja_env.get_template("main/_widgets.html").render(widgets=slots))
        if not unsettled and not any(s.failed for s in slots):
            revisions.keep("dashboard", subject, version, found)
    return found


def nav_for(user, estates, extra_counts: dict | None = None) -> list[tuple[str, list[NavItem]]]:
    """The menu: (section, items) in order, items the user may use only.

    Badges given as queries are counted together in one statement, with
    ``extra_counts`` (name → query; the shell's unread notifications): their
    numbers are written back into ``extra_counts``.
    """
    extra = extra_counts if extra_counts is not None else {}
    return build_menu(user, estates, extra).counted(extra)


@dataclass
class Menu:
    """The menu of one user, estate view and locale before its badges are counted:
    what the plugins' ``nav_items`` give, checked, linked and sorted, and the one
    statement that counts every badge. The shell keeps it across requests
    (``core.shell``) and runs only :meth:`counted` on each page."""

    sections: list[tuple[str, list[NavItem]]]
    #: What each column of ``statement`` counts: a menu item, or a name of ``extra``.
    targets: list[Any]
    statement: Select | None
    queries: list[Select]
    owner: dict[int, str]

    def counted(self, extra: dict | None = None) -> list[tuple[str, list[NavItem]]]:
        """The sections with each badge's number (copies: the menu itself is shared);
        the numbers of ``extra``'s names are written into ``extra``."""
        values = count_statement(self.statement, self.targets, self.queries, self.owner)
        numbers: dict[int, Any] = {}
        for target, value in zip(self.targets, values, strict=True):
            if isinstance(target, NavItem):
                numbers[id(target)] = value or None
            elif extra is not None:
                extra[target] = value or 0
        return [(section, [replace(i, badge=numbers[id(i)]) if id(i) in numbers else i for i in items])
                for section, items in self.sections]


def build_menu(user, estates, extra: dict | None = None) -> Menu:
    """Call every plugin's ``nav_items`` and prepare the menu (see :class:`Menu`); item
    labels are translated here, in the request's locale. ``extra`` (name → count query)
    joins the badges' statement."""
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
            # A copy carries the link and the translated label: the plugin may reuse its items.
            i = replace(i, label=str(i.label))
            i._href = href
            items.append(i)
            owner[id(i)] = code
    by_section: dict[str, list[NavItem]] = {}
    for item in sorted(items, key=lambda i: (i.sequence, i.label)):
        by_section.setdefault(item.section, []).append(item)
    order = SECTIONS + sorted(s for s in by_section if s not in SECTIONS)
    sections = [(s, by_section[s]) for s in order if s in by_section]
    targets: list[Any] = []
    queries: list[Select] = []
    for i in items:
        if isinstance(i.badge, Select):
            targets.append(i)
            queries.append(i.badge)
    for name, q in (extra or {}).items():
        if isinstance(q, Select):
            targets.append(name)
            queries.append(q)
    from sqlalchemy import select

    statement = select(*(q.scalar_subquery() for q in queries)) if queries else None
    return Menu(sections, targets, statement, queries, owner)


def count_statement(statement, targets: list, queries: list, owner: dict[int, str]) -> list:
    """Run the badges' one statement. If it fails (a plugin's query is broken), the
    session is rolled back and each query is run alone in a savepoint, so only the
    broken plugin's badge is lost (logged)."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.extensions import db

    if statement is None:
        return []

    def who(target) -> str:
        return owner.get(id(target), "core") if isinstance(target, NavItem) else "core"

    try:
        values = list(db.session.execute(statement).one())
    except SQLAlchemyError:
        log.exception("the menu's badge statement failed; counting each badge alone")
        db.session.rollback()
        values = []
        for target, q in zip(targets, queries, strict=True):
            try:
                with db.session.begin_nested():
                    values.append(db.session.scalar(q))
            except SQLAlchemyError:
                log.exception("badge query of plugin %s failed", who(target))
                values.append(None)
    out = []
    for target, value in zip(targets, values, strict=True):
        if value is not None and not isinstance(value, Number):
            log.warning("badge query of plugin %s gave %r, not a number: no badge", who(target),
                        type(value).__name__)
            value = None
        out.append(value)
    return out


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
