"""The product catalogue: Google Merchant feed imports and product reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import MAX_LIMIT, Product, ProductId, Rejected
from recoms.errors import NotFound
from recoms.importing.feed import open_feed, parse_feed
from recoms.service.batches import enter_in_thread, take_in_thread
from recoms.service.reports import ImportReport, Progress
from recoms.storage.repositories import CounterRepository, ProductRepository

CATALOG_COUNTER = "catalog"
"""Bumped by every catalogue change, so serving processes know to reload their view."""
FEED_BATCH = 1_000


async def import_feed(
    session: AsyncSession,
    source: str | Path,
    *,
    full: bool,
    now: datetime,
    progress: Progress | None,
) -> ImportReport:
    """See ``RecomsService.import_feed``; writes within the caller's transaction."""
    report = ImportReport()
    seen: set[ProductId] = set()
    products = ProductRepository(session)
    with await enter_in_thread(open_feed(source)) as stream:
        items = parse_feed(stream)
        while batch := await take_in_thread(items, FEED_BATCH):
            good: list[Product] = []
            for item in batch:
                if isinstance(item, Rejected):
                    report.rejected.append(item)
                else:
                    good.append(item)
                    seen.add(item.id)
            report.read += len(batch)
            created, updated = await products.upsert(good, now)
            report.created += created
            report.updated += updated
            if progress is not None:
                progress(len(batch))
    # A feed without a single good item deactivates nothing: it is more likely broken than a
    # shop closing down.
    if full and seen:
        report.deactivated = await products.deactivate_except(seen, now)
    await CounterRepository(session).bump(CATALOG_COUNTER)
    return report


async def get_product(session: AsyncSession, product_id: ProductId) -> Product:
    """Raises ``NotFound``."""
    found = await ProductRepository(session).get_many([product_id])
    if product_id not in found:
        raise NotFound("product", product_id)
    return found[product_id]


async def get_products(session: AsyncSession, product_ids: Sequence[ProductId]) -> list[Product]:
    """Known products in the order asked, without repeats; unknown ids are left out."""
    found = await ProductRepository(session).get_many(product_ids)
    return [found[pid] for pid in dict.fromkeys(product_ids) if pid in found]


async def search_products(session: AsyncSession, query: str, *, limit: int) -> list[Product]:
    query = query.strip()
    if not query:
        return []
    return await ProductRepository(session).search(query, max(1, min(limit, MAX_LIMIT)))
