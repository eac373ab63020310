"""Prometheus metrics of the bot: updates handled and their latency by kind, and the Bot API
calls Telegram refused, by method and error. One registry per dispatcher."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry, Counter, Histogram


class BotMetrics:
    """The bot's registry; ``/metrics`` serves it beside the engine's when the engine runs in
    the same process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "bot_updates",
            "Updates handled, by kind (message, callback_query, ...) and result "
            "(handled, unhandled: no handler wanted it, failed: it raised)",
            ["kind", "result"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bot_update_duration_seconds",
            "Time to handle an update to the end, replies sent, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.telegram_errors = Counter(
            "bot_telegram_errors",
            "Bot API calls that failed, by method and aiogram's error class "
            "(TelegramRetryAfter, TelegramForbiddenError, TelegramBadRequest, ...)",
            ["method", "error"],
            registry=self.registry,
        )


def update_kind(event: TelegramObject) -> str:
    if not isinstance(event, Update):
        return "other"
    try:
        return event.event_type
    except UpdateTypeLookupError:
        return "other"


class CountUpdates(BaseMiddleware):
    """Counts and times each update this replica handles (after de-duplication)."""

    def __init__(self, metrics: BotMetrics) -> None:
        self._metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = update_kind(event)
        started = time.perf_counter()
        result = "failed"
        try:
            answer = await handler(event, data)
            result = "unhandled" if answer is UNHANDLED else "handled"
            return answer
        finally:
            self._metrics.updates.labels(kind, result).inc()
            self._metrics.latency.labels(kind).observe(time.perf_counter() - started)


class CountTelegramErrors(BaseRequestMiddleware):
    """Counts every failed Bot API call, each 429 that ``RetryAfter`` then waits out too."""

    def __init__(self, metrics: BotMetrics) -> None:
        self._errors = metrics.telegram_errors

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramAPIError as error:
            self._errors.labels(method.__api_method__, type(error).__name__).inc()
            raise
