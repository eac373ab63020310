"""Fixtures of the service tests: a migrated service on each configured database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recoms.config import RecomsSettings
from recoms.service import RecomsService, open_service

NOW = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def settings_for(url: str, **overrides: Any) -> RecomsSettings:
    """Settings of a test service: nothing read from the environment or a ``.env`` file."""
    values: dict[str, Any] = {
        "database_url": url,
        "default_region": "UA",
        "model_refresh_seconds": 0.0,
    }
    values.update(overrides)
    return RecomsSettings.model_validate(values)


@pytest.fixture
def now() -> datetime:
    """The fixed time every service of a test reads from its clock."""
    return NOW


@pytest.fixture
def clock(now: datetime) -> Callable[[], datetime]:
    return lambda: now


@pytest.fixture
async def service(
    database_url: str, clock: Callable[[], datetime]
) -> AsyncIterator[RecomsService]:
    opened = await open_service(settings_for(database_url), clock=clock)
    yield opened
    await opened.close()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str], Path]:
    """Write an order CSV (text, header first) and return its path."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / f"orders-{next(counter)}.csv"
        path.write_text(text.lstrip(), encoding="utf-8")
        return path

    return write


OpenService = Callable[..., Awaitable[RecomsService]]


@pytest.fixture
async def open_another(
    database_url: str, clock: Callable[[], datetime]
) -> AsyncIterator[OpenService]:
    """Open more services on the test's database (as other processes would), with settings
    overridden by keyword; all are closed after the test."""
    opened: list[RecomsService] = []

    async def open_one(**overrides: object) -> RecomsService:
        service = await open_service(settings_for(database_url, **overrides), clock=clock)
        opened.append(service)
        return service

    yield open_one
    for service in opened:
        await service.close()
