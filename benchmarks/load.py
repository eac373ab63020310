"""A small HTTP load generator: N concurrent keep-alive connections for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def run_load(
    urls: Sequence[str],
    *,
    concurrency: int = 64,
    seconds: float = 5.0,
    auth: aiohttp.BasicAuth | None = None,
) -> LoadResult:
    """Request ``urls`` round-robin from ``concurrency`` workers until ``seconds`` have passed."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(offset: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        i = offset
        while time.perf_counter() < deadline:
            url = urls[i % len(urls)]
            i += concurrency
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, auth=auth) as session:
        await asyncio.gather(*(worker(n, session) for n in range(concurrency)))
    return LoadResult(len(latencies), errors, time.perf_counter() - started, latencies)
