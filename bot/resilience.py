"""Expected Telegram trouble: 429 waited out and retried, updates delivered again handled once
(and only once handled to the end), and every button press answered exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from enum import Enum
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

CALLER_WAITS_OUT_429: ContextVar[bool] = ContextVar("caller_waits_out_429", default=False)
"""Set by code that paces its own sends (the alert worker): its 429s reach it at once, to hold
back all its sends, instead of being slept through by ``RetryAfter`` one request at a time."""


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
        if CALLER_WAITS_OUT_429.get():
            return await make_request(bot, method)
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


class Delivery(Enum):
    """What a replica is to do with an update Telegram delivered."""

    FIRST = "first"
    """Nobody has it: this replica handles it now."""
    DONE = "done"
    """Handled before: acknowledge it and do nothing."""
    IN_HAND = "in hand"
    """Being handled now (here or on another replica): do not acknowledge it yet, so that
    Telegram sends it again should that handler never finish."""


class UpdateInHand(Exception):
    """The update is being handled elsewhere; the webhook answers 503 and Telegram resends."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} is being handled elsewhere")
        self.update_id = update_id


class SeenUpdates(Protocol):
    """Which updates are handled or in hand, shared by every replica of one bot."""

    async def claim(self, update_id: int) -> Delivery:
        """Take the update for handling when nobody has it (``FIRST``)."""
        ...

    async def handled(self, update_id: int) -> None:
        """Mark a claimed update handled: later deliveries are ``DONE``."""
        ...

    async def release(self, update_id: int) -> None:
        """Give a claimed update back after a failure: the next delivery is ``FIRST``."""
        ...

    async def hold(self, update_id: int) -> None:
        """Renew the claim of an update still being handled, so that it does not run out."""
        ...


class MemorySeenUpdates:
    """One process's updates (polling, or a single webhook replica without Redis)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[int, Delivery] = OrderedDict()
        self._capacity = capacity

    async def claim(self, update_id: int) -> Delivery:
        state = self._seen.get(update_id)
        if state is Delivery.DONE:
            return Delivery.DONE
        if state is not None:
            return Delivery.IN_HAND
        self._seen[update_id] = Delivery.IN_HAND
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return Delivery.FIRST

    async def handled(self, update_id: int) -> None:
        self._seen[update_id] = Delivery.DONE

    async def release(self, update_id: int) -> None:
        self._seen.pop(update_id, None)

    async def hold(self, update_id: int) -> None:
        """A claim in memory dies with its process only; nothing to renew."""


class RedisSeenUpdates:
    """Updates of the bot ``bot_id`` (bots sharing a Redis database never skip each other's):
    a claim is a lease of ``lease`` seconds that its handler renews while it works, so that
    an update whose replica was killed mid-way is handled by the first delivery after the
    lease, and a slow one is never handled twice; a handled mark lives ``ttl`` seconds,
    longer than Telegram keeps resending."""

    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        *,
        lease: float,
        ttl: int = 86_400,
        prefix: str = "recoms-bot:",
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}{bot_id}:update:"
        self._lease_ms = max(1, int(lease * 1000))
        self._ttl = ttl

    async def claim(self, update_id: int) -> Delivery:
        key = f"{self._prefix}{update_id}"
        while True:
            if await self._redis.set(key, _IN_HAND, nx=True, px=self._lease_ms):
                return Delivery.FIRST
            state = await self._redis.get(key)
            if state == _DONE:
                return Delivery.DONE
            if state is not None:
                return Delivery.IN_HAND
            # Released or expired between the two calls: try to take it again.

    async def handled(self, update_id: int) -> None:
        await self._redis.set(f"{self._prefix}{update_id}", _DONE, ex=self._ttl)

    async def release(self, update_id: int) -> None:
        await self._redis.delete(f"{self._prefix}{update_id}")

    async def hold(self, update_id: int) -> None:
        await self._redis.set(f"{self._prefix}{update_id}", _IN_HAND, xx=True, px=self._lease_ms)


_IN_HAND = b"in hand"
_DONE = b"done"


class HandleOnce(BaseMiddleware):
    """Each update id is handled once, and only an update handled to the end counts: Telegram
    resends a webhook update until it gets a 200, and a replica may die half-way.

    Registered outside aiogram's error middleware, so that it sees a failure before the error
    handlers answer it (an answered failure is handled: the person got the apology) and so
    that ``UpdateInHand`` reaches the webhook, which answers 503 instead of 200."""

    def __init__(self, seen: SeenUpdates, *, renew_every: float) -> None:
        self._seen = seen
        self._renew_every = renew_every

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        delivery = await self._seen.claim(event.update_id)
        if delivery is Delivery.DONE:
            log.info("update %s delivered again; skipped", event.update_id)
            return None
        if delivery is Delivery.IN_HAND:
            raise UpdateInHand(event.update_id)
        holding = asyncio.create_task(self._hold(event.update_id))
        try:
            result = await handler(event, data)
        except BaseException:
            # Also when cancelled (a stop past its grace period): the next delivery retries.
            holding.cancel()
            await self._seen.release(event.update_id)
            raise
        holding.cancel()
        await self._seen.handled(event.update_id)
        return result

    async def _hold(self, update_id: int) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                await self._seen.hold(update_id)
            except Exception as error:  # the claim may run out; the handler goes on
                log.warning("could not renew the claim of update %s: %s", update_id, error)


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
