"""The one list-page helper: sort, paginate and export (CSV/XLSX) a scoped query.

A view builds a scoped, filtered ``select`` and hands it here with its columns;
exports use the very same query, so they can never show more than the list.

The statement decides *which* records and in what order (by primary key). What a
row *shows* is loaded afterwards for those keys only: by default the view's own
statement restricted to them (ORM objects), or, for a busy list, a ``rows``
loader that returns plain result rows (``row.number`` reads the same either
way) — the page and the exports then read through that one loader.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, abort, current_app, request, url_for
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms.widgets import Select, html_params

from core.extensions import db

EXPORT_MAX_ROWS = 200_000
EXPORT_FORMATS = ("csv", "xlsx")


def export_format(allowed: Sequence[str] = EXPORT_FORMATS) -> str | None:
    """The ``export`` the request asks for: ``None`` when it asks for none, one of
    ``allowed``, or a 400 page saying which formats this page exports to (an unknown
    format is refused, never taken for the page itself)."""
    fmt = request.args.get("export")
    if not fmt:
        return None
    if fmt in allowed:
        return fmt
    from flask_babel import gettext as _

    from core.errors import DomainError

    raise DomainError(_("This page cannot be exported in that format. It exports to: %(formats)s.",
                        formats=", ".join(allowed)))


def export_url(fmt: str) -> str:
    """This page's URL with its filters and ``export=fmt`` (any ``export`` or ``page`` of
    the request replaced). A template global: ``href="{{ export_url('xlsx') }}"``."""
    args = request.args.to_dict()
    args["export"] = fmt
    args.pop("page", None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@dataclass
class Column:
    key: str
    label: Any
    value: Callable[[Any], Any]
    sort: Any = None  # a SQL expression, or None when not sortable
    link: Callable[[Any], str] | None = None
    css: str = ""
    fmt: str = ""  # "money", "date", "datetime", "number", "area" (2 decimals); "" = text (docs/writing-plugins.md §7)
    #: From which window width on the column shows: "always", a Bootstrap breakpoint ("sm" ≥ 576,
    #: "md" ≥ 768, "lg" ≥ 992, "xl" ≥ 1200, "xxl" ≥ 1400 px), or "" — automatic: "always" for the
    #: first column and those named in :data:`PHONE_COLUMNS`, "md" for the rest (a phone shows
    #: what matters without scrolling sideways). Exports have every column.
    show: str = ""


#: Column keys a phone always shows (unless the column says otherwise): what a record is and
#: where, its state and its deadline. A list names such columns with these keys.
PHONE_COLUMNS = frozenset({"number", "tag", "unit", "place", "where", "state", "due", "reply_due"})
#: Column keys whose values are codes (numbers, unit numbers, the case a record is about): on one
#: line at every width, never broken at their hyphens (class ``code``, as is the first column).
#: Dates, times and amounts (class ``fig``) stay on one line from 768 px on; a phone may show a
#: date-time's time under its date. Hand-made tables give their cells the same classes.
CODE_COLUMNS = frozenset({"number", "tag", "unit", "source"})
BREAKPOINTS = ("sm", "md", "lg", "xl", "xxl")


def responsive(columns: Sequence[Column]) -> list[Column]:
    """The columns with the CSS classes that hide each below its ``show`` width (Bootstrap's
    ``d-none d-<bp>-table-cell``); a column whose ``css`` already has ``d-none`` is left as it is."""
    out = []
    for i, c in enumerate(columns):
        show = c.show or ("always" if i == 0 or c.key in PHONE_COLUMNS else "md")
        if show != "always" and show not in BREAKPOINTS:
            raise ValueError(f"Column {c.key!r}: show={show!r} is not 'always' or one of {BREAKPOINTS}")
        classes = c.css.split()
        if "wrap" not in classes:
            if c.fmt:
                classes.append("fig")
            elif i == 0 or c.key in CODE_COLUMNS:
                classes.append("code")
        if show != "always" and "d-none" not in classes:
            classes += ["d-none", f"d-{show}-table-cell"]
        css = " ".join(classes)
        out.append(c if css == c.css else replace(c, css=css))
    return out


class FilterSelect(Select):
    """WTForms' ``Select``, same HTML, rendered in one pass.

    A filter bar is on every list page; the stock widget looks up its option
    renderer's signature and builds attributes through a dict for every option
    (about 1 ms of a list page's filter bar). Options with their own attributes
    and grouped or multiple selects are left to the stock widget's code.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in self.validation_attrs:
            if k not in kwargs and getattr(flags, k, False):
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, selected, render_kw in field.iter_choices():
            if isinstance(value, bool):
                value = str(value)
            if render_kw:
                html.append(f"<option {html_params(value=value, **render_kw, **({'selected': True} if selected else {}))}>"
                            f"{escape(label or value)}</option>")
            else:
                html.append(f'<option {"selected " if selected else ""}value="{escape(value)}">'
                            f"{escape(label or value)}</option>")
        html.append("</select>")
        return Markup("".join(html))


_FILTER_SELECT = FilterSelect()


class FilterForm(FlaskForm):
    """Filters live in the query string: no CSRF (they change nothing). Their selects
    render through :class:`FilterSelect`. An ``IntegerField`` refuses a number beyond a
    32-bit column's range (``core.inputs``)."""

    class Meta:
        csrf = False

        def bind_field(self, form, unbound_field, options):
            from core.inputs import bind_bounded

            return bind_bounded(form, unbound_field, options)

        def render_field(self, field, render_kw):
            if type(field.widget) is Select and not field.widget.multiple:
                if field.render_kw:
                    render_kw = dict(field.render_kw, **render_kw)
                return _FILTER_SELECT(field, **render_kw)
            return super().render_field(field, render_kw)


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int
    per_page: int


#: Exports load their rows this many keys at a time.
EXPORT_CHUNK = 1000


class ListPage:
    """``rows(ids)``, when given, returns the display rows of those primary keys (in any
    order, each with the key under its name, e.g. ``row.id``). It is only ever given keys
    the scoped statement returned, so it needs no scope of its own."""

    def __init__(self, stmt, columns: list[Column], default_sort: str, title: str = "",
                 export_name: str = "export", per_page: int | None = None,
                 rows: Callable[[Sequence], Iterable] | None = None):
        self.stmt = stmt
        self.load_rows = rows
        #: Every column, as the exports have them.
        self.export_columns = responsive(columns)
        #: The columns the page shows: all but the estate's for a user of one estate only (it
        #: says nothing to them; issue 15).
        self.columns = self.export_columns
        if any(c.key == "estate" for c in self.columns):
            from core.security import user_estate_ids

            if len(user_estate_ids()) <= 1:
                self.columns = [c for c in self.columns if c.key != "estate"]
        self.by_key = {c.key: c for c in self.export_columns}
        self.default_sort = default_sort
        self.title = title
        self.export_name = export_name
        self.per_page = per_page or current_app.config["PROPDESK_PAGE_SIZE"]
        self.sort_key, self.sort_desc = self._parse_sort(request.args.get("sort", default_sort))

    def _parse_sort(self, raw: str):
        desc = raw.startswith("-")
        key = raw.lstrip("-")
        if key not in self.by_key or self.by_key[key].sort is None:
            key = self.default_sort.lstrip("-")
            desc = self.default_sort.startswith("-")
        return key, desc

    def sorted_stmt(self):
        expr = self.by_key[self.sort_key].sort
        pk = self.stmt.column_descriptions[0]["entity"]
        tiebreak = pk.__mapper__.primary_key[0] if hasattr(pk, "__mapper__") else None
        order = [expr.desc() if self.sort_desc else expr.asc()]
        if tiebreak is not None:
            order.append(tiebreak.desc() if self.sort_desc else tiebreak.asc())
        return self.stmt.order_by(*order)

    @property
    def _pk(self):
        return self.stmt.column_descriptions[0]["entity"].__mapper__.primary_key[0]

    def rows_for(self, ids: Sequence) -> list:
        """The display rows of ``ids``, in that order."""
        if not ids:
            return []
        pk = self._pk
        if self.load_rows is not None:
            found = self.load_rows(ids)
        else:  # the view's own statement (its loader options, its scope) restricted to the keys
            found = db.session.scalars(self.stmt.where(pk.in_(ids)).order_by(None)).unique()
        by_id = {getattr(r, pk.key): r for r in found}
        return [by_id[i] for i in ids if i in by_id]

    def page(self) -> Page:
        try:
            page = max(1, int(request.args.get("page", 1)))
        except ValueError:
            page = 1
        pk = self._pk
        # Count and page over primary keys only: the eager joins a row needs for
        # display are loaded afterwards for the one page (fast on deep pages).
        total = db.session.scalar(
            select(func.count()).select_from(self.stmt.order_by(None).with_only_columns(pk).subquery()))
        pages = max(1, -(-total // self.per_page))
        page = min(page, pages)
        ids = db.session.scalars(
            self.sorted_stmt().with_only_columns(pk).limit(self.per_page).offset((page - 1) * self.per_page)
        ).all()
        return Page(self.rows_for(ids), total, page, pages, self.per_page)

    def row_html(self, row) -> Markup:
        """One row's cells, exactly as the list macro rendered them cell by cell, built here
        in one call per row (the template's per-cell loop was a large share of a list
        page's own time). Formats go through the very template filters."""
        cells = getattr(self, "_cells", None)
        if cells is None:
            filters = current_app.jinja_env.filters
            by_fmt = {"money": filters["money"], "datetime": filters["datetime"], "date": filters["list_date"],
                      "number": filters["number"], "area": lambda v: filters["number"](v, 2)}
            cells = self._cells = [(c, by_fmt.get(c.fmt), f'\n        <td class="{escape(c.css)}">')
                                   for c in self.columns]
        out = []
        for c, fmt, td in cells:
            v = c.value(row)
            text = (fmt(v) if c.fmt == "date" else escape(fmt(v))) if fmt is not None else (
                "" if v is None else escape(v))
            if c.link is not None:
                text = f'<a href="{escape(c.link(row))}">{text}</a>'
            out.append(f"{td}{text}</td>\n      ")
        return Markup("".join(out))

    def sort_url(self, key: str) -> str:
        args = request.args.to_dict()
        args["sort"] = ("" if self.sort_key != key or self.sort_desc else "-") + key
        args.pop("page", None)
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def page_url(self, page: int) -> str:
        args = request.args.to_dict()
        args["page"] = page
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def export_url(self, fmt: str) -> str:
        return export_url(fmt)

    # -- export ----------------------------------------------------------------
    def wants_export(self) -> str | None:
        """``csv``, ``xlsx`` or ``None``; any other ``export`` value answers 400."""
        return export_format()

    def _keys(self) -> list:
        """Every key of the list in its order (plain integers: 100,000 of them are a few
        megabytes), at most ``EXPORT_MAX_ROWS`` — else 413, before anything is sent."""
        ids = db.session.scalars(self.sorted_stmt().with_only_columns(self._pk).limit(EXPORT_MAX_ROWS + 1)).all()
        if len(ids) > EXPORT_MAX_ROWS:
            abort(413)
        return ids

    def _records(self, ids: Sequence | None = None):
        """Every row of the list in its order: the keys first (:meth:`_keys`), then their rows
        ``EXPORT_CHUNK`` at a time through :meth:`rows_for`, the page's own loading (the
        ``rows`` loader, or the view's statement with its loader options). Only one chunk of
        rows is held at a time."""
        ids = self._keys() if ids is None else ids
        for start in range(0, len(ids), EXPORT_CHUNK):
            yield from self.rows_for(ids[start:start + EXPORT_CHUNK])

    def _rows(self, ids: Sequence | None = None):
        values = [c.value for c in self.export_columns]
        labels: dict[int, tuple] = {}  # a label (lazy string) is translated once, not on every row
        for row in self._records(ids):
            out = []
            for v in values:
                value = v(row)
                if isinstance(value, LazyString):
                    seen = labels.get(id(value))
                    if seen is None or seen[0] is not value:
                        seen = labels[id(value)] = (value, str(value))  # kept: its id stays its own
                    value = seen[1]
                out.append(_cell(value))
            yield out

    def export(self, fmt: str) -> Response:
        """The whole list as a streamed download: CSV written chunk by chunk as the rows are
        read; XLSX through :mod:`core.xlsx` (rows go to a temporary file as they
        are read, the finished file is then sent in pieces). Memory stays flat whatever the
        number of rows; the keys are read (and the 413 decided) before the response starts."""
        from flask import stream_with_context

        from core.permissions import has_permission

        if not has_permission("core.export"):
            abort(403)
        headers = [str(c.label) for c in self.export_columns]
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        ids = self._keys()
        if fmt == "csv":
            body, mime = csv_chunks(headers, self._rows(ids)), "text/csv; charset=utf-8"
        else:
            body = xlsx_chunks(self.title or self.export_name, headers, self._rows(ids))
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(stream_with_context(body), mimetype=mime, headers={
            "Content-Disposition": f'attachment; filename="{self.export_name}-{stamp}.{fmt}"'})


def _cell(value):
    if isinstance(value, Decimal | int | float | date | datetime) or value is None:
        if isinstance(value, datetime) and value.tzinfo is not None:
            from core.i18n import to_local

            return to_local(value).replace(tzinfo=None)
        return value
    return str(value)


#: Rows written to the CSV buffer before it is sent on.
CSV_FLUSH_ROWS = 1000
#: Rows whose widths decide the XLSX columns' (write-only sheets take them before any row).
XLSX_WIDTH_ROWS = 500


def csv_chunks(headers: list[str], rows):
    """The CSV file (UTF-8 with a byte-order mark, so Excel reads Chinese text) in pieces
    of ``CSV_FLUSH_ROWS`` rows, written as ``rows`` yields them."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(headers)
    n = 0
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
        n += 1
        if n % CSV_FLUSH_ROWS == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _widths(headers: list[str], first_rows: list) -> list[float]:
    widths = [max(8, len(h) * 2) for h in headers]
    for row in first_rows:
        for i, v in enumerate(row[:len(widths)]):
            if v is not None:
                widths[i] = min(50, max(widths[i], len(str(v)) + 2))
    return widths


def xlsx_chunks(title: str, headers: list[str], rows):
    """A real spreadsheet (bold frozen header, widths from the first rows, typed cells:
    numbers, exact decimals with as many places shown as they have, dates), written as
    ``rows`` yields them by :mod:`core.xlsx` into a temporary file, then sent in pieces."""
    from itertools import chain, islice

    from core import xlsx

    rows = iter(rows)
    first = list(islice(rows, XLSX_WIDTH_ROWS))
    yield from xlsx.chunks(title, [str(h) for h in headers], chain(first, rows), _widths(headers, first))


def xlsx_bytes(title: str, headers: list[str], rows) -> bytes:
    """The spreadsheet of :func:`xlsx_chunks` in one piece (small reports)."""
    return b"".join(xlsx_chunks(title, headers, rows))


def like_pattern(text: str) -> str:
    """``%text%`` for ``column.like(pattern, escape="\\")``, with ``\\``, ``%`` and ``_`` in
    the user's text escaped (so "50%" finds "50%", not everything starting with 50)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
