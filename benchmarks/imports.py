"""Tracker events while an order import runs: how long each takes to be stored, and whether any
is lost. Run with ``python -m benchmarks.imports [ORDERS.csv.gz] [--database-url URL]``.

The import runs as ``recoms import-orders`` in a process of its own, as a shop runs it; this
process records one event every 50 ms on the same database meanwhile. The baseline is the same
events on the same database with no import running, measured first in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.__main__ import SHARED_ORDERS, _percentiles
from recoms.config import RecomsSettings
from recoms.service import RecomsService, open_service

PAUSE = 0.05


def _event(n: int) -> dict[str, Any]:
    return {
        "GeneralInfo": {"eventName": "ProductPage", "externalCustomerId": f"bench-{n}"},
        "ProductPage": {"Product": {"productKey": "85123A"}},
    }


async def _track(service: RecomsService, start: int, *, until: Any) -> tuple[list[float], int]:
    """Record events until ``until()`` is true; their latencies (ms) and the failures."""
    latencies: list[float] = []
    failures = 0
    n = start
    while not until():
        begun = time.perf_counter()
        try:
            await service.track(_event(n))
        except Exception as error:  # a benchmark counts every failure, whatever it is
            failures += 1
            print(f"  event {n} failed: {type(error).__name__}: {error}", file=sys.stderr)
        latencies.append((time.perf_counter() - begun) * 1000)
        n += 1
        await asyncio.sleep(PAUSE)
    return latencies, failures


async def main(orders: Path, database_url: str) -> None:
    settings = RecomsSettings.model_validate({"database_url": database_url})
    service = await open_service(settings)
    try:
        stop_at = time.monotonic() + 5
        baseline, base_failures = await _track(
            service, 0, until=lambda: time.monotonic() > stop_at
        )
        environment = {**os.environ, "RECOMS_DATABASE_URL": database_url}
        begun = time.perf_counter()
        importer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "recoms",
            "import-orders",
            str(orders),
            env=environment,
            stdout=asyncio.subprocess.PIPE,
        )
        during, failures = await _track(
            service, 100_000, until=lambda: importer.returncode is not None
        )
        seconds = time.perf_counter() - begun
        output, _ = await importer.communicate()
        out = output.decode()
        stats = await service.stats()
    finally:
        await service.close()
    print(f"import-orders {orders.name}: {seconds:.1f} s, exit {importer.returncode}")
    print(f"  {out.strip().splitlines()[0] if out.strip() else '(no output)'}")
    print(f"events, no import:     {_percentiles(baseline)}   max {max(baseline):7.1f} ms")
    print(f"  {len(baseline)} sent, {base_failures} failed")
    print(f"events, during import: {_percentiles(during)}   max {max(during):7.1f} ms")
    print(f"  {len(during)} sent, {failures} failed")
    print(f"contacts stored (import + events): {stats.contacts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders", nargs="?", type=Path, default=SHARED_ORDERS)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    asyncio.run(main(args.orders, url))
