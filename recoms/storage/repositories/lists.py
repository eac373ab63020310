"""List activity in the chat (cards shown, shop links followed) and the engine's own keys."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.storage.models import ListEventRow, SecretRow


class ListAction(enum.StrEnum):
    SHOWN = "shown"
    CLICK = "click"


@dataclass(frozen=True, slots=True)
class ListFigures:
    list_name: str
    shown: int
    clicks: int


class ListEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        action: ListAction,
        *,
        list_name: str,
        product_id: str,
        contact_id: int | None,
        now: datetime,
    ) -> None:
        await self.session.execute(
            insert(ListEventRow).values(
                occurred_at=now,
                list_name=list_name,
                action=str(action),
                contact_id=contact_id,
                product_id=product_id,
            )
        )

    async def figures(self, since: datetime | None = None) -> list[ListFigures]:
        """Cards shown and links followed per list (since ``since``), by list name."""
        query = select(ListEventRow.list_name, ListEventRow.action, func.count()).group_by(
            ListEventRow.list_name, ListEventRow.action
        )
        if since is not None:
            query = query.where(ListEventRow.occurred_at >= since)
        counts: dict[str, dict[str, int]] = {}
        for list_name, action, count in (await self.session.execute(query)).all():
            counts.setdefault(list_name, {})[action] = int(count)
        return [
            ListFigures(name, by.get(ListAction.SHOWN, 0), by.get(ListAction.CLICK, 0))
            for name, by in sorted(counts.items())
        ]


class SecretRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> bytes | None:
        value = await self.session.scalar(select(SecretRow.value).where(SecretRow.name == name))
        return None if value is None else bytes(value)

    async def add(self, name: str, make: Callable[[], bytes], now: datetime) -> bool:
        """Store a new secret unless one of that name exists (another process may be making
        it at the same moment); whether this one was stored. Within a savepoint, so a clash
        leaves the caller's transaction usable."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    insert(SecretRow).values(name=name, value=make(), created_at=now)
                )
        except IntegrityError:
            return False
        return True
