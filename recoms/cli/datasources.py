"""``recoms data-sources list|create|update``: the named lists a shop asks for."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from recoms.cli.common import (
    changed_params,
    json_argument,
    opened_service,
    params_arguments,
    positive_int,
    print_json,
    print_source,
)
from recoms.config import RecomsSettings
from recoms.domain import Algorithm, DataSourceId, DataSourceParams


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    sources = commands.add_parser(
        "data-sources",
        help="list, create or change data sources",
        description="Data sources are named lists: an algorithm and its params.",
    )
    actions = sources.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the data sources")
    json_argument(listing)
    create = actions.add_parser("create", help="create a data source")
    create.add_argument("name")
    create.add_argument("algorithm", choices=[str(item) for item in Algorithm])
    params_arguments(create)
    json_argument(create)
    update = actions.add_parser("update", help="change a data source's name or params")
    update.add_argument("data_source", metavar="DATA_SOURCE_ID", type=positive_int)
    update.add_argument("--name")
    params_arguments(update)
    json_argument(update)
    sources.set_defaults(handler=run_data_sources)


async def run_data_sources(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        if args.action == "list":
            sources = await service.list_data_sources()
        elif args.action == "create":
            params = changed_params(DataSourceParams(), args)
            sources = [
                await service.create_data_source(args.name, Algorithm(args.algorithm), params)
            ]
        else:
            current = await service.get_data_source(DataSourceId(args.data_source))
            params = changed_params(current.params, args)
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
        print_json(shown if args.action == "list" else shown[0], out)
    else:
        for source in sources:
            print_source(source, out)
    return 0
