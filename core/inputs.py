"""What the core does to every request's input before a view sees it.

Bad input gets a clear 4xx with the site's error page, never a 500 from the
database driver, and no view or plugin has to remember to check:

- **NUL bytes.** PostgreSQL text cannot hold a NUL character (the driver refuses
  the statement). :func:`refuse_nul` (a ``before_request`` hook) answers 400
  when the path, a query parameter or a form field (name or value) holds one.
- **Integers beyond the database's range.** Integer primary keys and foreign keys
  are 32-bit on PostgreSQL (and SQLite refuses Python integers beyond 64 bits):
  * ``<int:...>`` in a URL rule is :class:`BoundedIntConverter`, so an id outside
    ``INT_MIN..INT_MAX`` matches no route: 404;
  * ``request.args.get(name, type=int)`` (and ``request.form`` /
    ``request.values``) returns the default for a number outside that range, as
    it does for text that is not a number, and ``getlist(name, type=int)`` leaves
    it out, as it does text (:class:`BoundedArgs`);
  * every WTForms ``IntegerField`` of a core :class:`~core.forms.Form` or
    :class:`~core.listing.FilterForm` refuses such a number with a translated
    message (:func:`bounded_field_class`); ``SelectField(coerce=int)`` already
    refuses anything that is not one of its choices.
"""

from __future__ import annotations

import builtins

from flask import Request, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

#: The range of a 32-bit signed integer column (PostgreSQL ``integer``, our ids).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def in_range(value: int) -> bool:
    return INT_MIN <= value <= INT_MAX


def bounded_int(value, default=None):
    """``int(value)`` when it is an integer within the database's range, else ``default``."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if in_range(number) else default


class BoundedIntConverter(IntegerConverter):
    """``<int:id>``: as Werkzeug's, but only values a 32-bit column can hold match."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        low = INT_MIN if signed else 0
        super().__init__(map, fixed_digits=fixed_digits,
                         min=low if min is None else builtins.max(min, low),
                         max=INT_MAX if max is None else builtins.min(max, INT_MAX), signed=signed)


class BoundedArgs(ImmutableMultiDict):
    """Query and form parameters: ``get(name, type=int)`` gives the default for an integer
    beyond the database's range, as Werkzeug does for text that is not a number."""

    def get(self, key, default=None, type=None):  # noqa: A002 (Werkzeug's signature)
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and value is not default and not in_range(value):
            return default
        return value

    def getlist(self, key, type=None):  # noqa: A002
        values = super().getlist(key, type=type)
        if type is int:
            return [v for v in values if not isinstance(v, int) or in_range(v)]
        return values


class PropdeskRequest(Request):
    parameter_storage_class = BoundedArgs


def _has_nul(multidict) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in multidict.items(multi=True) if isinstance(v, str))


def refuse_nul():
    """``before_request``: 400 for a NUL character anywhere in the request's text input."""
    from core.errors import DomainError

    if "\x00" in request.path or _has_nul(request.args) or (
            request.method not in ("GET", "HEAD", "OPTIONS") and _has_nul(request.form)):
        raise DomainError(_("The request contains a character that is not allowed (a NUL byte). "
                            "Please check what you entered."))
    return None


INT_RANGE_MESSAGE = _l("Enter a whole number between -2147483648 and 2147483647.")

_bounded_classes: dict[type, type] = {}


def bounded_field_class(field_class: type) -> type:
    """A subclass of an ``IntegerField`` class whose value must fit a 32-bit column (other
    field classes are returned unchanged)."""
    from wtforms import IntegerField

    if not (isinstance(field_class, type) and issubclass(field_class, IntegerField)):
        return field_class
    if getattr(field_class, "_propdesk_bounded", False):
        return field_class
    cls = _bounded_classes.get(field_class)
    if cls is None:
        def process_formdata(self, valuelist):
            field_class.process_formdata(self, valuelist)
            if isinstance(self.data, int) and not in_range(self.data):
                self.data = None
                raise ValueError(INT_RANGE_MESSAGE)

        cls = type(field_class.__name__, (field_class,),
                   {"process_formdata": process_formdata, "_propdesk_bounded": True,
                    "__module__": field_class.__module__})
        _bounded_classes[field_class] = cls
    return cls


def bind_bounded(form, unbound_field, options):
    """``Meta.bind_field`` body shared by the core's form bases: integer fields bounded."""
    from wtforms.fields.core import UnboundField

    field_class = bounded_field_class(unbound_field.field_class)
    if field_class is not unbound_field.field_class:
        unbound_field = UnboundField(field_class, *unbound_field.args, name=unbound_field.name,
                                     **unbound_field.kwargs)
    return unbound_field.bind(form=form, **options)
