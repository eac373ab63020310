"""Shared fixtures: a fresh database per test, on SQLite and, when configured, PostgreSQL.

``RECOMS_TEST_DATABASE_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
adds a PostgreSQL run of every test that asks for ``database_url``: each such test gets a
database of its own, created from the server named by that URL and dropped afterwards, so
parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url

POSTGRES_URL = os.environ.get("RECOMS_TEST_DATABASE_URL")
DATABASE_KINDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A new, empty database on the server ``RECOMS_TEST_DATABASE_URL`` names, dropped after."""
    import asyncpg

    assert POSTGRES_URL is not None
    server = make_url(POSTGRES_URL)
    name = f"recoms_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=DATABASE_KINDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables yet) of each configured kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}"
        return
    async with postgres_database() as url:
        yield url
