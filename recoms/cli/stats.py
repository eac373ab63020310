"""``recoms stats``: counts of what the engine holds."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TextIO

from recoms.cli.common import json_argument, opened_service, print_json
from recoms.config import RecomsSettings


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    stats = commands.add_parser("stats", help="print counts of what the engine holds")
    json_argument(stats)
    stats.set_defaults(handler=run_stats)


async def run_stats(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        stats = await service.stats()
    if args.json:
        from recoms.api.schemas import StatsOut, dump

        print_json(dump(StatsOut.from_domain(stats)), out)
    else:
        for name, value in dataclasses.asdict(stats).items():
            shown = "never" if value is None else value
            print(f"{name.replace('_', ' ')}: {shown}", file=out)
    return 0
