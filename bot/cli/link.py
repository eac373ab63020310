"""``recoms-bot link EXTERNAL_ID``: print a deep link that links a customer's chat."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from aiogram import Bot

from bot.config import BotSettings
from bot.deeplinks import DeepLinkError
from bot.factory import create_bot
from bot.links import DeepLinks
from bot.resources import bot_database_url, open_bot_store
from recoms.config import RecomsSettings

if TYPE_CHECKING:
    from bot.cli import Settings


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "link",
        help="print a deep link that links a customer's chat, once",
        description=(
            "Print https://t.me/<bot>?start=<token> for a shop customer's external id. The "
            "customer opens it in Telegram; it works once, within BOT_LINK_TTL (default 72h). "
            "The link is stored in the bot's database (BOT_DATABASE_URL or the engine's)."
        ),
    )
    parser.add_argument("external_id", metavar="EXTERNAL_ID", help="the shop's customer id")
    parser.add_argument("--username", help="the bot's @username (default: BOT_USERNAME or getMe)")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(print_link(settings.bot, settings.recoms, args.external_id, args.username))


async def print_link(
    settings: BotSettings, recoms: RecomsSettings, external_id: str, username: str | None
) -> int:
    username = username or settings.bot_username()
    bot: Bot | None = None
    if username is None and settings.token is not None:
        bot = create_bot(settings.token.get_secret_value(), api_url=settings.telegram_api_url)
    try:
        async with open_bot_store(bot_database_url(settings, recoms)) as store:
            links = DeepLinks(store, username, settings.link_ttl)
            minted = await links.mint(bot, external_id, minted_by=None, via="command line")
            print(minted.url)
    except DeepLinkError as error:
        print(f"recoms-bot link: {error}", file=sys.stderr)
        return 2
    finally:
        if bot is not None:
            await bot.session.close()
    return 0
