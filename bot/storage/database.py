"""The bot's database connection and its migrations (own Alembic history and version table)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from recoms.drivers import require_database_driver

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "bot_alembic_version"
# The engine may write to the same SQLite file from the same or another process.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class BotDatabase:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_bot_database(url: str) -> BotDatabase:
    """Open (lazily) the database at an async SQLAlchemy URL; nothing connects yet."""
    parsed = make_url(url)
    require_database_driver(parsed)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        options: dict[str, Any] = {}
        if database in ("", ":memory:"):
            options["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(parsed, pool_pre_ping=True)
    return BotDatabase(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(database: BotDatabase) -> None:
    """Bring the bot's tables to the newest migration; a no-op when current."""
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
