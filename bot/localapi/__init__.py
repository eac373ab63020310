"""A local Telegram Bot API server with a web chat, to run and test the bot without Telegram."""

from bot.localapi.cli import main
from bot.localapi.server import DEFAULT_TOKEN, LocalBotApiServer, Settings, create_app
from bot.localapi.state import (
    DEFAULT_GROUP_ID,
    DEFAULT_GROUPS,
    DEFAULT_USERS,
    BotApiState,
    SimulatedGroup,
    SimulatedUser,
)

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_GROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USERS",
    "BotApiState",
    "LocalBotApiServer",
    "Settings",
    "SimulatedGroup",
    "SimulatedUser",
    "create_app",
    "main",
]
