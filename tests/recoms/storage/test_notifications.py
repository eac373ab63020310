"""Change notifications on a SQLite file: another connection's commit is heard, and a
watcher closed in the middle of a read leaves the process standing."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from recoms.storage import notifications
from recoms.storage.database import create_database


def database_file(tmp_path: Path) -> Path:
    """A SQLite file with one table to write to."""
    path = tmp_path / "recoms.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE marks (n INTEGER)")
    return path


async def test_a_commit_by_another_connection_is_heard(tmp_path: Path) -> None:
    path = database_file(tmp_path)
    database = create_database(f"sqlite+aiosqlite:///{path}")
    heard = asyncio.Event()
    listener = notifications.Listener(database, lambda _payload: heard.set())
    await listener.start()
    try:
        assert listener.listening()
        with sqlite3.connect(path) as other:
            other.execute("INSERT INTO marks VALUES (1)")
        await asyncio.wait_for(heard.wait(), 5 * notifications.SQLITE_WATCH_SECONDS + 1)
    finally:
        await listener.close()
        await database.dispose()
    assert not listener.listening()


CYCLES = 3_000
CLOSED_WHILE_READING = """
import asyncio, random, sys
from recoms.storage import notifications
from recoms.storage.database import create_database

notifications.SQLITE_WATCH_SECONDS = 0  # a read is always under way

async def main():
    database = create_database(f"sqlite+aiosqlite:///{sys.argv[1]}")
    for _ in range(int(sys.argv[2])):
        listener = notifications.Listener(database, lambda _payload: None)
        await listener.start()
        await asyncio.sleep(random.random() / 500)
        await listener.close()
    await database.dispose()

asyncio.run(main())
"""


def test_a_watcher_closed_during_a_read_does_not_crash_the_process(tmp_path: Path) -> None:
    # A connection closed under a read in flight on another thread crashes the interpreter
    # (SIGSEGV), hence a process of its own.
    database = database_file(tmp_path)
    finished = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            "-c",
            CLOSED_WHILE_READING,
            str(database),
            str(CYCLES),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-2_000:]
