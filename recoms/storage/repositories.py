"""Repositories: queries over one ``AsyncSession`` that speak domain objects and never commit."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BindParameter,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import (
    Algorithm,
    Availability,
    CartLine,
    Contact,
    ContactId,
    DataSource,
    DataSourceId,
    DataSourceParams,
    Order,
    OrderLine,
    Product,
    ProductId,
)
from recoms.storage.models import (
    Base,
    CartLineRow,
    ContactRow,
    DataSourceRow,
    EventRow,
    Id64,
    ModelSnapshotRow,
    OrderLineRow,
    OrderRow,
    ProductRow,
    RunsOfUtcDateTime,
    SettingRow,
    WebIdRow,
)

# Bulk paths insert into the Core tables: the ORM's bulk insert would add per-row work.
PRODUCTS = Base.metadata.tables["products"]
CONTACTS = Base.metadata.tables["contacts"]
ORDERS = Base.metadata.tables["orders"]
ORDER_LINES = Base.metadata.tables["order_lines"]
EVENTS = Base.metadata.tables["events"]
CART_LINES = Base.metadata.tables["cart_lines"]

# Bound parameters per statement stay far below SQLite's and asyncpg's limits (32766).
IN_CHUNK = 500
BIG_IN_CHUNK = 5_000
T = TypeVar("T")


async def bulk_insert(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert plain value tuples through the driver: ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL, within the session's transaction.

    The hot path of order imports: SQLAlchemy's per-row parameter processing costs more than
    SQLite's own work at half a million lines. Values must be what the driver takes as they
    are (strings, numbers, ``None``, and ``Decimal`` for PostgreSQL only).
    """
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is a third faster than executemany on PostgreSQL. It goes to the driver's
        # connection directly, so make sure the transaction has begun there first.
        await connection.exec_driver_sql("SELECT 1")
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        return
    sql = str(insert(table).compile(dialect=connection.dialect, column_keys=list(columns)))
    await connection.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- products ------------------------------------------------------------------------------


def product_from_row(row: ProductRow) -> Product:
    return Product(
        id=ProductId(row.id),
        title=row.title,
        price=row.price,
        currency=row.currency,
        sale_price=row.sale_price,
        availability=_availability(row.availability),
        description=row.description,
        link=row.link,
        image_link=row.image_link,
        brand=row.brand,
        category=tuple(row.category or ()),
        item_group_id=row.item_group_id,
        tags={str(key): str(value) for key, value in (row.tags or {}).items()},
        active=row.active,
    )


def _availability(value: str) -> Availability:
    try:
        return Availability(value)
    except ValueError:
        return Availability.OUT_OF_STOCK


def product_values(product: Product, now: datetime) -> dict[str, Any]:
    """The column values of a product, as Core inserts and updates take them."""
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "link": product.link,
        "image_link": product.image_link,
        "availability": str(product.availability),
        "price": product.price,
        "sale_price": product.sale_price,
        "currency": product.currency,
        "brand": product.brand,
        "category": list(product.category),
        "item_group_id": product.item_group_id,
        "tags": dict(product.tags),
        "active": product.active,
        "updated_at": now,
    }


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, product_ids: Sequence[ProductId]) -> dict[ProductId, Product]:
        found: dict[ProductId, Product] = {}
        unique = list(dict.fromkeys(product_ids))
        for chunk in chunked(unique):
            rows = await self.session.scalars(select(ProductRow).where(ProductRow.id.in_(chunk)))
            for row in rows:
                found[ProductId(row.id)] = product_from_row(row)
        return found

    async def existing_ids(self, product_ids: Sequence[ProductId]) -> set[ProductId]:
        found: set[ProductId] = set()
        unique = list(dict.fromkeys(product_ids))
        for chunk in chunked(unique):
            ids = await self.session.scalars(select(ProductRow.id).where(ProductRow.id.in_(chunk)))
            found.update(ProductId(product_id) for product_id in ids)
        return found

    async def all(self, *, active_only: bool = False) -> list[Product]:
        query = select(ProductRow).order_by(ProductRow.id)
        if active_only:
            query = query.where(ProductRow.active.is_(True))
        result = await self.session.stream_scalars(query.execution_options(yield_per=2000))
        return [product_from_row(row) async for row in result]

    async def upsert(self, products: Sequence[Product], now: datetime) -> tuple[int, int]:
        """Insert new products and rewrite changed ones; returns (created, updated)."""
        existing = await self.get_many([product.id for product in products])
        new: dict[ProductId, dict[str, Any]] = {}
        changed: dict[ProductId, dict[str, Any]] = {}
        for product in products:
            before = existing.get(product.id)
            if before is None:
                new[product.id] = product_values(product, now)
            elif before != product:
                # Decimal equality ignores scale: a feed's "67.00" does not rewrite a stored 67.
                changed[product.id] = product_values(product, now)
        if new:
            await self.session.execute(insert(PRODUCTS), list(new.values()))
        if changed:
            # ORM bulk UPDATE by primary key: one executemany.
            await self.session.execute(update(ProductRow), list(changed.values()))
        return len(new), len(changed)

    async def insert_new(self, products: Sequence[Product], now: datetime) -> None:
        """Insert products known not to exist yet."""
        if products:
            await self.session.execute(
                insert(PRODUCTS), [product_values(product, now) for product in products]
            )

    async def update_prices(
        self, prices: Mapping[ProductId, tuple[str, Decimal | None, str | None]], now: datetime
    ) -> None:
        """Set title, price and currency of products created from orders, by id."""
        if prices:
            await self.session.execute(
                update(ProductRow),
                [
                    {"id": pid, "title": title, "price": price, "currency": currency}
                    | {"updated_at": now}
                    for pid, (title, price, currency) in prices.items()
                ],
            )

    async def deactivate_except(self, keep: set[ProductId], now: datetime) -> int:
        """Deactivate every active product whose id is not in ``keep``; returns how many."""
        active = await self.session.scalars(
            select(ProductRow.id).where(ProductRow.active.is_(True))
        )
        gone = [product_id for product_id in active if product_id not in keep]
        for chunk in chunked(gone):
            await self.session.execute(
                update(ProductRow)
                .where(ProductRow.id.in_(chunk))
                .values(active=False, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(gone)

    async def search(self, query: str, limit: int) -> list[Product]:
        pattern = f"%{_escape_like(query.casefold())}%"
        rows = await self.session.scalars(
            select(ProductRow)
            .where(
                ProductRow.active.is_(True),
                or_(
                    func.lower(ProductRow.id).like(pattern, escape="\\"),
                    func.lower(ProductRow.title).like(pattern, escape="\\"),
                    func.lower(ProductRow.brand).like(pattern, escape="\\"),
                ),
            )
            .order_by(ProductRow.title, ProductRow.id)
            .limit(limit)
        )
        return [product_from_row(row) for row in rows]

    async def counts(self) -> tuple[int, int]:
        """(active products, active products a customer can buy now)."""
        in_stock = [str(value) for value in Availability if value.in_stock]
        total = await self.session.scalar(
            select(func.count()).select_from(ProductRow).where(ProductRow.active.is_(True))
        )
        buyable = await self.session.scalar(
            select(func.count())
            .select_from(ProductRow)
            .where(ProductRow.active.is_(True), ProductRow.availability.in_(in_stock))
        )
        return int(total or 0), int(buyable or 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- contacts ------------------------------------------------------------------------------


def contact_from_row(row: ContactRow, web_ids: Sequence[str] = ()) -> Contact:
    return Contact(
        id=ContactId(row.id),
        email=row.email,
        phone=row.phone,
        external_id=row.external_id,
        name=row.name,
        telegram_user_id=row.telegram_user_id,
        web_ids=tuple(web_ids),
    )


IDENTIFIER_COLUMNS = {
    "external_id": ContactRow.external_id,
    "email": ContactRow.email,
    "phone": ContactRow.phone,
    "telegram_user_id": ContactRow.telegram_user_id,
}


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contact_id: int) -> Contact | None:
        row = await self.session.get(ContactRow, contact_id)
        return None if row is None else await self._with_web_ids(row)

    async def find_by(self, field: str, value: str | int) -> Contact | None:
        column = IDENTIFIER_COLUMNS[field]
        row = await self.session.scalar(select(ContactRow).where(column == value))
        return None if row is None else await self._with_web_ids(row)

    async def find_by_web_id(self, web_id: str) -> Contact | None:
        row = await self.session.scalar(
            select(ContactRow).join(WebIdRow).where(WebIdRow.web_id == web_id)
        )
        return None if row is None else await self._with_web_ids(row)

    async def _with_web_ids(self, row: ContactRow) -> Contact:
        web_ids = await self.session.scalars(
            select(WebIdRow.web_id).where(WebIdRow.contact_id == row.id).order_by(WebIdRow.web_id)
        )
        return contact_from_row(row, list(web_ids))

    async def ids_by(self, field: str, values: Sequence[str]) -> dict[str, int]:
        """``{identifier: contact id}`` for the known values of one identifier column."""
        column = IDENTIFIER_COLUMNS[field]
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(values))):
            rows = await self.session.execute(
                select(column, ContactRow.id).where(column.in_(chunk))
            )
            found.update({str(value): int(contact_id) for value, contact_id in rows})
        return found

    async def identifiers_by(
        self, field: str, values: Sequence[str]
    ) -> list[tuple[int, str | None, str | None, str | None]]:
        """(id, external id, email, phone) of the contacts holding any of ``values`` in one
        identifier column."""
        column = IDENTIFIER_COLUMNS[field]
        found: list[tuple[int, str | None, str | None, str | None]] = []
        for chunk in chunked(list(dict.fromkeys(values))):
            rows = await self.session.execute(
                select(
                    ContactRow.id, ContactRow.external_id, ContactRow.email, ContactRow.phone
                ).where(column.in_(chunk))
            )
            found.extend((int(cid), ext, email, phone) for cid, ext, email, phone in rows)
        return found

    async def create(
        self,
        *,
        now: datetime,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        name: str | None = None,
        telegram_user_id: int | None = None,
    ) -> Contact:
        row = ContactRow(
            email=email,
            phone=phone,
            external_id=external_id,
            name=name,
            telegram_user_id=telegram_user_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return contact_from_row(row)

    async def create_many(self, contacts: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
        """Insert contacts (dicts of ``external_id``, ``email``, ``phone``, ``name``; at least
        one identifier each) and return their ids in order."""
        if not contacts:
            return []
        rows = [
            {
                "email": contact.get("email"),
                "phone": contact.get("phone"),
                "external_id": contact.get("external_id"),
                "name": contact.get("name"),
                "created_at": now,
            }
            for contact in contacts
        ]
        # A plain executemany, then the ids by identifier: RETURNING with row order kept
        # makes SQLite insert row by row.
        await self.session.execute(insert(CONTACTS), rows)
        ids: list[int | None] = [None] * len(rows)
        for key in ("external_id", "email", "phone"):
            wanted = {
                row[key]: position
                for position, row in enumerate(rows)
                if ids[position] is None and row[key] is not None
            }
            if wanted:
                found = await self.ids_by(key, [str(value) for value in wanted])
                for value, contact_id in found.items():
                    ids[wanted[value]] = contact_id
        if any(contact_id is None for contact_id in ids):
            raise ValueError("every new contact needs an external id, email or phone")
        return [contact_id for contact_id in ids if contact_id is not None]

    async def update(self, contact_id: int, **values: Any) -> None:
        if values:
            await self.session.execute(
                update(ContactRow)
                .where(ContactRow.id == contact_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def link_web_id(self, web_id: str, contact_id: int) -> bool:
        """Point ``web_id`` at the contact; returns whether anything changed."""
        current = await self.session.scalar(
            select(WebIdRow.contact_id).where(WebIdRow.web_id == web_id)
        )
        if current == contact_id:
            return False
        if current is None:
            await self.session.execute(
                insert(WebIdRow).values(web_id=web_id, contact_id=contact_id)
            )
        else:
            await self.session.execute(
                update(WebIdRow).where(WebIdRow.web_id == web_id).values(contact_id=contact_id)
            )
        return True

    async def clear_telegram(self, telegram_user_id: int) -> None:
        await self.session.execute(
            update(ContactRow)
            .where(ContactRow.telegram_user_id == telegram_user_id)
            .values(telegram_user_id=None)
            .execution_options(synchronize_session=False)
        )

    async def counts(self) -> tuple[int, int]:
        """(contacts, contacts linked to a Telegram user)."""
        total = await self.session.scalar(select(func.count()).select_from(ContactRow))
        linked = await self.session.scalar(
            select(func.count())
            .select_from(ContactRow)
            .where(ContactRow.telegram_user_id.is_not(None))
        )
        return int(total or 0), int(linked or 0)


# --- orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOrder:
    number: str
    ordered_at: datetime
    contact_id: int | None
    currency: str | None


@dataclass(frozen=True)
class HistoryColumns:
    """All stored order lines, column-wise, as the model builder wants them."""

    product_ids: list[ProductId]
    contact_ids: list[ContactId]
    order_index: npt.NDArray[np.int64]
    product_index: npt.NDArray[np.int32]
    contact_index: npt.NDArray[np.int32]
    timestamp: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.float32]
    orders: int


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ids_by_number(self, numbers: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(numbers)), BIG_IN_CHUNK):
            rows = await self.session.execute(
                select(OrderRow.number, OrderRow.id).where(OrderRow.number.in_(chunk))
            )
            found.update({str(number): int(order_id) for number, order_id in rows})
        return found

    async def insert_orders(self, orders: Sequence[NewOrder]) -> list[int]:
        """Insert orders (numbers not stored yet); their ids in the order given."""
        if not orders:
            return []
        # A plain executemany, then the ids by number: RETURNING with row order kept makes
        # SQLite insert row by row.
        await self.session.execute(
            insert(ORDERS),
            [
                {
                    "number": order.number,
                    "ordered_at": order.ordered_at,
                    "contact_id": order.contact_id,
                    "currency": order.currency,
                }
                for order in orders
            ],
        )
        ids = await self.ids_by_number([order.number for order in orders])
        return [ids[order.number] for order in orders]

    async def insert_lines(
        self, lines: Sequence[tuple[int, str, Decimal, Decimal | None]]
    ) -> None:
        """Insert order lines given as ``(order_id, product_id, quantity, price)``."""
        rows: Sequence[Sequence[Any]] = lines
        if self.session.bind is not None and self.session.bind.dialect.name == "sqlite":
            # SQLite's driver takes no Decimal; its NUMERIC columns hold floats anyway.
            rows = [
                (order, product, float(quantity), None if price is None else float(price))
                for order, product, quantity, price in lines
            ]
        await bulk_insert(
            self.session, ORDER_LINES, ("order_id", "product_id", "quantity", "price"), rows
        )

    async def last_orders(self, contact_id: int, limit: int) -> list[Order]:
        orders = list(
            await self.session.scalars(
                select(OrderRow)
                .where(OrderRow.contact_id == contact_id)
                .order_by(OrderRow.ordered_at.desc(), OrderRow.id.desc())
                .limit(limit)
            )
        )
        lines: dict[int, list[OrderLine]] = {order.id: [] for order in orders}
        if orders:
            rows = await self.session.scalars(
                select(OrderLineRow)
                .where(OrderLineRow.order_id.in_(list(lines)))
                .order_by(OrderLineRow.id)
            )
            for row in rows:
                lines[row.order_id].append(
                    OrderLine(ProductId(row.product_id), row.quantity, row.price)
                )
        return [
            Order(
                number=order.number,
                ordered_at=order.ordered_at,
                lines=tuple(lines[order.id]),
                contact_id=None if order.contact_id is None else ContactId(order.contact_id),
                currency=order.currency,
            )
            for order in orders
        ]

    async def purchases(
        self, contact_id: int, limit: int
    ) -> list[tuple[ProductId, datetime, float]]:
        """The contact's latest ``limit`` order lines, oldest first: (product, time, quantity)."""
        rows = await self.session.execute(
            select(OrderLineRow.product_id, OrderRow.ordered_at, OrderLineRow.quantity)
            .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
            .where(OrderRow.contact_id == contact_id)
            .order_by(OrderRow.ordered_at.desc(), OrderLineRow.id.desc())
            .limit(limit)
        )
        found = [(ProductId(pid), at, float(quantity)) for pid, at, quantity in rows]
        found.reverse()
        return found

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(OrderRow)) or 0)

    async def history(self) -> HistoryColumns:
        """Every order line as arrays: one small query over orders, one streamed over lines.

        Lines arrive in storage order (no sort); orders are numbered in the order of their
        ids. Quantities are cast to floating point in SQL, so no ``Decimal`` is made per line.
        """
        order_rows = (
            await self.session.execute(
                select(OrderRow.id, OrderRow.ordered_at, OrderRow.contact_id).order_by(OrderRow.id)
            )
        ).all()
        order_ids = np.fromiter((row[0] for row in order_rows), np.int64, len(order_rows))
        order_time = np.fromiter(
            (int(row[1].timestamp()) for row in order_rows), np.int64, len(order_rows)
        )
        order_contact = np.fromiter(
            (-1 if row[2] is None else row[2] for row in order_rows), np.int64, len(order_rows)
        )
        del order_rows

        product_codes: dict[str, int] = {}
        line_orders: list[npt.NDArray[np.int64]] = []
        line_products: list[npt.NDArray[np.int32]] = []
        line_quantities: list[npt.NDArray[np.float32]] = []
        # Core, not the ORM session: no ORM row processing over a million lines.
        connection = await self.session.connection()
        stream = await connection.stream(
            select(
                OrderLineRow.order_id, OrderLineRow.product_id, cast(OrderLineRow.quantity, Float)
            ).execution_options(yield_per=100_000)
        )
        async for partition in stream.partitions():
            size = len(partition)
            orders, products, quantities = zip(*partition, strict=True)
            line_orders.append(np.fromiter(orders, np.int64, size))
            line_products.append(
                np.fromiter(
                    (product_codes.setdefault(pid, len(product_codes)) for pid in products),
                    np.int32,
                    size,
                )
            )
            line_quantities.append(np.fromiter(quantities, np.float32, size))
        lines_order = _joined(line_orders, np.int64)
        # Each line's order by position among the sorted order ids.
        position = np.searchsorted(order_ids, lines_order)
        used, order_index = np.unique(position, return_inverse=True)
        line_contact = order_contact[position]
        named = line_contact >= 0
        contact_ids, named_index = np.unique(line_contact[named], return_inverse=True)
        contact_index = np.full(line_contact.shape, -1, dtype=np.int32)
        contact_index[named] = named_index
        return HistoryColumns(
            product_ids=[ProductId(pid) for pid in product_codes],
            contact_ids=[ContactId(int(cid)) for cid in contact_ids],
            order_index=order_index.astype(np.int64),
            product_index=_joined(line_products, np.int32),
            contact_index=contact_index,
            timestamp=order_time[position],
            quantity=_joined(line_quantities, np.float32),
            orders=int(used.size),
        )


def _joined(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


# --- events and carts ----------------------------------------------------------------------


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Insert events (dicts of ``name, contact_id, web_id, occurred_at, product_id,
        payload``)."""
        if events:
            await self.session.execute(insert(EVENTS), list(events))

    async def attribute(self, web_id: str, contact_id: int) -> None:
        """Give a web id's anonymous events to the contact it now belongs to."""
        await self.session.execute(
            update(EventRow)
            .where(EventRow.web_id == web_id, EventRow.contact_id.is_(None))
            .values(contact_id=contact_id)
            .execution_options(synchronize_session=False)
        )

    async def products(
        self,
        names: Sequence[str],
        *,
        contact_id: int | None,
        web_id: str | None,
        limit: int,
    ) -> list[ProductId]:
        """Product ids of the latest ``limit`` events named ``names``, oldest first."""
        owner = _event_owner(contact_id, web_id)
        if owner is None:
            return []
        rows = await self.session.scalars(
            select(EventRow.product_id)
            .where(owner, EventRow.name.in_(names), EventRow.product_id.is_not(None))
            .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
            .limit(limit)
        )
        found = [ProductId(pid) for pid in rows if pid]
        found.reverse()
        return found

    async def count_since(self, since: datetime) -> int:
        total = await self.session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.occurred_at >= since)
        )
        return int(total or 0)


def _event_owner(contact_id: int | None, web_id: str | None) -> Any:
    if contact_id is not None:
        return EventRow.contact_id == contact_id
    if web_id is not None:
        return EventRow.web_id == web_id
    return None


def _cart_owner(contact_id: int | None, web_id: str | None) -> Any:
    if contact_id is not None:
        return CartLineRow.contact_id == contact_id
    if web_id is not None:
        return (CartLineRow.web_id == web_id) & CartLineRow.contact_id.is_(None)
    raise ValueError("a cart belongs to a contact or a web id")


class CartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(
        self,
        lines: Sequence[CartLine],
        *,
        contact_id: int | None,
        web_id: str | None,
        now: datetime,
    ) -> None:
        """The cart becomes exactly ``lines`` (an empty sequence empties it)."""
        await self.session.execute(
            delete(CartLineRow)
            .where(_cart_owner(contact_id, web_id))
            .execution_options(synchronize_session=False)
        )
        if lines:
            await self.session.execute(
                insert(CART_LINES),
                [
                    {
                        "contact_id": contact_id,
                        "web_id": None if contact_id is not None else web_id,
                        "position": position,
                        "product_id": line.product_id,
                        "quantity": line.quantity,
                        "price": line.price,
                        "updated_at": now,
                    }
                    for position, line in enumerate(lines)
                ],
            )

    async def get(self, *, contact_id: int | None, web_id: str | None) -> list[CartLine]:
        rows = await self.session.scalars(
            select(CartLineRow)
            .where(_cart_owner(contact_id, web_id))
            .order_by(CartLineRow.position, CartLineRow.id)
        )
        return [CartLine(ProductId(row.product_id), row.quantity, row.price) for row in rows]

    async def adopt(self, web_id: str, contact_id: int) -> None:
        """A visitor's cart becomes the contact's once the web id is linked (it is the newer)."""
        has_lines = await self.session.scalar(
            select(func.count()).select_from(CartLineRow).where(_cart_owner(None, web_id))
        )
        if not has_lines:
            return
        await self.session.execute(
            delete(CartLineRow)
            .where(CartLineRow.contact_id == contact_id)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(CartLineRow)
            .where(_cart_owner(None, web_id))
            .values(contact_id=contact_id, web_id=None)
            .execution_options(synchronize_session=False)
        )


# --- a contact's activity in one statement ------------------------------------------------

CONTACT_KEYS = frozenset({"id", "external_id", "email", "phone", "web_id", "telegram_user_id"})
# Row kinds of the activity statement; event groups take the kinds from EVENTS_KIND on.
FOUND_KIND, PURCHASES_KIND, CART_KIND, EVENTS_KIND = 0, 1, 2, 3


@dataclass(frozen=True)
class Activity:
    """What a contact (or a visitor's web id) did, oldest first: the inputs of a personal list.

    ``contact_id`` is None for a visitor or when nobody matched; ``events`` holds the product
    ids of each event group asked for, by the group's name."""

    contact_id: ContactId | None
    purchases: list[tuple[ProductId, datetime, float]]
    events: dict[str, list[ProductId]]
    cart: list[ProductId]


class ActivityRepository:
    """Reads a whole history in one round trip: per-request latency is mostly round trips."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_contact(
        self,
        keys: Sequence[tuple[str, str | int]],
        *,
        purchases: int,
        events: Mapping[str, tuple[Sequence[str], int]],
    ) -> Activity | None:
        """The activity of the first contact matched by ``keys`` (``(field, value)`` pairs in
        the order they are tried, fields from ``CONTACT_KEYS``), or None when none matches.

        ``purchases`` is how many of the latest order lines to read; ``events`` maps a group
        name to the event names it takes and how many of the latest to read."""
        if not keys:
            return None
        statement = _contact_statement(
            tuple(field for field, _ in keys), purchases, _groups(events)
        )
        rows = await self._run(statement, {f"key_{n}": value for n, (_, value) in enumerate(keys)})
        if not rows or rows[0][0] != FOUND_KIND:
            return None
        return _activity(ContactId(int(rows[0][4])), rows[1:], events)

    async def of_visitor(
        self, web_id: str, *, events: Mapping[str, tuple[Sequence[str], int]]
    ) -> Activity:
        """A web id's events (as ``of_contact``) and the cart it holds before it is linked."""
        rows = await self._run(_visitor_statement(_groups(events)), {"web_id": web_id})
        return _activity(None, rows, events)

    async def _run(self, statement: Any, params: Mapping[str, Any]) -> Sequence[Any]:
        connection = await self.session.connection()
        return (await connection.execute(statement, params)).all()


EventGroups = tuple[tuple[str, tuple[str, ...], int], ...]


def _groups(events: Mapping[str, tuple[Sequence[str], int]]) -> EventGroups:
    return tuple((group, tuple(names), limit) for group, (names, limit) in events.items())


# Statements are built once per shape and reused: building and keying one costs more than
# SQLite's whole work on a contact's history.
@functools.lru_cache(maxsize=128)
def _contact_statement(fields: tuple[str, ...], purchases: int, events: EventGroups) -> Any:
    """Values bind as ``key_0``, ``key_1``... in the order of ``fields``."""
    found = _first_contact(fields)
    contact_id = select(found.c.id).scalar_subquery()
    return _ordered(
        [
            select(*_row(FOUND_KIND, seq=found.c.id)),
            _limited(
                select(
                    *_row(
                        PURCHASES_KIND,
                        OrderLineRow.product_id,
                        OrderRow.ordered_at,
                        cast(OrderLineRow.quantity, Float),
                        OrderLineRow.id,
                    )
                )
                .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
                .where(OrderRow.contact_id == contact_id)
                .order_by(OrderRow.ordered_at.desc(), OrderLineRow.id.desc())
                .limit(purchases)
            ),
            _cart_part(CartLineRow.contact_id == contact_id),
            *_event_parts(EventRow.contact_id == contact_id, events),
        ]
    )


@functools.lru_cache(maxsize=8)
def _visitor_statement(events: EventGroups) -> Any:
    """The value binds as ``web_id``."""
    web_id = bindparam("web_id", type_=String)
    return _ordered(
        [
            _cart_part((CartLineRow.web_id == web_id) & CartLineRow.contact_id.is_(None)),
            *_event_parts(EventRow.web_id == web_id, events),
        ]
    )


def _ordered(parts: Sequence[Any]) -> Any:
    union = union_all(*parts).subquery()
    return select(union).order_by(union.c.kind, union.c.at, union.c.seq, union.c.seq2)


def _first_contact(fields: Sequence[str]) -> Any:
    """A one-row (or empty) subquery: the id of the contact the first matching key names."""
    branches = []
    for rank, field in enumerate(fields):
        value: BindParameter[Any] = bindparam(f"key_{rank}")
        order = literal_column(str(rank), Integer).label("rank")
        if field == "web_id":
            branch = (
                select(ContactRow.id.label("id"), order)
                .join(WebIdRow)
                .where(WebIdRow.web_id == value)
            )
        elif field == "id":
            branch = select(ContactRow.id.label("id"), order).where(ContactRow.id == value)
        else:
            column = IDENTIFIER_COLUMNS[field]
            branch = select(ContactRow.id.label("id"), order).where(column == value)
        branches.append(branch)
    ranked = union_all(*branches).subquery()
    return select(ranked.c.id).order_by(ranked.c.rank).limit(1).cte("found")


def _row(
    kind: int,
    product_id: Any = None,
    at: Any = None,
    quantity: Any = None,
    seq: Any = None,
    seq2: Any = None,
) -> list[Any]:
    """The columns every member of the activity UNION has, typed alike (NULLs cast)."""
    return [
        literal_column(str(kind), Integer).label("kind"),
        (cast(null(), String) if product_id is None else product_id).label("product_id"),
        # The first member's types convert the whole UNION's values.
        (cast(null(), RunsOfUtcDateTime()) if at is None else at).label("at"),
        (cast(null(), Float) if quantity is None else quantity).label("quantity"),
        (cast(null(), Id64) if seq is None else seq).label("seq"),
        (cast(null(), Id64) if seq2 is None else seq2).label("seq2"),
    ]


def _limited(query: Any) -> Any:
    """A member of a UNION with its own ORDER BY and LIMIT (SQLite wants it as a subquery)."""
    inner = query.subquery()
    return select(inner)


def _cart_part(owner: Any) -> Any:
    return select(
        *_row(
            CART_KIND,
            CartLineRow.product_id,
            seq=cast(CartLineRow.position, Id64),
            seq2=CartLineRow.id,
        )
    ).where(owner)


def _event_parts(owner: Any, events: EventGroups) -> list[Any]:
    return [
        _limited(
            select(
                *_row(
                    EVENTS_KIND + number,
                    EventRow.product_id,
                    EventRow.occurred_at,
                    seq=EventRow.id,
                )
            )
            .where(owner, EventRow.name.in_(names), EventRow.product_id.is_not(None))
            .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
            .limit(limit)
        )
        for number, (_, names, limit) in enumerate(events)
    ]


def _activity(
    contact_id: ContactId | None,
    rows: Sequence[Any],
    events: Mapping[str, tuple[Sequence[str], int]],
) -> Activity:
    """Rows arrive by kind, oldest first within a kind (the cart by position)."""
    groups = list(events)
    found = Activity(contact_id, [], {group: [] for group in groups}, [])
    for kind, product_id, at, quantity, _seq, _seq2 in rows:
        if kind == PURCHASES_KIND:
            found.purchases.append((ProductId(product_id), at, quantity))
        elif kind == CART_KIND:
            found.cart.append(ProductId(product_id))
        elif product_id:
            found.events[groups[kind - EVENTS_KIND]].append(ProductId(product_id))
    return found


# --- data sources, model snapshots, shared counters ----------------------------------------


def params_to_json(params: DataSourceParams) -> dict[str, Any]:
    values = dataclasses.asdict(params)
    values["product_ids"] = list(params.product_ids)
    return values


def params_from_json(values: Mapping[str, Any]) -> DataSourceParams:
    known = {field.name for field in dataclasses.fields(DataSourceParams)}
    kwargs = {key: value for key, value in values.items() if key in known}
    if "product_ids" in kwargs:
        kwargs["product_ids"] = tuple(ProductId(str(pid)) for pid in kwargs["product_ids"])
    return DataSourceParams(**kwargs)


def data_source_from_row(row: DataSourceRow) -> DataSource:
    return DataSource(
        id=DataSourceId(row.id),
        name=row.name,
        algorithm=Algorithm(row.algorithm),
        params=params_from_json(row.params or {}),
    )


class DataSourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self) -> list[DataSource]:
        rows = await self.session.scalars(select(DataSourceRow).order_by(DataSourceRow.id))
        return [data_source_from_row(row) for row in rows]

    async def get(self, data_source_id: int) -> DataSource | None:
        row = await self.session.get(DataSourceRow, data_source_id)
        return None if row is None else data_source_from_row(row)

    async def create(
        self, name: str, algorithm: Algorithm, params: DataSourceParams
    ) -> DataSource:
        row = DataSourceRow(name=name, algorithm=str(algorithm), params=params_to_json(params))
        self.session.add(row)
        await self.session.flush()
        return data_source_from_row(row)

    async def update(
        self, data_source_id: int, *, name: str | None, params: DataSourceParams | None
    ) -> DataSource | None:
        row = await self.session.get(DataSourceRow, data_source_id)
        if row is None:
            return None
        if name is not None:
            row.name = name
        if params is not None:
            row.params = params_to_json(params)
        await self.session.flush()
        return data_source_from_row(row)


@dataclass(frozen=True)
class Snapshot:
    version: int
    built_at: datetime
    orders: int
    lines: int
    data: bytes


class SnapshotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_version(self) -> int | None:
        version = await self.session.scalar(select(func.max(ModelSnapshotRow.version)))
        return None if version is None else int(version)

    async def latest_built_at(self) -> datetime | None:
        return await self.session.scalar(
            select(ModelSnapshotRow.built_at).order_by(ModelSnapshotRow.version.desc()).limit(1)
        )

    async def latest(self) -> Snapshot | None:
        row = await self.session.scalar(
            select(ModelSnapshotRow).order_by(ModelSnapshotRow.version.desc()).limit(1)
        )
        if row is None:
            return None
        return Snapshot(row.version, row.built_at, row.orders, row.lines, row.data)

    async def add(
        self, data: bytes, *, built_at: datetime, orders: int, lines: int, keep: int = 2
    ) -> int:
        """Store a snapshot, drop all but the newest ``keep``; returns the new version."""
        version = await self.session.scalar(
            insert(ModelSnapshotRow)
            .values(data=data, built_at=built_at, orders=orders, lines=lines)
            .returning(ModelSnapshotRow.version)
        )
        assert version is not None
        stale = list(
            await self.session.scalars(
                select(ModelSnapshotRow.version)
                .order_by(ModelSnapshotRow.version.desc())
                .offset(keep)
            )
        )
        if stale:
            await self.session.execute(
                delete(ModelSnapshotRow).where(ModelSnapshotRow.version.in_(stale))
            )
        return int(version)


class CounterRepository:
    """Named counters in ``engine_state``; bumping one tells other processes to reload."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> int:
        value = await self.session.scalar(select(SettingRow.value).where(SettingRow.key == key))
        return int(value or 0)

    async def bump(self, key: str) -> None:
        result = await self.session.execute(
            update(SettingRow)
            .where(SettingRow.key == key)
            .values(value=SettingRow.value + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 0:
            await self.session.execute(insert(SettingRow).values(key=key, value=1))
