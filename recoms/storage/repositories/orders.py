"""Orders and their lines: bulk inserts of imports, a contact's latest, the whole history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from recoms.domain import ContactId, Order, OrderLine, ProductId
from recoms.storage.models import OrderLineRow, OrderRow
from recoms.storage.repositories.common import (
    BIG_IN_CHUNK,
    ORDER_LINES,
    ORDERS,
    bulk_insert,
    chunked,
)


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
        """Every order line as arrays, lines in the order of their ids (as imported); orders
        numbered in the order of their ids, products in the order of their first line.

        Rows are read straight into arrays where the driver allows it (PostgreSQL's binary
        COPY, SQLite's cursor on its own thread), without a Python object per row, else
        streamed through SQLAlchemy Core. Quantities are cast to floating point in SQL, so
        no ``Decimal`` is made per line."""
        connection = await self.session.connection()
        columns = await _fast_columns(connection)
        if columns is None:
            columns = await _streamed_columns(connection)
        return _history(columns)


@dataclass
class _Columns:
    """The raw columns of the history: orders by id, lines by id, each line's product as a
    code into ``product_ids``."""

    order_ids: npt.NDArray[np.int64]
    order_time: npt.NDArray[np.int64]
    order_contact: npt.NDArray[np.int64]
    line_order: npt.NDArray[np.int64]
    line_code: npt.NDArray[np.int64]
    line_quantity: npt.NDArray[np.float32]
    product_ids: list[str]


def _history(columns: _Columns) -> HistoryColumns:
    # Products numbered by their first line, whatever order the codes came in.
    codes, first = np.unique(columns.line_code, return_index=True)
    by_first = codes[np.argsort(first, kind="stable")]
    renumber = np.zeros(len(columns.product_ids) + 1, dtype=np.int32)
    renumber[by_first] = np.arange(by_first.size, dtype=np.int32)
    product_index = renumber[columns.line_code]
    # Each line's order by position among the sorted order ids.
    position = np.searchsorted(columns.order_ids, columns.line_order)
    used, order_index = np.unique(position, return_inverse=True)
    line_contact = columns.order_contact[position]
    named = line_contact >= 0
    contact_ids, named_index = np.unique(line_contact[named], return_inverse=True)
    contact_index = np.full(line_contact.shape, -1, dtype=np.int32)
    contact_index[named] = named_index
    return HistoryColumns(
        product_ids=[ProductId(columns.product_ids[code]) for code in by_first.tolist()],
        contact_ids=[ContactId(int(cid)) for cid in contact_ids],
        order_index=order_index.astype(np.int64),
        product_index=product_index,
        contact_index=contact_index,
        timestamp=columns.order_time[position],
        quantity=columns.line_quantity,
        orders=int(used.size),
    )


async def _streamed_columns(connection: AsyncConnection) -> _Columns:
    """Any database: orders in one query, lines streamed, rows through SQLAlchemy Core."""
    order_rows = (
        await connection.execute(
            select(OrderRow.id, OrderRow.ordered_at, OrderRow.contact_id).order_by(OrderRow.id)
        )
    ).all()
    n_orders = len(order_rows)
    order_ids = np.fromiter((row[0] for row in order_rows), np.int64, n_orders)
    order_time = np.fromiter((int(row[1].timestamp()) for row in order_rows), np.int64, n_orders)
    order_contact = np.fromiter(
        (-1 if row[2] is None else row[2] for row in order_rows), np.int64, n_orders
    )
    del order_rows
    product_codes: dict[str, int] = {}
    line_orders: list[npt.NDArray[np.int64]] = []
    line_codes: list[npt.NDArray[np.int64]] = []
    line_quantities: list[npt.NDArray[np.float32]] = []
    stream = await connection.stream(
        select(OrderLineRow.order_id, OrderLineRow.product_id, cast(OrderLineRow.quantity, Float))
        .order_by(OrderLineRow.id)
        .execution_options(yield_per=100_000)
    )
    async for partition in stream.partitions():
        size = len(partition)
        orders, products, quantities = zip(*partition, strict=True)
        line_orders.append(np.fromiter(orders, np.int64, size))
        line_codes.append(
            np.fromiter(
                (product_codes.setdefault(pid, len(product_codes)) for pid in products),
                np.int64,
                size,
            )
        )
        line_quantities.append(np.fromiter(quantities, np.float32, size))
    return _Columns(
        order_ids,
        order_time,
        order_contact,
        _joined(line_orders, np.int64),
        _joined(line_codes, np.int64),
        _joined(line_quantities, np.float32),
        list(product_codes),
    )


async def _fast_columns(connection: AsyncConnection) -> _Columns | None:
    """The columns read without a Python object per row, or None where the driver does not
    allow it (then they are streamed)."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if connection.dialect.name == "postgresql" and hasattr(driver, "copy_from_query"):
        return await _postgres_columns(driver)
    execute = getattr(driver, "_execute", None)  # aiosqlite: runs a function on its thread
    sqlite = getattr(driver, "_conn", None)
    if connection.dialect.name == "sqlite" and execute is not None and sqlite is not None:
        columns: _Columns = await execute(_sqlite_columns, sqlite)
        return columns
    return None


_SQLITE_ORDERS = (
    "SELECT id, CAST(strftime('%s', ordered_at) AS INTEGER), coalesce(contact_id, -1)"
    " FROM orders ORDER BY id"
)
_SQLITE_LINES = "SELECT order_id, product_id, CAST(quantity AS FLOAT) FROM order_lines ORDER BY id"
_SQLITE_BATCH = 100_000


def _sqlite_columns(connection: Any) -> _Columns:
    """On aiosqlite's thread, with its ``sqlite3`` connection (and so its transaction)."""
    orders = np.fromiter(
        connection.execute(_SQLITE_ORDERS), dtype=[("id", "i8"), ("t", "i8"), ("c", "i8")]
    )
    product_codes: dict[str, int] = {}
    line_orders: list[npt.NDArray[np.int64]] = []
    line_codes: list[npt.NDArray[np.int64]] = []
    line_quantities: list[npt.NDArray[np.float32]] = []
    cursor = connection.execute(_SQLITE_LINES)
    while rows := cursor.fetchmany(_SQLITE_BATCH):
        size = len(rows)
        order_ids, products, quantities = zip(*rows, strict=True)
        line_orders.append(np.fromiter(order_ids, np.int64, size))
        line_codes.append(_coded(products, product_codes))
        line_quantities.append(np.fromiter(quantities, np.float64, size).astype(np.float32))
    return _Columns(
        np.ascontiguousarray(orders["id"]),
        np.ascontiguousarray(orders["t"]),
        np.ascontiguousarray(orders["c"]),
        _joined(line_orders, np.int64),
        _joined(line_codes, np.int64),
        _joined(line_quantities, np.float32),
        list(product_codes),
    )


def _coded(products: tuple[str, ...], codes: dict[str, int]) -> npt.NDArray[np.int64]:
    """Each product's code, new products numbered on in the order they first come; the loops
    run in C (``dict.fromkeys``, ``map``): no Python bytecode per row."""
    for product in dict.fromkeys(products):
        if product not in codes:
            codes[product] = len(codes)
    return np.fromiter(map(codes.__getitem__, products), np.int64, len(products))


# Binary COPY: a 19-byte header, then per row a field count (int16) and per field its length
# (int32) and value, big-endian; fixed-width fields make every row the same size.
_COPY_HEADER = 19
_ORDER_ROW = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("id", ">i8"), ("l2", ">i4"), ("t", ">i8"), ("l3", ">i4"),
     ("c", ">i8")]
)  # fmt: skip
_LINE_ROW = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("order", ">i8"), ("l2", ">i4"), ("code", ">i4"),
     ("l3", ">i4"), ("quantity", ">f8")]
)  # fmt: skip
_PG_ORDERS = (
    "SELECT id::int8, floor(extract(epoch FROM ordered_at))::int8, coalesce(contact_id, -1)::int8"
    " FROM orders ORDER BY id"
)
_PG_PRODUCTS = "SELECT DISTINCT product_id FROM order_lines"
# Codes are positions in the array sent ($1); a line whose product is not in it (added since
# by a concurrent import) is left out, as a line added after the read would be.
_PG_LINES = (
    "SELECT l.order_id::int8, (c.code - 1)::int4, l.quantity::float8 FROM order_lines l"
    " JOIN unnest($1::text[]) WITH ORDINALITY AS c(product_id, code)"
    " ON c.product_id = l.product_id ORDER BY l.id"
)


async def _copied(driver: Any, query: str, row: np.dtype[Any], *args: object) -> Any:
    chunks: list[bytes] = []

    async def take(chunk: bytes) -> None:
        chunks.append(chunk)

    await driver.copy_from_query(query, *args, output=take, format="binary")
    data = b"".join(chunks)
    chunks.clear()
    body = data[_COPY_HEADER : len(data) - 2]  # the trailer: a field count of -1
    return np.frombuffer(body, dtype=row)


async def _postgres_columns(driver: Any) -> _Columns:
    """asyncpg's binary COPY into arrays: no Python object per row."""
    orders = await _copied(driver, _PG_ORDERS, _ORDER_ROW)
    product_ids = [str(row[0]) for row in await driver.fetch(_PG_PRODUCTS)]
    lines = await _copied(driver, _PG_LINES, _LINE_ROW, product_ids)
    return _Columns(
        orders["id"].astype(np.int64),
        orders["t"].astype(np.int64),
        orders["c"].astype(np.int64),
        lines["order"].astype(np.int64),
        lines["code"].astype(np.int64),
        lines["quantity"].astype(np.float32),
        product_ids,
    )


def _joined(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
