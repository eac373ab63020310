"""The real bot (dispatcher, aiohttp session) against the local Bot API server over loopback,
on the embedded engine in SQLite, in long-polling and in webhook mode."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.adapters.embedded import EmbeddedRecommender
from bot.commands import register_commands
from bot.config import BotSettings
from bot.factory import create_bot, create_dispatcher, create_web_app
from bot.i18n import create_i18n
from bot.localapi import DEFAULT_GROUP_ID, LocalBotApiServer
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate
from recoms.config import RecomsSettings
from recoms.demo import load_demo
from recoms.service import RecomsService, open_service
from tests.e2e.webchat import WebChat

OLENA, TARAS, IRYNA = 100001, 100002, 900001
WEBHOOK_SECRET = "e2e-webhook-secret"


@dataclass
class World:
    server: LocalBotApiServer
    service: RecomsService
    store: SqlBotStore
    http: aiohttp.ClientSession
    mode: str

    def chat(self, user_id: int) -> WebChat:
        return WebChat(self.http, self.server, user_id)


async def open_shop(stack: AsyncExitStack, tmp_path: Path) -> tuple[str, RecomsService]:
    """The engine on SQLite with the demo shop the quick start shows: 42 products, generated
    orders, Olena (+380501110001, external id olena-001) among the customers, a built model."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    service = await open_service(
        RecomsSettings(database_url=url, api_key=None, default_region="UA")
    )
    stack.push_async_callback(service.close)
    await load_demo(service)
    return url, service


async def start_bot(
    stack: AsyncExitStack,
    server: LocalBotApiServer,
    service: RecomsService,
    store: SqlBotStore,
    mode: str,
) -> None:
    """Wire the bot as ``recoms-bot run`` does and run it in polling or webhook mode."""
    settings = BotSettings(
        _env_file=None,
        token=SecretStr(server.token),
        telegram_api_url=server.api_base,
        admins=[IRYNA],
        support_chat_id=DEFAULT_GROUP_ID,
        support_hours="00:00-00:00",  # agents around the clock, whenever the tests run
        webhook_url="http://127.0.0.1" if mode == "webhook" else None,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        redis_url=None,
        recoms_url=None,
        username=None,
    )
    i18n = create_i18n()
    bot = create_bot(server.token, api_url=server.api_base)
    stack.push_async_callback(bot.session.close)
    dp = create_dispatcher(
        settings=settings,
        recommender=EmbeddedRecommender(service),
        store=store,
        i18n=i18n,
        phone_region=service.settings.default_region,
    )
    dp["i18n"] = i18n
    await register_commands(bot, dp)
    allowed = dp.resolve_used_update_types()
    if mode == "polling":
        await bot.delete_webhook()
        polling = asyncio.create_task(
            dp.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=allowed,
                polling_timeout=1,
            )
        )

        async def stop_polling() -> None:
            with contextlib.suppress(RuntimeError):
                await dp.stop_polling()
            await asyncio.wait_for(polling, 10)

        stack.push_async_callback(stop_polling)
        return
    app = create_web_app(dp, bot, settings=settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await bot.set_webhook(
        f"http://127.0.0.1:{port}{settings.webhook_path}",
        secret_token=WEBHOOK_SECRET,
        allowed_updates=allowed,
    )


@pytest.fixture(params=["polling", "webhook"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        server = LocalBotApiServer(port=0, webhook_retry_delay=0.1)
        await server.start()
        stack.push_async_callback(server.stop)
        url, service = await open_shop(stack, tmp_path)
        database = open_bot_database(url)
        stack.push_async_callback(database.dispose)
        await migrate(database)
        store = SqlBotStore(database.sessions)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        await start_bot(stack, server, service, store, request.param)
        yield World(server, service, store, http, request.param)
