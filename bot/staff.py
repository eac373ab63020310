"""Who is staff: admins from settings plus agents and admins that an admin added (stored)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommandScopeChat
from aiogram.utils.i18n import I18n

from bot.commands import customer_commands, show_customer_commands, staff_commands
from bot.records import BotStore, Role

log = logging.getLogger(__name__)


class StaffDirectory:
    def __init__(self, store: BotStore, admins: Iterable[int]) -> None:
        self._store = store
        self.configured_admins = frozenset(admins)

    async def role(self, telegram_user_id: int) -> Role | None:
        if telegram_user_id in self.configured_admins:
            return Role.ADMIN
        return await self._store.staff_role(telegram_user_id)

    async def add(self, telegram_user_id: int, role: Role, added_by: int) -> None:
        await self._store.add_staff(telegram_user_id, role, added_by)

    async def remove(self, telegram_user_id: int) -> bool:
        return await self._store.remove_staff(telegram_user_id)

    async def member_ids(self) -> list[int]:
        stored = [member.telegram_user_id for member in await self._store.staff()]
        return sorted(self.configured_admins.union(stored))


async def show_staff_commands(bot: Bot, i18n: I18n, telegram_user_id: int) -> bool:
    """Register the staff command list for one staff member's private chat only.

    Returns False when Telegram does not know the chat yet (they never opened the bot); the
    list is registered again when they send /start.
    """
    scope = BotCommandScopeChat(chat_id=telegram_user_id)
    try:
        for locale in i18n.available_locales:
            with i18n.context(), i18n.use_locale(locale):
                commands = customer_commands() + staff_commands()
            await bot.set_my_commands(
                commands,
                scope=scope,
                language_code=None if locale == i18n.default_locale else locale,
            )
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        log.info("no staff commands for chat %s yet: %s", telegram_user_id, error.message)
        return False
    return True


async def hide_staff_commands(bot: Bot, i18n: I18n, telegram_user_id: int) -> None:
    scope = BotCommandScopeChat(chat_id=telegram_user_id)
    try:
        for locale in i18n.available_locales:
            await bot.delete_my_commands(
                scope=scope, language_code=None if locale == i18n.default_locale else locale
            )
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        log.info("could not remove staff commands of chat %s: %s", telegram_user_id, error.message)


async def show_all_commands(bot: Bot, i18n: I18n, staff: StaffDirectory) -> None:
    """At start: the customers' command list for everyone, the staff list in staff chats."""
    await show_customer_commands(bot, i18n)
    for member in await staff.member_ids():
        await show_staff_commands(bot, i18n, member)
