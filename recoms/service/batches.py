"""Imports parse in a worker thread, a batch at a time, so the event loop keeps serving, and
write each batch in a short transaction of its own, tried again when a concurrent writer got
in its way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")

Work = Callable[[AsyncSession], Awaitable[T]]
"""What a transaction does, given its session."""


def take(items: Iterator[T], count: int) -> list[T]:
    """Up to ``count`` next items (runs in a worker thread: parsing happens here)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= count:
            break
    return batch


async def take_in_thread(items: Iterator[T], count: int) -> list[T]:
    """Up to ``count`` next items, parsed in a worker thread; an empty list at the end."""
    return await asyncio.to_thread(take, items, count)


async def batches(items: Iterator[T], size: int) -> AsyncGenerator[list[T], None]:
    """Batches of ``items``, parsed in a worker thread one batch ahead of the consumer, so
    parsing the next batch overlaps writing this one."""
    pending = asyncio.ensure_future(asyncio.to_thread(take, items, size))
    try:
        while batch := await pending:
            pending = asyncio.ensure_future(asyncio.to_thread(take, items, size))
            yield batch
    finally:
        if not pending.done():
            # The worker thread cannot be interrupted; wait so the file is not closed under it.
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)


async def enter_in_thread(manager: AbstractContextManager[T]) -> AbstractContextManager[T]:
    """``manager`` entered in a worker thread (opening a URL blocks), as a context manager
    that gives what entering gave and exits ``manager``."""
    return _Entered(manager, await asyncio.to_thread(manager.__enter__))


class _Entered(AbstractContextManager[T]):
    def __init__(self, manager: AbstractContextManager[T], value: T) -> None:
        self._manager = manager
        self._value = value

    def __enter__(self) -> T:
        return self._value

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._manager.__exit__(exc_type, exc, traceback)


# How often a batch is tried when a concurrent writer got in its way, and the pause before
# each new try (seconds), doubled every time up to MAX_RETRY_PAUSE: about 15 s in all, long
# enough for an import creating the same customers beside this one to move past them.
WRITE_ATTEMPTS = 12
RETRY_PAUSE = 0.05
MAX_RETRY_PAUSE = 2.0


def is_conflict(error: DBAPIError) -> bool:
    """Whether ``error`` is what a concurrent writer causes, so that trying again after it
    may succeed: a unique key taken meanwhile (two writers creating the same contact), a
    deadlock or serialisation failure (PostgreSQL), a busy or locked database (SQLite)."""
    if isinstance(error, IntegrityError):
        return True
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in ("40001", "40P01"):
        return True
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


async def retrying(
    operation: Callable[[], Awaitable[T]], *, on_conflict: Callable[[], None] | None = None
) -> T:
    """Run ``operation`` (a transaction of its own) and, when a concurrent writer got in
    its way (:func:`is_conflict`), call ``on_conflict`` (to forget what the failed try
    cached) and run it again, up to :data:`WRITE_ATTEMPTS` times, pausing longer each time.
    A second run finds what the other writer stored (a contact, an order) and uses it."""
    pause = RETRY_PAUSE
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return await operation()
        except DBAPIError as error:
            if attempt == WRITE_ATTEMPTS or not is_conflict(error):
                raise
            log.info("write conflict with a concurrent writer (try %d); trying again", attempt)
        if on_conflict is not None:
            on_conflict()
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_RETRY_PAUSE)
    raise AssertionError("unreachable")


async def write(
    sessions: async_sessionmaker[AsyncSession],
    work: Work[T],
    *,
    on_conflict: Callable[[], None] | None = None,
) -> T:
    """Run ``work`` in a transaction of its own and commit, :func:`retrying` on conflict."""

    async def attempt() -> T:
        async with sessions.begin() as session:
            return await work(session)

    return await retrying(attempt, on_conflict=on_conflict)
