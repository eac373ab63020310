"""The bot's database connection and its migrations (own Alembic history and version table)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recoms.runtime import migrations
from recoms.runtime.database import open_engine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "bot_alembic_version"


@dataclass(frozen=True)
class BotDatabase:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_bot_database(url: str, *, pool_size: int | None = None) -> BotDatabase:
    """Open (lazily) the database at an async SQLAlchemy URL; nothing connects yet. It may be
    the engine's: SQLite connections wait for the engine's writers, as the engine's do."""
    engine = open_engine(url, pool_size=pool_size)
    return BotDatabase(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))


async def migrate(database: BotDatabase) -> None:
    """Bring the bot's tables to the newest migration, taking turns with any other process
    migrating the same database (the engine's migrations included); a no-op when current."""
    await migrations.upgrade(database.engine, MIGRATIONS)
