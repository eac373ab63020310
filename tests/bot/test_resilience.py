"""Telegram failures the bot expects: 429, a blocked user, a photo Telegram cannot fetch; and an
engine that is down. The user gets a polite answer in their language, never a traceback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageMedia,
    SendMessage,
    SendPhoto,
)
from aiogram.types import Update
from redis.asyncio import Redis

from bot.records import BotStore
from bot.resilience import Delivery, RedisSeenUpdates, UpdateInHand
from recoms.domain import Identity
from recoms.service import RecomsService
from tests.bot.chat import OLENA, TARAS, Chat, start_update
from tests.bot.conftest import REDIS_URL
from tests.bot.telegram import BLOCKED, RecordingSession


async def test_429_is_waited_out_and_retried(chat: Chat, session: RecordingSession) -> None:
    session.fail(SendMessage, "Too Many Requests: retry after 1", 429, retry_after=1, times=1)
    started = time.monotonic()
    requests = await chat.send(TARAS, "/start")
    elapsed = time.monotonic() - started
    assert [type(r) for r in requests] == [SendMessage, SendMessage]
    assert elapsed >= 1.0
    assert "Hello, Taras!" in session.last(TARAS.id).visible


async def test_a_flood_ban_longer_than_a_minute_is_not_slept_through(
    chat: Chat, session: RecordingSession
) -> None:
    session.fail(SendMessage, "Too Many Requests: retry after 600", 429, retry_after=600)
    started = time.monotonic()
    requests = await chat.send(TARAS, "/start")
    assert time.monotonic() - started < 5
    # One refused request; the apology that follows goes out once the ban is over (here: at once).
    assert isinstance(requests[0], SendMessage)
    assert "something went wrong" in session.last(TARAS.id).visible


async def test_a_user_who_blocked_the_bot_is_recorded(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    session.fail(SendMessage, BLOCKED, 403)
    await chat.send(TARAS, "/start")
    assert await store.is_blocked(TARAS.id)
    assert len(session.calls(SendMessage)) == 1, "no apology to someone who blocked us"
    await chat.block(TARAS, blocked=False)
    assert not await store.is_blocked(TARAS.id)


async def test_a_photo_telegram_cannot_fetch_becomes_a_text_card(
    chat: Chat, session: RecordingSession
) -> None:
    session.bad_photo_urls.add("https://shop.example/img/mug.jpg")
    requests = await chat.send(TARAS, "🔥 Popular now")
    assert [type(r) for r in requests] == [SendPhoto, SendMessage]
    card = session.last(TARAS.id)
    assert card.photo is None
    assert "Meeting That Could Have Been an Email Mug" in card.visible
    assert "▶" in [text for text, _, _ in card.buttons()]
    # Back on this card later, Telegram is not asked for the bad photo again.
    await chat.press(TARAS, card, "▶")
    await chat.press(TARAS, session.last(TARAS.id), "◀")
    assert "Email Mug" in session.last(TARAS.id).visible
    asked_for_mug = [
        r
        for r in session.calls(SendPhoto, EditMessageMedia)
        if "mug.jpg" in str(r.photo if isinstance(r, SendPhoto) else r.media.media)
    ]
    assert len(asked_for_mug) == 1


async def test_a_bad_photo_while_paging_replaces_the_card_with_text(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    first = session.last(TARAS.id)
    assert first.photo is not None
    session.bad_photo_urls.add("https://shop.example/img/dice.jpg")  # the second bestseller
    requests = await chat.press(TARAS, first, "▶")
    kinds = [type(r) for r in requests if not isinstance(r, AnswerCallbackQuery)]
    assert kinds == [EditMessageMedia, DeleteMessage, SendMessage]
    card = session.last(TARAS.id)
    assert "Executive Decision Dice" in card.visible
    assert card.photo is None
    assert len([m for m in session.chat(TARAS.id) if "Popular now" in m.visible]) == 1


@pytest.mark.engine
async def test_the_engine_down_gets_an_apology_in_the_users_language(
    chat: Chat, session: RecordingSession, service: RecomsService, store: BotStore
) -> None:
    await chat.send(OLENA, "/start")
    # Linked as the bot records it, without asking the engine for a list first (a list asked
    # already is answered from the engine's memory, database or not).
    contact = await service.find_contact(Identity(external_id="olena-001"))
    assert contact is not None
    await store.set_contact(OLENA.id, int(contact.id))
    await service.database.engine.dispose()
    # Make every new connection fail, as when the database host is gone.
    from sqlalchemy import event

    def refuse(*_args: object) -> None:
        raise OSError("database host unreachable")

    event.listen(service.database.engine.sync_engine, "do_connect", refuse)
    try:
        await chat.send(OLENA, "✨ Нове для вас")
    finally:
        event.remove(service.database.engine.sync_engine, "do_connect", refuse)
    answer = session.last(OLENA.id).visible
    assert "рекомендації зараз недоступні" in answer


async def test_an_update_delivered_twice_is_handled_once(
    chat: Chat, session: RecordingSession, bot: Bot
) -> None:
    update = Update.model_validate(start_update(777), context={"bot": bot})
    await chat.dp.feed_update(bot, update)
    await chat.dp.feed_update(bot, update)
    assert len(session.calls(SendMessage)) == 1


async def test_an_update_cut_off_half_way_is_handled_when_delivered_again(
    chat: Chat, session: RecordingSession, bot: Bot
) -> None:
    update = Update.model_validate(start_update(778), context={"bot": bot})
    session.latency = 5.0
    cut_off = asyncio.create_task(chat.dp.feed_update(bot, update))
    await asyncio.sleep(0.1)
    cut_off.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cut_off
    assert session.calls(SendMessage) == []

    session.latency = 0.0
    await chat.dp.feed_update(bot, update)
    await chat.dp.feed_update(bot, update)
    assert len(session.calls(SendMessage)) == 1
    assert "Hello, Taras!" in session.last(TARAS.id).visible


async def test_an_update_delivered_while_it_is_in_hand_is_left_for_later(
    chat: Chat, session: RecordingSession, bot: Bot
) -> None:
    update = Update.model_validate(start_update(779), context={"bot": bot})
    session.latency = 0.2
    first = asyncio.create_task(chat.dp.feed_update(bot, update))
    await asyncio.sleep(0.05)
    with pytest.raises(UpdateInHand):
        await chat.dp.feed_update(bot, update)
    await first
    assert len(session.calls(SendMessage)) == 1


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    if REDIS_URL is None:
        pytest.skip("set BOT_TEST_REDIS_URL to test on Redis")
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def test_replicas_sharing_redis_handle_each_update_once(redis: Redis) -> None:
    bot_id = time.time_ns() % 1_000_000_000
    first = RedisSeenUpdates(redis, bot_id, lease=10)
    second = RedisSeenUpdates(redis, bot_id, lease=10)
    assert await first.claim(1) is Delivery.FIRST
    assert await second.claim(1) is Delivery.IN_HAND
    await first.handled(1)
    assert await second.claim(1) is Delivery.DONE
    assert await second.claim(2) is Delivery.FIRST


async def test_a_failed_update_is_given_back_and_a_dead_replicas_claim_runs_out(
    redis: Redis,
) -> None:
    bot_id = time.time_ns() % 1_000_000_000
    survivor = RedisSeenUpdates(redis, bot_id, lease=10)
    assert await survivor.claim(1) is Delivery.FIRST
    await survivor.release(1)
    assert await survivor.claim(1) is Delivery.FIRST

    killed = RedisSeenUpdates(redis, bot_id, lease=0.2)
    assert await killed.claim(2) is Delivery.FIRST  # and never finishes
    assert await survivor.claim(2) is Delivery.IN_HAND
    await asyncio.sleep(0.3)
    assert await survivor.claim(2) is Delivery.FIRST


async def test_a_claim_renewed_while_handling_does_not_run_out(redis: Redis) -> None:
    bot_id = time.time_ns() % 1_000_000_000
    slow = RedisSeenUpdates(redis, bot_id, lease=0.3)
    other = RedisSeenUpdates(redis, bot_id, lease=0.3)
    assert await slow.claim(1) is Delivery.FIRST
    for _ in range(4):
        await asyncio.sleep(0.15)
        await slow.hold(1)
        assert await other.claim(1) is Delivery.IN_HAND


async def test_two_bots_sharing_a_redis_database_never_skip_each_others_updates(
    redis: Redis,
) -> None:
    shop = time.time_ns() % 1_000_000_000
    other_shop = RedisSeenUpdates(redis, shop + 1, lease=10)
    await other_shop.claim(1)
    await other_shop.handled(1)
    assert await RedisSeenUpdates(redis, shop, lease=10).claim(1) is Delivery.FIRST
