"""Alembic environment: runs the engine's migrations on a connection the caller passes in."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from recoms.storage.database import create_database
from recoms.storage.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    database = create_database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await database.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        # ``recoms.storage.database.migrate`` hands us an open connection of the async engine.
        run_on(connection)
        return
    # Plain ``alembic -x url=... upgrade head`` (developers): open the database ourselves.
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite+aiosqlite:///var/recoms.db")
    asyncio.run(run_from_url(url))


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
main()
