"""The bot's own tables: languages, linked customers, staff, audit log, blocked users."""

from bot.storage.database import BotDatabase, open_bot_database
from bot.storage.store import AuditEntry, BotStore, BotUser, Role, StaffMember

__all__ = [
    "AuditEntry",
    "BotDatabase",
    "BotStore",
    "BotUser",
    "Role",
    "StaffMember",
    "open_bot_database",
]
