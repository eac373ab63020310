"""``recoms-bot local``: only the local Bot API server with its web chat."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from bot.localapi.cli import build_parser as add_local_options
from bot.localapi.cli import serve

if TYPE_CHECKING:
    from bot.cli import Settings


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "local",
        help="run only the local Bot API server with its web chat",
        description="Run a local Telegram Bot API server with a web chat, nothing else.",
    )
    add_local_options(parser)
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace, settings: Settings) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0
