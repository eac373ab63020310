"""The bot's own tables (SQLAlchemy): languages, linked customers, staff, audit log, blocks."""

from bot.storage.database import BotDatabase, open_bot_database
from bot.storage.store import SqlBotStore

# The implementation of ``bot.records.BotStore``, also under that name for callers that only
# ever meet this one.
BotStore = SqlBotStore

__all__ = ["BotDatabase", "BotStore", "SqlBotStore", "open_bot_database"]
