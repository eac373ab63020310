"""The product catalogue: Google Merchant feed imports and product reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.algorithms.textmatch import rank_matches
from recoms.domain import MAX_LIMIT, Product, ProductId, Rejected
from recoms.errors import FeedError, NotFound
from recoms.importing.feed import Trimmed, check_feed, open_feed, parse_feed
from recoms.importing.fetch import FetchPolicy, download
from recoms.service.batches import Work, batches, enter_in_thread, write
from recoms.service.reports import ImportReport, Progress
from recoms.storage.database import Database
from recoms.storage.repositories import (
    CounterRepository,
    ProductRepository,
    ProductSearchRepository,
)

CATALOG_COUNTER = "catalog"
"""Bumped by every catalogue change, so serving processes know to reload their view."""
FEED_BATCH = 1_000
MIN_INDEXED_QUERY = 3
"""Shorter queries are matched literally (LIKE): the text index holds trigrams."""
SEARCH_CANDIDATES = 200
"""Products a search ranks at most, and so how deep its pages go."""


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and "://" in source


@contextlib.asynccontextmanager
async def local_feed(
    source: str | Path, policy: FetchPolicy, *, progress: Progress | None = None
) -> AsyncIterator[Path]:
    """The feed as a file: ``source`` itself, or an ``http(s)`` URL downloaded (within the
    policy's deadline and size) to a temporary file that is removed after the block.

    Raises ``FeedError``: the URL's scheme is not the web's, or the fetch failed."""
    if not is_url(source):
        yield Path(source)
        return
    scheme = str(source).partition("://")[0].lower()
    if scheme not in ("http", "https"):
        raise FeedError(
            f"cannot import a feed from a {scheme[:10]}:// URL: give a file path or an http(s) URL"
        )
    descriptor, name = await asyncio.to_thread(tempfile.mkstemp, prefix="recoms-feed-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            await download(str(source), file, policy, progress=progress)
        yield path
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def check_feed_file(path: Path, max_bytes: int) -> None:
    """Read the feed file once, cheaply (runs in a worker thread); raises ``FeedError``."""
    with open_feed(path, max_bytes=max_bytes) as stream:
        check_feed(stream)


async def import_feed(
    database: Database,
    path: Path,
    *,
    full: bool,
    now: datetime,
    max_bytes: int,
    progress: Progress | None,
) -> ImportReport:
    """See ``RecomsService.import_feed``: the file is checked whole first, then written in
    batches of :data:`FEED_BATCH` items, each in a short transaction of its own."""
    await asyncio.to_thread(check_feed_file, path, max_bytes)
    report = ImportReport()
    seen: dict[str, int] = {}
    try:
        with await enter_in_thread(open_feed(path, max_bytes=max_bytes)) as stream:
            items = parse_feed(stream, seen=seen)
            async with contextlib.aclosing(batches(items, FEED_BATCH)) as parsed:
                async for batch in parsed:
                    good: list[Product] = []
                    for item in batch:
                        if isinstance(item, Product):
                            good.append(item)
                        elif isinstance(item, Rejected):
                            report.rejected.append(item)
                        else:
                            report.trimmed.append(item)
                    report.read += sum(not isinstance(item, Trimmed) for item in batch)
                    created, updated = await write(database.sessions, _upsert(good, now))
                    report.created += created
                    report.updated += updated
                    if progress is not None:
                        progress(len(batch))
        # A feed without a single good item deactivates nothing: it is more likely broken
        # than a shop closing down.
        if full and seen:
            keep = {ProductId(product_id) for product_id in seen}
            report.deactivated = await write(database.sessions, _deactivate(keep, now))
    finally:
        # Also after a failure: the batches written before it are in the catalogue.
        await write(database.sessions, _bump)
    return report


def _upsert(products: list[Product], now: datetime) -> Work[tuple[int, int]]:
    async def work(session: AsyncSession) -> tuple[int, int]:
        return await ProductRepository(session).upsert(products, now)

    return work


def _deactivate(keep: set[ProductId], now: datetime) -> Work[int]:
    async def work(session: AsyncSession) -> int:
        return await ProductRepository(session).deactivate_except(keep, now)

    return work


async def _bump(session: AsyncSession) -> None:
    await CounterRepository(session).bump(CATALOG_COUNTER)


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


async def search_products(
    session: AsyncSession,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    boosts: Mapping[ProductId, float] | None = None,
) -> list[Product]:
    """See ``RecomsService.search_products``."""
    query = " ".join(query.split())
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if not query or offset >= SEARCH_CANDIDATES:
        return []
    if len(query) < MIN_INDEXED_QUERY:
        return await ProductRepository(session).search(query, limit, offset)
    candidates = await ProductSearchRepository(session).candidates(query, SEARCH_CANDIDATES)
    ranked = rank_matches(query, candidates, boosts=boosts)
    return [match.product for match in ranked[offset : offset + limit]]
