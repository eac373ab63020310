"""Named locks across every process using one database: one import of a kind at a time.

PostgreSQL holds an advisory lock on a connection of its own (outside any transaction, so
nothing waits on it but a second taker); a SQLite file is locked with ``flock`` on a file
beside it. Both are let go by the operating system when their process dies, so a crashed
import never leaves a lock behind. An in-memory SQLite database lives in one process only,
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

from recoms.storage.database import Database

# Names taken in this process, per in-memory database.
_IN_PROCESS: weakref.WeakKeyDictionary[AsyncEngine, set[str]] = weakref.WeakKeyDictionary()


class Taken(Exception):
    """Another holder has the lock."""


@contextlib.asynccontextmanager
async def exclusive(database: Database, name: str) -> AsyncIterator[None]:
    """Hold the lock ``name`` for the block; raises ``Taken`` at once when it is held."""
    if database.dialect == "postgresql":
        async with _advisory(database, name):
            yield
        return
    path = _sqlite_path(database)
    if path is None:
        held = _IN_PROCESS.setdefault(database.engine, set())
        if name in held:
            raise Taken(name)
        held.add(name)
        try:
            yield
        finally:
            held.discard(name)
        return
    descriptor = await asyncio.to_thread(_flock, path.with_name(f"{path.name}.{name}.lock"))
    try:
        yield
    finally:
        os.close(descriptor)


@contextlib.asynccontextmanager
async def _advisory(database: Database, name: str) -> AsyncIterator[None]:
    digest = hashlib.sha256(f"recoms:{name}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        if not taken:
            raise Taken(name)
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def _sqlite_path(database: Database) -> Path | None:
    name = database.url.database or ""
    if name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name:
        return None
    return Path(name).expanduser()


def _flock(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise Taken(path.name) from None
    return descriptor
