"""The bot's own tables (SQLAlchemy): languages, linked customers, staff, audit log, blocks,
support conversations, alerts.

The ``Base`` with its type map and the Alembic environment look much like ``recoms.storage``'s
on purpose: the bot may run against a remote engine with its own database, so it shares no
storage code with the engine's internals. Opening a database and taking turns to migrate it
are the same for both, and live in ``recoms.runtime``, which knows neither's tables.
"""

from bot.storage.conversations import SqlConversationStore
from bot.storage.database import BotDatabase, open_bot_database
from bot.storage.store import SqlBotStore

__all__ = ["BotDatabase", "SqlBotStore", "SqlConversationStore", "open_bot_database"]
