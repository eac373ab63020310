"""The ``recoms-bot`` command line: its commands and options (the composition root runs them)."""

from __future__ import annotations

import argparse

from bot.localapi.cli import build_parser as add_local_options
from recoms.version import package_version


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recoms-bot",
        description=(
            "Product recommendations in Telegram. Settings come from BOT_* and RECOMS_* "
            "environment variables or a .env file."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the bot (polling, or webhook when BOT_WEBHOOK_URL is set)",
        description=(
            "Run the bot and, on the same web app, the engine's HTTP API, /healthz and the "
            "deep-link endpoint. Long polling by default; a webhook when BOT_WEBHOOK_URL is "
            "set. Without BOT_TOKEN: loads the demo shop when the database is empty, starts a "
            "local Bot API server with a web chat and prints its URL."
        ),
    )
    run.add_argument("--host", help="address of the web app (default BOT_HOST, 127.0.0.1)")
    run.add_argument("--port", type=int, help="port of the web app (default BOT_PORT, 8080)")
    link = commands.add_parser(
        "link",
        help="print a signed deep link that links a customer's chat",
        description=(
            "Print https://t.me/<bot>?start=<payload> for a shop customer's external id. The "
            "payload is signed with BOT_LINK_SECRET; the customer opens the link in Telegram."
        ),
    )
    link.add_argument("external_id", metavar="EXTERNAL_ID", help="the shop's customer id")
    link.add_argument("--username", help="the bot's @username (default: BOT_USERNAME or getMe)")
    audit = commands.add_parser(
        "audit",
        help="print the staff audit log, newest first",
        description="Print staff lookups and sends (who, what, when), newest first.",
    )
    audit.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    local = commands.add_parser(
        "local",
        help="run only the local Bot API server with its web chat",
        description="Run a local Telegram Bot API server with a web chat, nothing else.",
    )
    add_local_options(local)
    return parser
