"""Contacts, latest buyers first, with the identifiers that name them: whose lists a serving
process computes ahead of the first ask."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import ContactId
from recoms.storage.models import ContactRow, OrderRow


@dataclass(frozen=True, slots=True)
class Buyer:
    contact_id: ContactId
    external_id: str | None
    email: str | None
    phone: str | None
    telegram_user_id: int | None


class BuyerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self, limit: int) -> list[Buyer]:
        """Up to ``limit`` contacts: those with orders by their latest order, newest first
        (ties by contact id), then the others, newest contact first."""
        last = (
            select(OrderRow.contact_id, func.max(OrderRow.ordered_at).label("last"))
            .where(OrderRow.contact_id.is_not(None))
            .group_by(OrderRow.contact_id)
            .subquery()
        )
        statement = (
            select(*_COLUMNS)
            .join(last, last.c.contact_id == ContactRow.id)
            .order_by(last.c.last.desc(), ContactRow.id)
            .limit(limit)
        )
        rows = list((await self.session.execute(statement)).all())
        if len(rows) < limit:
            ordered = select(OrderRow.id).where(OrderRow.contact_id == ContactRow.id).exists()
            others = (
                select(*_COLUMNS)
                .where(~ordered)
                .order_by(ContactRow.id.desc())
                .limit(limit - len(rows))
            )
            rows += (await self.session.execute(others)).all()
        return [Buyer(ContactId(row[0]), row[1], row[2], row[3], row[4]) for row in rows]


_COLUMNS = (
    ContactRow.id,
    ContactRow.external_id,
    ContactRow.email,
    ContactRow.phone,
    ContactRow.telegram_user_id,
)
