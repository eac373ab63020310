"""Languages: gettext catalogs shipped in ``bot/locales/`` and the middleware choosing one.

A user's language is the one they chose (stored), else Telegram's ``language_code`` when we
have a catalog for it, else the default. Messages are written as ``_("...").format(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.records import BotStore

LANGUAGE_NAMES = {"en": "English", "uk": "Українська"}
DOMAIN = "messages"


def N_(message: str) -> str:  # the gettext convention for "mark now, translate later"
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def packaged_locales_dir() -> Path:
    """The catalogs that ship inside the package, in a checkout and in an installed wheel alike."""
    catalogs = resources.files("bot") / "locales"
    # aiogram reads catalogs from a folder; a package imported from a zip has none to give.
    if not isinstance(catalogs, Path) or not catalogs.is_dir():
        raise RuntimeError(
            "the bot's gettext catalogs are not a folder on disk; set BOT_LOCALES_DIR to one"
        )
    return catalogs


def create_i18n(path: Path | None = None, default_locale: str = "en") -> I18n:
    """Catalogs from ``path`` (``BOT_LOCALES_DIR``), else the ones shipped in the package."""
    return I18n(path=path or packaged_locales_dir(), default_locale=default_locale, domain=DOMAIN)


def guess_locale(language_code: str | None, available: Iterable[str], default: str) -> str:
    """Telegram's IETF tag (``uk``, ``en-US``, ``pt-br``) mapped onto a catalog we have."""
    if not language_code:
        return default
    language = language_code.replace("_", "-").split("-")[0].lower()
    return language if language in set(available) else default


def translations(i18n: I18n, message: str) -> frozenset[str]:
    """The message in every language we have (and as written), to match button presses."""
    return frozenset(
        {message, *(i18n.gettext(message, locale=locale) for locale in i18n.available_locales)}
    )


class UserLanguageMiddleware(I18nMiddleware):
    """Chooses the stored language, else Telegram's language code, else the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None:
            return self.i18n.default_locale
        store: BotStore | None = data.get("store")
        stored = await store.language(user.id) if store is not None else None
        if stored in self.i18n.available_locales:
            assert stored is not None
            return stored
        return guess_locale(
            user.language_code, self.i18n.available_locales, self.i18n.default_locale
        )
