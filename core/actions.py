"""The body every "do something to this record" POST view shares.

A view loads its record (scoped), builds its form, and hands over::

    def act():
        desk.void(current_user, payment, form.reason.data)
        return _("Receipt %(number)s voided.", number=payment.number)

    return record_action(form, act, field="reason",
                         redirect_to=url_for("fees.receipt", payment_id=payment.id),
                         rerender=lambda f: render_receipt(payment.id, 422, void_form=f))

``record_action`` validates the form, runs ``act`` (the service call), commits and flashes
its message, then redirects. When the form is invalid, or the service refuses with a
:class:`~core.errors.DomainError`, nothing is saved (rollback) and ``rerender(form)`` shows
the page again with the message beside the field the error names (else beside ``field``,
else above the form). ``rerender`` runs after the rollback, so it must load the record
afresh (by id), not use the objects the refused change touched.

A page that shows an action's form only in some states (the dispatch form while the repair
is "recorded") passes ``flash_unplaced=True``: a refusal that names no field of the form —
typically "someone else did it first", after which the form is no longer shown — is
flashed at the top of the page instead of inside a form that may not be on it.

One-time forms
--------------

A form that takes money (or does anything that must not happen twice because a cashier
pressed twice, the browser resent it, or the back button was used) carries a
:class:`core.forms.OnceKeyField` and passes ``once=Once(...)``::

    return record_action(form, act, redirect_to=lambda: url_for("fees.receipt", payment_id=made["p"].id),
                         rerender=..., once=Once("fees_payment", record=lambda: made["p"].id,
                                                 result=lambda pid: url_for("fees.receipt", payment_id=pid),
                                                 estate_id=unit.estate_id))

The key is written to ``core_once_key`` (unique) in the transaction of the change, before
``act`` runs. A second submission of the same form — later, or at the same moment (it then
waits on the unique index, fails when the first commits, and rolls back) — does nothing and
is redirected to ``result(record id)`` of the first, with a message saying so. A missing or
malformed key is refused (nothing done, the form shown again with a new key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.extensions import db


@dataclass(frozen=True)
class Once:
    """What a one-time form makes, for :func:`record_action` (see the module doc).

    ``table``: the table of the record whose page shows the result (``"fees_payment"``);
    ``record``: after ``act``, the id of that record (a callable, or the id itself);
    ``result``: that record's page, from its id; ``estate_id``: the estate it belongs to."""

    table: str
    record: Callable[[], int] | int
    result: Callable[[int], str]
    estate_id: int | None = None


class OnceKeyUsed(Exception):
    """The form's one-time key was recorded by another transaction (it committed first)."""


def once_field(form):
    """The form's :class:`~core.forms.OnceKeyField` (a form given ``once=`` must have one)."""
    from core.forms import OnceKeyField

    for f in form:
        if isinstance(f, OnceKeyField):
            return f
    raise TypeError(f"{type(form).__name__} has no OnceKeyField but was given once=")


def used_once_key(key: str):
    """The committed :class:`~core.models.OnceKey` row of ``key``, or None."""
    from core.models import OnceKey

    return db.session.scalar(select(OnceKey).where(OnceKey.key == key))


def claim_once_key(key: str, table: str, estate_id: int | None = None, record_id: int | None = None):
    """Record ``key`` as used, in the current transaction, and flush at once: if another
    transaction holds the same key, this waits for it (PostgreSQL) and raises
    :class:`OnceKeyUsed` when it committed. The caller sets ``record_id`` on the returned
    row once it knows it; a rollback frees the key again. Call it before any other change."""
    from core.audit import acting_user_id
    from core.models import OnceKey

    row = OnceKey(key=key, table_name=table, estate_id=estate_id, record_id=record_id, user_id=acting_user_id())
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if used_once_key(key) is None:
            raise
        raise OnceKeyUsed(key) from exc
    return row


def _done_already(form, once: Once, row, rerender, flash_unplaced: bool):
    """A second submission: send it to what the first one did (same person, same kind of form),
    else refuse it with a new key."""
    from core.audit import acting_user_id

    if row.table_name == once.table and row.record_id is not None and row.user_id == acting_user_id():
        flash(_("This form had been sent already: nothing was done again. Here is what it did."), "info")
        return redirect(once.result(row.record_id))
    return _refuse_key(form, rerender, flash_unplaced)


def _refuse_key(form, rerender, flash_unplaced: bool, expired: bool = False):
    from core.forms import ONCE_KEY_EXPIRED, ONCE_KEY_INVALID

    message = ONCE_KEY_EXPIRED if expired else ONCE_KEY_INVALID
    field = once_field(form)
    field.errors = []
    field.renew()
    if flash_unplaced:
        flash(str(message), "danger")
    else:
        form.add_error(None, message)
    return rerender(form)


def record_action(form, act: Callable[[], object], *, redirect_to: str | Callable[[], str],
                  rerender: Callable[[object], object], field: str | None = None, flash_unplaced: bool = False,
                  once: Once | None = None):
    claim = None
    if once is not None:
        from core.forms import is_once_key, once_key_expired

        key = once_field(form).data
        if not is_once_key(key):
            return _refuse_key(form, rerender, flash_unplaced)
        if (row := used_once_key(key)) is not None:
            return _done_already(form, once, row, rerender, flash_unplaced)
        if once_key_expired(key):
            return _refuse_key(form, rerender, flash_unplaced, expired=True)
    if form is not None and not form.validate_on_submit():
        return rerender(form)
    try:
        if once is not None:
            claim = claim_once_key(key, once.table, once.estate_id)
        message = act()
        if claim is not None:
            claim.record_id = once.record() if callable(once.record) else once.record
        target = redirect_to() if callable(redirect_to) else redirect_to
        db.session.commit()
    except OnceKeyUsed:
        return _done_already(form, once, used_once_key(key), rerender, flash_unplaced)
    except DomainError as exc:
        db.session.rollback()
        placed = exc.field if form is not None and exc.field and exc.field in form._fields else field
        if form is not None and (placed or not flash_unplaced):
            form.add_error(placed, exc.message)
        else:
            flash(str(exc.message), "danger")
        return rerender(form)
    if message:
        flash(message, "success")
    return redirect(target)
