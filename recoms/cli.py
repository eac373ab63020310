"""The ``recoms`` command line: argument parsing, progress bars and printed summaries."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

from tqdm import tqdm

from recoms.config import RecomsSettings
from recoms.domain import (
    MAX_LIMIT,
    Algorithm,
    ContactId,
    DataSource,
    DataSourceId,
    DataSourceParams,
    Identity,
    Product,
    ProductId,
)
from recoms.errors import InvalidRequest
from recoms.httpkit import keyless_bind_refusal, keyless_notice
from recoms.presenters import product_to_api_dict
from recoms.service import ImportReport, Progress, RecomsService, open_service
from recoms.version import package_version

USAGE_ERROR = 2
REJECTED_SHOWN = 20


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error that points at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="recoms",
        description="The recommendation engine: imports, model rebuilds, lists and the HTTP API. "
        "Settings come from RECOMS_* environment variables and a .env file.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log what the engine does to stderr"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    feed = commands.add_parser(
        "import-feed",
        help="import a Google Merchant product feed",
        description="Import a Google Merchant XML feed (RSS 2.0 or Atom) from a file or an "
        "http(s) URL. A full feed deactivates the active products it lacks.",
    )
    feed.add_argument("source", metavar="PATH|URL")
    feed.add_argument(
        "--partial",
        action="store_true",
        help="the feed holds only some products: deactivate nothing",
    )

    orders = commands.add_parser(
        "import-orders",
        help="import an order history CSV (.csv or .csv.gz)",
        description="Import order lines from a CSV export. Known column names: order_id, "
        "product_id, quantity, price, ordered_at, external_customer_id, email, phone, "
        "product_name, currency; common spellings (Invoice, StockCode, Customer ID, ...) are "
        "recognised without --columns. Importing the same file again adds nothing.",
    )
    orders.add_argument("path", metavar="PATH", type=Path)
    orders.add_argument(
        "--columns",
        metavar="NAME=Header,...",
        help="map our column names to the file's headers, e.g. order_id=Invoice,product_id=SKU",
    )
    orders.add_argument(
        "--before",
        metavar="YYYY-MM-DD",
        type=_date,
        help="import only lines ordered before this day (UTC), e.g. a training split",
    )
    orders.add_argument(
        "--currency", metavar="CODE", help="currency of prices when the file has no currency"
    )

    events = commands.add_parser(
        "import-events",
        help="import tracker events (JSON lines)",
        description="Import web tracker events, one JSON object per line, in Yespo's REST "
        "tracker or eS.js shapes. PATH '-' reads standard input.",
    )
    events.add_argument("path", metavar="PATH")

    commands.add_parser(
        "rebuild",
        help="rebuild the model from the stored orders",
        description="Recompute popularity and co-purchase neighbours from every stored order "
        "and store the model; serving processes pick it up within RECOMS_MODEL_REFRESH_SECONDS.",
    )

    recommend = commands.add_parser(
        "recommend",
        help="print a data source's list for a contact or products",
        description="Print the list of data source DATA_SOURCE_ID (1 personal, 2 bestsellers, "
        "3 also bought, 4 you may also like, 5 alternatives, 6 curated, by default).",
    )
    recommend.add_argument("data_source", metavar="DATA_SOURCE_ID", type=_positive_int)
    _identity_arguments(recommend)
    recommend.add_argument(
        "--products",
        metavar="ID,...",
        action="append",
        default=[],
        help="reference products (comma-separated or repeated); product-based lists need them",
    )
    recommend.add_argument("--category", help="narrow bestsellers to a category (A > B)")
    _json_argument(recommend)

    sources = commands.add_parser(
        "data-sources",
        help="list, create or change data sources",
        description="Data sources are named lists: an algorithm and its params.",
    )
    actions = sources.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the data sources")
    _json_argument(listing)
    create = actions.add_parser("create", help="create a data source")
    create.add_argument("name")
    create.add_argument("algorithm", choices=[str(item) for item in Algorithm])
    _params_arguments(create)
    _json_argument(create)
    update = actions.add_parser("update", help="change a data source's name or params")
    update.add_argument("data_source", metavar="DATA_SOURCE_ID", type=_positive_int)
    update.add_argument("--name")
    _params_arguments(update)
    _json_argument(update)

    stats = commands.add_parser("stats", help="print counts of what the engine holds")
    _json_argument(stats)

    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API",
        description="Serve the Yespo-compatible HTTP API (OpenAPI at /openapi.json).",
    )
    _listen_arguments(serve)

    demo = commands.add_parser(
        "demo",
        help="load the demo store into an empty database and serve the API",
        description="Migrate the database, load the demo store (42 products and generated "
        "orders) when the database has no products, rebuild the model and serve the API, "
        "printing URLs that return recommendations.",
    )
    _listen_arguments(demo)

    # --- evaluate (offline quality on an order export; needs no database) ----------------
    evaluate = commands.add_parser(
        "evaluate",
        help="measure list quality on an order export",
        description="Split the orders at a date, learn from the lines before it and score "
        "each list on the following days (HR, precision, recall, NDCG at 10) beside "
        "popularity, own-most-bought and implicit's ALS and BM25 baselines.",
    )
    evaluate.add_argument("path", metavar="ORDERS.csv", type=Path)
    evaluate.add_argument("--split-date", metavar="YYYY-MM-DD", type=_date, required=True)
    evaluate.add_argument("--columns", metavar="NAME=Header,...", help="as for import-orders")
    evaluate.add_argument(
        "--test-days", type=_positive_int, default=30, help="days scored after the split"
    )
    evaluate.add_argument(
        "--no-baselines", action="store_true", help="score only the engine's own lists"
    )
    evaluate.add_argument(
        "--url",
        help="score a running API at this base URL instead of the engine in this process; it "
        "must hold only the orders before the split (import-orders --before D, rebuild)",
    )
    evaluate.add_argument(
        "--sources",
        metavar="LIST=ID,...",
        default="personal=1,also_bought=3",
        help="with --url: the data source behind each scored list (default: %(default)s; "
        "a source with exclude_purchased scores as 'personal exclude_purchased=ID')",
    )
    return parser


def _identity_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("contact (any one; unknown contacts get bestsellers)")
    group.add_argument("--contact-id", type=_positive_int, metavar="ID")
    group.add_argument("--email")
    group.add_argument("--phone")
    group.add_argument("--external-id", metavar="ID")
    group.add_argument("--web-id", metavar="ID")
    group.add_argument("--telegram-user-id", type=_positive_int, metavar="ID")


def _params_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("params (unset ones keep their values)")
    group.add_argument("--limit", type=int, help=f"items per list, 1 to {MAX_LIMIT}")
    group.add_argument(
        "--in-stock-only", action=argparse.BooleanOptionalAction, help="only buyable products"
    )
    group.add_argument(
        "--exclude-purchased",
        action=argparse.BooleanOptionalAction,
        help="leave out what the contact bought",
    )
    group.add_argument("--window-days", type=int, help="bestseller window in days")
    group.add_argument("--price-ratio-min", type=float, help="lowest price ratio (alternatives)")
    group.add_argument("--price-ratio-max", type=float, help="highest price ratio (upsell)")
    group.add_argument(
        "--product-ids", metavar="ID,...", help="curated list of the 'other' algorithm"
    )


def _json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the API's JSON instead of text")


def _listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default RECOMS_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to listen on (default RECOMS_PORT, 8080)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return value


def _split(values: Sequence[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


# --- running -------------------------------------------------------------------------------


async def run(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    """Run the parsed command; returns the exit status. ``RecomsError`` propagates."""
    if args.command == "evaluate":
        return await _evaluate(args, settings, out)
    service = await open_service(settings)
    try:
        return await _dispatch(service, settings, args, out)
    finally:
        await service.close()


async def _dispatch(
    service: RecomsService, settings: RecomsSettings, args: argparse.Namespace, out: TextIO
) -> int:
    command: str = args.command
    if command == "import-feed":
        with _progress("items") as progress:
            report = await service.import_feed(
                args.source, full=not args.partial, progress=progress
            )
        _print_report(report, out, kind="products")
    elif command == "import-orders":
        columns = _parse_columns(args.columns)
        with _progress("lines") as progress:
            report = await service.import_orders(
                args.path,
                columns=columns,
                before=args.before,
                currency=args.currency,
                progress=progress,
            )
        _print_report(report, out, kind="orders")
    elif command == "import-events":
        with _progress("events") as progress, _open_lines(args.path) as lines:
            report = await service.import_events(lines, progress=progress)
        _print_report(report, out, kind="events")
    elif command == "rebuild":
        rebuilt = await service.rebuild()
        print(
            f"model {rebuilt.version} built from {rebuilt.orders} orders ({rebuilt.lines} lines) "
            f"over {rebuilt.products} products in {rebuilt.seconds:.1f} s",
            file=out,
        )
    elif command == "recommend":
        products = await service.recommend(
            DataSourceId(args.data_source),
            _identity(args),
            products=[ProductId(pid) for pid in _split(args.products)],
            category=args.category,
        )
        if args.json:
            _print_json([product_to_api_dict(product) for product in products], out)
        else:
            _print_products(products, out)
    elif command == "data-sources":
        return await _data_sources(service, args, out)
    elif command == "stats":
        stats = await service.stats()
        if args.json:
            from recoms.api.schemas import StatsOut, dump

            _print_json(dump(StatsOut.from_domain(stats)), out)
        else:
            for name, value in dataclasses.asdict(stats).items():
                shown = "never" if value is None else value
                print(f"{name.replace('_', ' ')}: {shown}", file=out)
    elif command == "serve":
        await serve(service, settings, host=args.host, port=args.port, out=out)
    elif command == "demo":
        await demo(service, settings, host=args.host, port=args.port, out=out)
    return 0


def _identity(args: argparse.Namespace) -> Identity:
    return Identity(
        contact_id=None if args.contact_id is None else ContactId(args.contact_id),
        external_id=args.external_id,
        email=args.email,
        phone=args.phone,
        web_id=args.web_id,
        telegram_user_id=args.telegram_user_id,
    )


def _parse_columns(option: str | None) -> dict[str, str] | None:
    if option is None:
        return None
    from recoms.importing.orders import parse_columns

    return parse_columns(option)


async def _data_sources(service: RecomsService, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "list":
        sources = await service.list_data_sources()
    elif args.action == "create":
        params = _params(DataSourceParams(), args)
        sources = [await service.create_data_source(args.name, Algorithm(args.algorithm), params)]
    else:
        current = await service.get_data_source(DataSourceId(args.data_source))
        params = _params(current.params, args)
        sources = [
            await service.update_data_source(
                current.id,
                name=args.name,
                params=None if params == current.params else params,
            )
        ]
    if args.json:
        from recoms.api.schemas import DataSourceOut, dump

        shown = [dump(DataSourceOut.from_domain(source)) for source in sources]
        _print_json(shown if args.action == "list" else shown[0], out)
    else:
        for source in sources:
            _print_source(source, out)
    return 0


def _params(base: DataSourceParams, args: argparse.Namespace) -> DataSourceParams:
    changes: dict[str, Any] = {}
    for name in (
        "limit",
        "in_stock_only",
        "exclude_purchased",
        "window_days",
        "price_ratio_min",
        "price_ratio_max",
    ):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.product_ids is not None:
        changes["product_ids"] = tuple(ProductId(pid) for pid in _split(args.product_ids))
    return dataclasses.replace(base, **changes)


async def _evaluate(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    from recoms.evaluation import evaluate, format_report
    from recoms.evaluation.http import evaluate_http, parse_sources

    columns = _parse_columns(args.columns)
    if args.url:
        try:
            sources = parse_sources(args.sources)
        except ValueError as error:
            raise InvalidRequest(str(error)) from None
        key = settings.api_key.get_secret_value() if settings.api_key else None
        report = await evaluate_http(
            args.path,
            split_date=args.split_date,
            base_url=args.url,
            sources=sources,
            columns=columns,
            test_days=args.test_days,
            api_key=key,
        )
        print(format_report(report), file=out)
        return 0
    report = await asyncio.to_thread(
        evaluate,
        args.path,
        split_date=args.split_date,
        columns=columns,
        test_days=args.test_days,
        baselines=not args.no_baselines,
    )
    print(format_report(report), file=out)
    return 0


# --- serving -------------------------------------------------------------------------------


async def serve(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    host: str | None,
    port: int | None,
    out: TextIO,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the API until SIGINT or SIGTERM. ``ready`` gets the base URL once listening."""
    from aiohttp import web

    from recoms.api import create_app
    from recoms.httpserver import ApiRunner

    host = host or settings.host
    port = settings.port if port is None else port
    if settings.admin_key() is None:
        refusal = keyless_bind_refusal(host, key_setting="RECOMS_API_KEY")
        if refusal is not None:
            raise InvalidRequest(refusal)
        print(keyless_notice("RECOMS_API_KEY"), file=out)
    runner = ApiRunner(create_app(service, settings))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            raise InvalidRequest(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        base = f"http://{_url_host(host)}:{port}"
        print(f"serving the recoms API on {base}/ (OpenAPI: {base}/openapi.json)", file=out)
        if ready is not None:
            ready(base)
        out.flush()
        async with _until_stopped() as stopped:
            await stopped.wait()
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@contextlib.asynccontextmanager
async def _until_stopped() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM (where the platform lets us listen for them)."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stopped.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        yield stopped
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def demo(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    host: str | None,
    port: int | None,
    out: TextIO,
) -> None:
    """Load the demo store when the database has no products, rebuild, and serve."""
    from recoms.demo import load_demo

    if (await service.stats()).products == 0:
        print("loading the demo store (42 products, generated orders)...", file=out)
        await load_demo(service)
    else:
        print("the database has products already: serving them as they are", file=out)
        await service.rebuild()

    def show_examples(base: str) -> None:
        api = f"{base}/api/v2/contacts/recoms"
        print("try:", file=out)
        print(f"  {api}/1?externalCustomerId=olena-001   (for you: Olena)", file=out)
        print(f"  {api}/2?webId=visitor-1                (bestsellers)", file=out)
        print(
            f"  {api}/3?webId=visitor-1&products=nervous-system-blanket   (also bought)",
            file=out,
        )
        if settings.api_key is not None:
            print("  (HTTP Basic: any user name, the API key as the password)", file=out)

    await serve(service, settings, host=host, port=port, out=out, ready=show_examples)


# --- printing ------------------------------------------------------------------------------


@contextlib.contextmanager
def _progress(unit: str) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    with tqdm(unit=f" {unit}", unit_scale=True, file=sys.stderr, leave=False) as bar:

        def advance(count: int) -> None:
            bar.update(count)

        yield advance


@contextlib.contextmanager
def _open_lines(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
        return
    try:
        file = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise InvalidRequest(f"cannot read {path}: {error.strerror or error}") from None
    with file:
        yield file


def _print_report(report: ImportReport, out: TextIO, *, kind: str) -> None:
    parts = [f"read {report.read}"]
    if kind == "products":
        parts += [
            f"created {report.created}",
            f"updated {report.updated}",
            f"deactivated {report.deactivated}",
        ]
    elif kind == "orders":
        parts += [
            f"orders created {report.created} ({report.lines} lines)",
            f"contacts created {report.contacts_created}",
            f"products created {report.products_created}",
        ]
    else:
        parts += [f"stored {report.created}", f"contacts created {report.contacts_created}"]
    parts.append(f"rejected {len(report.rejected)}")
    print(", ".join(parts), file=out)
    for reason, count in sorted(report.skipped.items(), key=lambda item: -item[1]):
        print(f"  skipped {count}: {reason}", file=out)
    for rejected in report.rejected[:REJECTED_SHOWN]:
        print(f"  line {rejected.line}: {rejected.reason}", file=out)
    if len(report.rejected) > REJECTED_SHOWN:
        print(f"  ... and {len(report.rejected) - REJECTED_SHOWN} more rejected", file=out)


def _print_products(products: Sequence[Product], out: TextIO) -> None:
    if not products:
        print("(no products)", file=out)
        return
    width = max(len(product.id) for product in products)
    for rank, product in enumerate(products, start=1):
        price = product.effective_price
        shown = "" if price is None else f"{price} {product.currency or ''}".rstrip()
        stock = "" if product.in_stock else "  (out of stock)"
        print(f"{rank:>2}. {product.id:<{width}}  {product.title}  {shown}{stock}", file=out)


def _print_source(source: DataSource, out: TextIO) -> None:
    params = dataclasses.asdict(source.params)
    params["product_ids"] = ",".join(source.params.product_ids)
    shown = " ".join(f"{key}={value}" for key, value in params.items() if value != "")
    print(f"{source.id:>3}  {source.name}  [{source.algorithm}]  {shown}", file=out)


def _print_json(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
