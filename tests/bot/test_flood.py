"""The support flood limit: so many messages a minute, the customer told once, then quiet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.flood import Flood, FloodGate, MemoryFloodGate, RedisFloodGate
from tests.bot.conftest import REDIS_URL

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", *(["redis"] if REDIS_URL else [])])
async def gate(request: pytest.FixtureRequest) -> AsyncIterator[FloodGate]:
    if request.param == "memory":
        yield MemoryFloodGate(2)
        return
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    try:
        yield RedisFloodGate(redis, 1, 2)
    finally:
        await redis.aclose()


async def test_over_the_limit_the_customer_is_told_once_then_dropped(gate: FloodGate) -> None:
    seconds = [0, 10, 20, 30]
    got = [await gate.admit(7, START + timedelta(seconds=s)) for s in seconds]
    assert got == [Flood.ADMITTED, Flood.ADMITTED, Flood.TELL, Flood.QUIET]
    # Another customer has a limit of their own.
    assert await gate.admit(8, START + timedelta(seconds=30)) is Flood.ADMITTED


async def test_the_window_slides(gate: FloodGate) -> None:
    for second in (0, 30):
        assert await gate.admit(7, START + timedelta(seconds=second)) is Flood.ADMITTED
    assert await gate.admit(7, START + timedelta(seconds=59)) is Flood.TELL
    # The first message is a minute old: one place is free again, not two.
    assert await gate.admit(7, START + timedelta(seconds=61)) is Flood.ADMITTED
    assert await gate.admit(7, START + timedelta(seconds=62)) is not Flood.ADMITTED


async def test_memory_keeps_only_the_customers_of_the_last_minute() -> None:
    gate = MemoryFloodGate(1)
    for customer in range(3_000):  # one a second, for 50 minutes
        await gate.admit(customer, START + timedelta(seconds=customer))
    assert len(gate._sent) <= 1_061
    assert await gate.admit(2_999, START + timedelta(seconds=3_000)) is Flood.TELL
