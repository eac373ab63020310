"""Alembic environment of the bot's tables; its own version table, so it can share a database."""

from bot.storage.database import VERSION_TABLE
from bot.storage.models import Base
from recoms.runtime.migrations import run_environment

run_environment(
    Base.metadata,
    version_table=VERSION_TABLE,
    # Only the bot's tables: the engine's live in the same database under its own history.
    include_name=lambda name, type_, _parent: type_ != "table" or str(name).startswith("bot_"),
)
