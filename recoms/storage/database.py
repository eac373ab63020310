"""The engine's database: an async engine, its session factory, and schema migrations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, event, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from recoms.drivers import require_database_driver

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Long enough for a writer in another process (an import, a rebuild) to finish its transaction.
SQLITE_BUSY_TIMEOUT_MS = 30_000


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


def create_database(url: str | URL) -> Database:
    """Open (lazily: nothing connects yet) the database at an async SQLAlchemy URL.

    A SQLite file's folder is created when missing; SQLite connections run in WAL mode with
    foreign keys on and a busy timeout, so a CLI import and a serving process can share the file.
    Database errors leave statement parameters out of their text: they would carry customers'
    phones and emails into logs.
    """
    parsed = make_url(url)
    require_database_driver(parsed)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            # Each connection to ":memory:" would be a new empty database: share one.
            options["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, hide_parameters=True, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(wal=not in_memory))
    else:
        engine = create_async_engine(parsed, hide_parameters=True, pool_pre_ping=True)
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


def _sqlite_pragmas(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                # WAL keeps committed data safe at NORMAL; FULL would fsync every commit.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    return on_connect


def alembic_config() -> Config:
    """Alembic's configuration for the engine's migrations (no ini file needed)."""
    # Alembic is imported when migrating, not by every command that merely opens a database.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(database: Database) -> None:
    """Bring the schema to the newest migration (``alembic upgrade head``); no-op when current."""
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def schema_is_current(database: Database) -> bool:
    """Whether the database is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        revision = await connection.run_sync(current)
    return revision == head
