"""``recoms rebuild``: the model recomputed from every stored order, its settings tuned on the
shop's latest orders."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from recoms.cli.common import opened_service
from recoms.config import RecomsSettings


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild the model from the stored orders",
        description="Recompute popularity, co-purchase neighbours and the factor model from "
        "every stored order and store the model; serving processes pick it up within "
        "RECOMS_MODEL_REFRESH_SECONDS. First the settings are tuned: the last 30 days of "
        "orders (a quarter of the history when it is shorter than 120 days) are held out, "
        "candidate settings of each list are scored on them as `recoms evaluate` scores, and "
        "the best are fitted on every order. With too little history the defaults are kept.",
    )
    rebuild.add_argument(
        "--no-tune",
        dest="tune",
        action="store_false",
        default=None,
        help="keep the built-in settings (as RECOMS_TUNE=false)",
    )
    rebuild.set_defaults(handler=run_rebuild)


async def run_rebuild(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        rebuilt = await service.rebuild(tune=args.tune)
    print(
        f"model {rebuilt.version} built from {rebuilt.orders} orders ({rebuilt.lines} lines) "
        f"over {rebuilt.products} products in {rebuilt.seconds:.1f} s",
        file=out,
    )
    for line in rebuilt.tuning.lines():
        print(line, file=out)
    return 0
