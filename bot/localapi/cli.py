"""Command line of the local Bot API server (``recoms-bot local``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence

from bot.localapi.server import DEFAULT_TOKEN, LocalBotApiServer


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Options of ``recoms-bot local``; pass a subparser to add them to a bigger CLI."""
    parser = parser or argparse.ArgumentParser(
        prog="recoms-bot local",
        description=(
            "Run a local Telegram Bot API server with a web chat. Point a bot at it with "
            "BOT_TELEGRAM_API_URL=http://HOST:PORT and BOT_TOKEN=TOKEN, then open the chat."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the only bot token accepted")
    parser.add_argument(
        "--flood-every",
        type=int,
        metavar="N",
        help="answer every Nth send/edit with 429 Too Many Requests, to test retries",
    )
    parser.add_argument(
        "--flood-retry-after", type=int, default=1, metavar="S", help="retry_after of those 429s"
    )
    parser.add_argument(
        "--fetch-photos",
        action="store_true",
        help="download photo URLs as Telegram does and refuse those that fail",
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Run until cancelled (Ctrl+C)."""
    server = LocalBotApiServer(
        token=args.token,
        host=args.host,
        port=args.port,
        flood_every=args.flood_every,
        flood_retry_after=args.flood_retry_after,
        fetch_photos=args.fetch_photos,
    )
    await server.start()
    print(f"Bot API: {server.api_base}  (BOT_TELEGRAM_API_URL)")
    print(f"Token:   {server.token}  (BOT_TOKEN)")
    print(f"Chat:    {server.chat_url}")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0
