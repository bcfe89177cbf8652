"""Event hooks the fees plugin offers to others (prefixed with its code)."""

from core import hookspec


@hookspec
def fees_receipt_issued(payment):
    """Called inside the transaction after a receipt is issued. ``payment`` has ``id, number,
    estate_id, unit_id, method, amount, received_at, lines`` (each line: ``kind`` = bill,
    prepayment or deposit, ``bill_id``, ``amount``). An exception rolls the payment back."""


@hookspec
def fees_receipt_voided(payment, reason):
    """Called inside the transaction after ``payment`` was voided with ``reason``."""
