"""``recoms-bot audit``: print the staff audit log, newest first."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from bot.config import BotSettings
from bot.resources import bot_database_url, open_bot_store
from recoms.config import RecomsSettings

if TYPE_CHECKING:
    from bot.cli import Settings


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "audit",
        help="print the staff audit log, newest first",
        description="Print staff lookups and sends (who, what, when), newest first.",
    )
    parser.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(print_audit(settings.bot, settings.recoms, args.limit))


async def print_audit(settings: BotSettings, recoms: RecomsSettings, limit: int) -> int:
    async with open_bot_store(bot_database_url(settings, recoms)) as store:
        entries = await store.audit_log(limit=limit)
    if not entries:
        print("The audit log is empty.")
    for entry in entries:
        when = entry.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"{when}  staff {entry.actor_id}  {entry.action}  {entry.target}  {entry.detail}")
    return 0
