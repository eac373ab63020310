"""The bot's own HTTP endpoints: Telegram's webhook, ``/healthz`` and the deep-link endpoint for
the shop's backend.

``bot.factory.create_web_app`` puts them on the one web app with the webhook and the engine's API.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import hdrs, web
from pydantic import ValidationError

from bot.deeplinks import DeepLinkError
from bot.inflight import InFlight
from bot.links import DeepLinks
from bot.resilience import UpdateInHand
from recoms.httpkit import (
    METRICS,
    basic_password,
    error_response,
    metrics_response,
    password_is,
    readiness_response,
    unauthorized,
)
from recoms.runtime.readiness import READINESS

DEEPLINK_PATH = "/api/v1/telegram/deeplink"
BOT_KEY = web.AppKey("bot", Bot)
LINKS_KEY = web.AppKey("deep_links", DeepLinks)
LINK_API_KEY = web.AppKey("deep_link_api_key", str)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_AFTER_S = "1"
"""Retry-After of a 503: Telegram resends on its own schedule, a balancer may use it."""

log = logging.getLogger(__name__)


class Webhook:
    """Telegram's webhook: an update is answered 200 only once it is handled to the end, so
    that an update this replica cannot finish is sent again, to it or to another replica.

    Telegram sends at most ``max_connections`` updates at once (the process's in-flight
    limit) and waits about a minute for each answer. An update still being handled after
    ``timeout`` (well under that) is answered 503 and goes on being handled: Telegram's
    resend is answered 503 while it is, and 200 once it is done, so a slow update is neither
    lost nor answered twice. A replica that is stopping answers 503 at once, and the
    balancer's next pick gets the update.
    """

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        in_flight: InFlight,
        *,
        secret: str | None,
        timeout: float,
    ) -> None:
        self._dp = dp
        self._bot = bot
        self._in_flight = in_flight
        self._secret = secret
        self._timeout = timeout
        self._handling: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        if self._secret is not None and not secrets.compare_digest(
            request.headers.get(SECRET_HEADER, ""), self._secret
        ):
            return error_response(401, "the webhook wants Telegram's secret token")
        if self._in_flight.draining:
            return _try_later("this replica is stopping")
        try:
            update = Update.model_validate(await request.json(), context={"bot": self._bot})
        except (ValueError, ValidationError):
            return error_response(400, "the body must be a Telegram update")
        handling = asyncio.create_task(self._feed(update))
        self._handling.add(handling)
        handling.add_done_callback(self._ended)
        try:
            await asyncio.wait_for(asyncio.shield(handling), self._timeout)
        except UpdateInHand:
            return _try_later("the update is being handled")
        except TimeoutError:
            log.warning(
                "update %s is taking over %s s; answered 503 and still handled",
                update.update_id,
                self._timeout,
            )
            return _try_later("the update is being handled")
        return web.json_response({})

    async def _feed(self, update: Update) -> None:
        result = await self._dp.feed_update(self._bot, update)
        if isinstance(result, TelegramMethod):
            await self._bot(result)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._handling.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, UpdateInHand):
            # Its claim was given back: Telegram's resend of the update tries again.
            log.warning("an update failed: %s", error)

    async def close(self, _app: web.Application) -> None:
        """Cut off the updates still being handled (the grace period is over): their claims
        are given back, and Telegram sends them again, to another replica."""
        for task in list(self._handling):
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)


def _try_later(message: str) -> web.Response:
    return error_response(503, message, headers={hdrs.RETRY_AFTER: RETRY_AFTER_S})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness of a bot whose engine is remote (the embedded engine's API has its own)."""
    return readiness_response(await request.app[READINESS].reasons())


def _authorized(request: web.Request) -> bool:
    key = request.app.get(LINK_API_KEY)
    if key is None:
        return True
    return password_is(basic_password(request.headers.get(hdrs.AUTHORIZATION)), key)


async def get_metrics(request: web.Request) -> web.Response:
    """The bot's figures, for a bot whose engine is remote (the embedded engine's API serves
    both); the deep-link endpoint's key guards them."""
    if not _authorized(request):
        return unauthorized()
    return metrics_response(request.app[METRICS])


async def post_deeplink(request: web.Request) -> web.Response:
    """``{"externalCustomerId": "..."}`` -> ``{"link": "https://t.me/<bot>?start=...", ...}``:
    a link that works once, within ``BOT_LINK_TTL``."""
    if not _authorized(request):
        return unauthorized()
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, "the body must be a JSON object with externalCustomerId")
    external_id = body.get("externalCustomerId") if isinstance(body, dict) else None
    if not isinstance(external_id, str) or not external_id.strip():
        return error_response(400, "externalCustomerId (a non-empty string) is required")
    links = request.app[LINKS_KEY]
    try:
        minted = await links.mint(request.app[BOT_KEY], external_id, minted_by=None, via="api")
    except DeepLinkError as error:
        return error_response(400, str(error))
    return web.json_response(
        {
            "externalCustomerId": external_id.strip(),
            "link": minted.url,
            "payload": minted.token,
            "expiresAt": minted.expires_at.isoformat(),
            "expiresInSeconds": int(links.ttl.total_seconds()),
        }
    )
