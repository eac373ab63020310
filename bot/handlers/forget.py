"""/forget: after a confirmation, unlink the shop account and delete what the bot stored."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.keyboards.callbacks import ForgetCB
from bot.keyboards.menu import forget_confirmation
from bot.ports import Recommender
from bot.records import BotStore

log = logging.getLogger(__name__)


class Forgetting(StatesGroup):
    confirming = State()


async def cmd_forget(message: Message, state: FSMContext) -> None:
    await state.set_state(Forgetting.confirming)
    await message.answer(
        _(
            "This unlinks your shop account from this chat and deletes what I stored about you "
            "(your language and the link). Your orders stay with the shop. Continue?"
        ),
        reply_markup=forget_confirmation(),
    )


async def on_forget_confirmed(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    recommender: Recommender,
    store: BotStore,
) -> None:
    await recommender.unlink(event_from_user.id)
    await store.forget(event_from_user.id)
    await state.clear()
    log.info("user %s asked to be forgotten; done", event_from_user.id)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("Done: I have forgotten you. Send /start whenever you want to begin again.")
        )
        await query.message.answer("👋", reply_markup=ReplyKeyboardRemove())


async def on_forget_cancelled(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Cancelled: nothing was deleted."))


async def on_forget_stale(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A confirmation button from an earlier /forget that was already answered."""
    callback_answer.text = _("This question has expired. Send /forget again if you wish.")
    callback_answer.show_alert = True
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


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
