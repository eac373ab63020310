"""A synthetic shop bulk-loaded into a database: products, contacts, orders and their lines.

    python -m benchmarks.synthetic --database-url URL --lines 10000000 --contacts 1000000 \\
        --products 200000

Orders have skewed popularity and themes (most of a basket comes from one theme of a hundred
related products, the rest from the shop's popular products), as ``benchmarks/rebuild.py``
makes them in memory; here they are written to the engine's tables (migrated first) in bulk:
COPY on PostgreSQL, one ``executemany`` transaction on SQLite. A customer is ``C<n>`` (its
external id), a product ``P<n>``. Prints what it wrote and how long it took.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import make_url

from recoms.config import RecomsSettings
from recoms.service import open_service

WORDS = ["mug", "lamp", "candle", "frame", "bag", "cushion", "tin", "card", "clock", "bowl"]
COLOURS = ["red", "blue", "green", "pink", "white", "black", "gold", "silver"]
START = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 500_000


@dataclass(frozen=True)
class Shop:
    """The arrays of a synthetic shop; lines are grouped by order, orders by time."""

    n_products: int
    n_contacts: int
    order_contact: npt.NDArray[np.int64]  # -1 for a guest, else 0..n_contacts-1
    order_seconds: npt.NDArray[np.int64]  # since START
    line_order: npt.NDArray[np.int64]
    line_product: npt.NDArray[np.int32]

    @property
    def n_orders(self) -> int:
        return int(self.order_contact.size)

    @property
    def n_lines(self) -> int:
        return int(self.line_order.size)


def make_shop(n_products: int, n_contacts: int, n_lines: int, seed: int = 0) -> Shop:
    """``n_lines`` order lines (an order's products once each) of ``n_contacts`` customers
    and guests over a year."""
    wanted, n_lines = n_lines, int(n_lines * 1.15)  # lines repeating a product are dropped
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.9
    popularity /= popularity.sum()
    rank_of = rng.permutation(n_products)  # popularity is not ordered by product id
    sizes = np.clip(rng.geometric(0.1, size=n_lines // 5 + 10), 1, 60)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_lines)) + 1]
    n_orders = sizes.size
    line_order = np.repeat(np.arange(n_orders), sizes)[:n_lines]
    theme_size = 100
    n_themes = max(n_products // theme_size, 1)
    weights = 1.0 / np.arange(1, n_themes + 1)
    theme = rng.choice(n_themes, size=n_orders, p=weights / weights.sum())
    n = line_order.size
    from_theme = rng.random(n) < 0.7
    in_theme = (theme_size * rng.random(n) ** 2).astype(np.int64)
    popular = rank_of[np.searchsorted(np.cumsum(popularity), rng.random(n) * 0.999999)]
    product = np.where(
        from_theme, np.minimum(theme[line_order] * theme_size + in_theme, n_products - 1), popular
    )
    # Some customers come back much more often than others.
    activity = rng.pareto(1.5, n_contacts) + 1
    activity /= activity.sum()
    contact = np.searchsorted(np.cumsum(activity), rng.random(n_orders) * 0.999999)
    contact[rng.random(n_orders) < 0.2] = -1  # guests
    seconds = np.sort(rng.integers(0, 365 * 86_400, size=n_orders))
    # Each order's products once (a line per product, as exports have them).
    keys = line_order * n_products + product
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)[:wanted]
    n_orders = int(line_order[first[-1]]) + 1 if first.size else 0
    return Shop(
        n_products,
        n_contacts,
        contact[:n_orders].astype(np.int64),
        seconds[:n_orders].astype(np.int64),
        line_order[first].astype(np.int64),
        product[first].astype(np.int32),
    )


def _product_rows(n: int, now: datetime) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        word = WORDS[(i // 100) % 10]
        yield (
            f"P{i:06d}",
            f"{COLOURS[i % 8]} {word} {WORDS[i % 7]} no {i}",
            f"A {word} from collection {i // 100}.",
            "in stock",
            (100 + (i * 7919) % 5000) / 100,
            "EUR",
            f'["Department {i // 10_000}", "Collection {i // 100}"]',
            now,
        )


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK):
        yield slice(start, min(n, start + CHUNK))


def _sqlite_time(at: datetime) -> str:
    return at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: str, shop: Shop) -> None:
    now = datetime.now(UTC)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO products (id, title, description, link, image_link, availability,"
                " price, currency, category, brand, item_group_id, tags, active, updated_at)"
                " VALUES (?, ?, ?, '', '', ?, ?, ?, ?, '', '', '{}', 1, ?)",
                ((*row[:-1], _sqlite_time(now)) for row in _product_rows(shop.n_products, now)),
            )
            created = _sqlite_time(START)
            connection.executemany(
                "INSERT INTO contacts (id, external_id, created_at) VALUES (?, ?, ?)",
                ((i + 1, f"C{i}", created) for i in range(shop.n_contacts)),
            )
            times = [_sqlite_time(START + timedelta(seconds=int(s))) for s in shop.order_seconds]
            contacts = shop.order_contact.tolist()
            connection.executemany(
                "INSERT INTO orders (id, number, contact_id, ordered_at, currency)"
                " VALUES (?, ?, ?, ?, 'EUR')",
                (
                    (i + 1, f"O{i}", None if c < 0 else c + 1, times[i])
                    for i, c in enumerate(contacts)
                ),
            )
            products = [f"P{i:06d}" for i in range(shop.n_products)]
            for part in _chunks(shop.n_lines):
                orders = (shop.line_order[part] + 1).tolist()
                pids = [products[p] for p in shop.line_product[part].tolist()]
                connection.executemany(
                    "INSERT INTO order_lines (order_id, product_id, quantity, price)"
                    " VALUES (?, ?, 1, 2.55)",
                    zip(orders, pids, strict=True),
                )
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def load_postgres(dsn: str, shop: Shop) -> None:
    import asyncpg

    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "products",
                records=[
                    (*row[:6], row[6], "", "", "{}", True, row[7], "", "")
                    for row in _product_rows(shop.n_products, now)
                ],
                columns=[
                    "id",
                    "title",
                    "description",
                    "availability",
                    "price",
                    "currency",
                    "category",
                    "brand",
                    "item_group_id",
                    "tags",
                    "active",
                    "updated_at",
                    "link",
                    "image_link",
                ],
            )
            await connection.copy_records_to_table(
                "contacts",
                records=[(i + 1, f"C{i}", START) for i in range(shop.n_contacts)],
                columns=["id", "external_id", "created_at"],
            )
            contacts = shop.order_contact.tolist()
            await connection.copy_records_to_table(
                "orders",
                records=[
                    (
                        i + 1,
                        f"O{i}",
                        None if c < 0 else c + 1,
                        START + timedelta(seconds=s),
                        "EUR",
                    )
                    for i, (c, s) in enumerate(
                        zip(contacts, shop.order_seconds.tolist(), strict=True)
                    )
                ],
                columns=["id", "number", "contact_id", "ordered_at", "currency"],
            )
            products = [f"P{i:06d}" for i in range(shop.n_products)]
            for part in _chunks(shop.n_lines):
                orders = (shop.line_order[part] + 1).tolist()
                pids = [products[p] for p in shop.line_product[part].tolist()]
                await connection.copy_records_to_table(
                    "order_lines",
                    records=[(o, p, 1, 2.55) for o, p in zip(orders, pids, strict=True)],
                    columns=["order_id", "product_id", "quantity", "price"],
                )
            for table in ("contacts", "orders", "order_lines"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def load(database_url: str, shop: Shop) -> None:
    """Migrate the (empty) database, then write ``shop`` into it."""
    service = await open_service(RecomsSettings(database_url=database_url))
    await service.close()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        await asyncio.to_thread(load_sqlite, url.database, shop)
    else:
        await load_postgres(url.set(drivername="postgresql").render_as_string(False), shop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    shop = make_shop(args.products, args.contacts, args.lines)
    made = time.perf_counter() - started
    asyncio.run(load(args.database_url, shop))
    print(
        f"synthetic shop: {shop.n_lines:,} lines in {shop.n_orders:,} orders, "
        f"{shop.n_contacts:,} contacts, {shop.n_products:,} products: made in {made:.1f} s, "
        f"loaded in {time.perf_counter() - started - made:.1f} s"
    )


if __name__ == "__main__":
    main()
