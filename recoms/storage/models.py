"""Tables of the engine as typed SQLAlchemy models (portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-numbers an ``INTEGER PRIMARY KEY`` (its rowid, already 64-bit); elsewhere a
# 64-bit id is a BIGINT.
Id64 = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(14, 2)
Quantity = Numeric(14, 3)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the engine stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RunsOfUtcDateTime(UtcDateTime):
    """``UtcDateTime`` for reads whose rows come in runs of one value (an order's lines): a
    value equal to the previous row's is not converted again, which halves a long history's
    read on SQLite (where each value is parsed from text)."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        convert = super().result_processor(dialect, coltype)
        if convert is None:
            return None
        # One tuple, swapped whole: a reader never pairs one row's text with another's value.
        last: tuple[Any, datetime | None] = (object(), None)

        def process(value: Any) -> datetime | None:
            nonlocal last
            seen = last
            if value == seen[0]:
                return seen[1]
            converted: datetime | None = convert(value)
            last = (value, converted)
            return converted

        return process


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        int: Id64,
        datetime: UtcDateTime(),
        Decimal: Money,
        dict[str, Any]: JSON,
        list[str]: JSON,
        bytes: LargeBinary,
    }


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(Text, default="")
    image_link: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(String(32))
    price: Mapped[Decimal | None]
    sale_price: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    brand: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_group_id: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    updated_at: Mapped[datetime]
    feed_position: Mapped[int | None] = mapped_column(Integer)


class ContactRow(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class ContactSourceRow(Base):
    """A contact field that a channel other than the shop's own data added, and by which one
    (``telegram``: the bot); ``field`` ``contact`` marks a contact that channel created.
    Forgetting the channel's user removes exactly these."""

    __tablename__ = "contact_sources"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]


class WebIdRow(Base):
    __tablename__ = "web_ids"

    web_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    ordered_at: Mapped[datetime] = mapped_column(index=True)
    currency: Mapped[str | None] = mapped_column(String(3))


class OrderLineRow(Base):
    """An order line. No foreign keys on purpose: PostgreSQL checks them row by row, which
    tripled the time of a half-million-line import. The import writes the order and the
    product first in the same transaction, and neither orders nor products are ever deleted
    (a product leaving the feed is deactivated)."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Id64, index=True)
    product_id: Mapped[str] = mapped_column(String(200), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price: Mapped[Decimal | None]


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_contact_name_time", "contact_id", "name", "occurred_at"),
        Index("ix_events_web_id", "web_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    web_id: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    product_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CartLineRow(Base):
    """One line of a cart, owned by a contact or, before the visitor is known, by a web id."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        Index("ix_cart_lines_contact", "contact_id"),
        Index("ix_cart_lines_web_id", "web_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    web_id: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price: Mapped[Decimal | None]
    updated_at: Mapped[datetime]


class DataSourceRow(Base):
    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    algorithm: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ModelSnapshotRow(Base):
    __tablename__ = "model_snapshots"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    built_at: Mapped[datetime]
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # What the rebuild's tuning chose and the holdout scores behind it (None: older models).
    tuning: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ListEventRow(Base):
    """A card of a list shown in the chat, or its shop link followed: click-through per list.
    ``contact_id`` is None for a customer the shop does not know."""

    __tablename__ = "list_events"
    __table_args__ = (Index("ix_list_events_time", "occurred_at", "list_name", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime]
    list_name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(8))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    product_id: Mapped[str] = mapped_column(String(200))


class SecretRow(Base):
    """Keys the engine makes for itself when no setting gives one (the click-signing key),
    shared by every process on the database."""

    __tablename__ = "engine_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class SettingRow(Base):
    """Small named counters shared between processes (e.g. the catalogue version stamp)."""

    __tablename__ = "engine_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


__all__ = [
    "Base",
    "CartLineRow",
    "ContactRow",
    "DataSourceRow",
    "EventRow",
    "ListEventRow",
    "ModelSnapshotRow",
    "OrderLineRow",
    "OrderRow",
    "ProductRow",
    "SecretRow",
    "SettingRow",
]
