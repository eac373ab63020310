"""The lists a customer opens from the menu, and paging and related lists under a card."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.filters import MenuList
from bot.handlers.fallback import on_expired_button
from bot.keyboards.callbacks import ListCB, NoopCB
from bot.lists import Lists
from bot.ports import ListKind
from bot.presenter import CardPresenter, ListPage
from bot.refs import ProductRefs


async def on_menu_list(
    message: Message,
    kind: ListKind,
    event_from_user: User,
    lists: Lists,
    presenter: CardPresenter,
    bot: Bot,
) -> None:
    customer = await lists.customer_of(event_from_user.id)
    result = await lists.open(kind, customer)
    await presenter.send(bot, message.chat.id, ListPage.of(result))


async def on_list(
    query: CallbackQuery,
    callback_data: ListCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    lists: Lists,
    refs: ProductRefs,
    presenter: CardPresenter,
    bot: Bot,
) -> None:
    kind = callback_data.kind
    seed = await refs.decode(callback_data.ref) if callback_data.ref else None
    if kind is None or (callback_data.ref and seed is None):
        await on_expired_button(query, callback_answer, event_from_user, lists, bot)
        return
    customer = await lists.customer_of(event_from_user.id)
    result = await lists.open(kind, customer, seed)
    view = ListPage.of(result, page=callback_data.page, ref=callback_data.ref)
    message = query.message
    if isinstance(message, Message) and callback_data.here:
        await presenter.replace(bot, message, view)
    else:
        chat_id = message.chat.id if message is not None else event_from_user.id
        await presenter.send(bot, chat_id, view)


async def on_noop(query: CallbackQuery) -> None:
    """The ``n/m`` label: nothing to do (the middleware answers the query)."""


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(on_menu_list, F.text, MenuList())
    router.callback_query.register(on_list, ListCB.filter())
    router.callback_query.register(on_noop, NoopCB.filter())
    return router
