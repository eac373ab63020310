"""What the bot remembers about people, as plain data, and the store protocol handlers use.

Handlers, keyboards and cards depend on this protocol only; ``bot.storage`` implements it on
SQLAlchemy and only the composition root picks the implementation.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.alerts import AlertStore
from bot.conversations import ConversationStore


class Role(enum.StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class BotUser:
    telegram_user_id: int
    language: str | None
    contact_id: int | None
    blocked: bool
    first_name: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class LinkToken:
    """A deep link as stored: whom it links, until when, and who opened it first."""

    external_id: str
    expires_at: datetime
    redeemed_at: datetime | None = None
    redeemed_by: int | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    telegram_user_id: int
    role: Role
    added_by: int | None
    added_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor_id: int
    action: str
    target: str
    detail: str


class BotStore(Protocol):
    """Everything the bot remembers about people; the engine keeps the shop's data."""

    @property
    def conversations(self) -> ConversationStore:
        """Support conversations, kept in the same database."""
        ...

    @property
    def alerts(self) -> AlertStore:
        """Back-in-stock and price-drop alerts and their deliveries."""
        ...

    async def user(self, telegram_user_id: int) -> BotUser | None: ...

    async def language(self, telegram_user_id: int) -> str | None: ...

    async def set_language(self, telegram_user_id: int, language: str) -> None: ...

    async def set_contact(
        self,
        telegram_user_id: int,
        contact_id: int,
        language: str | None = None,
        *,
        first_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Remember the link (and how Telegram names the user); ``language`` is kept unless
        the user chose one already. Any other user linked to the contact is unlinked."""
        ...

    async def remember_names(
        self, telegram_user_id: int, first_name: str, username: str | None
    ) -> None:
        """How Telegram names the user now (staff add agents by @username)."""
        ...

    async def user_by_username(self, username: str) -> BotUser | None:
        """The user who last had this @username (any case, without the @), if they started
        the bot."""
        ...

    async def forget(self, telegram_user_id: int) -> None:
        """Delete what the bot stored about the user (language, link, blocked flag, saved
        products, alerts)."""
        ...

    async def mark_blocked(self, telegram_user_id: int) -> None: ...

    async def clear_blocked(self, telegram_user_id: int) -> None: ...

    async def is_blocked(self, telegram_user_id: int) -> bool: ...

    async def staff_role(self, telegram_user_id: int) -> Role | None: ...

    async def add_staff(self, telegram_user_id: int, role: Role, added_by: int | None) -> None: ...

    async def remove_staff(self, telegram_user_id: int) -> bool: ...

    async def staff(self) -> list[StaffMember]: ...

    async def audit(
        self, actor_id: int, action: str, target: str = "", detail: str = ""
    ) -> None: ...

    async def audit_log(self, limit: int = 20) -> list[AuditEntry]:
        """Newest first."""
        ...

    async def audit_of(
        self, targets: Sequence[str], actions: Collection[str], limit: int = 10
    ) -> list[AuditEntry]:
        """Entries of one of ``actions`` about any of ``targets``, newest first."""
        ...

    async def add_link_token(
        self,
        token_hash: str,
        external_id: str,
        *,
        now: datetime,
        expires_at: datetime,
        minted_by: int | None,
    ) -> None:
        """Store a new deep link; links expired long ago are dropped meanwhile."""
        ...

    async def claim_link_token(
        self, token_hash: str, telegram_user_id: int, now: datetime
    ) -> tuple[bool, LinkToken | None]:
        """Mark the link opened by the user, unless it was opened before or has expired (one
        statement: two users opening it at once cannot both win). Returns whether this
        opening claimed it, and the link as stored (None for a token never minted)."""
        ...

    async def release_link_token(self, token_hash: str) -> None:
        """Make a claimed link openable again (linking failed for a reason of ours)."""
        ...

    async def product_ref(self, product_id: str) -> str:
        """A short stable key for a product id too long for callback data."""
        ...

    async def resolve_ref(self, key: str) -> str | None: ...

    async def set_saved(self, telegram_user_id: int, product_id: str, saved: bool) -> bool:
        """Save (❤️) or unsave a product for the user; whether anything changed."""
        ...

    async def is_saved(self, telegram_user_id: int, product_id: str) -> bool: ...

    async def saved_products(self, telegram_user_id: int, limit: int = 50) -> list[str]:
        """The user's saved product ids, newest first."""
        ...


async def is_linked(store: BotStore, telegram_user_id: int) -> bool:
    """Whether the user's chat is linked to a shop customer (the menu offers more then)."""
    user = await store.user(telegram_user_id)
    return user is not None and user.contact_id is not None
