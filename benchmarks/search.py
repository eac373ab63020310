"""Product search latency on a synthetic catalogue: `python -m benchmarks.search [--products N]
[--database-url URL]`. Prints p50/p99 of ``RecomsService.search_products`` for exact words,
typos and two-word queries, beside a primary-key lookup measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from recoms.config import RecomsSettings
from recoms.domain import Availability, Product, ProductId
from recoms.service import open_service
from recoms.storage.repositories import ProductRepository

NOUNS = [
    "mug",
    "kettle",
    "lamp",
    "chair",
    "notebook",
    "pen",
    "teapot",
    "blanket",
    "candle",
    "pillow",
    "towel",
    "vase",
]
ADJECTIVES = [
    "blue",
    "red",
    "green",
    "dark",
    "milk",
    "velvet",
    "ceramic",
    "wooden",
    "glass",
    "steel",
    "linen",
    "cozy",
]
BRANDS = ["Acme", "Lindt", "Philips", "Bodum", "Ikea", "Muji", "Zara", "Sony", "Bosch", "Tefal"]
QUERIES = {
    "word": ["kettle", "blanket", "ceramic", "bodum"],
    "typo": ["ketle", "blankte", "ceramik", "candel"],
    "two words": ["blue mug", "wooden chair", "velvet pillow", "glass vase"],
}


def catalogue(count: int, seed: int = 7) -> list[Product]:
    rng = random.Random(seed)
    return [
        Product(
            ProductId(f"p-{n:06}"),
            f"{rng.choice(ADJECTIVES).title()} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n}",
            brand=rng.choice(BRANDS),
            category=("Home", rng.choice(NOUNS).title() + "s"),
            price=Decimal(rng.randint(1, 500)),
            availability=Availability.IN_STOCK
            if rng.random() < 0.8
            else Availability.OUT_OF_STOCK,
        )
        for n in range(count)
    ]


def line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{name:>12}: p50 {statistics.median(ordered):7.2f} ms   p99 {p99:7.2f} ms"


async def run(count: int, url: str | None, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database_url = url or f"sqlite+aiosqlite:///{Path(folder) / 'search.db'}"
        service = await open_service(RecomsSettings(_env_file=None, database_url=database_url))
        try:
            started = time.perf_counter()
            now = datetime.now(UTC)
            products = catalogue(count)
            for start in range(0, count, 5000):
                async with service.database.sessions.begin() as session:
                    await ProductRepository(session).upsert(products[start : start + 5000], now)
            written = time.perf_counter() - started
            print(f"{service.database.dialect}, {count} products written in {written:.1f} s")
            lookups: list[float] = []
            for n in range(rounds):
                began = time.perf_counter()
                await service.get_product(ProductId(f"p-{n * 7919 % count:06}"))
                lookups.append((time.perf_counter() - began) * 1000)
            print(line("by id", lookups))
            for kind, queries in QUERIES.items():
                samples: list[float] = []
                found = 0
                for n in range(rounds):
                    began = time.perf_counter()
                    found += len(await service.search_products(queries[n % len(queries)]))
                    samples.append((time.perf_counter() - began) * 1000)
                print(line(kind, samples) + f"   {found / rounds:.1f} results")
        finally:
            await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="an empty database (SQLite if unset)")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(run(args.products, args.database_url, args.rounds))


if __name__ == "__main__":
    main()
