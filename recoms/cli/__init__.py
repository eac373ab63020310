"""The ``recoms`` command line: one module per subcommand (or family of them), each holding
its options and its body; ``common`` holds what they share.

Each module's ``add_commands`` adds its subparsers, each with a ``handler`` default that runs
the command with the parsed arguments, the settings the composition root read and the stream
to print on.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from recoms.cli import datasources, evaluate, imports, rebuild, recommend, serve, stats
from recoms.cli.common import USAGE_ERROR, ArgumentParser, Handler
from recoms.config import RecomsSettings
from recoms.version import package_version

__all__ = ["USAGE_ERROR", "build_parser", "run"]


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
    for module in (imports, rebuild, recommend, datasources, stats, serve, evaluate):
        module.add_commands(commands)
    return parser


async def run(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    """Run the parsed command; returns the exit status. ``RecomsError`` propagates."""
    handler: Handler = args.handler
    return await handler(args, settings, out)
