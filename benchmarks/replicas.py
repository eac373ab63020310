"""Replicas under trouble: updates lost or doubled, time to drain, and what acknowledging an
update only once it is handled costs.

    RECOMS_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
    BOT_TEST_REDIS_URL=redis://127.0.0.1:6379/15 python -m benchmarks.replicas

Real ``recoms-bot run`` processes in webhook mode on a new PostgreSQL database and the Redis
database given (emptied first), the local Bot API server as Telegram, and a balancer that
resends what got no 200 (``tests/bot/replicas.py``). The cost of the acknowledgement is the
time to a 200 for a new update against the time to a 200 for an update already handled (the
same path without the handling), measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.bot.replicas import Delivery, Replica, Shop, balancer_session, deliver
from tests.conftest import postgres_database

UPDATE_TIMEOUT = "2s"


def ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(label: str, delivery: Delivery) -> str:
    return (
        f"{label}: p50 {ms(delivery.seconds, 0.5):.1f} ms, p99 {ms(delivery.seconds, 0.99):.1f} "
        f"ms ({len(delivery.seconds)} updates)"
    )


async def empty_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def started(shop: Shop, session: aiohttp.ClientSession, count: int) -> list[Replica]:
    replicas = await shop.start(count)
    for replica in replicas:
        await replica.ready(session)
    return replicas


async def one_at_a_time(
    session: aiohttp.ClientSession, replica: Replica, updates: list[dict[str, object]]
) -> Delivery:
    total = Delivery()
    for update in updates:
        one = await deliver(session, [replica], [update])
        total.seconds += one.seconds
        total.refusals += one.refusals
        total.undelivered += one.undelivered
    return total


async def scenario_acknowledgement(redis: str, workdir: Path) -> None:
    async with postgres_database() as database, balancer_session() as session:
        await empty_redis(redis)
        async with Shop(150, database, redis, workdir / "ack") as shop:
            (replica,) = await started(shop, session, 1)
            warm = shop.burst(shop.users[:10])
            await one_at_a_time(session, replica, warm)
            sequential = shop.burst(shop.users[10:60])
            new = await one_at_a_time(session, replica, sequential)
            again = await one_at_a_time(session, replica, sequential)
            print("acknowledgement, one update at a time:")
            print("  " + latency("new update, handled before the 200", new))
            print("  " + latency("update already handled (the floor)", again))
            added = ms(new.seconds, 0.5) - ms(again.seconds, 0.5)
            print(f"  added latency per update: {added:.1f} ms at p50")
            burst = shop.burst(shop.users[60:150])
            flood = await deliver(session, [replica], burst)
            print("  " + latency("90 at once (in-flight limit 40)", flood))
            print(f"  {shop.tally()}")


async def scenario_kill_after_burst(redis: str, workdir: Path) -> None:
    async with postgres_database() as database, balancer_session() as session:
        await empty_redis(redis)
        async with Shop(60, database, redis, workdir / "kill-after") as shop:
            first, second = await started(shop, session, 2)
            updates = shop.burst()
            await deliver(session, [first], updates)
            first.kill()
            await first.exited()
            await deliver(session, [second], updates)
            print(f"SIGKILL after a burst of 60, resent to the other replica: {shop.tally()}")


async def scenario_kill_mid_burst(redis: str, workdir: Path) -> None:
    async with postgres_database() as database, balancer_session() as session:
        await empty_redis(redis)
        shop = Shop(60, database, redis, workdir / "kill-mid", update_timeout=UPDATE_TIMEOUT)
        async with shop:
            first, second = await started(shop, session, 2)
            started_at = time.monotonic()
            delivered = await deliver(
                session, [first, second], shop.burst(), then=first.kill, after=10
            )
            took = time.monotonic() - started_at
            print(
                f"SIGKILL during a burst of 60 (after 10 answers): {shop.tally()}; all "
                f"answered within {took:.1f} s, {delivered.refusals} resends"
            )


async def scenario_stop_mid_burst(redis: str, workdir: Path) -> None:
    async with postgres_database() as database, balancer_session() as session:
        await empty_redis(redis)
        async with Shop(90, database, redis, workdir / "stop-mid") as shop:
            first, second = await started(shop, session, 2)
            stopped = asyncio.Event()

            def stop() -> None:
                first.terminate()
                stopped.set()

            burst = asyncio.create_task(
                deliver(session, [first, second], shop.burst(), then=stop, after=20)
            )
            await stopped.wait()
            stopping = time.monotonic()
            code = await first.exited()
            drain = time.monotonic() - stopping
            delivered = await burst
            print(
                f"SIGTERM during a burst of 90 (after 20 answers): {shop.tally()}; exit code "
                f"{code}, {drain:.1f} s from SIGTERM to exit, {delivered.refusals} resends"
            )


async def scenario_flood(redis: str, workdir: Path) -> None:
    async with postgres_database() as database, balancer_session() as session:
        await empty_redis(redis)
        async with Shop(150, database, redis, workdir / "flood") as shop:
            (replica,) = await started(shop, session, 1)
            delivered = await deliver(session, [replica], shop.burst())
            print(
                f"150 at once to one replica: {shop.tally()}; {delivered.refusals} refusals; "
                + latency("time to 200", delivered)
            )


async def main() -> int:
    redis = os.environ.get("BOT_TEST_REDIS_URL")
    if not os.environ.get("RECOMS_TEST_DATABASE_URL") or not redis:
        print("set RECOMS_TEST_DATABASE_URL and BOT_TEST_REDIS_URL", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for name in ("ack", "kill-after", "kill-mid", "stop-mid", "flood"):
            (workdir / name).mkdir()
        await scenario_acknowledgement(redis, workdir)
        await scenario_kill_after_burst(redis, workdir)
        await scenario_kill_mid_burst(redis, workdir)
        await scenario_stop_mid_burst(redis, workdir)
        await scenario_flood(redis, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
