"""Updates in flight in one process: at most so many handled at once (the rest wait, none
fail), and a stop that lets them finish before anything they use is closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update


class InFlight:
    """Counts the updates this process has taken and not finished, waiting ones included.

    ``limit`` bounds those handled at once, and so the database and Redis connections they
    hold; an update over the limit waits for a slot. Once ``drain`` is called the process
    takes nothing new (the webhook answers 503, ``/readyz`` says so) and ``drained`` waits
    for the count to reach zero."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False
        self.last_update_id: int | None = None

    @property
    def count(self) -> int:
        return self._count

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` slots for the block, counted from before the wait."""
        self._count += 1
        self._idle.clear()
        try:
            async with self._slots:
                yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    def drain(self) -> None:
        """Take no new updates from now on."""
        self.draining = True

    async def not_ready(self) -> str | None:
        """A readiness check: a stopping process is sent nothing new."""
        return "stopping" if self.draining else None

    async def drained(self, grace: float) -> bool:
        """Wait up to ``grace`` seconds for every update in flight to finish; False when some
        are still running then."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True


class CountInFlight(BaseMiddleware):
    """Runs every update in a slot of the process's ``InFlight``, in polling and webhook mode
    alike."""

    def __init__(self, in_flight: InFlight) -> None:
        self._in_flight = in_flight

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._in_flight.slot():
            if isinstance(event, Update):
                last = self._in_flight.last_update_id
                if last is None or event.update_id > last:
                    self._in_flight.last_update_id = event.update_id
            return await handler(event, data)
