"""Whatever no other handler took: unknown commands (staff commands for non-staff too), and
messages that are not menu presses."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message, User
from aiogram.utils.i18n import gettext as _

from bot.keyboards.menu import main_menu
from bot.records import BotStore, is_linked


async def on_unknown_command(message: Message, event_from_user: User, store: BotStore) -> None:
    await message.answer(
        _("I do not know this command. Send /help to see what I can do."),
        reply_markup=main_menu(linked=await is_linked(store, event_from_user.id)),
    )


async def on_other(message: Message, event_from_user: User, store: BotStore) -> None:
    await message.answer(
        _("Pick a list from the menu below."),
        reply_markup=main_menu(linked=await is_linked(store, event_from_user.id)),
    )


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(on_unknown_command, F.text.startswith("/"))
    router.message.register(on_other)
    return router
