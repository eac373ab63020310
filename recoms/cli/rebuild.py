"""``recoms rebuild``: the model recomputed from every stored order."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from recoms.cli.common import opened_service
from recoms.config import RecomsSettings


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild the model from the stored orders",
        description="Recompute popularity and co-purchase neighbours from every stored order "
        "and store the model; serving processes pick it up within RECOMS_MODEL_REFRESH_SECONDS.",
    )
    rebuild.set_defaults(handler=run_rebuild)


async def run_rebuild(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        rebuilt = await service.rebuild()
    print(
        f"model {rebuilt.version} built from {rebuilt.orders} orders ({rebuilt.lines} lines) "
        f"over {rebuilt.products} products in {rebuilt.seconds:.1f} s",
        file=out,
    )
    return 0
