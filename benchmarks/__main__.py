"""`make bench`: import speed, rebuild time and memory, recommend latency in-process and over
HTTP, and the support relay's added latency per message.

Every figure that depends on the machine is printed beside a baseline measured in the same run
(the bare aiohttp handler for HTTP), because the machine is shared and its speed varies.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.load import LoadResult, run_load
from recoms.config import RecomsSettings
from recoms.domain import DataSourceId, Identity, ProductId
from recoms.service import open_service

ROOT = Path(__file__).resolve().parent.parent
SHARED_ORDERS = ROOT.parent / "shared" / "data" / "online_retail_II_2009_2010.csv.gz"
PERSONAL, ALSO_BOUGHT = DataSourceId(1), DataSourceId(3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered):6.2f} ms   p99 {p99:6.2f} ms"


def _sample_requests(path: Path, count: int) -> list[tuple[str, list[ProductId]]]:
    """Customers of the orders file with the products of their last order, for realistic asks."""
    last_order: dict[str, tuple[str, list[ProductId]]] = {}
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            customer = (row.get("Customer ID") or "").strip().removesuffix(".0")
            if not customer or row["Invoice"].startswith("C"):
                continue
            invoice, products = last_order.get(customer, ("", []))
            if invoice != row["Invoice"]:
                products = []
            products.append(ProductId(row["StockCode"].strip()))
            last_order[customer] = (row["Invoice"], products)
    rng = random.Random(7)
    customers = rng.sample(sorted(last_order), min(count, len(last_order)))
    return [(c, last_order[c][1][:5]) for c in customers]


async def bench_import(orders: Path, database_url: str) -> None:
    service = await open_service(RecomsSettings(database_url=database_url))
    try:
        started = time.perf_counter()
        report = await service.import_orders(orders)
        seconds = time.perf_counter() - started
    finally:
        await service.close()
    print(
        f"import-orders   {report.read:>9,} lines   {seconds:6.1f} s   "
        f"{report.read / seconds:>9,.0f} lines/s   ({orders.name})"
    )


def bench_rebuild(database_url: str) -> None:
    """The whole `recoms rebuild` command in a child process, so its peak RSS is its own:
    untuned (`--no-tune`, the built-in settings) and tuned, the tuned time also as a ratio of
    the untuned one measured in the same run."""
    seconds = {}
    for name, flags in (("--no-tune", ["--no-tune"]), ("tuned", [])):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "recoms", "rebuild", *flags],
            check=True,
            env={**os.environ, "RECOMS_DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL,
        )
        seconds[name] = time.perf_counter() - started
    # The largest of the children so far: the tuned rebuild's (it holds the untuned's arrays
    # and the holdout's at once at most).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"rebuild         {seconds['--no-tune']:6.1f} s --no-tune (whole process)")
    print(
        f"rebuild         {seconds['tuned']:6.1f} s tuned (whole process) = "
        f"{seconds['tuned'] / seconds['--no-tune']:.1f}x --no-tune   peak RSS {peak_mb:,.0f} MB"
    )


async def bench_latency(orders: Path, database_url: str, requests: int) -> None:
    asks = _sample_requests(orders, requests)
    service = await open_service(RecomsSettings(database_url=database_url))
    try:
        for source, name in ((PERSONAL, "personal"), (ALSO_BOUGHT, "also_bought")):
            for customer, products in asks[:20]:  # warm the model and the connection pool
                await service.recommend(source, Identity(external_id=customer), products=products)
            samples = []
            for customer, products in asks:
                started = time.perf_counter()
                await service.recommend(source, Identity(external_id=customer), products=products)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"recommend {name:<12} in-process  {len(samples)} asks  {_percentiles(samples)}")
    finally:
        await service.close()


async def _wait_for(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _print_load(name: str, result: LoadResult) -> None:
    print(
        f"http {name:<22} {result.rate:>8,.0f} req/s   p50 {result.percentile(50):6.2f} ms   "
        f"p99 {result.percentile(99):6.2f} ms   errors {result.errors}"
    )


async def _load_both(
    asks: list[tuple[str, list[ProductId]]],
    api_port: int,
    bare_port: int,
    seconds: float,
    concurrency: int,
) -> None:
    await _wait_for(f"http://127.0.0.1:{api_port}/healthz")
    await _wait_for(f"http://127.0.0.1:{bare_port}/")
    base = f"http://127.0.0.1:{api_port}/api/v2/contacts/recoms"
    personal = [f"{base}/1?externalCustomerId={c}" for c, _ in asks]
    also = [f"{base}/3?externalCustomerId={c}&products={','.join(p)}" for c, p in asks]
    await run_load(personal[:50], concurrency=8, seconds=1)  # warm-up
    bare_url = [f"http://127.0.0.1:{bare_port}/"]
    floor = await run_load(bare_url, concurrency=concurrency, seconds=seconds)
    _print_load("bare aiohttp floor", floor)
    for name, urls in (("personal", personal), ("also_bought", also)):
        result = await run_load(urls, concurrency=concurrency, seconds=seconds)
        _print_load(name, result)
        print(
            f"     {name}: {result.rate / floor.rate:.0%} of the floor's throughput "
            f"at {concurrency} connections"
        )


def bench_http(orders: Path, database_url: str, seconds: float, concurrency: int) -> None:
    """The API and the bare floor each in a process of its own, loaded from this one."""
    asks = _sample_requests(orders, 500)
    api_port, bare_port = _free_port(), _free_port()
    serve = [sys.executable, "-m", "benchmarks.serve", "--database-url", database_url]
    api = subprocess.Popen([*serve, "--port", str(api_port)])
    bare = subprocess.Popen([sys.executable, "-m", "benchmarks.bare", "--port", str(bare_port)])
    try:
        asyncio.run(_load_both(asks, api_port, bare_port, seconds, concurrency))
    finally:
        for process in (api, bare):
            process.terminate()
            process.wait()


def bench_rebuild_synthetic(quick: bool) -> None:
    script = ROOT / "benchmarks" / "rebuild.py"
    if not script.exists():
        print("rebuild (synthetic): benchmarks/rebuild.py is missing")
        return
    subprocess.run([sys.executable, str(script), *(["--quick"] if quick else [])], check=True)


def bench_support(quick: bool) -> None:
    """The support relay (``benchmarks/support.py``) in a process of its own: the local Bot API
    server, the bot in long polling, people typing in the web chat."""
    messages = ["--messages", "10" if quick else "30"]
    subprocess.run([sys.executable, "-m", "benchmarks.support", *messages], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--orders", type=Path, default=SHARED_ORDERS)
    parser.add_argument(
        "--database-url",
        help="benchmark on this database instead of a fresh SQLite file (it must be empty)",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="smaller synthetic data")
    parser.add_argument(
        "--rebuild-only", action="store_true", help="import and rebuild the orders file, no more"
    )
    args = parser.parse_args()
    if not args.orders.exists():
        sys.exit(f"orders file not found: {args.orders} (pass --orders PATH)")
    print(f"# {os.cpu_count()} cores; figures vary with the machine's load: compare within a run")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(bench_import(args.orders, url))
        bench_rebuild(url)
        if args.rebuild_only:
            return
        asyncio.run(bench_latency(args.orders, url, args.requests))
        bench_http(args.orders, url, args.seconds, args.concurrency)
    bench_rebuild_synthetic(args.quick)
    bench_support(args.quick)


if __name__ == "__main__":
    main()
