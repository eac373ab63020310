"""Bot test fixtures: a small shop in an in-memory engine behind the port (the real embedded
engine for tests marked ``engine``), the bot's own tables, a dispatcher fed real updates through
a recording Bot session, on Memory and (when configured) Redis storage."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.utils.i18n import I18n

from bot.adapters.embedded import EmbeddedRecommender
from bot.config import BotSettings
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.ports import Recommender
from bot.records import BotStore
from bot.resilience import MemorySeenUpdates
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate
from bot.storage.models import Base as BotBase
from recoms.config import RecomsSettings
from recoms.service import RecomsService, open_service
from tests.bot.chat import IRYNA, Chat
from tests.bot.fakes import FakeContact, FakeEngine, feed_cards
from tests.bot.telegram import TOKEN, RecordingSession
from tests.conftest import DATABASE_KINDS, POSTGRES_URL, postgres_database

DATA = Path(__file__).with_name("data")
FEED = DATA / "feed.xml"
REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL")
STORAGE_KINDS = ["memory", *(["redis"] if REDIS_URL else [])]

# (order, days ago, customer external id, phone, email, products)
ORDERS = [
    ("O-1", 10, "olena-001", "+380501110001", "olena@example.com", ["mug-1", "dice-1"]),
    ("O-2", 3, "olena-001", "+380501110001", "olena@example.com", ["lamp-1", "pen-1"]),
    ("O-3", 5, "c-002", "", "", ["mug-1", "dice-1", "notebook-1"]),
    ("O-4", 4, "c-002", "", "", ["dice-1", "chair-1"]),
    ("O-5", 6, "c-003", "", "", ["mug-1", "notebook-1"]),
    ("O-6", 7, "c-003", "", "", ["lamp-2", "pen-1"]),
    ("O-7", 8, "c-003", "", "", ["lamp-3", "pen-1", "mug-1"]),
    ("O-8", 2, "", "", "", ["mug-1", "dice-1"]),
    ("O-9", 2, "", "", "", ["dice-1", "broken-photo-1", "pen-1"]),
    ("O-10", 1, "", "", "", ["mug-1", "pen-1"]),
    (
        "O-11",
        1,
        "",
        "",
        "",
        ["an-extremely-long-product-identifier-from-a-legacy-erp-system-0001", "mug-1"],
    ),
]
PRICES = {
    "mug-1": "28.00",
    "dice-1": "32.00",
    "chair-1": "150.00",
    "notebook-1": "15.00",
    "lamp-1": "80.00",
    "lamp-2": "75.00",
    "lamp-3": "82.00",
    "pen-1": "5.00",
    "broken-photo-1": "12.00",
    "an-extremely-long-product-identifier-from-a-legacy-erp-system-0001": "20.00",
}


def write_orders(path: Path, now: datetime) -> Path:
    """Orders dated relative to now, so that bestseller windows always cover them."""
    columns = [
        "order_id",
        "product_id",
        "quantity",
        "price",
        "ordered_at",
        "external_customer_id",
        "phone",
        "email",
        "currency",
    ]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for number, days, external, phone, email, products in ORDERS:
            when = (now - timedelta(days=days)).isoformat()
            for product in products:
                writer.writerow(
                    [number, product, 1, PRICES[product], when, external, phone, email, "EUR"]
                )
    return path


@pytest.fixture
async def service(database_url: str, tmp_path: Path) -> AsyncIterator[RecomsService]:
    """The engine on the small test shop: ten products, eleven orders, a built model."""
    engine = await open_service(
        RecomsSettings(database_url=database_url, api_key=None, default_region="UA")
    )
    try:
        await engine.import_feed(FEED)
        await engine.import_orders(write_orders(tmp_path / "orders.csv", datetime.now(UTC)))
        await engine.rebuild()
        yield engine
    finally:
        await engine.close()


@pytest.fixture
def engine() -> FakeEngine:
    """The same small shop as ``service``, in memory: its products, customers and orders."""
    now = datetime.now(UTC)
    fake = FakeEngine({card.id: card for card in feed_cards(FEED)})
    customers: dict[str, FakeContact] = {}
    for number, days, external, phone, email, products in ORDERS:
        customer = None
        if external:
            customer = customers.get(external) or fake.add_contact(
                external_id=external, phone=phone or None, email=email or None
            )
            customers[external] = customer
        fake.add_order(
            number,
            now - timedelta(days=days),
            customer,
            [(product, Decimal(1), Decimal(PRICES[product])) for product in products],
        )
    return fake


@pytest.fixture
def recommender(request: pytest.FixtureRequest, engine: FakeEngine) -> Recommender:
    """The in-memory engine; the real one, embedded, for tests marked ``engine``."""
    if request.node.get_closest_marker("engine") is None:
        # A test that reads the real engine's contacts must run the bot on it too.
        assert "service" not in request.fixturenames, "mark the test @pytest.mark.engine"
        return engine
    service: RecomsService = request.getfixturevalue("service")
    return EmbeddedRecommender(service)


def uses_the_engine(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("engine") is not None or (
        "service" in request.fixturenames
    )


@pytest.fixture(scope="session")
def shared_postgres() -> Iterator[str | None]:
    """One PostgreSQL database, made once, for the bot's tables in tests that run the in-memory
    engine: a database per test costs more than the whole test."""
    if POSTGRES_URL is None:
        yield None
        return
    runner = asyncio.Runner()
    context = postgres_database()
    url = runner.run(context.__aenter__())
    try:
        yield url
    finally:
        runner.run(context.__aexit__(None, None, None))
        runner.close()


@pytest.fixture(params=DATABASE_KINDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, shared_postgres: str | None
) -> AsyncIterator[str]:
    """As the root fixture, but a test on the in-memory engine gets the shared PostgreSQL
    database with the bot's tables emptied (rather than a new database)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}"
    elif uses_the_engine(request) or shared_postgres is None:
        async with postgres_database() as url:
            yield url
    else:
        database = open_bot_database(shared_postgres)
        try:
            await migrate(database)
            async with database.engine.begin() as connection:
                for table in reversed(BotBase.metadata.sorted_tables):
                    await connection.execute(table.delete())
        finally:
            await database.dispose()
        yield shared_postgres


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[BotStore]:
    """The bot's tables, in the engine's database as in production."""
    database = open_bot_database(database_url)
    await migrate(database)
    try:
        yield SqlBotStore(database.sessions)
    finally:
        await database.dispose()


@pytest.fixture(params=STORAGE_KINDS)
async def fsm_storage(request: pytest.FixtureRequest) -> AsyncIterator[BaseStorage]:
    if request.param == "memory":
        storage: BaseStorage = MemoryStorage()
    else:
        from aiogram.fsm.storage.redis import RedisStorage
        from redis.asyncio import Redis

        assert REDIS_URL is not None
        redis = Redis.from_url(REDIS_URL)
        await redis.flushdb()
        storage = RedisStorage(redis)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
def settings() -> BotSettings:
    return BotSettings(
        _env_file=None,
        token=TOKEN,
        admins=[IRYNA.id],
        redis_url=None,
        recoms_url=None,
        username=None,
    )


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return create_i18n()


@pytest.fixture
def session() -> Iterator[RecordingSession]:
    recording = RecordingSession()
    yield recording
    assert not recording.violations, recording.violations
    assert not recording.unanswered(), "every button press gets an answer"


@pytest.fixture
def bot(session: RecordingSession) -> Bot:
    return create_bot(TOKEN, session=session)


@pytest.fixture
def dispatcher(
    settings: BotSettings,
    recommender: Recommender,
    store: BotStore,
    i18n: I18n,
    fsm_storage: BaseStorage,
) -> Dispatcher:
    return create_dispatcher(
        settings=settings,
        recommender=recommender,
        store=store,
        i18n=i18n,
        phone_region="UA",
        storage=fsm_storage,
        seen_updates=MemorySeenUpdates(),
    )


@pytest.fixture
def chat(dispatcher: Dispatcher, bot: Bot, session: RecordingSession) -> Chat:
    return Chat(dispatcher, bot, session)
