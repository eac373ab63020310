"""Alembic environment of the bot's tables; its own version table, so it can share a database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from bot.storage.database import VERSION_TABLE, open_bot_database
from bot.storage.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # Only the bot's tables: the engine's live in the same database under its own history.
        include_name=lambda name, type_, _parent: type_ != "table" or str(name).startswith("bot_"),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    database = open_bot_database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await database.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite+aiosqlite:///var/recoms.db")
    asyncio.run(run_from_url(url))


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
main()
