"""Expected Telegram trouble: 429 waited out and retried, updates delivered twice skipped, and
every button press answered exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.utils.callback_answer import CallbackAnswerMiddleware

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class RetryAfter(BaseRequestMiddleware):
    """Waits as long as Telegram asks (429 ``retry_after``) and sends the request again.

    Gives up, re-raising, after ``attempts`` tries or when asked to wait longer than
    ``max_wait`` seconds (a flood ban that long is better reported than slept through).
    """

    def __init__(self, attempts: int = 3, max_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_wait:
                    raise
                log.warning(
                    "Telegram asked to wait %s s before %s (attempt %s of %s)",
                    error.retry_after,
                    type(method).__name__,
                    attempt,
                    self.attempts,
                )
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover


class SeenUpdates(Protocol):
    async def first_time(self, update_id: int) -> bool:
        """True the first time an update id is seen (by any replica sharing the store)."""
        ...


class MemorySeenUpdates:
    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._capacity = capacity

    async def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True


class RedisSeenUpdates:
    def __init__(self, redis: Redis, prefix: str = "recoms-bot:update:", ttl: int = 3600) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    async def first_time(self, update_id: int) -> bool:
        return bool(await self._redis.set(f"{self._prefix}{update_id}", 1, nx=True, ex=self._ttl))


class SkipDuplicateUpdates(BaseMiddleware):
    """Telegram re-delivers a webhook update it thinks failed; handle each update id once."""

    def __init__(self, seen: SeenUpdates) -> None:
        self._seen = seen

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not await self._seen.first_time(event.update_id):
            log.info("update %s delivered again; skipped", event.update_id)
            return None
        return await handler(event, data)


class AnswerEveryPress(CallbackAnswerMiddleware):
    """Answers the callback query after its handler (with what the handler put in
    ``callback_answer``), as aiogram's middleware does, but not when the handler fails: the
    error handler answers then, with the apology. Telegram takes one answer per query."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = self.construct_callback_answer(properties=None)
        result = await handler(event, data)
        if not answer.disabled and not answer.answered:
            await self.answer(event, answer)
        return result
