"""Alembic migrations of one history (the engine's or the bot's), one process at a time.

Two processes upgrading an empty database together would both create the version table and
one would fail; an old database would be altered twice. Every history takes the same
database-wide lock, so the engine's and the bot's migrations also take turns with each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from recoms.runtime.database import open_engine
from recoms.runtime.locks import in_turn

if TYPE_CHECKING:
    from alembic.config import Config

LOCK = "migrations"


def alembic_config(script_location: Path) -> Config:
    """Alembic's configuration for the history in ``script_location`` (no ini file needed)."""
    # Alembic is imported when migrating, not by every command that merely opens a database.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """``alembic upgrade revision`` under the database's migration lock; a no-op when there.

    A process that finds the lock taken waits for it, then finds the work done."""
    async with in_turn(engine, LOCK), engine.begin() as connection:
        await connection.run_sync(_upgrade, script_location, revision)


def _upgrade(connection: Connection, script_location: Path, revision: str) -> None:
    from alembic import command

    config = alembic_config(script_location)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def is_current(engine: AsyncEngine, script_location: Path, version_table: str) -> bool:
    """Whether the database is at the newest migration of the history."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()

    def current(connection: Connection) -> str | None:
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        return context.get_current_revision()

    async with engine.connect() as connection:
        revision = await connection.run_sync(current)
    return revision == head


def run_environment(metadata: MetaData, **options: Any) -> None:
    """What a history's ``env.py`` does: run its migrations for ``metadata``.

    ``upgrade`` hands Alembic an open connection; a developer's plain ``alembic -x url=...
    upgrade head`` has none, so the database is opened here. ``options`` go to Alembic's
    ``context.configure`` (a history's own version table, which tables are its own)."""
    from alembic import context

    if context.is_offline_mode():
        raise SystemExit("offline (SQL script) migrations are not supported")

    def run_on(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite alters tables by copying them; batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite+aiosqlite:///var/recoms.db")
    asyncio.run(_run_from_url(url, run_on))


async def _run_from_url(url: str, run_on: Callable[[Connection], None]) -> None:
    engine = open_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()
