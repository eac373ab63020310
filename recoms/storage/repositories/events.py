"""Tracker events and carts: what a contact or a visitor did and holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import CartLine, ProductId
from recoms.storage.models import CartLineRow, EventRow
from recoms.storage.repositories.common import CART_LINES, EVENTS


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


def _event_owner(contact_id: int | None, web_id: str | None) -> ColumnElement[bool] | None:
    if contact_id is not None:
        return EventRow.contact_id == contact_id
    if web_id is not None:
        return EventRow.web_id == web_id
    return None


def _cart_owner(contact_id: int | None, web_id: str | None) -> ColumnElement[bool]:
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
