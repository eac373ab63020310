"""The ``recoms-bot`` command line: one module per subcommand, holding its options and its body.

Each module's ``add_command`` adds a subparser whose ``handler`` default runs the command with
the parsed arguments and the settings the composition root read.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import cached_property

from bot.cli import audit, link, local, run
from bot.config import BotSettings, RetiredSettings
from recoms.config import RecomsSettings
from recoms.version import package_version


class Settings:
    """The bot's and the engine's settings, each read from the environment once, on first use
    (``local`` needs neither)."""

    @cached_property
    def bot(self) -> BotSettings:
        """Raises ``RetiredSetting`` for a retired setting that would change what the bot does."""
        RetiredSettings().check(self.recoms.default_region)
        return BotSettings()

    @cached_property
    def recoms(self) -> RecomsSettings:
        return RecomsSettings()


Handler = Callable[[argparse.Namespace, Settings], int]


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
    for command in (run, link, audit, local):
        command.add_command(commands)
    return parser
