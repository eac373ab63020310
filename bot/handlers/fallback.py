"""Whatever no other handler took: unknown commands (staff commands for non-staff too),
messages that are not menu presses, and presses of buttons nothing handles any more."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.keyboards.menu import main_menu, menu_hint
from bot.lists import Lists


async def on_unknown_command(message: Message, event_from_user: User, lists: Lists) -> None:
    await message.answer(
        _("I do not know this command. Send /help to see what I can do."),
        reply_markup=await lists.menu(event_from_user.id),
    )


async def on_other(message: Message, event_from_user: User, lists: Lists) -> None:
    menu = await lists.menu_state(event_from_user.id)
    await message.answer(menu_hint(menu), reply_markup=main_menu(menu))


async def on_expired_button(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    lists: Lists,
    bot: Bot,
) -> None:
    """A button from an older version of the bot, one whose data no longer reads, or one that
    is no longer the presser's (a staff button after they left the staff): say so, and give
    the current menu."""
    callback_answer.text = _("This button has expired.")
    chat_id = query.message.chat.id if query.message is not None else event_from_user.id
    menu = await lists.menu_state(event_from_user.id)
    await bot.send_message(chat_id, menu_hint(menu), reply_markup=main_menu(menu))


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(on_unknown_command, F.text.startswith("/"))
    router.message.register(on_other)
    router.callback_query.register(on_expired_button)
    return router
