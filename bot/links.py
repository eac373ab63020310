"""Minting and reading the signed deep links that link a chat to a shop customer."""

from __future__ import annotations

from aiogram import Bot

from bot.deeplinks import DeepLinkError, sign_payload, start_link, verify_payload


class LinksDisabled(DeepLinkError):
    """No signing key is configured (``BOT_LINK_SECRET``)."""


class DeepLinks:
    def __init__(self, key: bytes | None, username: str | None = None) -> None:
        self._key = key
        self._username = username

    @property
    def enabled(self) -> bool:
        return bool(self._key)

    def payload(self, external_id: str) -> str:
        if not self._key:
            raise LinksDisabled("deep links are off: set BOT_LINK_SECRET")
        return sign_payload(external_id, self._key)

    def external_id(self, payload: str) -> str:
        if not self._key:
            raise LinksDisabled("deep links are off: set BOT_LINK_SECRET")
        return verify_payload(payload, self._key)

    async def link(self, bot: Bot | None, external_id: str) -> str:
        """``https://t.me/<bot>?start=<payload>``; the bot's username is asked of Telegram once."""
        payload = self.payload(external_id)
        if self._username is None:
            if bot is None:
                raise DeepLinkError("the bot's username is unknown: set BOT_USERNAME")
            self._username = (await bot.me()).username or ""
        return start_link(self._username, payload)
