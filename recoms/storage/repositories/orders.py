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
from sqlalchemy.ext.asyncio import AsyncSession

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
