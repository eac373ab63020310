"""`make bench`: import speed, rebuild time and memory, recommend latency in-process and over
HTTP (wrk), tracker events ingested over HTTP, the rebuild at 10M order lines, and the support
relay's added latency per message. ``--database-url`` runs it on PostgreSQL.

Every figure that depends on the machine is printed beside a baseline measured in the same run
(the bare aiohttp handler for HTTP), because the machine is shared and its speed varies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gzip
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import numpy as np

from benchmarks.databases import count_rows, is_postgres, kind, scratch_database
from benchmarks.synthetic import Shop, make_shop
from benchmarks.synthetic import load as load_shop
from benchmarks.wrk import WRK_MISSING, have_wrk, load_paths, post_events
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


def _run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command``; its wall time (s), its own peak RSS (MB) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, output)
    return seconds, usage.ru_maxrss / 1024, output


def bench_rebuild(database_url: str, label: str = "") -> None:
    """The whole ``recoms rebuild`` command (the read from the database included) in a child
    process, so its peak RSS is its own: untuned (``--no-tune``, the built-in settings) and
    tuned, the tuned time also as a ratio of the untuned one measured in the same run."""
    env = {**os.environ, "RECOMS_DATABASE_URL": database_url}
    rebuild = [sys.executable, "-m", "recoms", "rebuild"]
    untuned, untuned_mb, _ = _run_measured([*rebuild, "--no-tune"], env)
    print(
        f"rebuild{label}  {untuned:6.1f} s --no-tune (whole process)   "
        f"peak RSS {untuned_mb:,.0f} MB"
    )
    tuned, tuned_mb, _ = _run_measured(rebuild, env)
    print(
        f"rebuild{label}  {tuned:6.1f} s tuned (whole process) = {tuned / untuned:.1f}x "
        f"--no-tune   peak RSS {tuned_mb:,.0f} MB"
    )


async def bench_latency(
    asks: list[tuple[str, list[ProductId]]], database_url: str, label: str
) -> None:
    """``recommend`` in this process, one ask at a time, for each customer of ``asks``."""
    service = await open_service(RecomsSettings(database_url=database_url))
    try:
        # A serving process computes its contacts' personal lists ahead once its model is in
        # place; the asks below are then answered as a warmed replica answers them.
        started = time.perf_counter()
        warmed = await service.warm()
        print(
            f"lists computed ahead  {warmed:,} contacts in "
            f"{time.perf_counter() - started:.1f} s   ({label})"
        )
        # A personal list starts from the customer alone, as a shop's page asks for it;
        # also-bought from the products of their last order.
        for source, name, with_products in (
            (PERSONAL, "personal", False),
            (ALSO_BOUGHT, "also_bought", True),
        ):
            for customer, products in asks[:20]:  # warm the model and the connection pool
                await service.recommend(
                    source,
                    Identity(external_id=customer),
                    products=products if with_products else [],
                )
            samples = []
            for customer, products in asks:
                started = time.perf_counter()
                await service.recommend(
                    source,
                    Identity(external_id=customer),
                    products=products if with_products else [],
                )
                samples.append((time.perf_counter() - started) * 1000)
            print(
                f"recommend {name:<12} in-process  {len(samples)} asks  "
                f"{_percentiles(samples)}   ({label})"
            )
    finally:
        await service.close()


async def _wait_for(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# What a serving process logs once the personal lists of its latest buyers are in memory.
WARMED = "computed ahead of their asks"


async def _wait_for_warm_up(base: str, log: Path, workers: int, *, seconds: float = 900) -> None:
    """Wait until each of the ``workers`` processes has computed its lists ahead, so that the
    load measures serving, not the warm-up competing with it. A worker starts its warm-up at
    its first ask: new connections (spread over the workers by the kernel) ask ``/readyz``
    until as many processes have said so. Past ``seconds`` the bench goes on and says so."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        while (await asyncio.to_thread(log.read_text, errors="replace")).count(WARMED) < workers:
            if time.monotonic() > deadline:
                print(f"# lists computed ahead not ready in {seconds:.0f} s: measuring anyway")
                return
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/readyz") as response:
                    await response.read()
            await asyncio.sleep(0.5)


def _has_workers() -> bool:
    """Whether ``recoms serve`` takes ``--workers N``."""
    usage = subprocess.run(
        [sys.executable, "-m", "recoms", "serve", "--help"], capture_output=True, text=True
    ).stdout
    return "--workers" in usage


@contextlib.contextmanager
def _serving(database_url: str, *, workers: int | None = None) -> Iterator[str]:
    """``recoms serve`` on ``database_url`` in a process of its own (``--workers`` when given),
    its base URL; it answers once it has loaded the model."""
    port = _free_port()
    command = [sys.executable, "-m", "recoms", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    env = {**os.environ, "RECOMS_DATABASE_URL": database_url}
    # The access log stays on, as a shop runs it, but goes to a file, not the terminal.
    log = Path(tempfile.mkstemp(prefix="recoms-serve-", suffix=".log")[1])
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=output)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_for(f"{base}/readyz"))
            asyncio.run(_wait_for_warm_up(base, log, workers or 1))
            yield base
        except BaseException:
            print(f"recoms serve failed; its log: {log}", file=sys.stderr)
            raise
        else:
            log.unlink()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _bare() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.bare", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_wait_for(f"{base}/"))
        yield base
    finally:
        process.terminate()
        process.wait()


def _list_paths(asks: list[tuple[str, list[ProductId]]]) -> dict[str, list[str]]:
    """The paths of each list, one per known customer (with their last order's products)."""
    api = "/api/v2/contacts/recoms"
    paths: dict[str, list[str]] = {name: [] for name, _, _ in LISTS}
    for customer, products in asks:
        for name, source, needs in LISTS:
            if needs and not products:
                continue
            path = f"{api}/{source}?externalCustomerId={quote(customer)}"
            if needs:
                path += "&products=" + quote(",".join(products[: 3 if needs == "products" else 1]))
            paths[name].append(path)
    return paths


# Each list: its data source id and what it needs besides the customer.
LISTS = (
    ("personal", 1, ""),
    ("bestsellers", 2, ""),
    ("also_bought", 3, "products"),
    ("you_may_also_like", 4, "products"),
    ("alternatives", 5, "product"),
    ("other (curated)", 6, ""),
)


def bench_http(
    asks: list[tuple[str, list[ProductId]]], database_url: str, args: Namespace
) -> None:
    """Each list of one ``recoms serve`` process, then personal with 1 and 2 workers, beside
    the bare floor (its own process), each loaded by wrk for ``--seconds``."""
    load = {"seconds": args.seconds, "connections": args.connections}
    paths = _list_paths(asks)
    print(
        f"# HTTP: wrk 1 thread, {args.connections} connections, {args.seconds:g} s each, "
        f"a random customer per request ({len(asks)} customers); ratios to the bare floor"
    )
    with _bare() as bare, _serving(database_url) as api:
        load_paths(api, paths["personal"][:50], seconds=1, connections=8)  # warm-up
        floor = load_paths(bare, paths["personal"], **load)
        print(floor.line("bare aiohttp floor"))
        for name, _, _ in LISTS:
            print(load_paths(api, paths[name], **load).line(name, floor))
        floor_after = load_paths(bare, paths["personal"], **load)
        print(floor_after.line("bare aiohttp floor (again)"))
    if not _has_workers():
        print("personal, recoms serve --workers 1 / 2: not available (no --workers option)")
        return
    for workers in (1, 2):
        with _serving(database_url, workers=workers) as api:
            load_paths(api, paths["personal"][:50], seconds=1, connections=8)
            figures = load_paths(api, paths["personal"], **load)
            print(figures.line(f"personal, --workers {workers}", floor))


def bench_events(database_url: str, products: list[str], args: Namespace) -> None:
    """Tracker events posted by wrk to ``POST /api/v1/events`` of ``recoms serve``, one event
    per request to one process and to two (``--workers 2``), then ``--events-batch`` per
    request to one, each for ``--events-seconds``; the events stored counted after each run.
    The batched run comes last: the hundreds of thousands of rows it writes set the
    database's own work going (PostgreSQL's autovacuum and checkpoint, SQLite's), which would
    otherwise land in the run after it. The target is for one event a request, by either
    number of processes."""
    if not have_wrk():
        print("events: " + WRK_MISSING.split(":")[0] + ": events are posted with wrk only")
        return
    target = 5000 if is_postgres(database_url) else 2000
    print(
        f"# events: wrk 1 thread, {args.connections} connections, {args.events_seconds:g} s "
        f"each, ProductPage events of random products; target >= {target:,}/s on "
        f"{kind(database_url)}"
    )
    rates = []
    for workers, per_request in ((1, 1), (2, 1), (1, args.events_batch)):
        with _serving(database_url, workers=workers) as api:
            rate = _post_events(api, database_url, products, per_request, workers, target, args)
        if per_request == 1:
            rates.append(rate)
    verdict = "met" if max(rates) >= target else "NOT met"
    print(f"events: target >= {target:,}/s one event a request {verdict}")


def _post_events(
    api: str,
    database_url: str,
    products: list[str],
    per_request: int,
    workers: int,
    target: int,
    args: Namespace,
) -> float:
    """Post for ``--events-seconds`` and print the figures; the events acknowledged a second."""
    before = asyncio.run(count_rows(database_url, "events"))
    figures = post_events(
        api,
        products,
        per_request=per_request,
        seconds=args.events_seconds,
        connections=args.connections,
        prefix=f"wrk{workers}x{per_request}",
    )
    time.sleep(1)  # what was in flight when wrk stopped
    stored = asyncio.run(count_rows(database_url, "events")) - before
    acknowledged = (figures.requests - figures.errors) * per_request
    rate = acknowledged / figures.seconds
    print(
        f"events, {per_request:>3} a request, {workers} worker{'s' if workers > 1 else ' '}  "
        f"{rate:>9,.0f} events/s acknowledged   ({figures.rate:,.0f} req/s, p99 "
        f"{figures.p99_ms:.1f} ms, errors {figures.errors})   stored {stored:,} of "
        f"{acknowledged:,} acknowledged ({stored - acknowledged:+,} in flight at the stop)   "
        f"= {rate / target:.0%} of the target"
    )
    if stored < acknowledged:
        print(f"  LOST: {acknowledged - stored:,} acknowledged events are not stored")
    return rate


def bench_rebuild_synthetic(quick: bool) -> None:
    """``build_model`` alone on the shared file and on synthetic arrays in memory."""
    script = ROOT / "benchmarks" / "rebuild.py"
    subprocess.run([sys.executable, str(script), *(["--quick"] if quick else [])], check=True)


def _rebuilt(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "recoms", "rebuild", "--no-tune"],
        env={**os.environ, "RECOMS_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _shop_asks(shop: Shop, count: int) -> list[tuple[str, list[ProductId]]]:
    """Customers of a synthetic shop who ordered, with the products of their last order."""
    rng = np.random.default_rng(7)
    named = np.flatnonzero(shop.order_contact >= 0)
    last_of: dict[int, int] = {}
    for order in named.tolist():
        last_of[int(shop.order_contact[order])] = order
    customers = rng.choice(sorted(last_of), size=min(count, len(last_of)), replace=False)
    starts = np.searchsorted(shop.line_order, np.arange(shop.n_orders + 1))
    asks = []
    for customer in customers.tolist():
        order = last_of[customer]
        products = shop.line_product[starts[order] : starts[order + 1]][:5]
        asks.append((f"C{customer}", [ProductId(f"P{p:06d}") for p in products.tolist()]))
    return asks


def bench_synthetic_latency(server_url: str | None, folder: Path, args: Namespace) -> None:
    """In-process latency on the synthetic 100k customers x 1M lines shop (100k products),
    loaded into a database of the bench's kind and rebuilt (``--no-tune``) first."""
    contacts, lines = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    shop = make_shop(contacts, contacts, lines)
    label = f"synthetic {contacts:,} customers x {shop.n_lines:,} lines"

    async def run() -> None:
        async with scratch_database(server_url, folder, "shop100k") as url:
            await load_shop(url, shop)
            await asyncio.to_thread(_rebuilt, url)
            await bench_latency(_shop_asks(shop, args.requests), url, label)

    asyncio.run(run())


def _rss_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (MB)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _serving_memory(url: str, asks: list[tuple[str, list[ProductId]]]) -> str:
    """What one ``recoms serve`` process holds once it has answered each list a few times."""
    paths = _list_paths(asks[:200])
    with _serving(url) as api:
        for name, _, _ in LISTS:
            load_paths(api, paths[name], seconds=1, connections=8)
        port = int(api.rsplit(":", 1)[1])
        pid = next(
            int(line.split("pid=")[1].split(",")[0])
            for line in subprocess.run(
                ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True
            ).stdout.splitlines()
            if "pid=" in line
        )
        now, peak = _rss_mb(pid)
    return f"{now:,.0f} MB resident ({peak:,.0f} MB peak) per serving process"


def bench_scale(server_url: str | None, folder: Path, args: Namespace) -> None:
    """The next scale: 10M order lines, 1M contacts, 200k products bulk-loaded, then rebuilt
    from the database (the read included) untuned and tuned; then one serving process's
    memory. ``--quick``: a tenth of each."""
    tenth = 10 if args.quick else 1
    shop = make_shop(200_000 // tenth, 1_000_000 // tenth, 10_000_000 // tenth)
    print(
        f"# scale: {shop.n_lines:,} order lines in {shop.n_orders:,} orders, "
        f"{shop.n_contacts:,} contacts, {shop.n_products:,} products on {kind(server_url or '')};"
        " targets: rebuild <= 120 s, peak RSS <= 4 GB"
    )

    async def load() -> str:
        started = time.perf_counter()
        await load_shop(url, shop)
        return f"bulk load {time.perf_counter() - started:.1f} s"

    async def run() -> None:
        nonlocal url
        async with scratch_database(server_url, folder, "scale") as url:
            print(f"scale: {await load()}")
            await asyncio.to_thread(bench_rebuild, url, " (scale)")
            line = await asyncio.to_thread(_serving_memory, url, _shop_asks(shop, 500))
            print(f"scale: {line}")

    url = ""
    asyncio.run(run())


def bench_support(quick: bool) -> None:
    """The support relay (``benchmarks/support.py``) in a process of its own: the local Bot API
    server, the bot in long polling, people typing in the web chat."""
    messages = ["--messages", "10" if quick else "30"]
    subprocess.run([sys.executable, "-m", "benchmarks.support", *messages], check=True)


SECTIONS = ("import", "latency", "http", "events", "synthetic", "scale", "build", "support")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--orders", type=Path, default=SHARED_ORDERS)
    parser.add_argument(
        "--database-url",
        help="benchmark on this database instead of a fresh SQLite file (it must be empty; "
        "on PostgreSQL the synthetic shops go to new databases on the same server)",
    )
    parser.add_argument("--requests", type=int, default=2000, help="in-process asks")
    parser.add_argument("--seconds", type=float, default=10.0, help="each HTTP load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--events-seconds", type=float, default=30.0)
    parser.add_argument("--events-batch", type=int, default=50, help="events a request")
    parser.add_argument("--quick", action="store_true", help="smaller synthetic data")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable); import runs whenever a later one needs it",
    )
    parser.add_argument(
        "--rebuild-only", action="store_true", help="import and rebuild the orders file, no more"
    )
    args = parser.parse_args()
    if not args.orders.exists():
        sys.exit(f"orders file not found: {args.orders} (pass --orders PATH)")
    wanted = set(args.only or SECTIONS)
    if args.rebuild_only:
        wanted = {"import"}
    print(f"# {os.cpu_count()} cores; figures vary with the machine's load: compare within a run")
    print(f"# database: {kind(args.database_url or '')}")
    if not have_wrk():
        print(f"# {WRK_MISSING}")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        if wanted & {"import", "latency", "http", "events"}:
            asyncio.run(bench_import(args.orders, url))
            if "import" in wanted:
                bench_rebuild(url)
            else:
                _rebuilt(url)
        asks = _sample_requests(args.orders, args.requests)
        if "latency" in wanted:
            asyncio.run(bench_latency(asks, url, args.orders.name))
        if "http" in wanted:
            bench_http(asks[:500], url, args)
        if "events" in wanted:
            products = sorted({p for _, ps in asks for p in ps})
            bench_events(url, products, args)
        if "synthetic" in wanted:
            bench_synthetic_latency(args.database_url, Path(tmp), args)
        if "scale" in wanted:
            bench_scale(args.database_url, Path(tmp), args)
    if "build" in wanted:
        bench_rebuild_synthetic(args.quick)
    if "support" in wanted:
        bench_support(args.quick)


if __name__ == "__main__":
    main()
