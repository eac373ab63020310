"""The command lists Telegram shows in its menu: customers' for everyone in each language we
have, staff's per chat, and a chat's own in the language its user chose."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot, Dispatcher, html
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.records import Role
from bot.staff import StaffDirectory

log = logging.getLogger(__name__)


def customer_commands() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Start and link your shop account")),
        BotCommand(command="menu", description=_("Show the menu")),
        BotCommand(command="alerts", description=_("My back-in-stock and price alerts")),
        BotCommand(command="language", description=_("Choose the language")),
        BotCommand(command="forget", description=_("Unlink and delete my data")),
        BotCommand(command="help", description=_("What I can do")),
    ]


def staff_commands(role: Role) -> list[BotCommand]:
    """What staff may do; the admins' commands only for admins."""
    commands = [
        BotCommand(command="find", description=_("Find a customer by phone, email, id or name")),
        BotCommand(command="recs", description=_("A customer's recommendations")),
        BotCommand(command="product", description=_("A product card")),
        BotCommand(command="link", description=_("A sign-in link for a customer")),
        BotCommand(command="queue", description=_("Open support conversations")),
        BotCommand(command="duty", description=_("Get customers' messages here: on or off")),
        BotCommand(command="close", description=_("Close the conversation you are answering")),
        BotCommand(command="ban", description=_("Stop a customer's messages to support")),
        BotCommand(command="unban", description=_("Let a banned customer write to support")),
        BotCommand(command="stats", description=_("Statistics and recent staff actions")),
    ]
    if role is Role.ADMIN:
        commands += [
            BotCommand(command="staff_add", description=_("Add a staff member (admins)")),
            BotCommand(command="staff_remove", description=_("Remove a staff member (admins)")),
        ]
    return commands


def staff_help(role: Role) -> str:
    """The staff commands with what each does, as /start and /help show them to staff."""
    lines = [html.quote(_("Staff commands:"))]
    lines += [
        f"/{command.command}: {html.quote(command.description)}"
        for command in staff_commands(role)
    ]
    lines += [
        "",
        html.quote(
            _(
                "Customers' questions reach you in the operators' group, or here when the shop "
                "has none: reply to a customer's message to answer."
            )
        ),
    ]
    return "\n".join(lines)


def language_codes(i18n: I18n) -> list[str | None]:
    """The ``language_code`` of each list Telegram keeps: one per language we have (en, uk),
    and none for every other client language, which gets the default locale's list."""
    return [None, *sorted(i18n.available_locales)]


async def _set_commands(
    bot: Bot,
    i18n: I18n,
    commands: Callable[[], list[BotCommand]],
    scope: BotCommandScopeDefault | BotCommandScopeChat,
    language: str | None = None,
) -> None:
    """``commands()`` for every client language: each in its own language (Telegram picks by
    the client's), or all in ``language`` when the chat's user chose one."""
    for code in language_codes(i18n):
        locale = language or code or i18n.default_locale
        with i18n.context(), i18n.use_locale(locale):
            listed = commands()
        await bot.set_my_commands(listed, scope=scope, language_code=code)


async def _delete_commands(bot: Bot, i18n: I18n, scope: BotCommandScopeChat) -> None:
    for code in language_codes(i18n):
        await bot.delete_my_commands(scope=scope, language_code=code)


async def show_customer_commands(bot: Bot, i18n: I18n) -> None:
    await _set_commands(bot, i18n, customer_commands, BotCommandScopeDefault())


async def show_staff_commands(
    bot: Bot, i18n: I18n, telegram_user_id: int, role: Role, language: str | None = None
) -> bool:
    """Register the staff command list for one staff member's private chat only, in
    ``language`` when they chose one.

    Returns False when Telegram does not know the chat yet (they never opened the bot); the
    list is registered again when they send /start.
    """
    scope = BotCommandScopeChat(chat_id=telegram_user_id)
    try:
        await _set_commands(
            bot, i18n, lambda: customer_commands() + staff_commands(role), scope, language
        )
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        log.info("no staff commands for chat %s yet: %s", telegram_user_id, error.message)
        return False
    return True


async def hide_staff_commands(
    bot: Bot, i18n: I18n, telegram_user_id: int, language: str | None = None
) -> None:
    """The chat goes back to the customers' list (in ``language``, when its user chose one)."""
    scope = BotCommandScopeChat(chat_id=telegram_user_id)
    try:
        if language is not None:
            await _set_commands(bot, i18n, customer_commands, scope, language)
        else:
            await _delete_commands(bot, i18n, scope)
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        log.info("could not remove staff commands of chat %s: %s", telegram_user_id, error.message)


async def show_chat_commands(
    bot: Bot, i18n: I18n, telegram_user_id: int, role: Role | None, language: str | None
) -> None:
    """The command list of one private chat after its user chose ``language`` (None: they
    have not, or /forget removed the choice): the staff list for staff, otherwise the
    customers' list in that language, or the shared one when there is no choice."""
    if role is not None:
        await show_staff_commands(bot, i18n, telegram_user_id, role, language)
    else:
        await hide_staff_commands(bot, i18n, telegram_user_id, language)


async def show_all_commands(bot: Bot, i18n: I18n, staff: StaffDirectory) -> None:
    """At start: the customers' command list for everyone, the staff list in staff chats."""
    await show_customer_commands(bot, i18n)
    for member in await staff.member_ids():
        role = await staff.role(member)
        if role is not None:
            await show_staff_commands(bot, i18n, member, role)


async def register_commands(bot: Bot, dp: Dispatcher) -> None:
    """The command lists Telegram shows, from what the dispatcher was wired with."""
    await show_all_commands(bot, dp["i18n"], dp["staff"])
