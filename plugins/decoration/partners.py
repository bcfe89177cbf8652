"""What this plugin asks of its partners, in one place. Each is optional: the caller checks
``core.plugins.is_enabled`` first; partners are imported lazily, and only their documented
services are called (never their models), so decoration works without any of them.

* fees — the estate's published prices (``billing.price_for``), one-off bills
  (``billing.add_bill``, idempotent per ``decoration:<application number>``), the unit's
  deposits as the cashier desk shows them (``desk.account``); a deposit is taken at the desk
  against the deposit item with the application's number as what it secures.
* archives — ``services.file_document`` files the papers on acceptance.
* repairs — ``services.record`` makes a repair order of acceptance defects (in ``services``);
  ``services.repair_states`` says whether those orders are done before the works are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from core.errors import DomainError
from core.plugins import is_enabled


def fees_on() -> bool:
    return is_enabled("fees")


def _fee_item(estate_id: int, code: str):
    """The fee item with this code in the estate's price list, or ``None`` (fees' documented
    ``billing.item_by_code``)."""
    from plugins.fees import billing

    return billing.item_by_code(estate_id, code)


@dataclass
class Quote:
    fee: Decimal
    deposit: Decimal


def quote(estate, unit, fee_code: str, deposit_code: str, on) -> Quote:
    """The management fee and deposit for ``unit`` from the estate's published prices.

    An item billed per m² (kind ``area``) is the price × the unit's area; any other the price.
    Refused, naming what to fix in the price list, when an item or its price is missing."""
    from plugins.fees import billing, ledger

    amounts = []
    for code, label in ((fee_code, _("decoration management fee")), (deposit_code, _("decoration deposit"))):
        item = _fee_item(estate.id, code)
        if item is None or not item.active:
            raise DomainError(_("The price list of this estate has no %(what)s item %(code)s: add it under "
                                "Money → Fee items, or change the item code in the decoration settings.",
                                what=label, code=(code or "—")), "fees")
        price = billing.price_for(item, unit.use or "", on)
        if price is None:
            raise DomainError(_("The %(what)s item %(code)s has no published price on %(day)s.", what=label,
                                code=item.code, day=on.isoformat()), "fees")
        amount = price.price * (unit.area or Decimal(0)) if item.kind == "area" else price.price
        amounts.append(ledger.money(amount))
    return Quote(*amounts)


def charge_fee(application, fee_code: str, user_id: int | None):
    """The management fee as a one-off bill of the unit (``add_bill`` returns the live bill
    already made for this application, so calling again changes nothing)."""
    from plugins.fees import billing

    if application.fee_amount <= 0:
        return None
    item = _fee_item(application.estate_id, fee_code)
    if item is None:
        raise DomainError(_("The price list of this estate has no %(what)s item %(code)s: add it under "
                            "Money → Fee items, or change the item code in the decoration settings.",
                            what=_("decoration management fee"), code=fee_code or "—"), "fees")
    return billing.add_bill(application.estate, application.unit, item, application.fee_amount,
                            _("Decoration management fee %(number)s", number=application.number),
                            source="decoration", source_ref=application.number, user_id=user_id)


@dataclass
class Paid:
    fee_paid: bool
    deposit_held: Decimal

    def settled(self, application) -> bool:
        return self.fee_paid and self.deposit_held >= application.deposit_amount


def paid_status(application, fee_code: str) -> Paid:
    """What the cashier has taken for this application: the fee bill paid, the deposits held
    that secure its number."""
    from core.models import utcnow
    from plugins.fees import desk, ledger

    fee_paid = True
    if application.fee_amount > 0:
        bill = charge_fee(application, fee_code, None)
        fee_paid = bill is not None and bill.state == "paid"
    acc = desk.account(application.unit, utcnow().date())
    held = sum((d.amount for d in acc.deposits if d.state == "held" and d.source_ref == application.number),
               ledger.ZERO)
    return Paid(fee_paid, held)


def file_papers(user, application, attachment_ids=()) -> None:
    """File the application and acceptance papers in the archives (when enabled)."""
    if not is_enabled("archives"):
        return
    from plugins.archives import services as archives

    note = _("Decoration application %(number)s, accepted.", number=application.number)
    archives.file_document(
        user, estate_id=application.estate_id, kind="decoration",
        title=_("Decoration %(permit)s, unit %(unit)s", permit=application.permit_number or application.number,
                unit=application.unit.number),
        unit_id=application.unit_id, source="decoration", source_ref=application.permit_number or application.number,
        attachment_ids=tuple(attachment_ids), note=note)


def repairs_on() -> bool:
    return is_enabled("repairs")


def repair_states(user, application, numbers) -> dict[str, dict]:
    """The state of the repair orders ``numbers`` made for ``application``'s acceptance
    defects (``{number: {"id", "state", "label", "open"}}``), through the repairs plugin's
    documented ``services.repair_states``; ``{}`` when repairs is not enabled (they cannot be
    read then)."""
    if not numbers or not repairs_on():
        return {}
    from plugins.repairs import services as repairs

    return repairs.repair_states(user, application.estate_id, numbers)
