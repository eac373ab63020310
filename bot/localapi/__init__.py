"""A local Telegram Bot API server with a web chat, to run and test the bot without Telegram."""

from bot.localapi.cli import main
from bot.localapi.server import DEFAULT_TOKEN, LocalBotApiServer, Settings, create_app
from bot.localapi.state import DEFAULT_USERS, BotApiState, SimulatedUser

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_USERS",
    "BotApiState",
    "LocalBotApiServer",
    "Settings",
    "SimulatedUser",
    "create_app",
    "main",
]
