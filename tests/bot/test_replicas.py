"""Replicas that lose nothing: ``recoms-bot run`` processes in webhook mode on one PostgreSQL
database and one Redis, started together, killed, stopped and flooded, while Telegram (the
local stand-in and a balancer that resends what got no 200) keeps delivering.

Figures for the same scenarios (time to drain, added latency) come from
``python -m benchmarks.replicas``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.bot.conftest import REDIS_URL
from tests.bot.replicas import Shop, balancer_session, deliver
from tests.conftest import POSTGRES_URL, postgres_database

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None or REDIS_URL is None,
    reason="set RECOMS_TEST_DATABASE_URL and BOT_TEST_REDIS_URL to run replicas",
)

# Short enough for a test to wait out a killed replica's claims (twice the timeout).
UPDATE_TIMEOUT = "2s"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with balancer_session() as client:
        yield client


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def empty_redis() -> str:
    assert REDIS_URL is not None
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    return REDIS_URL


async def test_two_replicas_started_together_on_an_empty_database_share_the_work(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with Shop(60, database_url, empty_redis, tmp_path) as shop:
        replicas = await shop.start(2)
        for replica in replicas:
            await replica.ready(session)

        updates = shop.burst()
        delivered = await deliver(session, replicas, updates)
        # Telegram sends the same updates again (a lost 200): nobody is answered twice.
        again = await deliver(session, replicas, updates)

        assert delivered.undelivered == again.undelivered == 0
        tally = shop.tally()
        assert (tally.answered, tally.duplicates, tally.apologies) == (60, 0, 0), tally


def worker_pids(pid: int) -> list[str]:
    """The processes ``pid`` started (its workers)."""
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def alive(pid: str) -> bool:
    return Path(f"/proc/{pid}").exists()


async def test_workers_of_one_replica_share_its_port_and_the_work(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with Shop(40, database_url, empty_redis, tmp_path) as shop:
        (replica,) = await shop.start(1, "--workers", "2")
        await replica.ready(session)
        pid = replica.process.pid
        children = worker_pids(pid)
        assert len(children) == 2

        delivered = await deliver(session, [replica], shop.burst())

        assert delivered.undelivered == 0
        tally = shop.tally()
        assert (tally.answered, tally.duplicates, tally.apologies) == (40, 0, 0), tally
        replica.terminate()
        assert await replica.exited() == 0
        assert not any(map(alive, children))


async def test_a_burst_resent_to_the_other_replica_after_a_kill_is_answered_once(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with Shop(60, database_url, empty_redis, tmp_path) as shop:
        first, second = await shop.start(2)
        await first.ready(session)
        await second.ready(session)

        updates = shop.burst()
        assert (await deliver(session, [first], updates)).undelivered == 0
        first.kill()
        await first.exited()
        resent = await deliver(session, [second], updates)

        assert resent.undelivered == 0
        tally = shop.tally()
        assert (tally.answered, tally.duplicates, tally.apologies) == (60, 0, 0), tally


async def test_a_replica_killed_mid_burst_loses_no_update(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """What the killed replica had in hand got no 200: Telegram resends it, and the other
    replica takes it once the dead one's claim has run out."""
    async with Shop(
        60, database_url, empty_redis, tmp_path, update_timeout=UPDATE_TIMEOUT
    ) as shop:
        first, second = await shop.start(2)
        await first.ready(session)
        await second.ready(session)

        delivered = await deliver(
            session, [first, second], shop.burst(), then=first.kill, after=10
        )

        assert delivered.undelivered == 0
        tally = shop.tally()
        assert (tally.answered, tally.apologies) == (60, 0), tally


async def test_a_replica_stopped_mid_burst_finishes_what_it_took_and_exits_cleanly(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with Shop(90, database_url, empty_redis, tmp_path) as shop:
        first, second = await shop.start(2)
        await first.ready(session)
        await second.ready(session)

        delivered = await deliver(
            session, [first, second], shop.burst(), then=first.terminate, after=20
        )

        assert await first.exited() == 0
        assert "every update in flight finished" in first.log.read_text()
        assert delivered.undelivered == 0
        tally = shop.tally()
        assert (tally.answered, tally.duplicates, tally.apologies) == (90, 0, 0), tally


async def test_150_concurrent_updates_to_one_replica_all_wait_their_turn(
    database_url: str, empty_redis: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with Shop(150, database_url, empty_redis, tmp_path) as shop:
        (replica,) = await shop.start(1)
        await replica.ready(session)

        delivered = await deliver(session, [replica], shop.burst())

        assert (delivered.undelivered, delivered.refusals) == (0, 0)
        tally = shop.tally()
        assert (tally.answered, tally.duplicates, tally.apologies) == (150, 0, 0), tally
