"""Getting updates: long polling with offsets, and webhook delivery with the secret header."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from bot.localapi import LocalBotApiServer

from .conftest import OLENA, TARAS, call


async def test_long_poll_returns_when_a_user_writes(bot: Bot, server: LocalBotApiServer) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()  # nothing to say yet: the request is held open
    server.state.user_sends_text(OLENA, "hello")
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - started < 3
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert updates[0].message is not None
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.id == OLENA


async def test_short_poll_with_nothing_pending_returns_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == []


async def test_offset_confirms_and_limit_caps(bot: Bot, server: LocalBotApiServer) -> None:
    for text in ("one", "two", "three"):
        server.state.user_sends_text(TARAS, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    again = await bot.get_updates()  # nothing confirmed yet: the same updates again
    assert [u.update_id for u in again][:2] == [u.update_id for u in first]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == []


async def test_allowed_updates_filters_types(bot: Bot, server: LocalBotApiServer) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    server.state.user_sends_text(OLENA, "/start")
    assert await bot.get_updates() == []
    await bot.get_updates(allowed_updates=[])
    server.state.user_sends_text(OLENA, "/start")
    assert len(await bot.get_updates()) == 1


async def test_second_poller_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 3)
    assert await second == []


@dataclass
class Receiver:
    """A webhook endpoint on loopback that records what Telegram's side posts to it."""

    url: str
    received: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    fail_first: int = 0
    reply: dict[str, Any] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = web.Application()
    runner = web.AppRunner(app)
    holder: list[Receiver] = []

    async def hook(request: web.Request) -> web.Response:
        target = holder[0]
        if target.fail_first > 0:
            target.fail_first -= 1
            return web.Response(status=500)
        target.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        target.arrived.set()
        if target.reply is not None:
            return web.json_response(target.reply)
        return web.Response()

    app.router.add_post("/hook", hook)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    holder.append(Receiver(url=f"http://127.0.0.1:{port}/hook"))
    yield holder[0]
    await runner.cleanup()


async def wait_for(condition: Any, seconds: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_webhook_delivery_with_secret(
    bot: Bot, server: LocalBotApiServer, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t_token")
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    server.state.user_sends_text(OLENA, "via webhook")
    await asyncio.wait_for(receiver.arrived.wait(), 3)
    update, secret = receiver.received[0]
    assert secret == "s3cr3t_token"
    assert update["message"]["text"] == "via webhook"
    await wait_for(lambda: not server.state.updates)
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_webhook_failures_are_retried_and_reported(
    bot: Bot, server: LocalBotApiServer, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    await bot.set_webhook(receiver.url)
    server.state.user_sends_text(OLENA, "first")
    server.state.user_sends_text(OLENA, "second")
    await wait_for(lambda: len(receiver.received) == 2)
    assert [u["message"]["text"] for u, _ in receiver.received] == ["first", "second"]
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_webhook_reply_can_carry_a_method(
    bot: Bot, server: LocalBotApiServer, receiver: Receiver
) -> None:
    receiver.reply = {
        "method": "sendMessage",
        "chat_id": OLENA,
        "text": "<b>answered</b>",
        "parse_mode": "HTML",
    }
    await bot.set_webhook(receiver.url)
    server.state.user_sends_text(OLENA, "/start")
    chat = server.state.chats[OLENA]
    await wait_for(lambda: len(chat.messages) == 2)
    assert chat.messages[2].text == "answered"


async def test_set_webhook_drops_pending_updates_on_request(
    http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    server.state.user_sends_text(OLENA, "old")
    status, body = await call(
        http, server, "setWebhook", url="http://127.0.0.1:9/hook", drop_pending_updates=True
    )
    assert (status, body["description"]) == (200, "Webhook was set")
    status, body = await call(http, server, "getWebhookInfo")
    assert body["result"]["pending_update_count"] == 0
    status, body = await call(http, server, "deleteWebhook")
    assert json.dumps(body["result"]) == "true"
