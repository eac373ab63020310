"""Choosing the language: English or Ukrainian, remembered per user."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import show_chat_commands
from bot.edits import edit_markup_once
from bot.filters import MenuButton
from bot.i18n import LANGUAGE_NAMES
from bot.keyboards.callbacks import LanguageCB
from bot.keyboards.menu import LANGUAGE_BUTTON, language_picker
from bot.lists import Lists
from bot.records import BotStore
from bot.staff import StaffDirectory


async def cmd_language(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_picker())


async def on_language(
    query: CallbackQuery,
    callback_data: LanguageCB,
    event_from_user: User,
    store: BotStore,
    lists: Lists,
    staff: StaffDirectory,
    i18n: I18n,
    bot: Bot,
) -> None:
    await store.set_language(event_from_user.id, callback_data.code)
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        # The choice is made: the picker's buttons go (a second tap finds them gone).
        await edit_markup_once(query.message, None)
    # Telegram shows commands by the app's language; this chat's follow the choice instead.
    role = await staff.role(event_from_user.id)
    await show_chat_commands(bot, i18n, event_from_user.id, role, callback_data.code)
    chat_id = query.message.chat.id if query.message is not None else event_from_user.id
    with i18n.use_locale(callback_data.code):
        # The menu is a reply keyboard: it changes language only with a new message.
        await bot.send_message(
            chat_id,
            "✅ " + _("Language: {language}").format(language=LANGUAGE_NAMES[callback_data.code]),
            reply_markup=await lists.menu(event_from_user.id),
        )


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(cmd_language, Command("language"))
    router.message.register(cmd_language, F.text, MenuButton(*LANGUAGE_BUTTON))
    router.callback_query.register(on_language, LanguageCB.filter(F.code.in_(LANGUAGE_NAMES)))
    return router
