"""What a bot process opens and closes: the engine (embedded or remote), the bot's own tables,
FSM storage, and the quick start's local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiohttp import web

from bot.config import DEMO_BOT_USERNAME, BotSettings
from bot.flood import FloodGate, MemoryFloodGate, RedisFloodGate
from bot.ports import Recommender
from bot.records import BotStore
from bot.resilience import MemorySeenUpdates, RedisSeenUpdates, SeenUpdates
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import BotDatabase, migrate
from bot.web import DEEPLINK_PATH
from recoms.config import RecomsSettings
from recoms.drivers import require_redis_driver
from recoms.runtime.readiness import Readiness

if TYPE_CHECKING:
    from bot.localapi import LocalBotApiServer
    from recoms.service import RecomsService

REMOTE_BOT_DATABASE = "sqlite+aiosqlite:///var/bot.db"
# Beyond one connection per update in flight: the de-duplication claim and mark calls.
REDIS_SPARE_CONNECTIONS = 4
MIN_DATABASE_POOL = 5


def bot_database_url(settings: BotSettings, recoms: RecomsSettings) -> str:
    """The bot's tables live in the engine's database unless told otherwise."""
    if settings.database_url:
        return settings.database_url
    return REMOTE_BOT_DATABASE if settings.recoms_url else recoms.database_url


@dataclass
class Engine:
    recommender: Recommender
    api_app: web.Application | None
    api_key: str | None


@asynccontextmanager
async def open_engine(settings: BotSettings, recoms: RecomsSettings) -> AsyncIterator[Engine]:
    """The remote API when ``BOT_RECOMS_URL`` is set, else the engine in this process."""
    if settings.recoms_url:
        from bot.adapters.http import HttpRecommender

        key = settings.recoms_api_key.get_secret_value() if settings.recoms_api_key else None
        remote = HttpRecommender(settings.recoms_url, key)
        try:
            yield Engine(remote, None, key)
        finally:
            await remote.close()
        return
    from bot.adapters.embedded import EmbeddedRecommender
    from recoms.api import Access, create_app
    from recoms.service import open_service

    service = await open_service(recoms, pool_size=database_pool_size(settings))
    try:
        if settings.is_demo:
            await _load_demo_into_empty(service)
        key = recoms.api_key.get_secret_value() if recoms.api_key else None
        api = create_app(
            service,
            recoms,
            access={
                ("POST", settings.webhook_path): Access.OPEN,
                ("POST", DEEPLINK_PATH): Access.ADMIN,
            },
        )
        yield Engine(EmbeddedRecommender(service), api, key)
    finally:
        await service.close()


async def _load_demo_into_empty(service: RecomsService) -> None:
    from recoms.demo import load_demo

    if (await service.stats()).products == 0:
        print("Loading the demo shop into the empty database...", flush=True)
        await load_demo(service)


@asynccontextmanager
async def open_local_api(settings: BotSettings) -> AsyncIterator[LocalBotApiServer]:
    """The quick start's stand-in for Telegram: a local Bot API server with a web chat."""
    from bot.localapi import LocalBotApiServer

    local = LocalBotApiServer(
        host=settings.local_api_host,
        port=settings.local_api_port,
        bot_username=settings.bot_username() or DEMO_BOT_USERNAME,
    )
    await local.start()
    try:
        yield local
    finally:
        await local.stop()


def database_pool_size(settings: BotSettings) -> int:
    """Connections in each database pool (the engine's, the bot's tables'): an update holds
    one only for its short queries, so a quarter of the updates in flight share them, and
    one that finds them all taken waits. Two replicas stay well inside PostgreSQL's default
    100 connections."""
    return max(MIN_DATABASE_POOL, settings.max_updates_in_flight // 4)


@asynccontextmanager
async def open_bot_store(url: str, pool_size: int | None = None) -> AsyncIterator[BotStore]:
    """The bot's tables at ``url``, migrated to the newest schema."""
    database: BotDatabase = open_bot_database(url, pool_size=pool_size)
    try:
        await migrate(database)
        yield SqlBotStore(database.sessions)
    finally:
        await database.dispose()


def fsm_storage(
    settings: BotSettings, bot_id: int, readiness: Readiness
) -> tuple[BaseStorage, SeenUpdates, FloodGate]:
    """Per-user state, update de-duplication and the support flood count: shared through
    Redis when it is configured (and then a readiness check that it answers).

    The Redis pool has a connection for every update in flight and a few to spare, and an
    update finding them all taken waits for one instead of failing."""
    if settings.redis_url:
        require_redis_driver()
        from aiogram.fsm.storage.redis import RedisStorage
        from redis.asyncio import BlockingConnectionPool, Redis

        timeout = settings.update_timeout.total_seconds()
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.max_updates_in_flight + REDIS_SPARE_CONNECTIONS,
            timeout=timeout,
        )
        redis = Redis.from_pool(pool)  # closing the client closes the pool
        # A dead replica's updates are taken over one update timeout after it died.
        seen = RedisSeenUpdates(redis, bot_id, lease=timeout)

        async def answers() -> str | None:
            return None if await redis.ping() else "no answer to PING"

        readiness.add("redis", answers)
        flood = RedisFloodGate(redis, bot_id, settings.support_flood_limit)
        return RedisStorage(redis), seen, flood
    return MemoryStorage(), MemorySeenUpdates(), MemoryFloodGate(settings.support_flood_limit)
