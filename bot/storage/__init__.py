"""The bot's own tables (SQLAlchemy): languages, linked customers, staff, audit log, blocks."""

from bot.storage.database import BotDatabase, open_bot_database
from bot.storage.store import SqlBotStore

__all__ = ["BotDatabase", "SqlBotStore", "open_bot_database"]
