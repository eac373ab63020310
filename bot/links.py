"""Minting and opening deep links: each works once, until it expires (``BOT_LINK_TTL``).

``/link``, ``recoms-bot link`` and ``POST /api/v1/telegram/deeplink`` all mint here; ``/start
<token>`` opens here. See ``bot.deeplinks`` for why a link is a stored random token.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram import Bot

from bot.deeplinks import (
    DeepLinkError,
    checked_external_id,
    is_token,
    new_token,
    start_link,
    token_hash,
)
from bot.records import BotStore

SHOP = 0
"""The audit log's actor for what the shop's backend or the command line did."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def link_target(external_id: str) -> str:
    """How the audit log names the customer a link is for."""
    return f"external {external_id}"


class Opened(enum.Enum):
    LINKED = "linked"
    """This opening claimed the link: link the chat to ``external_id``."""
    INVALID = "invalid"
    """Not a link this bot minted (altered, truncated, made up)."""
    EXPIRED = "expired"
    USED = "used"
    """Opened before (by ``first_opened_by``)."""


@dataclass(frozen=True, slots=True)
class Minted:
    url: str
    """``https://t.me/<bot>?start=<token>``."""
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Opening:
    outcome: Opened
    token: str = ""
    external_id: str | None = None
    first_opened_by: int | None = None
    first_opened_at: datetime | None = None
    expired_at: datetime | None = None


class DeepLinks:
    def __init__(
        self,
        store: BotStore,
        username: str | None,
        ttl: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._username = username
        self.ttl = ttl
        self.clock = clock

    async def mint(
        self, bot: Bot | None, external_id: str, *, minted_by: int | None, via: str
    ) -> Minted:
        """A new link for ``external_id``: ``https://t.me/<bot>?start=<token>``, written to
        the audit log (``minted_by`` a staff member, or None: the shop's backend or the command
        line, ``via`` says which). The bot's username is asked of Telegram once when it is not
        configured. Raises ``DeepLinkError`` for an empty or overlong id or an unknown
        username."""
        cleaned = checked_external_id(external_id)
        if self._username is None:
            if bot is None:
                raise DeepLinkError("the bot's username is unknown: set BOT_USERNAME")
            self._username = (await bot.me()).username or ""
        token = new_token()
        now = self.clock()
        expires_at = now + self.ttl
        await self._store.add_link_token(
            token_hash(token), cleaned, now=now, expires_at=expires_at, minted_by=minted_by
        )
        await self._store.audit(
            minted_by or SHOP,
            "link",
            target=link_target(cleaned),
            detail=f"via {via}, until {expires_at:%Y-%m-%d %H:%M} UTC",
        )
        return Minted(start_link(self._username, token), token, expires_at)

    async def open(self, payload: str, telegram_user_id: int) -> Opening:
        """Claim the link for the user: only the first opening before expiry links."""
        if not is_token(payload):
            return Opening(Opened.INVALID)
        now = self.clock()
        claimed, stored = await self._store.claim_link_token(
            token_hash(payload), telegram_user_id, now
        )
        if stored is None:
            return Opening(Opened.INVALID, payload)
        if claimed:
            return Opening(Opened.LINKED, payload, stored.external_id)
        if stored.redeemed_by is not None:
            return Opening(
                Opened.USED,
                payload,
                stored.external_id,
                first_opened_by=stored.redeemed_by,
                first_opened_at=stored.redeemed_at,
            )
        return Opening(Opened.EXPIRED, payload, stored.external_id, expired_at=stored.expires_at)

    async def release(self, opening: Opening) -> None:
        """Let the link be opened again: linking failed for a reason of ours, not theirs."""
        if opening.outcome is Opened.LINKED:
            await self._store.release_link_token(token_hash(opening.token))
