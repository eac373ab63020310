"""What the ``recoms`` subcommands share: argument types and groups, the service they open,
progress bars and printing."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

from tqdm import tqdm

from recoms.config import RecomsSettings
from recoms.domain import (
    MAX_LIMIT,
    ContactId,
    DataSource,
    DataSourceParams,
    Identity,
    Product,
    ProductId,
)
from recoms.errors import InvalidRequest
from recoms.runtime.logs import log_format_argument
from recoms.service import ImportReport, Progress, RecomsService, open_service

USAGE_ERROR = 2
REJECTED_SHOWN = 20

Handler = Callable[[argparse.Namespace, RecomsSettings, TextIO], Awaitable[int]]
"""What a subcommand runs: the parsed arguments, the settings, where to print; the exit status."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error that points at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@contextlib.asynccontextmanager
async def opened_service(settings: RecomsSettings) -> AsyncIterator[RecomsService]:
    """The engine on the configured database, migrated, closed after the block."""
    service = await open_service(settings)
    try:
        yield service
    finally:
        await service.close()


# --- arguments -----------------------------------------------------------------------------


def identity_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("contact (any one; unknown contacts get bestsellers)")
    group.add_argument("--contact-id", type=positive_int, metavar="ID")
    group.add_argument("--email")
    group.add_argument("--phone")
    group.add_argument("--external-id", metavar="ID")
    group.add_argument("--web-id", metavar="ID")
    group.add_argument("--telegram-user-id", type=positive_int, metavar="ID")


def params_arguments(parser: argparse.ArgumentParser) -> None:
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
    group.add_argument(
        "--purchased-only",
        action=argparse.BooleanOptionalAction,
        help="personal: only what the contact bought (buy again), no bestsellers to fill",
    )
    group.add_argument("--window-days", type=int, help="bestseller window in days")
    group.add_argument("--price-ratio-min", type=float, help="lowest price ratio (alternatives)")
    group.add_argument("--price-ratio-max", type=float, help="highest price ratio (upsell)")
    group.add_argument(
        "--product-ids", metavar="ID,...", help="curated list of the 'other' algorithm"
    )


def json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the API's JSON instead of text")


def listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default RECOMS_HOST, 127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, help="port to listen on (default RECOMS_PORT, 8080)"
    )
    log_format_argument(parser, "RECOMS_LOG_FORMAT")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def port_number(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return value


def split_list(values: Sequence[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def identity_of(args: argparse.Namespace) -> Identity:
    return Identity(
        contact_id=None if args.contact_id is None else ContactId(args.contact_id),
        external_id=args.external_id,
        email=args.email,
        phone=args.phone,
        web_id=args.web_id,
        telegram_user_id=args.telegram_user_id,
    )


def columns_option(option: str | None) -> dict[str, str] | None:
    """``--columns NAME=Header,...`` read (None when not given)."""
    if option is None:
        return None
    from recoms.importing.orders import parse_columns

    return parse_columns(option)


def changed_params(base: DataSourceParams, args: argparse.Namespace) -> DataSourceParams:
    changes: dict[str, Any] = {}
    for name in (
        "limit",
        "in_stock_only",
        "exclude_purchased",
        "purchased_only",
        "window_days",
        "price_ratio_min",
        "price_ratio_max",
    ):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.product_ids is not None:
        changes["product_ids"] = tuple(ProductId(pid) for pid in split_list(args.product_ids))
    return dataclasses.replace(base, **changes)


# --- printing ------------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(unit: str) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    with tqdm(unit=f" {unit}", unit_scale=True, file=sys.stderr, leave=False) as bar:

        def advance(count: int) -> None:
            bar.update(count)

        yield advance


@contextlib.contextmanager
def open_lines(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
        return
    try:
        file = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise InvalidRequest(f"cannot read {path}: {error.strerror or error}") from None
    with file:
        yield file


def print_report(report: ImportReport, out: TextIO, *, kind: str) -> None:
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


def print_products(products: Sequence[Product], out: TextIO) -> None:
    if not products:
        print("(no products)", file=out)
        return
    width = max(len(product.id) for product in products)
    for rank, product in enumerate(products, start=1):
        price = product.effective_price
        shown = "" if price is None else f"{price} {product.currency or ''}".rstrip()
        stock = "" if product.in_stock else "  (out of stock)"
        print(f"{rank:>2}. {product.id:<{width}}  {product.title}  {shown}{stock}", file=out)


def print_source(source: DataSource, out: TextIO) -> None:
    params = dataclasses.asdict(source.params)
    params["product_ids"] = ",".join(source.params.product_ids)
    shown = " ".join(f"{key}={value}" for key, value in params.items() if value != "")
    print(f"{source.id:>3}  {source.name}  [{source.algorithm}]  {shown}", file=out)


def print_json(data: Any, out: TextIO) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
