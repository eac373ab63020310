"""Figures of what the engine holds, for ``GET /api/v1/stats`` and ``recoms stats``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.service.reports import Stats
from recoms.storage.repositories import (
    ContactRepository,
    EventRepository,
    OrderRepository,
    ProductRepository,
    SnapshotRepository,
)


async def read_stats(session: AsyncSession, *, now: datetime) -> Stats:
    """Counts as of ``now``; events are those of the 24 hours before it."""
    products, in_stock = await ProductRepository(session).counts()
    contacts, linked = await ContactRepository(session).counts()
    model = await SnapshotRepository(session).latest_summary()
    return Stats(
        products=products,
        products_in_stock=in_stock,
        contacts=contacts,
        telegram_linked=linked,
        events_last_24h=await EventRepository(session).count_since(now - timedelta(days=1)),
        orders=await OrderRepository(session).count(),
        model_built_at=None if model is None else model.built_at,
        model_tuning=None if model is None else model.tuning,
    )
