"""Change notifications between the processes of one database.

On PostgreSQL a writer sends ``NOTIFY`` in its own transaction (delivered on commit, dropped
on rollback) and every process listens on a connection of its own (asyncpg's
``add_listener``). SQLite has no notifications; a file shared by several processes tells a
connection that another one committed (``PRAGMA data_version``), which a watcher reads a few
times a second: not what changed, only that something did. An in-memory SQLite database
lives in one process and needs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.runtime.database import sqlite_file
from recoms.storage.database import Database

log = logging.getLogger(__name__)

CHANNEL = "recoms_changes"
# PostgreSQL refuses a payload of 8,000 bytes or more.
MAX_PAYLOAD = 7_900
RECONNECT_SECONDS = 1.0
SQLITE_WATCH_SECONDS = 0.2

Heard = Callable[[str | None], None]
"""Called with each payload heard, or with None when notifications may have been missed (the
listener lost its connection, or another process wrote to a SQLite file)."""


async def notify(session: AsyncSession, payload: str) -> None:
    """Tell every process listening on the database ``payload`` once the session's
    transaction commits (PostgreSQL only; elsewhere nothing)."""
    bind = session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )


class Listener:
    """Hears what other processes tell (``notify``) and calls ``heard``; ``listening()``
    says whether it is sure to hear everything now."""

    def __init__(self, database: Database, heard: Heard) -> None:
        self._database = database
        self._heard = heard
        self._task: asyncio.Task[None] | None = None
        self._listening = False
        self._ready = asyncio.Event()

    @property
    def needed(self) -> bool:
        """False for an in-memory SQLite database: nobody else can write to it."""
        url = self._database.url
        return url.get_backend_name() == "postgresql" or sqlite_file(url) is not None

    def listening(self) -> bool:
        return self._listening or not self.needed

    async def start(self, *, wait: float = 2.0) -> None:
        """Start listening (once), waiting up to ``wait`` seconds for the first connection."""
        if self._task is None and self.needed:
            run = self._postgresql if self._database.dialect == "postgresql" else self._sqlite
            self._task = asyncio.create_task(run(), name="recoms change listener")
        if self._task is not None and not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), wait)

    async def close(self) -> None:
        task, self._task = self._task, None
        self._listening = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _set(self, listening: bool) -> None:
        if self._listening and not listening:
            self._heard(None)
        self._listening = listening
        self._ready.set()

    async def _postgresql(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = self._database.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while True:
            connection: Any = None
            try:
                connection = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                connection.add_termination_listener(_setter(lost))
                await connection.add_listener(
                    CHANNEL, lambda _c, _pid, _channel, payload: self._heard(payload)
                )
                # What was written before the listener started is already in the database:
                # whatever was kept from before must be dropped.
                self._heard(None)
                self._set(True)
                await lost.wait()
                log.warning("change notifications lost their connection; reconnecting")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("cannot listen for change notifications: %s", error)
            finally:
                self._set(False)
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _sqlite(self) -> None:
        path = sqlite_file(self._database.url)
        assert path is not None
        # One thread owns the connection and runs its calls in turn, its close last: a watcher
        # cancelled during a read closes the connection after that read, never under it.
        thread = ThreadPoolExecutor(1, thread_name_prefix="recoms-change-watcher")
        loop = asyncio.get_running_loop()
        connection: sqlite3.Connection | None = None
        try:
            connection = await loop.run_in_executor(
                thread, partial(sqlite3.connect, str(path), isolation_level=None)
            )
            version = await loop.run_in_executor(thread, _data_version, connection)
            self._set(True)
            while True:
                await asyncio.sleep(SQLITE_WATCH_SECONDS)
                now = await loop.run_in_executor(thread, _data_version, connection)
                if now != version:
                    version = now
                    self._heard(None)
        finally:
            self._listening = False
            if connection is not None:
                thread.submit(connection.close)
            thread.shutdown(wait=False)


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: event.set()


def _data_version(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA data_version").fetchone()
    return int(row[0])
