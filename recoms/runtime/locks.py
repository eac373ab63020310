"""Named locks across every process using one database.

PostgreSQL holds an advisory lock on a connection of its own (outside any transaction, so
nothing waits on it but a second taker); a SQLite file is locked with ``flock`` on a file
beside it. Both are let go by the operating system when their process dies, so a crashed
process never leaves a lock behind. An in-memory SQLite database lives in one process only,
and is locked within it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from recoms.runtime.database import sqlite_file

# How often a waiting taker tries again.
RETRY_S = 0.05

# Names taken in this process, per in-memory database.
_IN_PROCESS: weakref.WeakKeyDictionary[AsyncEngine, set[str]] = weakref.WeakKeyDictionary()


class Taken(Exception):
    """Another holder has the lock."""


@contextlib.asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the lock ``name`` for the block; raises ``Taken`` at once when it is held."""
    async with _locked(engine, name, wait=False):
        yield


@contextlib.asynccontextmanager
async def in_turn(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the lock ``name`` for the block, waiting as long as another holder has it.

    Waiting is trying again every ``RETRY_S``, so that a cancelled waiter leaves nothing
    behind (a thread blocked in ``flock`` could not be called back)."""
    async with _locked(engine, name, wait=True):
        yield


@contextlib.asynccontextmanager
async def _locked(engine: AsyncEngine, name: str, *, wait: bool) -> AsyncIterator[None]:
    if engine.dialect.name == "postgresql":
        async with _advisory(engine, name, wait=wait):
            yield
        return
    path = sqlite_file(engine.url)
    if path is None:
        held = _IN_PROCESS.setdefault(engine, set())
        while name in held:
            if not wait:
                raise Taken(name)
            await asyncio.sleep(RETRY_S)
        held.add(name)
        try:
            yield
        finally:
            held.discard(name)
        return
    lock_file = path.with_name(f"{path.name}.{name}.lock")
    while (descriptor := _flock(lock_file)) is None:
        if not wait:
            raise Taken(lock_file.name)
        await asyncio.sleep(RETRY_S)
    try:
        yield
    finally:
        os.close(descriptor)


@contextlib.asynccontextmanager
async def _advisory(engine: AsyncEngine, name: str, *, wait: bool) -> AsyncIterator[None]:
    digest = hashlib.sha256(f"recoms:{name}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as connection:
        take = text("SELECT pg_try_advisory_lock(:key)")
        while not await connection.scalar(take, {"key": key}):
            if not wait:
                raise Taken(name)
            await asyncio.sleep(RETRY_S)
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def _flock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s lock, or None when another holder has it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
