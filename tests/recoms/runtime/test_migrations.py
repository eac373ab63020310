"""Any number of replicas may start at once on an empty or an old database: migrations take
turns under a database-wide lock."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import inspect, text

from bot.storage import open_bot_database
from bot.storage.database import VERSION_TABLE
from recoms.storage.database import create_database, migrate, schema_is_current

REPLICAS = 4


async def start_replicas_at_once(url: str) -> list[tuple[int, str]]:
    """Exit codes and error output of ``REPLICAS`` processes migrating ``url`` together."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.recoms.runtime.migrate_both",
            url,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(REPLICAS)
    ]
    results = []
    for process in processes:
        _, stderr = await process.communicate()
        results.append((process.returncode or 0, stderr.decode(errors="replace")[-2000:]))
    return results


async def tables_and_versions(url: str) -> tuple[set[str], list[str]]:
    database = open_bot_database(url)
    try:
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            versions = [
                str(row[0])
                for table in ("alembic_version", VERSION_TABLE)
                for row in await connection.execute(text(f"SELECT version_num FROM {table}"))
            ]
    finally:
        await database.dispose()
    return tables, versions


async def test_replicas_starting_together_on_an_empty_database_all_start(
    database_url: str,
) -> None:
    results = await start_replicas_at_once(database_url)

    assert results == [(0, "")] * REPLICAS
    tables, versions = await tables_and_versions(database_url)
    assert {"products", "contacts", "bot_users", "bot_link_tokens"} <= tables
    assert len(versions) == 2  # one row per history: nobody stamped twice
    database = create_database(database_url)
    try:
        assert await schema_is_current(database)
    finally:
        await database.dispose()


async def test_replicas_starting_together_on_an_old_database_all_start(
    database_url: str,
) -> None:
    database = create_database(database_url)
    try:
        await migrate(database, "0001")
    finally:
        await database.dispose()

    results = await start_replicas_at_once(database_url)

    assert results == [(0, "")] * REPLICAS
    database = create_database(database_url)
    try:
        assert await schema_is_current(database)
    finally:
        await database.dispose()
