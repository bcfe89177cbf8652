"""Fee collection (收费管理): fee items and published prices, meters and readings, bills,
receipts (payments), prepaid credit, deposits, refunds, the cashier's daily close and arrears
reminders.

Money is ``Decimal`` in Python and ``Numeric`` in the database. Nothing here is ever deleted:
bills, receipts and readings are *voided* with a reason (:class:`VoidableMixin`); refunds and
reversals are new rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, Money, UTCDateTime, VoidableMixin, utcnow

#: How an item's amount is computed.
#: area: unit area (m²) × price per m² per month × months in the cycle;
#: fixed: price per unit per month × months; meter: the unit's own meter usage × price;
#: shared: a common meter's usage × price, allocated across units (公摊);
#: deposit: held money, refunded later; oneoff: charged case by case (repair fee, decoration
#: management fee, …), never by a billing run.
ITEM_KINDS = ("area", "fixed", "meter", "shared", "deposit", "oneoff")
CYCLES = ("monthly", "quarterly", "yearly", "oneoff")
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
METER_KINDS = ("water", "electricity", "gas")
ALLOCATIONS = ("area", "equal")
BILL_STATES = ("open", "partial", "paid", "void")
BILL_SOURCES = ("run", "repair", "decoration", "manual")
METHODS = ("cash", "card", "transfer", "wechat", "alipay")
LINE_KINDS = ("bill", "prepayment", "deposit")
CREDIT_KINDS = ("prepaid", "applied", "unapplied", "refund", "void")
DEPOSIT_STATES = ("held", "refunding", "refunded", "void")
REFUND_KINDS = ("deposit", "credit")
REFUND_STATES = ("requested", "approved", "paid", "rejected")
CLOSE_STATES = ("submitted", "confirmed", "reopened")
REMINDER_METHODS = ("notice", "phone", "sms", "visit", "wechat")

#: Unit prices may have four decimals (electricity at 0.5283 yuan per kWh).
PRICE = sa.Numeric(12, 4, asdecimal=True)
QUANTITY = sa.Numeric(14, 4, asdecimal=True)


class FeeItem(EstateScopedMixin, BusinessRecord, db.Model):
    """A fee the estate charges (收费项目), e.g. property service fee, water, shared electricity."""

    __tablename__ = "fees_item"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10))
    cycle: Mapped[str] = mapped_column(sa.String(10), default="monthly")
    #: First month of the cycle: 1 for calendar quarters/years, 11 for a heating season.
    cycle_start_month: Mapped[int] = mapped_column(default=1)
    meter_kind: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    allocation: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    #: Comma-separated unit uses the item applies to ("" = every unit).
    unit_uses: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Collected on behalf of a utility (代收代缴): shown apart in the statements.
    on_behalf: Mapped[bool] = mapped_column(default=False)
    #: Bills fall due this many days after the start of their period.
    due_days: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)
    sequence: Mapped[int] = mapped_column(default=10)

    prices = relationship("FeePrice", back_populates="item", order_by="FeePrice.valid_from.desc()",
                          lazy="selectin")

    def applies_to(self, use: str) -> bool:
        uses = [u.strip() for u in (self.unit_uses or "").split(",") if u.strip()]
        return not uses or use in uses


class FeePrice(EstateScopedMixin, BusinessRecord, db.Model):
    """A published price (明码标价), valid from a date (and until the next price starts).

    ``unit_use`` empty = every use; a price for a specific use wins over the general one.
    Prices are never edited once a bill uses them: a new price is added instead.
    """

    __tablename__ = "fees_price"
    __table_args__ = (sa.Index("ix_fees_price_item_from", "item_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_item.id"))
    unit_use: Mapped[str] = mapped_column(sa.String(20), default="")
    price: Mapped[Decimal] = mapped_column(PRICE)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    #: Where the price comes from (the price authority's document, the contract…).
    basis: Mapped[str] = mapped_column(sa.String(200), default="")

    item = relationship("FeeItem", back_populates="prices")


class Meter(EstateScopedMixin, BusinessRecord, db.Model):
    """A unit's own meter, or a common meter (``unit_id`` empty) shared across units."""

    __tablename__ = "fees_meter"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),
                      sa.Index("ix_fees_meter_unit", "unit_id", "kind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True)
    #: For a common meter: the shared item it is billed through.
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_item.id"), nullable=True)
    #: For a common meter: the building whose units share it (empty = the whole estate).
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_building.id"), nullable=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)

    unit = relationship("Unit", lazy="joined", viewonly=True)


class MeterReading(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """One reading per meter and billing period; a wrong one is voided and entered again."""

    __tablename__ = "fees_reading"
    __table_args__ = (
        sa.Index("uq_fees_reading_meter_period", "meter_id", "period", unique=True,
                 sqlite_where=sa.text("voided_at IS NULL"), postgresql_where=sa.text("voided_at IS NULL")),
        sa.Index("ix_fees_reading_estate_period", "estate_id", "period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_meter.id"))
    #: First day of the month the reading closes.
    period: Mapped[date] = mapped_column(sa.Date)
    previous: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2, asdecimal=True))
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2, asdecimal=True))
    usage: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2, asdecimal=True))
    read_on: Mapped[date] = mapped_column(sa.Date)
    #: The reader confirmed an unusual figure (lower than last time after a meter change,
    #: or a huge jump) on purpose.
    confirmed_unusual: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    meter = relationship("Meter", lazy="joined", viewonly=True)


class BillingRun(EstateScopedMixin, BusinessRecord, db.Model):
    """One billing run for an estate and month: creates every bill due that month in one go."""

    __tablename__ = "fees_run"
    __table_args__ = (sa.Index("ix_fees_run_estate_period", "estate_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(10), default="running")  # running, done, failed
    progress: Mapped[int] = mapped_column(default=0)  # 0..100
    bills_created: Mapped[int] = mapped_column(default=0)
    bills_existing: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = Money(default=Decimal("0.00"))
    #: Why units were skipped (no area, no reading, no price…), as text lines.
    messages: Mapped[str] = mapped_column(sa.Text, default="")
    #: Chunked processing: units of the estate when the run started, and the last unit id
    #: already processed (the next chunk starts after it).
    unit_count: Mapped[int] = mapped_column(default=0)
    last_unit_id: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Bill(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """What a unit owes for one item and period (应收). It keeps the price it was made with.

    ``paid`` is the sum of the receipt lines and credit applied to it (kept in step by
    :mod:`plugins.fees.ledger`). ``dedupe_key`` makes billing idempotent: one live bill per
    item, unit and period (or per repair).
    """

    __tablename__ = "fees_bill"
    __table_args__ = (
        sa.Index("uq_fees_bill_dedupe", "dedupe_key", unique=True,
                 sqlite_where=sa.text("voided_at IS NULL"), postgresql_where=sa.text("voided_at IS NULL")),
        sa.Index("ix_fees_bill_unit_state", "unit_id", "state", "due_date"),
        sa.Index("ix_fees_bill_estate_state_due", "estate_id", "state", "due_date"),
        sa.Index("ix_fees_bill_estate_period", "estate_id", "period_start"),
        sa.Index("ix_fees_bill_run", "run_id", "unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_item.id"))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_run.id"), nullable=True)
    reading_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_reading.id"), nullable=True)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(PRICE)
    amount: Mapped[Decimal] = Money()
    paid: Mapped[Decimal] = Money(default=Decimal("0.00"))
    state: Mapped[str] = mapped_column(sa.String(10), default="open")
    source: Mapped[str] = mapped_column(sa.String(20), default="run")
    source_ref: Mapped[str] = mapped_column(sa.String(60), default="")
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)

    item = relationship("FeeItem", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="select", viewonly=True)

    @property
    def outstanding(self) -> Decimal:
        return Decimal("0.00") if self.voided_at else self.amount - self.paid


class Payment(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """A receipt (收据): money received at the desk, numbered gaplessly per estate and year.

    Its ``lines`` say where the money went: bills, prepaid credit, deposits. A wrong receipt
    is voided (``fees.void``) and keeps its number, marked void.
    """

    __tablename__ = "fees_payment"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "year", "seq"),
        sa.Index("ix_fees_payment_cashier_day", "estate_id", "cashier_id", "business_date"),
        sa.Index("ix_fees_payment_unit", "unit_id", "received_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    year: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column()
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    payer: Mapped[str] = mapped_column(sa.String(100), default="")
    method: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = Money()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The cashier's working day (local date) the money counts to: the daily close.
    business_date: Mapped[date] = mapped_column(sa.Date)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    #: Bank or app transaction reference for non-cash methods.
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    invoice_no: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    invoice_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    close_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_close.id"), nullable=True)

    lines = relationship("PaymentLine", back_populates="payment", lazy="selectin",
                         order_by="PaymentLine.id")
    unit = relationship("Unit", lazy="joined", viewonly=True)
    cashier = relationship("User", foreign_keys=[cashier_id], lazy="joined", viewonly=True)

    @property
    def stamp(self) -> str:
        """Which stamp the receipt carries: 'cash' (现金收讫) or 'bank' (银行收讫)."""
        return "cash" if self.method == "cash" else "bank"


class PaymentLine(BusinessRecord, db.Model):
    """Part of a receipt: paid to a bill, kept as prepaid credit, or held as a deposit."""

    __tablename__ = "fees_payment_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_payment.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    bill_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_bill.id"), nullable=True, index=True)
    deposit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_deposit.id"), nullable=True)
    amount: Mapped[Decimal] = Money()

    payment = relationship("Payment", back_populates="lines")
    bill = relationship("Bill", lazy="joined", viewonly=True)


class CreditEntry(EstateScopedMixin, BusinessRecord, db.Model):
    """The unit's prepaid credit (预存款) as a ledger: + prepaid, − applied to a bill,
    + unapplied (a voided receipt gave the bill back), − refunded, − voided prepayment."""

    __tablename__ = "fees_credit"
    __table_args__ = (sa.Index("ix_fees_credit_unit", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    amount: Mapped[Decimal] = Money()
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_payment.id"), nullable=True)
    bill_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_bill.id"), nullable=True)
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_refund.id"), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")


class Deposit(EstateScopedMixin, BusinessRecord, db.Model):
    """Money held for a unit (decoration deposit, key deposit…), refunded only through the
    signing procedure: request, approval, payout (a :class:`Refund`)."""

    __tablename__ = "fees_deposit"
    __table_args__ = (sa.Index("ix_fees_deposit_unit", "unit_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_item.id"))
    amount: Mapped[Decimal] = Money()
    state: Mapped[str] = mapped_column(sa.String(10), default="held")
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_payment.id"), nullable=True)
    #: What it secures, e.g. a decoration application's number.
    source_ref: Mapped[str] = mapped_column(sa.String(60), default="")
    #: Set when the condition for refunding is met (e.g. the decoration was accepted).
    releasable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    item = relationship("FeeItem", lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)


class Refund(EstateScopedMixin, BusinessRecord, db.Model):
    """Money paid back (a deposit or prepaid credit): requested, approved by someone with
    ``fees.refund_approve``, then paid out by the cashier. Numbered like receipts."""

    __tablename__ = "fees_refund"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    deposit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_deposit.id"), nullable=True)
    amount: Mapped[Decimal] = Money()
    reason: Mapped[str] = mapped_column(sa.String(500))
    payee: Mapped[str] = mapped_column(sa.String(100), default="")
    state: Mapped[str] = mapped_column(sa.String(10), default="requested")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    method: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    business_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    close_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fees_close.id"), nullable=True)

    unit = relationship("Unit", lazy="joined", viewonly=True)
    deposit = relationship("Deposit", lazy="joined", viewonly=True)


class DailyClose(EstateScopedMixin, BusinessRecord, db.Model):
    """The cashier's daily income handover form (《日收入情况交接表》, 日收日清).

    Submitted by the cashier with the day's figures frozen in it, confirmed by the finance
    cashier; afterwards that day's receipts are locked. A manager may reopen it (with a
    reason, audited), after which the cashier closes the day again with a new form.
    """

    __tablename__ = "fees_close"
    __table_args__ = (
        sa.Index("ix_fees_close_cashier_day", "estate_id", "cashier_id", "business_date"),
        sa.Index("uq_fees_close_live", "estate_id", "cashier_id", "business_date", unique=True,
                 sqlite_where=sa.text("state != 'reopened'"), postgresql_where=sa.text("state != 'reopened'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    business_date: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(10), default="submitted")
    receipt_count: Mapped[int] = mapped_column(default=0)
    receipt_first: Mapped[str] = mapped_column(sa.String(30), default="")
    receipt_last: Mapped[str] = mapped_column(sa.String(30), default="")
    void_count: Mapped[int] = mapped_column(default=0)
    void_numbers: Mapped[str] = mapped_column(sa.Text, default="")
    invoice_count: Mapped[int] = mapped_column(default=0)
    invoice_first: Mapped[str] = mapped_column(sa.String(40), default="")
    invoice_last: Mapped[str] = mapped_column(sa.String(40), default="")
    total: Mapped[Decimal] = Money(default=Decimal("0.00"))
    refunds_total: Mapped[Decimal] = Money(default=Decimal("0.00"))
    #: Cash to hand over = cash received − cash refunds paid out.
    cash_to_hand_over: Mapped[Decimal] = Money(default=Decimal("0.00"))
    large_count: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirm_note: Mapped[str] = mapped_column(sa.String(500), default="")
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopen_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)

    lines = relationship("DailyCloseLine", back_populates="close", lazy="selectin",
                         order_by="DailyCloseLine.id")
    cashier = relationship("User", foreign_keys=[cashier_id], lazy="joined", viewonly=True)


class DailyCloseLine(BusinessRecord, db.Model):
    """Per payment method: receipts, amount received and refunds paid out that day."""

    __tablename__ = "fees_close_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(sa.ForeignKey("fees_close.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(10))
    count: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = Money(default=Decimal("0.00"))
    refunds: Mapped[Decimal] = Money(default=Decimal("0.00"))

    close = relationship("DailyClose", back_populates="lines")


class Reminder(EstateScopedMixin, BusinessRecord, db.Model):
    """One arrears reminder (催缴) to a unit: a printed notice, a call, a visit…"""

    __tablename__ = "fees_reminder"
    __table_args__ = (sa.Index("ix_fees_reminder_unit", "unit_id", "sent_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("core_unit.id"))
    method: Mapped[str] = mapped_column(sa.String(10))
    owed: Mapped[Decimal] = Money()
    oldest_due: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    #: Reminders printed together share a batch number.
    batch: Mapped[str] = mapped_column(sa.String(30), default="")
    #: The date a printed notice asks the owner to pay by.
    pay_by: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: What the owner said (promised to pay by…, disputes the amount…).
    response: Mapped[str] = mapped_column(sa.String(500), default="")

    unit = relationship("Unit", lazy="joined", viewonly=True)
