"""Imports parse in a worker thread, a batch at a time, so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")


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
