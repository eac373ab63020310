"""Product search on a real database (SQLite's FTS5 trigram index, PostgreSQL's pg_trgm): the
index follows the catalogue, and matches are ranked alike on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from recoms.domain import Availability, Product, ProductId
from recoms.service.catalogue import SEARCH_CANDIDATES, search_products
from recoms.storage.database import Database, create_database, migrate
from recoms.storage.repositories import ProductRepository, ProductSearchRepository

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

SHOP = [
    Product(
        ProductId("choc-70"),
        "Dark Chocolate Bar 70%",
        brand="Lindt",
        category=("Food", "Sweets"),
        price=Decimal("3.50"),
    ),
    Product(
        ProductId("choc-milk"),
        "Milk chocolate",
        brand="Milka",
        category=("Food", "Sweets"),
        availability=Availability.OUT_OF_STOCK,
    ),
    Product(ProductId("mug-blue"), "Blue Coffee Mug", brand="Acme", category=("Home", "Mugs")),
    Product(ProductId("mug-red"), "Red mug", brand="Acme", category=("Home", "Mugs")),
    Product(ProductId("crate"), "Date crate", brand="Woodworks", category=("Home",)),
    Product(ProductId("kettle"), "Electric kettle", brand="Philips", category=("Kitchen",)),
    Product(ProductId("шоколад-1"), "Чорний шоколад", brand="Світоч", category=("Солодощі",)),
    Product(ProductId("creme"), "Crème brûlée torch", brand="Kitchen Pro", category=("Kitchen",)),
]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url)
    await migrate(db)
    async with db.sessions.begin() as session:
        await ProductRepository(session).upsert(SHOP, NOW)
    yield db
    await db.dispose()


async def found(database: Database, query: str, **options: object) -> list[str]:
    async with database.sessions() as session:
        products = await search_products(session, query, limit=10, **options)  # type: ignore[arg-type]
    return [product.id for product in products]


@pytest.mark.parametrize("query", ["chocolate", "Chocolat", "choclate", "CHOCOLATTE"])
async def test_typos_and_cases_find_the_product(database: Database, query: str) -> None:
    assert set((await found(database, query))[:2]) == {"choc-70", "choc-milk"}


async def test_out_of_stock_products_are_found_and_say_so(database: Database) -> None:
    async with database.sessions() as session:
        products = await search_products(session, "milk chocolate", limit=10)
    assert products[0].id == "choc-milk"
    assert products[0].availability is Availability.OUT_OF_STOCK


async def test_name_brand_category_and_id_are_searched(database: Database) -> None:
    assert (await found(database, "milka"))[:1] == ["choc-milk"]
    assert set(await found(database, "mugs")) == {"mug-blue", "mug-red"}
    assert (await found(database, "mug-red"))[0] == "mug-red", "the product with that id first"
    assert (await found(database, "kitchen"))[:2] in (["creme", "kettle"], ["kettle", "creme"])
    assert (await found(database, "red mug"))[0] == "mug-red"


async def test_accents_and_other_alphabets(database: Database) -> None:
    assert (await found(database, "шоколад"))[:1] == ["шоколад-1"]
    assert (await found(database, "шоколд"))[:1] == ["шоколад-1"]
    assert (await found(database, "creme brulee"))[:1] == ["creme"]
    assert (await found(database, "crème"))[:1] == ["creme"]


async def test_unrelated_words_find_nothing(database: Database) -> None:
    assert await found(database, "bicycle") == []
    assert await found(database, "xyzzy") == []


@pytest.mark.parametrize(
    "query", ['"choc" OR', "choc*", "NEAR(choc mug)", "'; DROP TABLE products; --", '"""']
)
async def test_query_syntax_is_plain_text(database: Database, query: str) -> None:
    await found(database, query)  # no error: the index's own syntax is never interpreted
    assert "choc-70" in await found(database, query + " chocolate")


async def test_the_index_follows_the_catalogue(database: Database) -> None:
    async with database.sessions.begin() as session:
        repo = ProductRepository(session)
        await repo.upsert([Product(ProductId("kettle"), "Glass teapot", brand="Bodum")], NOW)
        await repo.insert_new([Product(ProductId("new-1"), "Chocolate fountain")], NOW)
        keep = {ProductId(p.id) for p in SHOP} - {"choc-70"} | {ProductId("new-1")}
        await repo.deactivate_except(keep, NOW)
    assert await found(database, "electric") == []
    assert (await found(database, "teapot"))[:1] == ["kettle"]
    chocolate = await found(database, "chocolate")
    assert "new-1" in chocolate
    assert "choc-70" not in chocolate, "a product gone from the feed is not offered"


async def test_pages_follow_each_other_without_overlap(database: Database) -> None:
    async with database.sessions.begin() as session:
        await ProductRepository(session).upsert(
            [Product(ProductId(f"tea-{n:02}"), f"Green tea number {n}") for n in range(25)], NOW
        )
    pages = [await found(database, "green tea", offset=offset) for offset in (0, 10, 20, 30)]
    assert [len(page) for page in pages] == [10, 10, 5, 0]
    together = [pid for page in pages for pid in page]
    assert sorted(together) == [f"tea-{n:02}" for n in range(25)]
    assert await found(database, "green tea", offset=SEARCH_CANDIDATES) == []


async def test_boosts_reorder_matches_but_bring_in_nothing(database: Database) -> None:
    plain = await found(database, "mug")
    assert plain[:2] == ["mug-blue", "mug-red"], "by title when equally good"
    boosted = await found(database, "mug", boosts={ProductId("mug-red"): 1.0, "kettle": 1.0})
    assert boosted[:2] == ["mug-red", "mug-blue"]
    assert "kettle" not in boosted


async def test_short_queries_match_literally(database: Database) -> None:
    assert set(await found(database, "mu")) == {"mug-blue", "mug-red"}
    assert await found(database, "d_") == []


async def test_candidates_are_bounded(database: Database) -> None:
    async with database.sessions() as session:
        candidates = await ProductSearchRepository(session).candidates("chocolate mug", 3)
    assert len(candidates) == 3
