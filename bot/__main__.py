"""``recoms-bot``: the composition root. Reads settings once, wires the bot, runs it.

``run`` without ``BOT_TOKEN`` is the quick start: the demo shop in SQLite, a local Bot API
server with a web chat, the bot and the engine's API, all in this one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiohttp import web
from pydantic import SecretStr

from bot.cli import build_parser
from bot.commands import show_all_commands
from bot.config import DEMO_BOT_USERNAME, BotSettings
from bot.deeplinks import DeepLinkError
from bot.factory import create_bot, create_dispatcher, create_web_app
from bot.i18n import create_i18n
from bot.links import DeepLinks
from bot.ports import Recommender
from bot.records import BotStore
from bot.resilience import MemorySeenUpdates, RedisSeenUpdates, SeenUpdates
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import BotDatabase, migrate
from recoms.config import RecomsSettings
from recoms.drivers import MissingDriver, require_redis_driver

if TYPE_CHECKING:
    from bot.localapi import LocalBotApiServer
    from recoms.service import RecomsService

log = logging.getLogger("bot")
REMOTE_BOT_DATABASE = "sqlite+aiosqlite:///var/bot.db"


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
    from recoms.api import create_app
    from recoms.service import open_service

    service = await open_service(recoms)
    try:
        if settings.is_demo:
            await _load_demo_into_empty(service)
        key = recoms.api_key.get_secret_value() if recoms.api_key else None
        api = create_app(service, recoms, open_paths=[settings.webhook_path])
        yield Engine(EmbeddedRecommender(service), api, key)
    finally:
        await service.close()


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


async def _load_demo_into_empty(service: RecomsService) -> None:
    from recoms.demo import load_demo

    if (await service.stats()).products == 0:
        print("Loading the demo shop into the empty database...", flush=True)
        await load_demo(service)


@asynccontextmanager
async def open_bot_store(url: str) -> AsyncIterator[BotStore]:
    database: BotDatabase = open_bot_database(url)
    try:
        await migrate(database)
        yield SqlBotStore(database.sessions)
    finally:
        await database.dispose()


def fsm_storage(settings: BotSettings) -> tuple[BaseStorage, SeenUpdates]:
    if settings.redis_url:
        require_redis_driver()
        from aiogram.fsm.storage.redis import RedisStorage
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        return RedisStorage(redis), RedisSeenUpdates(redis)
    return MemoryStorage(), MemorySeenUpdates()


async def register_commands(bot: Bot, dp: Dispatcher) -> None:
    """The command lists Telegram shows: customers' for all, staff's in staff chats."""
    await show_all_commands(bot, dp["i18n"], dp["staff"])


async def run(
    settings: BotSettings,
    recoms: RecomsSettings,
    host: str,
    port: int,
    *,
    handle_signals: bool = True,
) -> None:
    """Run until stopped (Ctrl+C, SIGTERM, or cancellation of this coroutine)."""
    _warn_about_missing_secrets(settings)
    async with AsyncExitStack() as stack:
        token, api_url = settings.token, settings.telegram_api_url
        local = None
        if token is None:
            local = await stack.enter_async_context(open_local_api(settings))
            token, api_url = SecretStr(local.token), local.api_base
        engine = await stack.enter_async_context(open_engine(settings, recoms))
        store = await stack.enter_async_context(open_bot_store(bot_database_url(settings, recoms)))
        storage, seen = fsm_storage(settings)
        stack.push_async_callback(storage.close)
        i18n = create_i18n(settings.locales_dir, settings.default_locale)
        bot = create_bot(token.get_secret_value(), api_url=api_url)
        stack.push_async_callback(bot.session.close)
        dp = create_dispatcher(
            settings=settings,
            recommender=engine.recommender,
            store=store,
            i18n=i18n,
            storage=storage,
            seen_updates=seen,
        )
        app = create_web_app(
            dp, bot, settings=settings, api_app=engine.api_app, api_key=engine.api_key
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, port).start()
        port = int(runner.addresses[0][1])  # the one picked when asked for port 0
        me = await bot.me()
        await register_commands(bot, dp)
        print(f"Bot @{me.username} is up; web app (API, /healthz) at http://{host}:{port}")
        if local is not None:
            print(
                f"Demo: open the web chat at {local.chat_url} "
                "(customers Olena and Taras, staff Iryna)"
            )
        if settings.webhook_url:
            await _serve_webhook(bot, dp, settings, handle_signals)
        else:
            await _serve_polling(bot, dp, handle_signals)


def _warn_about_missing_secrets(settings: BotSettings) -> None:
    if settings.link_key() is None:
        log.warning("BOT_LINK_SECRET is not set: deep links are off")
    if settings.webhook_url and settings.webhook_secret is None:
        log.warning("BOT_WEBHOOK_SECRET is not set: anyone may post updates to the webhook")


async def _serve_webhook(
    bot: Bot, dp: Dispatcher, settings: BotSettings, handle_signals: bool
) -> None:
    """Telegram posts updates to the web app, which already serves them; wait to be stopped."""
    assert settings.webhook_url is not None
    url = settings.webhook_url.rstrip("/") + settings.webhook_path
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    print(f"Webhook: {url}")
    await _wait_for_signal(handle_signals)


async def _serve_polling(bot: Bot, dp: Dispatcher, handle_signals: bool) -> None:
    await bot.delete_webhook()
    print("Long polling; press Ctrl+C to stop.", flush=True)
    await dp.start_polling(
        bot,
        allowed_updates=dp.resolve_used_update_types(),
        close_bot_session=False,
        handle_signals=handle_signals,
    )


async def _wait_for_signal(handle_signals: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def print_link(settings: BotSettings, external_id: str, username: str | None) -> int:
    username = username or settings.bot_username()
    links = DeepLinks(settings.link_key(), username)
    bot: Bot | None = None
    if username is None and settings.token is not None:
        bot = create_bot(settings.token.get_secret_value(), api_url=settings.telegram_api_url)
    try:
        print(await links.link(bot, external_id))
    except DeepLinkError as error:
        print(f"recoms-bot link: {error}", file=sys.stderr)
        return 2
    finally:
        if bot is not None:
            await bot.session.close()
    return 0


async def print_audit(settings: BotSettings, recoms: RecomsSettings, limit: int) -> int:
    async with open_bot_store(bot_database_url(settings, recoms)) as store:
        entries = await store.audit_log(limit=limit)
    if not entries:
        print("The audit log is empty.")
    for entry in entries:
        when = entry.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"{when}  staff {entry.actor_id}  {entry.action}  {entry.target}  {entry.detail}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging()
    if args.command == "local":
        from bot.localapi.cli import serve

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args))
        return 0
    settings = BotSettings()
    recoms = RecomsSettings()
    try:
        if args.command == "link":
            return asyncio.run(print_link(settings, args.external_id, args.username))
        if args.command == "audit":
            return asyncio.run(print_audit(settings, recoms, args.limit))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                run(settings, recoms, args.host or settings.host, args.port or settings.port)
            )
    except MissingDriver as error:
        print(f"recoms-bot: error: {error.message}", file=sys.stderr)
        return 2
    return 0


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # Drivers log statement parameters (phones, emails) at DEBUG; alembic is chatty at INFO.
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
