"""``recoms import-feed``, ``import-orders`` and ``import-events``: data into the engine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from recoms.cli.common import (
    columns_option,
    iso_date,
    open_lines,
    opened_service,
    print_report,
    progress_bar,
)
from recoms.config import RecomsSettings


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
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
    feed.set_defaults(handler=import_feed)

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
        type=iso_date,
        help="import only lines ordered before this day (UTC), e.g. a training split",
    )
    orders.add_argument(
        "--currency", metavar="CODE", help="currency of prices when the file has no currency"
    )
    orders.add_argument(
        "--encoding",
        metavar="NAME",
        default="utf-8",
        help="the file's text encoding when it is not UTF-8, e.g. cp1251 or latin-1",
    )
    orders.set_defaults(handler=import_orders)

    events = commands.add_parser(
        "import-events",
        help="import tracker events (JSON lines)",
        description="Import web tracker events, one JSON object per line, in Yespo's REST "
        "tracker or eS.js shapes. PATH '-' reads standard input.",
    )
    events.add_argument("path", metavar="PATH")
    events.set_defaults(handler=import_events)


async def import_feed(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        with progress_bar("items") as progress:
            report = await service.import_feed(
                args.source, full=not args.partial, progress=progress
            )
    print_report(report, out, kind="products")
    return 0


async def import_orders(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        columns = columns_option(args.columns)
        with progress_bar("lines") as progress:
            report = await service.import_orders(
                args.path,
                columns=columns,
                before=args.before,
                currency=args.currency,
                encoding=args.encoding,
                progress=progress,
            )
    print_report(report, out, kind="orders")
    return 0


async def import_events(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        with progress_bar("events") as progress, open_lines(args.path) as lines:
            report = await service.import_events(lines, progress=progress)
    print_report(report, out, kind="events")
    return 0
