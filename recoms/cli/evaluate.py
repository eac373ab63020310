"""``recoms evaluate``: list quality on an order export, offline or against a running API."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any, TextIO

from recoms.cli.common import columns_option, iso_date, positive_int
from recoms.config import RecomsSettings
from recoms.errors import InvalidRequest


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    # Needs no database: it learns from the export itself.
    evaluate = commands.add_parser(
        "evaluate",
        help="measure list quality on an order export",
        description="Split the orders at a date, learn from the lines before it and score "
        "each list on the following days (HR, precision, recall, NDCG at 10) beside "
        "popularity, own-most-bought and implicit's ALS and BM25 baselines. The engine's "
        "settings are tuned on the training part first, as `recoms rebuild` tunes them, and "
        "the target lists are scored with the built-in settings beside.",
    )
    evaluate.add_argument("path", metavar="ORDERS.csv", type=Path)
    evaluate.add_argument("--split-date", metavar="YYYY-MM-DD", type=iso_date, required=True)
    evaluate.add_argument("--columns", metavar="NAME=Header,...", help="as for import-orders")
    evaluate.add_argument(
        "--test-days", type=positive_int, default=30, help="days scored after the split"
    )
    evaluate.add_argument(
        "--no-baselines", action="store_true", help="score only the engine's own lists"
    )
    evaluate.add_argument(
        "--no-tune",
        dest="tune",
        action="store_false",
        help="score the built-in settings only (by default they are tuned on the training "
        "part's last month, as a rebuild at the split would, and scored beside the tuned)",
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
    evaluate.set_defaults(handler=run_evaluate)


async def run_evaluate(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    from recoms.evaluation import evaluate, format_report
    from recoms.evaluation.http import evaluate_http, parse_sources

    columns = columns_option(args.columns)
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
        tune=args.tune,
    )
    print(format_report(report), file=out)
    return 0
