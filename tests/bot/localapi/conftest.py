"""Fixtures: the local Bot API server on a free loopback port and aiogram's real Bot against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.localapi import LocalBotApiServer

OLENA, TARAS, IRYNA, DMYTRO = 100001, 100002, 900001, 900002
GROUP = -1001000000001


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApiServer]:
    async with LocalBotApiServer(
        port=0, webhook_retry_delay=0.05, callback_answer_timeout=2.0
    ) as running:
        yield running


@pytest.fixture
async def bot(server: LocalBotApiServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.api_base))
    client = Bot(
        server.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield client
    await client.session.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def started(server: LocalBotApiServer) -> LocalBotApiServer:
    """Olena and Taras have pressed Start, so the bot may write to them."""
    server.state.user_sends_text(OLENA, "/start")
    server.state.user_sends_text(TARAS, "/start")
    return server


async def call(
    http: aiohttp.ClientSession, server: LocalBotApiServer, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call with a JSON body; the HTTP status and Telegram's envelope."""
    url = f"{server.api_base}/bot{server.token}/{method}"
    async with http.post(url, json=params) as response:
        return response.status, await response.json()


async def bad_request(
    http: aiohttp.ClientSession, server: LocalBotApiServer, method: str, **params: Any
) -> str:
    """The description of a call that must fail with 400."""
    status, body = await call(http, server, method, **params)
    assert status == 400, body
    assert body["ok"] is False
    assert body["error_code"] == 400
    description = body["description"]
    assert isinstance(description, str)
    return description
