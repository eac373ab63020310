"""A database the engine cannot reach is one engine error, ``Unavailable``, whatever the driver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event

from recoms.domain import DataSourceId, Identity
from recoms.errors import Unavailable
from recoms.service import RecomsService
from recoms.storage.database import create_database
from tests.conftest import DATABASE_KINDS
from tests.recoms.service.conftest import settings_for


def refuse(*_args: object) -> None:
    raise OSError("database host unreachable")


@pytest.fixture(params=DATABASE_KINDS)
async def unreachable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[RecomsService]:
    """A service over a database that cannot be reached: a PostgreSQL server on a loopback
    port nothing listens on, or a SQLite file whose every connection fails as a lost host's
    would (the bare OSError that no driver wraps)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}"
        database = create_database(url)
        event.listen(database.engine.sync_engine, "do_connect", refuse)
    else:
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/recoms"
        database = create_database(url)
    service = RecomsService(database, settings_for(url))
    yield service
    await service.close()


async def test_every_kind_of_request_says_the_database_is_unavailable(
    unreachable: RecomsService,
) -> None:
    with pytest.raises(Unavailable, match="cannot be reached"):
        await unreachable.recommend(DataSourceId(2))
    with pytest.raises(Unavailable):
        await unreachable.find_contact(Identity(external_id="c-1"))
    with pytest.raises(Unavailable):
        await unreachable.track(
            {"GeneralInfo": {"eventName": "ProductPage"}, "ProductPage": {"productKey": "A"}}
        )
    with pytest.raises(Unavailable):
        await unreachable.stats()
