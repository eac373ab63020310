"""``recoms-bot``: the composition root. Parses the command line, sets up logging, and runs the
subcommand with the settings (read once); each subcommand lives in ``bot.cli``.

``run`` without ``BOT_TOKEN`` is the quick start: the demo shop in SQLite, a local Bot API
server with a web chat, the bot and the engine's API, all in this one process.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.cli import Handler, Settings, build_parser
from bot.config import RetiredSetting
from recoms.drivers import MissingDriver
from recoms.runtime.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Text until a command that reads its settings says otherwise (``run``: BOT_LOG_FORMAT).
    configure_logging("text")
    handler: Handler = args.handler
    try:
        return handler(args, Settings())
    except (MissingDriver, RetiredSetting) as error:
        print(f"recoms-bot: error: {error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
