"""/forget: after a confirmation, unlink the shop account and delete what the bot collected."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import show_chat_commands
from bot.edits import edit_markup_once, edit_text_once
from bot.identity import Linking
from bot.keyboards.callbacks import ForgetCB
from bot.keyboards.menu import forget_confirmation
from bot.ports import ForgottenCustomer
from bot.relay import SupportDesk
from bot.staff import StaffDirectory

log = logging.getLogger(__name__)


class Forgetting(StatesGroup):
    confirming = State()


async def cmd_forget(message: Message, state: FSMContext) -> None:
    await state.set_state(Forgetting.confirming)
    await message.answer(
        _(
            "This unlinks your shop account from this chat and deletes what I collected: the "
            "link, your language and chat settings, your conversations with our support "
            "agents, and the phone number and name I added to "
            "your shop account (an account I created for you is deleted). What the shop itself "
            "has about you, such as your orders, stays with the shop. Continue?"
        ),
        reply_markup=forget_confirmation(),
    )


def forgotten_text(forgotten: ForgottenCustomer | None) -> str:
    """Exactly what /forget deleted and what stays."""
    lines = [
        _("Done. I have deleted:"),
        "• "
        + _("the link between this chat and your shop account, your language and chat settings"),
        "• " + _("your conversations with our support agents"),
    ]
    if forgotten is not None and forgotten.deleted:
        lines.append("• " + _("the shop account I created for you"))
    elif forgotten is not None:
        if "phone" in forgotten.removed:
            lines.append("• " + _("the phone number I added to your shop account"))
        if "name" in forgotten.removed:
            lines.append("• " + _("the name I added to your shop account"))
        lines.append(
            _("What the shop itself has about you, such as your orders, stays with the shop.")
        )
    lines.append(
        _("A record that this chat was linked and unlinked stays in the shop's security log.")
    )
    lines.append(_("Send /start whenever you want to begin again."))
    return "\n".join(lines)


async def on_forget_confirmed(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    linking: Linking,
    desk: SupportDesk,
    staff: StaffDirectory,
    i18n: I18n,
    bot: Bot,
) -> None:
    forgotten = await linking.forget(event_from_user.id)
    await desk.forget(bot, event_from_user.id)
    # The chosen language is gone: so is the chat's own command list in it.
    role = await staff.role(event_from_user.id)
    await show_chat_commands(bot, i18n, event_from_user.id, role, None)
    await state.clear()
    if isinstance(query.message, Message):
        await edit_text_once(query.message, forgotten_text(forgotten))
        await query.message.answer("👋", reply_markup=ReplyKeyboardRemove())


async def on_forget_cancelled(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await edit_text_once(query.message, _("Cancelled: nothing was deleted."))


async def on_forget_stale(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A confirmation button from an earlier /forget that was already answered (or the second
    of a double tap)."""
    callback_answer.text = _("This question has expired. Send /forget again if you wish.")
    callback_answer.show_alert = True
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        await edit_markup_once(query.message, None)


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(cmd_forget, Command("forget"))
    router.callback_query.register(
        on_forget_confirmed, ForgetCB.filter(F.confirm), StateFilter(Forgetting.confirming)
    )
    router.callback_query.register(
        on_forget_cancelled, ForgetCB.filter(~F.confirm), StateFilter(Forgetting.confirming)
    )
    router.callback_query.register(on_forget_stale, ForgetCB.filter())
    return router
