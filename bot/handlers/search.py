"""Product search from what a customer types, by the rule in ``bot.routing``: a short phrase is
a search, a few more words offer "Search products" and "Ask a person", and a search that finds
nothing passes the text on to support. While the customer's support conversation is open,
nothing here takes their messages: support does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.cards import clean, cut_escaped
from bot.edits import is_done_already, is_gone
from bot.filters import MenuButton
from bot.handlers.support import RoutedTo, on_question
from bot.keyboards.callbacks import SearchCB, TextChoiceCB
from bot.keyboards.menu import ASK_PERSON_BUTTON, label
from bot.presenter import CardPresenter, ListPage
from bot.records import BotStore
from bot.refs import ProductRefs
from bot.relay import SupportDesk
from bot.routing import Route
from bot.shop import Shop

QUERY_IN_TEXT = 60


class NoOpenConversation(Filter):
    """The customer is not talking to support right now."""

    async def __call__(self, _event: Any, desk: SupportDesk, event_from_user: User) -> bool:
        return await desk.conversations.open_conversation(event_from_user.id) is None


def results_page(text: str, ref: str, cards: list[Any], page: int) -> ListPage:
    return ListPage(
        kind=None,
        cards=cards,
        page=page,
        title="🔎 " + _("Search: {query}").format(query=clean(text)),
        pager=lambda number: SearchCB(ref=ref, page=number, here=True).pack(),
        campaign="search",
    )


def quoted(text: str) -> str:
    return "«" + cut_escaped(clean(text), QUERY_IN_TEXT) + "»"


async def on_search_text(
    message: Message,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    presenter: CardPresenter,
    desk: SupportDesk,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
) -> None:
    text = message.text or ""
    cards = await shop.search(event_from_user.id, text)
    if not cards:
        # Not a product name after all: a question for a person, as before there was search.
        await on_question(message, event_from_user, desk, store, i18n, bot)
        return
    ref = await refs.encode(text.strip())
    await presenter.send(bot, message.chat.id, results_page(text, ref, cards, 0))


async def on_either_text(message: Message, refs: ProductRefs) -> None:
    text = message.text or ""
    ref = await refs.encode(text.strip())
    builder = InlineKeyboardBuilder()
    builder.button(
        text="🔎 " + _("Search products"),
        callback_data=TextChoiceCB(action="s", ref=ref, message=message.message_id),
    )
    builder.button(
        text=label(*ASK_PERSON_BUTTON),
        callback_data=TextChoiceCB(action="p", ref=ref, message=message.message_id),
    )
    builder.adjust(2)
    await message.answer(
        quoted(text) + "\n" + html.quote(_("Shall I search the shop for it, or ask a person?")),
        reply_markup=builder.as_markup(),
    )


async def on_search_page(
    query: CallbackQuery,
    callback_data: SearchCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    presenter: CardPresenter,
    bot: Bot,
) -> None:
    text = await refs.decode(callback_data.ref)
    if text is None:
        callback_answer.text = _("This button has expired.")
        return
    cards = await shop.search(event_from_user.id, text)
    view = results_page(text, callback_data.ref, cards, callback_data.page)
    message = query.message
    if isinstance(message, Message) and callback_data.here:
        await presenter.replace(bot, message, view)
    else:
        chat_id = message.chat.id if message is not None else event_from_user.id
        await presenter.send(bot, chat_id, view)


def _customers_message(query: CallbackQuery, message_id: int, text: str, bot: Bot) -> Message:
    """The customer's own message the offer was made for, as support relays it (it copies
    the message by its id, so the press need not carry more than the id and the text)."""
    assert query.message is not None
    return Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=query.message.chat,
        from_user=query.from_user,
        text=text,
    ).as_(bot)


async def _drop_offer(bot: Bot, message: Message | None, text: str) -> None:
    """The offer says what was chosen, without its buttons (pressed once, they are done)."""
    if not isinstance(message, Message):
        return
    try:
        await bot.edit_message_text(
            text=text, chat_id=message.chat.id, message_id=message.message_id
        )
    except TelegramBadRequest as error:
        if not (is_done_already(error) or is_gone(error)):
            raise


async def on_text_choice(
    query: CallbackQuery,
    callback_data: TextChoiceCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    presenter: CardPresenter,
    desk: SupportDesk,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
) -> None:
    text = await refs.decode(callback_data.ref)
    if text is None or query.message is None:
        callback_answer.text = _("This button has expired.")
        return
    offer = query.message if isinstance(query.message, Message) else None
    if callback_data.action == "s":
        cards = await shop.search(event_from_user.id, text)
        if cards:
            view = results_page(text, callback_data.ref, cards, 0)
            if offer is not None:
                await presenter.replace(bot, offer, view)
            else:
                await presenter.send(bot, event_from_user.id, view)
            return
        callback_answer.text = _("No products found for this.")
    customer_message = _customers_message(query, callback_data.message, text, bot)
    await _drop_offer(bot, offer, quoted(text))
    await on_question(customer_message, event_from_user, desk, store, i18n, bot)


def create_router() -> Router:
    """Customers' text in their private chat, before support takes what is left; after every
    command, menu button and conversation step."""
    router = Router(name=__name__)
    # The "Ask a person" menu button reads as a short phrase: support's router takes it.
    router.message.filter(F.chat.type == "private", ~MenuButton(*ASK_PERSON_BUTTON))
    router.message.register(on_search_text, RoutedTo(Route.SEARCH), NoOpenConversation())
    router.message.register(on_either_text, RoutedTo(Route.EITHER), NoOpenConversation())
    router.callback_query.register(on_search_page, SearchCB.filter())
    router.callback_query.register(on_text_choice, TextChoiceCB.filter())
    return router
