"""Opening a database at an async SQLAlchemy URL, the same way for the engine and the bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from recoms.drivers import require_database_driver

# Long enough for a writer in another process (an import, a rebuild, a migration) to finish.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a session waits for a pooled connection before giving up; sessions over the pool's
# size wait rather than fail.
POOL_TIMEOUT_S = 30.0


def open_engine(url: str | URL, *, pool_size: int | None = None) -> AsyncEngine:
    """An engine for ``url``; nothing connects yet.

    A SQLite file's folder is created when missing; SQLite connections run in WAL mode with
    foreign keys on and a busy timeout, so a CLI import and serving processes can share the
    file. An in-memory SQLite database is one connection shared by all. On PostgreSQL the pool
    holds ``pool_size`` connections (SQLAlchemy's default when None), and a session beyond
    them waits for one. Errors leave statement parameters out of their text: they would carry
    customers' phones and emails into logs.
    """
    parsed = make_url(url)
    require_database_driver(parsed)
    if parsed.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        path = sqlite_file(parsed)
        if path is None:
            # Each connection to ":memory:" would be a new empty database: share one.
            options["poolclass"] = StaticPool
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, hide_parameters=True, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(wal=path is not None))
        return engine
    sizes: dict[str, Any] = {}
    if pool_size is not None:
        sizes = {"pool_size": pool_size, "max_overflow": 0}
    return create_async_engine(
        parsed, hide_parameters=True, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S, **sizes
    )


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database (or another backend)."""
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name:
        return None
    return Path(name).expanduser()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


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
        # SQLite's own lower() folds ASCII only; searches by name must find "Олена" by
        # "олена" as PostgreSQL does.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    return on_connect
