"""Alembic migrations of one history (the engine's or the bot's), one process at a time.

Two processes upgrading an empty database together would both create the version table and
one would fail; an old database would be altered twice. Every history takes the same
database-wide lock, so the engine's and the bot's migrations also take turns with each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

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
