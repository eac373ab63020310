"""Databases for the benchmarks: a new SQLite file, or a new database on a PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


def is_postgres(url: str) -> bool:
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def kind(url: str) -> str:
    return "PostgreSQL" if is_postgres(url) else "SQLite"


@asynccontextmanager
async def scratch_database(server_url: str | None, folder: Path, name: str) -> AsyncIterator[str]:
    """A new, empty database named after ``name``: a SQLite file in ``folder`` when
    ``server_url`` is None or a SQLite URL, else a database created on the PostgreSQL server
    ``server_url`` names (dropped after)."""
    if server_url is None or not is_postgres(server_url):
        yield f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
        return
    import asyncpg

    server = make_url(server_url)
    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
        yield server.set(database=database).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def count_rows(url: str, table: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            )
    finally:
        await engine.dispose()
