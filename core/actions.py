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
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect

from core.errors import DomainError
from core.extensions import db


def record_action(form, act: Callable[[], object], *, redirect_to: str | Callable[[], str],
                  rerender: Callable[[object], object], field: str | None = None, flash_unplaced: bool = False):
    if form is not None and not form.validate_on_submit():
        return rerender(form)
    try:
        message = act()
        target = redirect_to() if callable(redirect_to) else redirect_to
        db.session.commit()
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
