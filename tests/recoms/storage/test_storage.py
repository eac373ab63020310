"""Storage on a real database (SQLite, and PostgreSQL when configured): schema, repositories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from recoms.domain import (
    Algorithm,
    Availability,
    CartLine,
    DataSourceParams,
    IdentityKey,
    Product,
    ProductId,
)
from recoms.storage.database import Database, create_database, migrate, schema_is_current
from recoms.storage.repositories import (
    CartRepository,
    ContactRepository,
    DataSourceRepository,
    EventRepository,
    NewOrder,
    OrderRepository,
    ProductRepository,
    SnapshotRepository,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url)
    await migrate(db)
    yield db
    await db.dispose()


def product(pid: str, **fields: object) -> Product:
    values: dict[str, object] = {
        "title": f"Product {pid}",
        "price": Decimal("10.00"),
        "currency": "EUR",
    }
    values.update(fields)
    return Product(id=ProductId(pid), **values)  # type: ignore[arg-type]


async def test_migrate_creates_the_default_data_sources_and_is_repeatable(
    database: Database,
) -> None:
    await migrate(database)
    assert await schema_is_current(database)
    async with database.sessions.begin() as session:
        sources = await DataSourceRepository(session).list()
        assert [(s.id, s.algorithm) for s in sources] == [
            (1, Algorithm.PERSONAL),
            (2, Algorithm.BESTSELLERS),
            (3, Algorithm.ALSO_BOUGHT),
            (4, Algorithm.YOU_MAY_ALSO_LIKE),
            (5, Algorithm.ALTERNATIVES),
            (6, Algorithm.OTHER),
            (7, Algorithm.PERSONAL),
            (8, Algorithm.PERSONAL),
        ]
        assert all(s.params == DataSourceParams() for s in sources[:6])
        assert sources[6].params == DataSourceParams(purchased_only=True)
        assert sources[7].params == DataSourceParams(exclude_purchased=True)
        # The id sequence continues after the seeded rows (PostgreSQL needs it moved on).
        created = await DataSourceRepository(session).create(
            "Summer picks",
            Algorithm.OTHER,
            DataSourceParams(limit=3, product_ids=(ProductId("a"), ProductId("b"))),
        )
    assert created.id == 9
    assert created.params.product_ids == ("a", "b")


async def test_a_sqlite_file_gets_its_folder_and_wal_mode(tmp_path: Path) -> None:
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'deep' / 'er' / 'recoms.db'}")
    try:
        await migrate(db)
        async with db.engine.connect() as connection:
            mode = await connection.scalar(text("PRAGMA journal_mode"))
            keys = await connection.scalar(text("PRAGMA foreign_keys"))
        assert mode == "wal"
        assert keys == 1
        assert (tmp_path / "deep" / "er" / "recoms.db").exists()
    finally:
        await db.dispose()


async def test_products_upsert_reports_created_and_really_changed(database: Database) -> None:
    async with database.sessions.begin() as session:
        repo = ProductRepository(session)
        assert await repo.upsert([product("a"), product("b")], NOW) == (2, 0)
    async with database.sessions.begin() as session:
        repo = ProductRepository(session)
        # "10" is the same price as "10.00": not a change.
        same = product("a", price=Decimal("10"))
        cheaper = product("b", sale_price=Decimal("7.50"), category=("Home", "Mugs"))
        assert await repo.upsert([same, cheaper, product("c")], NOW) == (1, 1)
    async with database.sessions() as session:
        found = await ProductRepository(session).get_many([ProductId("b"), ProductId("x")])
    assert list(found) == ["b"]
    assert found[ProductId("b")].sale_price == Decimal("7.50")
    assert found[ProductId("b")].category == ("Home", "Mugs")


async def test_deactivate_except_keeps_rows_and_search_skips_inactive(database: Database) -> None:
    async with database.sessions.begin() as session:
        repo = ProductRepository(session)
        await repo.upsert(
            [product("mug-1", title="Blue Mug"), product("mug-2", title="Red mug_50%")], NOW
        )
        assert await repo.deactivate_except({ProductId("mug-2")}, NOW) == 1
    async with database.sessions() as session:
        repo = ProductRepository(session)
        assert [p.id for p in await repo.search("MUG", 10)] == ["mug-2"]
        assert [p.id for p in await repo.search("_50%", 10)] == ["mug-2"]
        assert await repo.search("d_m", 10) == []  # "_" is no wildcard
        everything = await repo.all()
        assert {p.id: p.active for p in everything} == {"mug-1": False, "mug-2": True}
        assert await repo.counts() == (1, 1)


async def test_contact_identifiers_are_unique(database: Database) -> None:
    async with database.sessions.begin() as session:
        repo = ContactRepository(session)
        created = await repo.create(now=NOW, email="a@example.com", phone="+380501110001")
        assert await repo.link_web_id("web-1", created.id)
        assert not await repo.link_web_id("web-1", created.id)
    async with database.sessions() as session:
        found = await ContactRepository(session).find_by(IdentityKey.WEB_ID, "web-1")
        assert found is not None
        assert found.id == created.id
        assert found.web_ids == ("web-1",)
    with pytest.raises(IntegrityError):
        async with database.sessions.begin() as session:
            await ContactRepository(session).create(now=NOW, email="a@example.com")


async def test_a_database_error_does_not_carry_phones_or_emails(database: Database) -> None:
    async with database.sessions.begin() as session:
        await ContactRepository(session).create(
            now=NOW, phone="+380501110001", email="olena@example.com"
        )
    with pytest.raises(IntegrityError) as raised:
        async with database.sessions.begin() as session:
            await ContactRepository(session).create(
                now=NOW, phone="+380501110001", email="olena@example.com"
            )
    # The error's text is what a log of an unexpected failure would show.
    assert "+380501110001" not in str(raised.value)
    assert "olena@example.com" not in str(raised.value)


async def test_datetimes_come_back_aware_and_in_utc(database: Database) -> None:
    kyiv = timezone(timedelta(hours=2))
    async with database.sessions.begin() as session:
        await ProductRepository(session).upsert([product("p")], NOW)
        ids = await OrderRepository(session).insert_orders(
            [NewOrder("A-1", datetime(2025, 1, 1, 10, 0, tzinfo=kyiv), None, "EUR")]
        )
        await OrderRepository(session).insert_lines([(ids[0], "p", Decimal(2), None)])
    async with database.sessions() as session:
        columns = await OrderRepository(session).history()
    assert columns.timestamp.tolist() == [int(datetime(2025, 1, 1, 8, tzinfo=UTC).timestamp())]


async def test_history_is_column_wise_over_all_lines(database: Database) -> None:
    async with database.sessions.begin() as session:
        await ProductRepository(session).upsert([product("a"), product("b"), product("c")], NOW)
        contact = await ContactRepository(session).create(now=NOW, external_id="c-1")
        orders = OrderRepository(session)
        ids = await orders.insert_orders(
            [
                NewOrder("1", NOW - timedelta(days=2), contact.id, None),
                NewOrder("2", NOW - timedelta(days=1), None, None),
            ]
        )
        await orders.insert_lines(
            [
                (ids[0], "a", Decimal(1), None),
                (ids[0], "b", Decimal(3), None),
                (ids[1], "a", Decimal(1), None),
            ]
        )
    async with database.sessions() as session:
        orders = OrderRepository(session)
        columns = await orders.history()
        purchases = await orders.purchases(contact.id, 10)
        last = await orders.last_orders(contact.id, 5)
    assert columns.orders == 2
    products = [columns.product_ids[i] for i in columns.product_index]
    assert products == ["a", "b", "a"]
    assert columns.order_index.tolist() == [0, 0, 1]
    assert columns.contact_index.tolist() == [0, 0, -1]
    assert columns.contact_ids == [contact.id]
    assert columns.quantity.tolist() == [1.0, 3.0, 1.0]
    assert [p for p, _, _ in purchases] == ["a", "b"]
    assert [o.number for o in last] == ["1"]
    assert [line.product_id for line in last[0].lines] == ["a", "b"]


async def test_cart_is_replaced_whole_and_adopted_by_the_linked_contact(
    database: Database,
) -> None:
    line = CartLine(ProductId("a"), Decimal(1), Decimal("5.00"))
    async with database.sessions.begin() as session:
        contact = await ContactRepository(session).create(now=NOW, external_id="x")
        carts = CartRepository(session)
        await carts.replace([line], contact_id=contact.id, web_id=None, now=NOW)
        await carts.replace(
            [CartLine(ProductId("b"), Decimal(2)), CartLine(ProductId("c"), Decimal(1))],
            contact_id=None,
            web_id="w",
            now=NOW,
        )
        await carts.adopt("w", contact.id)
    async with database.sessions.begin() as session:
        carts = CartRepository(session)
        assert [c.product_id for c in await carts.get(contact_id=contact.id, web_id=None)] == [
            "b",
            "c",
        ]
        assert await carts.get(contact_id=None, web_id="w") == []
        await carts.replace([], contact_id=contact.id, web_id=None, now=NOW)
        assert await carts.get(contact_id=contact.id, web_id=None) == []


async def test_anonymous_events_are_attributed_when_the_web_id_is_linked(
    database: Database,
) -> None:
    async with database.sessions.begin() as session:
        contact = await ContactRepository(session).create(now=NOW, external_id="x")
        events = EventRepository(session)
        await events.add_many(
            [
                {
                    "name": "ProductPage",
                    "contact_id": None,
                    "web_id": "w",
                    "occurred_at": NOW - timedelta(minutes=5 - i),
                    "product_id": pid,
                    "payload": {},
                }
                for i, pid in enumerate(["a", "b", "a"])
            ]
        )
        await events.attribute("w", contact.id)
    async with database.sessions() as session:
        events = EventRepository(session)
        viewed = await events.products(
            ["ProductPage"], contact_id=contact.id, web_id=None, limit=10
        )
        assert viewed == ["a", "b", "a"]
        assert await events.count_since(NOW - timedelta(minutes=4)) == 2


async def test_snapshots_keep_the_last_two_with_their_tuning(database: Database) -> None:
    for n in range(3):
        async with database.sessions.begin() as session:
            await SnapshotRepository(session).add(
                bytes([n]) * 10,
                built_at=NOW + timedelta(hours=n),
                orders=n,
                lines=n,
                tuning={"tuned": True, "settings": {"personal.half_life_days": 30.0 + n}},
            )
    async with database.sessions() as session:
        snapshots = SnapshotRepository(session)
        latest = await snapshots.latest()
        assert latest is not None
        assert latest.data == bytes([2]) * 10
        summary = await snapshots.latest_summary()
        assert summary is not None
        assert summary.built_at == NOW + timedelta(hours=2)
        assert summary.tuning == {"tuned": True, "settings": {"personal.half_life_days": 32.0}}
        count = await session.scalar(text("SELECT COUNT(*) FROM model_snapshots"))
    assert count == 2


async def test_availability_round_trips(database: Database) -> None:
    async with database.sessions.begin() as session:
        await ProductRepository(session).upsert(
            [product("p", availability=Availability.LIMITED, tags={"custom_label_0": "x"})], NOW
        )
    async with database.sessions() as session:
        (stored,) = (await ProductRepository(session).get_many([ProductId("p")])).values()
    assert stored.availability is Availability.LIMITED
    assert stored.in_stock
    assert stored.tags == {"custom_label_0": "x"}
