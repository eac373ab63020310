"""``recoms recommend``: a data source's list printed for a contact or products."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from recoms.cli.common import (
    identity_arguments,
    identity_of,
    json_argument,
    opened_service,
    positive_int,
    print_json,
    print_products,
    split_list,
)
from recoms.config import RecomsSettings
from recoms.domain import DataSourceId, ProductId
from recoms.presenters import product_to_api_dict


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    recommend = commands.add_parser(
        "recommend",
        help="print a data source's list for a contact or products",
        description="Print the list of data source DATA_SOURCE_ID (1 personal, 2 bestsellers, "
        "3 also bought, 4 you may also like, 5 alternatives, 6 curated, by default).",
    )
    recommend.add_argument("data_source", metavar="DATA_SOURCE_ID", type=positive_int)
    identity_arguments(recommend)
    recommend.add_argument(
        "--products",
        metavar="ID,...",
        action="append",
        default=[],
        help="reference products (comma-separated or repeated); product-based lists need them",
    )
    recommend.add_argument(
        "--category",
        action="append",
        default=[],
        help="narrow bestsellers, alternatives and you may also like to a category (A > B); "
        "repeated: to any of them",
    )
    json_argument(recommend)
    recommend.set_defaults(handler=run_recommend)


async def run_recommend(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        products = await service.recommend(
            DataSourceId(args.data_source),
            identity_of(args),
            products=[ProductId(pid) for pid in split_list(args.products)],
            categories=args.category,
        )
    if args.json:
        print_json([product_to_api_dict(product) for product in products], out)
    else:
        print_products(products, out)
    return 0
