"""Two bot replicas on one database, each with its own memory, as two ``recoms-bot run``
processes are: a customer's first messages reaching both at once still make one topic, and
with Redis the flood limit counts what reached either."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from aiogram import Bot
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import CopyMessage, CreateForumTopic
from aiogram.utils.i18n import I18n

from bot.config import BotSettings
from bot.factory import create_dispatcher
from bot.flood import FloodGate, RedisFloodGate
from bot.ports import Recommender
from bot.resilience import MemorySeenUpdates
from bot.storage import SqlBotStore, open_bot_database
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.conftest import REDIS_URL
from tests.bot.telegram import TOKEN, RecordingSession

if TYPE_CHECKING:
    from redis.asyncio import Redis

GROUP = -1001000000001


@pytest.fixture
def settings() -> BotSettings:
    return BotSettings(
        _env_file=None,
        token=TOKEN,
        admins=[IRYNA.id],
        redis_url=None,
        recoms_url=None,
        username=None,
        support_chat_id=GROUP,
        support_hours="00:00-00:00",
        support_flood_limit=5,
    )


@pytest.fixture
def flood_gates(request: pytest.FixtureRequest) -> list[FloodGate | None]:
    """Each replica's flood count: its own memory, or one Redis (``"redis"``)."""
    if getattr(request, "param", None) != "redis":
        return [None, None]
    redis = request.getfixturevalue("shared_redis")
    return [RedisFloodGate(redis, 1, 5), RedisFloodGate(redis, 1, 5)]


@pytest.fixture
async def replicas(
    settings: BotSettings,
    recommender: Recommender,
    i18n: I18n,
    bot: Bot,
    session: RecordingSession,
    database_url: str,
    store: SqlBotStore,
    flood_gates: list[FloodGate | None],
) -> AsyncIterator[tuple[Chat, Chat]]:
    """Two dispatchers, each with its own store and memory, on the same tables."""
    session.forums.add(GROUP)
    session.latency = 0.01  # Telegram takes its time: long enough for the two to overlap
    database = open_bot_database(database_url)
    stores = [store, SqlBotStore(database.sessions)]
    chats = []
    for number, (replica_store, gate) in enumerate(zip(stores, flood_gates, strict=True)):
        dispatcher = create_dispatcher(
            settings=settings,
            recommender=recommender,
            store=replica_store,
            i18n=i18n,
            phone_region="UA",
            storage=MemoryStorage(),
            seen_updates=MemorySeenUpdates(),
            flood_gate=gate,
        )
        chat = Chat(dispatcher, bot, session)
        chat._message_ids = itertools.count(100_000 * (number + 1))
        chats.append(chat)
    try:
        yield chats[0], chats[1]
    finally:
        await database.dispose()


async def test_first_messages_at_two_replicas_at_once_open_one_topic(
    replicas: tuple[Chat, Chat], session: RecordingSession
) -> None:
    first, second = replicas
    await first.share_contact(OLENA, "+380501110001")
    await asyncio.gather(
        first.send(OLENA, "Is the blue mug back?"),
        second.send(OLENA, "And in a bigger size?"),
        first.send(TARAS, "Where is my order?"),
        second.send(TARAS, "It was due on Monday."),
    )
    topics = [request.name for request in session.calls(CreateForumTopic)]
    assert len(topics) == 2, topics
    threads: dict[str, set[int | None]] = {}
    for copy in session.calls(CopyMessage):
        if copy.chat_id == GROUP:
            threads.setdefault(str(copy.from_chat_id), set()).add(copy.message_thread_id)
    assert threads[str(OLENA.id)] != threads[str(TARAS.id)]
    assert [len(found) for found in threads.values()] == [1, 1], threads

    # Later messages, at either replica, go to the same topics.
    await second.send(OLENA, "Thank you!")
    await first.send(TARAS, "Any news?")
    assert len(session.calls(CreateForumTopic)) == 2


@pytest.fixture
async def shared_redis() -> AsyncIterator[Redis]:
    if REDIS_URL is None:
        pytest.skip("set BOT_TEST_REDIS_URL to share the flood count through Redis")
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.mark.parametrize("flood_gates", ["redis"], indirect=True)
async def test_with_redis_the_flood_limit_counts_messages_at_either_replica(
    replicas: tuple[Chat, Chat], session: RecordingSession
) -> None:
    first, second = replicas
    for number in range(5):
        await (first if number % 2 else second).send(TARAS, f"message {number}")
    copies = [r for r in session.calls(CopyMessage) if r.chat_id == GROUP]
    assert len(copies) == 5
    told = await first.send(TARAS, "message 5")
    assert "faster than our agents can read" in session.last(TARAS.id).visible
    assert len(told) == 1
    # Told once, by whichever replica: the rest is dropped quietly.
    assert await second.send(TARAS, "message 6") == []
    assert await first.send(TARAS, "message 7") == []
    assert len([r for r in session.calls(CopyMessage) if r.chat_id == GROUP]) == 5
