"""The command lists Telegram shows in its menu: customers' for everyone, staff's per chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def customer_commands() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Start and link your shop account")),
        BotCommand(command="menu", description=_("Show the menu")),
        BotCommand(command="language", description=_("Choose the language")),
        BotCommand(command="forget", description=_("Unlink and delete my data")),
        BotCommand(command="help", description=_("What I can do")),
    ]


def staff_commands() -> list[BotCommand]:
    return [
        BotCommand(command="find", description=_("Find a customer by phone, email or id")),
        BotCommand(command="recs", description=_("A customer's recommendations")),
        BotCommand(command="product", description=_("A product card")),
        BotCommand(command="link", description=_("A sign-in link for a customer")),
        BotCommand(command="stats", description=_("Statistics and recent staff actions")),
        BotCommand(command="staff_add", description=_("Add a staff member (admins)")),
        BotCommand(command="staff_remove", description=_("Remove a staff member (admins)")),
    ]


async def show_customer_commands(bot: Bot, i18n: I18n) -> None:
    """The default command list, in every language we have (Telegram picks by the client's)."""
    for locale in i18n.available_locales:
        with i18n.context(), i18n.use_locale(locale):
            commands = customer_commands()
        await bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if locale == i18n.default_locale else locale,
        )
