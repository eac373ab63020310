"""``recoms-bot run``: the bot, the engine's API and the deep-link endpoint in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiohttp import web
from pydantic import SecretStr

from bot.commands import register_commands
from bot.config import BotSettings
from bot.factory import create_alert_worker, create_bot, create_dispatcher, create_web_app
from bot.i18n import create_i18n
from bot.inflight import InFlight
from bot.metrics import BotMetrics
from bot.resources import (
    bot_database_url,
    database_pool_size,
    fsm_storage,
    open_bot_store,
    open_engine,
    open_local_api,
)
from recoms.config import RecomsSettings
from recoms.httpkit import keyless_bind_refusal, keyless_notice
from recoms.httpserver import ApiRunner
from recoms.runtime.logs import configure_logging, log_format_argument
from recoms.runtime.readiness import Readiness
from recoms.runtime.signals import until_stopped
from recoms.runtime.workers import (
    REUSE_PORT_OPTION,
    WORKERS_OPTION,
    run_workers,
    single_blas_thread,
    worker_command,
)

if TYPE_CHECKING:
    from bot.cli import Settings

log = logging.getLogger("bot")


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "run",
        help="run the bot (polling, or webhook when BOT_WEBHOOK_URL is set)",
        description=(
            "Run the bot and, on the same web app, the engine's HTTP API, /healthz and the "
            "deep-link endpoint. Long polling by default; a webhook when BOT_WEBHOOK_URL is "
            "set. Without BOT_TOKEN: loads the demo shop when the database is empty, starts a "
            "local Bot API server with a web chat and prints its URL."
        ),
    )
    parser.add_argument("--host", help="address of the web app (default BOT_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port of the web app (default BOT_PORT, 8080)")
    log_format_argument(parser, "BOT_LOG_FORMAT")
    parser.add_argument(
        WORKERS_OPTION,
        type=int,
        default=1,
        metavar="N",
        help="web app processes sharing the port, for webhook mode (BOT_WEBHOOK_URL) with "
        "Redis (BOT_REDIS_URL); each runs BLAS on one thread (default 1)",
    )
    parser.add_argument(REUSE_PORT_OPTION, action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=execute)


def workers_refusal(workers: int, settings: BotSettings, port: int) -> str | None:
    """Why ``workers`` processes cannot run the bot, or None. Long polling takes updates in
    one process (Telegram refuses a second poller), and conversations' state must be shared."""
    if workers < 1:
        return "--workers takes a number of processes, 1 or more"
    if workers == 1:
        return None
    if not settings.webhook_url or settings.token is None:
        return (
            "several workers need webhook mode (BOT_TOKEN and BOT_WEBHOOK_URL): long polling "
            "runs in one process"
        )
    if not settings.redis_url:
        return "several workers share conversations through Redis: set BOT_REDIS_URL"
    if port == 0:
        return "several workers need a port of their own choosing, not 0"
    return None


def execute(args: argparse.Namespace, settings: Settings) -> int:
    bot_settings = settings.bot
    configure_logging(args.log_format or bot_settings.log_format)
    host = args.host or bot_settings.host
    port = args.port or bot_settings.port
    if not args.reuse_port:
        refusal = workers_refusal(args.workers, bot_settings, port)
        if refusal is not None:
            print(f"recoms-bot: error: {refusal}", file=sys.stderr)
            return 2
        if args.workers > 1:
            return run_workers(worker_command(sys.argv[1:], "bot"), args.workers)
    single_blas_thread()
    # The web app's key: the embedded API's, or the remote API's that the deep-link endpoint
    # shares.
    remote = bot_settings.recoms_url is not None
    key_setting = "BOT_RECOMS_API_KEY" if remote else "RECOMS_API_KEY"
    key = bot_settings.recoms_api_key if remote else settings.recoms.api_key
    if key is None or not key.get_secret_value():
        refusal = keyless_bind_refusal(host, key_setting=key_setting)
        if refusal is not None:
            print(f"recoms-bot: error: {refusal}", file=sys.stderr)
            return 2
        print(keyless_notice(key_setting), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(bot_settings, settings.recoms, host, port, reuse_port=args.reuse_port))
    return 0


async def run(
    settings: BotSettings,
    recoms: RecomsSettings,
    host: str,
    port: int,
    *,
    handle_signals: bool = True,
    reuse_port: bool = False,
) -> None:
    """Run until stopped (Ctrl+C, SIGTERM, or cancellation of this coroutine). With
    ``reuse_port`` other processes may listen on the same port (``--workers``)."""
    _warn_about_missing_secrets(settings)
    async with AsyncExitStack() as stack:
        token, api_url = settings.token, settings.telegram_api_url
        local = None
        if token is None:
            local = await stack.enter_async_context(open_local_api(settings))
            token, api_url = SecretStr(local.token), local.api_base
        engine = await stack.enter_async_context(open_engine(settings, recoms))
        store = await stack.enter_async_context(
            open_bot_store(bot_database_url(settings, recoms), database_pool_size(settings))
        )
        metrics = BotMetrics()
        bot = create_bot(token.get_secret_value(), api_url=api_url, metrics=metrics)
        stack.push_async_callback(bot.session.close)
        readiness = Readiness()
        storage, seen, flood = fsm_storage(settings, bot.id, readiness)
        stack.push_async_callback(storage.close)
        i18n = create_i18n(settings.locales_dir, settings.default_locale)
        dp = create_dispatcher(
            settings=settings,
            recommender=engine.recommender,
            store=store,
            i18n=i18n,
            phone_region=recoms.default_region,
            storage=storage,
            seen_updates=seen,
            flood_gate=flood,
            metrics=metrics,
        )
        app = create_web_app(
            dp,
            bot,
            settings=settings,
            api_app=engine.api_app,
            api_key=engine.api_key,
            readiness=readiness,
            alerts=create_alert_worker(dp, bot, settings),
        )
        # Updates still running after the grace period are cut off when the listener closes:
        # unanswered, Telegram sends them again (to another replica).
        runner = ApiRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        port = int(runner.addresses[0][1])  # the one picked when asked for port 0
        me = await bot.me()
        await register_commands(bot, dp)
        print(f"Bot @{me.username} is up; web app (API, /healthz) at http://{host}:{port}")
        if local is not None:
            print(
                f"Demo: open the web chat at {local.chat_url} "
                "(customers Olena and Taras, staff Iryna)"
            )
        in_flight: InFlight = dp["in_flight"]
        grace = settings.stop_grace.total_seconds()
        async with until_stopped(listen=handle_signals) as stopped:
            if settings.webhook_url:
                await _serve_webhook(bot, dp, settings, stopped)
            else:
                await _serve_polling(bot, dp, stopped)
        # Stopping: nothing new is taken; what is in flight finishes before anything it
        # uses is closed (the exit stack, in reverse order of opening).
        in_flight.drain()
        started = time.monotonic()
        finished = await in_flight.drained(grace)
        took = time.monotonic() - started
        if finished:
            log.info("stopped after %.1f s: every update in flight finished", took)
        else:
            log.warning(
                "stopped after the %.0f s grace period with %s updates unfinished; Telegram "
                "sends them again",
                grace,
                in_flight.count,
            )
        if finished and not settings.webhook_url and in_flight.last_update_id is not None:
            await _confirm_polled(bot, in_flight.last_update_id)


def _warn_about_missing_secrets(settings: BotSettings) -> None:
    if settings.webhook_url and settings.webhook_secret is None:
        log.warning("BOT_WEBHOOK_SECRET is not set: anyone may post updates to the webhook")


async def _serve_webhook(
    bot: Bot, dp: Dispatcher, settings: BotSettings, stopped: asyncio.Event
) -> None:
    """Telegram posts updates to the web app, which already serves them; wait to be stopped.

    Telegram sends at most ``max_connections`` updates at once: the in-flight limit."""
    assert settings.webhook_url is not None
    url = settings.webhook_url.rstrip("/") + settings.webhook_path
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=dp.resolve_used_update_types(),
        max_connections=settings.max_updates_in_flight,
    )
    print(f"Webhook: {url}", flush=True)
    await stopped.wait()


async def _serve_polling(bot: Bot, dp: Dispatcher, stopped: asyncio.Event) -> None:
    """Long polling until stopped; the updates of the last batch go on running after."""
    await bot.delete_webhook()
    print("Long polling; press Ctrl+C to stop.", flush=True)
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            allowed_updates=dp.resolve_used_update_types(),
            close_bot_session=False,
            handle_signals=False,
        )
    )
    stop = asyncio.create_task(stopped.wait())
    try:
        await asyncio.wait({polling, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not polling.done():
            await dp.stop_polling()
        await polling


async def _confirm_polled(bot: Bot, last_update_id: int) -> None:
    """Tell Telegram the updates up to ``last_update_id`` are handled; it would otherwise
    give the last batch to the next process again (``getUpdates`` confirms by offset)."""
    with contextlib.suppress(TelegramAPIError):
        await bot.get_updates(offset=last_update_id + 1, limit=1, timeout=0)
