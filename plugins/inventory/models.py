"""Store rooms (库房): items, their stock, stock movements and stock counts.

Nothing here is ever deleted. An item's stock (``on_hand``, ``stock_value``) is kept on its own
row and changed only by :mod:`plugins.inventory.services`, by one conditional ``UPDATE`` in the
same transaction as the movement row that explains it; the database refuses a negative stock or
value (``CHECK`` constraints), so **on hand = the sum of the item's movements**, always, even
under parallel issues. ``moves`` counts the item's movements: a stock count remembers it when it
starts and refuses to post a difference for an item that moved since.
"""

from __future__ import annotations

import operator
from datetime import datetime
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import operators

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, utcnow

KINDS = ("material", "tool", "equipment")
#: What a movement is. Receipts, returns, transfers in and positive adjustments add stock; issues,
#: transfers out and negative adjustments take it; a reversal undoes one movement exactly.
MOVEMENT_KINDS = ("receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "reversal")
COUNT_STATES = ("open", "posted", "cancelled")


class Scaled(sa.types.TypeDecorator):
    """An exact ``Decimal`` with a fixed number of decimal places: a quantity (3) or money (2).

    - **SQLite** stores it as a whole number of its smallest unit (``BIGINT``: thousandths,
      cents). SQLite keeps ``NUMERIC`` as a float (``0.1 + 0.2``): sums in SQL were not exact,
      and SQLAlchemy formats each float at the column's scale to make a ``Decimal``, the slowest
      part of reading the stock. An integer becomes a ``Decimal`` with one C multiplication.
    - **PostgreSQL** keeps ``NUMERIC(14, places)``: exact there, and psycopg makes the
      ``Decimal`` in C. (Stored as BIGINT it cost the service as much and made the bare driver
      return ints, so the Decimals moved from the driver into the service; see bench/README.)

    Python sees the same on both: ``Decimal("2.500")`` at the column's scale. A float, or a value
    with more decimal places than the column keeps, is refused (never rounded; the services check
    places first, with a translated message). From Python, SQL expressions mean the same on both:
    a plain number compared with the column, added to it or taken from it is bound in the
    column's unit (``on_hand < 5``, ``min_stock + 1``); a multiplier is not (``on_hand * 2`` —
    thousandths on SQLite); ``SUM`` reads back as ``Decimal``. SQL written by hand sees whole
    thousandths and cents on SQLite and decimals on PostgreSQL."""

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, places: int, not_null: bool = False):
        super().__init__()
        self.places = places
        #: Read a value that cannot be NULL (a NOT NULL column selected as it is) without
        #: checking for None: a NULL would raise TypeError. For hot statements only.
        self.not_null = not_null
        self.unit = Decimal(1).scaleb(-places)  # Decimal("0.001"): one thousandth

    @staticmethod
    def _numeric(dialect) -> bool:
        return dialect is not None and dialect.name == "postgresql"

    def load_dialect_impl(self, dialect):
        if self._numeric(dialect):
            return dialect.type_descriptor(sa.Numeric(14, self.places, asdecimal=True))
        return dialect.type_descriptor(sa.BigInteger())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"a {type(value).__name__} for a column of {self.places} decimal places: "
                            "give a Decimal or an int")
        scaled = Decimal(value).scaleb(self.places)
        whole = int(scaled)
        if whole != scaled:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return value if self._numeric(dialect) else whole

    def result_processor(self, dialect, coltype):
        if self._numeric(dialect):
            return None  # psycopg's Decimal, at the column's scale
        # The whole number times 0.001 (or 0.01): exact under the default 28 digits of precision
        # (a BIGINT has 19), the column's scale kept, and one C multiplication per value — the
        # cheapest way from an int to a Decimal (process_result_value would add two Python calls).
        if self.not_null:
            return partial(operator.mul, self.unit)  # C only: 0.001 × 2500 = Decimal("2.500")
        mul = self.unit.__mul__

        def process(value):
            return None if value is None else mul(value)

        return process

    def coerce_compared_value(self, op, value):
        if op in (operators.mul, operators.truediv, operators.floordiv, operators.mod):
            return sa.Integer() if isinstance(value, int) else sa.Numeric()
        return self


def Quantity(**kw):  # noqa: N802 - reads like a type in model definitions
    """A quantity: up to 3 decimal places, returned as ``Decimal`` (metres of cable, litres of
    paint); whole thousandths on SQLite (:class:`Scaled`)."""
    return mapped_column(Scaled(3), **kw)


def StockMoney(**kw):  # noqa: N802
    """Money of the store room: returned as ``Decimal``; whole cents on SQLite (:class:`Scaled`)."""
    return mapped_column(Scaled(2), **kw)


class StoreRoom(EstateScopedMixin, BusinessRecord, db.Model):
    """A store room of an estate (工程库房, 保洁物料间…), with its code unique in the estate."""

    __tablename__ = "inventory_store"
    __table_args__ = (sa.UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    estate = relationship("Estate", lazy="joined", viewonly=True)


class Item(EstateScopedMixin, BusinessRecord, db.Model):
    """One item kept in one store room, with its stock on hand and its value (moving average)."""

    __tablename__ = "inventory_item"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "code"),
        # The rule "stock never negative", kept by the database whatever the application does.
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("stock_value >= 0", name="stock_value_not_negative"),
        sa.CheckConstraint("min_stock >= 0", name="min_stock_not_negative"),
        sa.Index("ix_inventory_item_store_code", "store_id", "code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_store.id"))
    code: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20), default="material")
    unit: Mapped[str] = mapped_column(sa.String(20))
    spec: Mapped[str] = mapped_column(sa.String(100), default="")
    min_stock: Mapped[Decimal] = Quantity(default=Decimal("0"))
    on_hand: Mapped[Decimal] = Quantity(default=Decimal("0"))
    stock_value: Mapped[Decimal] = StockMoney(default=Decimal("0.00"))
    #: The unit cost of the latest receipt: what a suggestion to buy and an empty item's return cost.
    last_cost: Mapped[Decimal | None] = StockMoney(nullable=True)
    #: How many movements the item has had (bumped with each): a count's guard.
    moves: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    store = relationship(StoreRoom, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)

    @property
    def low(self) -> bool:
        return self.active and self.on_hand < self.min_stock


class Movement(EstateScopedMixin, BusinessRecord, db.Model):
    """One line of the stock ledger (numbered KF-<estate>-<year>-n). Never edited: a wrong one is
    reversed by another movement (``reverses_id``, unique: a movement is reversed once)."""

    __tablename__ = "inventory_movement"
    __table_args__ = (
        sa.Index("ix_inventory_movement_item_at", "item_id", "moved_at", "id"),
        sa.Index("ix_inventory_movement_estate_at", "estate_id", "moved_at", "id"),
        sa.Index("ix_inventory_movement_store_at", "store_id", "moved_at"),
        sa.Index("ix_inventory_movement_order", "work_order_number"),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_store.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_item.id"))
    #: Signed: what the movement adds to (or takes from) the item's stock.
    quantity: Mapped[Decimal] = Quantity()
    #: Signed: what it adds to (or takes from) the stock's value.
    value: Mapped[Decimal] = StockMoney()
    unit_cost: Mapped[Decimal] = StockMoney()
    on_hand_after: Mapped[Decimal] = Quantity()
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    supplier: Mapped[str] = mapped_column(sa.String(100), default="")
    invoice: Mapped[str] = mapped_column(sa.String(40), default="")
    # A repairs work order, as plain data (no foreign key to a plugin we only use).
    work_order_number: Mapped[str] = mapped_column(sa.String(40), default="")
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_department.id"), nullable=True)
    received_by: Mapped[str] = mapped_column(sa.String(100), default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The two legs of a transfer share it (the out leg's id).
    transfer_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    count_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inventory_count.id"), nullable=True)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inventory_movement.id"), nullable=True,
                                                    unique=True)

    item = relationship(Item, lazy="joined", viewonly=True)
    store = relationship(StoreRoom, lazy="joined", viewonly=True)
    moved_by = relationship("User", foreign_keys=[moved_by_id], lazy="joined", viewonly=True)
    department = relationship("Department", lazy="joined", viewonly=True)
    reversed_by = relationship("Movement", viewonly=True, uselist=False, lazy="select",
                               primaryjoin="Movement.id == remote(Movement.reverses_id)")


class StockCount(EstateScopedMixin, BusinessRecord, db.Model):
    """A stock count (盘点) of one store room: open → posted (differences become adjustments) or
    cancelled. At most one open count per store room (partial unique index)."""

    __tablename__ = "inventory_count"
    __table_args__ = (
        sa.Index("uq_inventory_count_open_store", "store_id", unique=True,
                 postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_store.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    store = relationship(StoreRoom, lazy="joined", viewonly=True)
    estate = relationship("Estate", lazy="joined", viewonly=True)
    started_by = relationship("User", foreign_keys=[started_by_id], lazy="joined", viewonly=True)
    posted_by = relationship("User", foreign_keys=[posted_by_id], lazy="joined", viewonly=True)
    lines = relationship("CountLine", lazy="selectin", viewonly=True, order_by="CountLine.id")


class CountLine(EstateScopedMixin, db.Model):
    """One item of a count: the book quantity when the count started, what was counted, why it differs."""

    __tablename__ = "inventory_count_line"
    __table_args__ = (sa.UniqueConstraint("count_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_count.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_item.id"))
    book: Mapped[Decimal] = Quantity()
    moves_at_start: Mapped[int] = mapped_column()
    counted: Mapped[Decimal | None] = Quantity(nullable=True)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inventory_movement.id"), nullable=True)

    item = relationship(Item, lazy="joined", viewonly=True)

    @property
    def difference(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.book
