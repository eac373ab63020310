"""The engine's database: an async engine, its session factory, and schema migrations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recoms.runtime import migrations
from recoms.runtime.database import open_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Database:
    """An open database: ``sessions()`` opens a session; the service owns its transactions."""

    url: URL
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(url: str | URL, *, pool_size: int | None = None) -> Database:
    """Open (lazily: nothing connects yet) the database at an async SQLAlchemy URL, as
    ``recoms.runtime.database.open_engine`` describes."""
    parsed = make_url(url)
    engine = open_engine(parsed, pool_size=pool_size)
    return Database(
        url=parsed,
        engine=engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
    )


async def refresh_statistics(database: Database, tables: Sequence[str]) -> None:
    """Have PostgreSQL's planner count what a bulk import just wrote, at once rather than
    whenever autovacuum comes round (if it runs at all): a planner that thinks the order lines
    are few reads all half a million of them for one contact's history. SQLite plans from its
    indexes alone; nothing to do there."""
    if database.dialect != "postgresql":
        return
    async with database.engine.connect() as connection:
        for table in tables:
            await connection.execute(text(f'ANALYZE "{table}"'))
        await connection.commit()


async def migrate(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default), taking turns with any other
    process migrating the same database; a no-op when there."""
    await migrations.upgrade(database.engine, MIGRATIONS, revision)


async def schema_is_current(database: Database) -> bool:
    """Whether the database is at the newest migration."""
    return await migrations.is_current(database.engine, MIGRATIONS, VERSION_TABLE)
