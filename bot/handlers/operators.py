"""The operators' group: agents answer customers in their topics, take notes, close, ban.

Every member of the group is an agent (who joins it is the group admins' decision). In a
customer's topic an agent's message goes to the customer, except notes (``#...``,
``/note ...``) and the commands below; messages elsewhere in the group stay there.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.cards import clean
from bot.conversations import Topic
from bot.edits import edit_markup_once
from bot.filters import InOperatorsChat
from bot.handlers.support import (
    ban_customer,
    close_conversation,
    cmd_queue,
    tell_delivery,
    unban_customer,
)
from bot.keyboards.callbacks import KINDS_BY_CODE, PickCB, PreviewCB, SupportCB
from bot.keyboards.menu import list_title
from bot.keyboards.support import preview_keyboard, product_choices
from bot.lists import Lists
from bot.ports import CustomerKey, Recommender
from bot.presenter import CardPresenter, ListPage
from bot.records import BotStore
from bot.refs import ProductRefs
from bot.relay import SupportDesk, is_note
from bot.routing import Route, route
from bot.views import compact_list_text_for, preview_text

LINE_LIMIT = 1000  # of the agent's line, in HTML: the cards take the rest of a message


async def _topic(message: Message, desk: SupportDesk) -> Topic | None:
    if not message.is_topic_message or message.message_thread_id is None:
        return None
    return await desk.conversation_in_topic(message.chat.id, message.message_thread_id)


async def on_topic_message(
    message: Message, event_from_user: User, desk: SupportDesk, store: BotStore, bot: Bot
) -> None:
    if event_from_user.is_bot or route(message) is Route.IGNORE:
        return
    topic = await _topic(message, desk)
    if topic is None:
        return  # the General topic, or a topic that is no customer's
    if is_note(message):
        conversation = await desk.conversations.open_conversation(topic.customer_id)
        if conversation is not None:
            await desk.note(message, event_from_user, conversation)
        return
    if route(message) is Route.UNKNOWN_COMMAND:
        await message.reply(
            html.quote(
                _("Commands here: /close, /note <text>, /ban, /unban, /queue. Nothing was sent.")
            )
        )
        return
    conversation = await desk.current(topic.customer_id)
    await tell_delivery(
        message, await desk.answer(bot, message, event_from_user, conversation), store
    )


async def cmd_close(message: Message, event_from_user: User, desk: SupportDesk, bot: Bot) -> None:
    topic = await _topic(message, desk)
    if topic is None:
        await message.reply(_("Send /close in a customer's topic."))
        return
    await close_conversation(message, topic.customer_id, event_from_user, desk, bot)


async def cmd_ban(message: Message, event_from_user: User, desk: SupportDesk) -> None:
    topic = await _topic(message, desk)
    if topic is None:
        await message.reply(_("Send /ban in a customer's topic."))
        return
    await ban_customer(message, topic.customer_id, event_from_user, desk)


async def cmd_unban(message: Message, desk: SupportDesk) -> None:
    topic = await _topic(message, desk)
    if topic is None:
        await message.reply(_("Send /unban in a customer's topic."))
        return
    await unban_customer(message, topic.customer_id, desk)


async def on_card_button(
    query: CallbackQuery,
    callback_data: SupportCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
    recommender: Recommender,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    topic = await desk.conversations.topic(callback_data.customer)
    if topic is None or query.message is None:
        callback_answer.text = _("This customer's conversation is gone.")
        callback_answer.show_alert = True
        return
    if callback_data.action == "x":
        if not await desk.close(bot, topic.customer_id, event_from_user):
            callback_answer.text = _("This conversation is closed already.")
        return
    kind = callback_data.kind
    if callback_data.action == "p":
        await state.set_state(Sending.choosing_product)
        await state.set_data({"customer": topic.customer_id, "thread": topic.thread_id})
        await bot.send_message(
            topic.chat_id,
            "🔎 " + html.quote(_("Send the product's id, or words of its name.")),
            message_thread_id=topic.thread_id,
        )
        return
    if callback_data.action == "s" and kind is not None:
        await _preview(
            bot, state, topic, {"code": callback_data.code}, lists, store, recommender, i18n
        )
        return
    if callback_data.action == "v" and kind is not None:
        user = await store.user(topic.customer_id)
        key = CustomerKey(
            contact_id=user.contact_id if user else None, telegram_user_id=topic.customer_id
        )
        cards = await lists.products(kind, key)
        await bot.send_message(
            topic.chat_id,
            compact_list_text_for(
                kind, user.contact_id if user else None, cards, i18n.current_locale
            ),
            message_thread_id=topic.thread_id,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )


class Sending(StatesGroup):
    """An agent sending a list or a product from a customer's topic."""

    choosing_product = State()  # data: customer, thread
    previewing = State()  # data: customer, thread, code or product, line, preview
    adding_line = State()


async def _customer_key(store: BotStore, customer_id: int) -> CustomerKey:
    user = await store.user(customer_id)
    return CustomerKey(contact_id=user.contact_id if user else None, telegram_user_id=customer_id)


async def _page(
    data: dict[str, Any], lists: Lists, store: BotStore, recommender: Recommender
) -> ListPage | None:
    """What the preview in ``data`` sends: a list's cards or one product (None: nothing)."""
    if data.get("product"):
        card = await recommender.product(str(data["product"]))
        return ListPage(kind=None, cards=[card], page=0, staff=True) if card is not None else None
    kind = KINDS_BY_CODE.get(str(data.get("code", "")))
    if kind is None:
        return None
    cards = await lists.products(kind, await _customer_key(store, int(data["customer"])))
    return ListPage(kind=kind, cards=cards, page=0, staff=True) if cards else None


async def _preview(
    bot: Bot,
    state: FSMContext,
    topic: Topic,
    what: dict[str, Any],
    lists: Lists,
    store: BotStore,
    recommender: Recommender,
    i18n: I18n,
) -> None:
    """Show what would go to the customer, with Send / Add a line / Cancel; the previous
    preview of this agent goes."""
    data = {**(await state.get_data()), "customer": topic.customer_id, "thread": topic.thread_id}
    data.update(what)
    page = await _page(data, lists, store, recommender)
    if page is None:
        await state.clear()
        await bot.send_message(
            topic.chat_id,
            html.quote(_("Nothing to send: this list is empty for this customer.")),
            message_thread_id=topic.thread_id,
        )
        return
    title = list_title(page.kind) if page.kind is not None else "🏷 " + _("Product")
    if (old := data.get("preview")) is not None:
        with contextlib.suppress(TelegramBadRequest):
            await bot.delete_message(topic.chat_id, int(old))
    shown = await bot.send_message(
        topic.chat_id,
        preview_text(title, page.cards, str(data.get("line", "")), i18n.current_locale),
        message_thread_id=topic.thread_id,
        reply_markup=preview_keyboard(),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    await state.set_state(Sending.previewing)
    await state.set_data({**data, "preview": shown.message_id})


async def _same_topic(message: Message, state: FSMContext, desk: SupportDesk) -> Topic | None:
    topic = await _topic(message, desk)
    data = await state.get_data()
    if topic is None or data.get("thread") != topic.thread_id:
        return None
    return topic


async def on_product_query(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
    recommender: Recommender,
    refs: ProductRefs,
    i18n: I18n,
    bot: Bot,
) -> None:
    """The agent named the product to send: by id at once, else a choice among the names."""
    topic = await _same_topic(message, state, desk)
    query = (message.text or "").strip()
    if topic is None or not query or query.startswith(("/", "#")):
        await state.clear()
        await on_topic_message(message, event_from_user, desk, store, bot)
        return
    card = await recommender.product(query)
    if card is not None:
        await _preview(bot, state, topic, {"product": card.id}, lists, store, recommender, i18n)
        return
    found = await recommender.search(query, limit=5)
    if not found:
        await state.clear()
        await message.reply(html.quote(_("No product with this id or name.")))
        return
    choices = [(await refs.encode(item.id), clean(item.name) or item.id) for item in found]
    await message.reply(html.quote(_("Which one?")), reply_markup=product_choices(choices))


async def on_product_picked(
    query: CallbackQuery,
    callback_data: PickCB,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
    recommender: Recommender,
    refs: ProductRefs,
    i18n: I18n,
    bot: Bot,
) -> None:
    data = await state.get_data()
    product = await refs.decode(callback_data.ref)
    topic = await desk.conversations.topic(int(data["customer"])) if data.get("customer") else None
    if topic is None or product is None:
        callback_answer.text = _("This preview has expired.")
        return
    await _preview(bot, state, topic, {"product": product}, lists, store, recommender, i18n)


async def on_line(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
    recommender: Recommender,
    i18n: I18n,
    bot: Bot,
) -> None:
    """The agent's line for the preview: it goes above the cards, not on its own."""
    topic = await _same_topic(message, state, desk)
    if topic is None or not message.text or message.text.startswith(("/", "#")):
        await state.set_state(Sending.previewing)
        await on_topic_message(message, event_from_user, desk, store, bot)
        return
    line = message.html_text[:LINE_LIMIT]
    await _preview(bot, state, topic, {"line": line}, lists, store, recommender, i18n)


async def on_preview_button(
    query: CallbackQuery,
    callback_data: PreviewCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
    recommender: Recommender,
    presenter: CardPresenter,
    i18n: I18n,
    bot: Bot,
) -> None:
    data = await state.get_data()
    message = query.message
    current = await state.get_state()
    if (
        not isinstance(message, Message)
        or current is None
        or (callback_data.action != "no" and data.get("preview") != message.message_id)
    ):
        callback_answer.text = _("This preview has expired.")
        return
    if callback_data.action == "no":
        await state.clear()
        await edit_markup_once(message, None)
        callback_answer.text = _("Cancelled: nothing was sent.")
        return
    if callback_data.action == "line":
        await state.set_state(Sending.adding_line)
        await bot.send_message(
            message.chat.id,
            "✏️ " + html.quote(_("Write the line: it goes to the customer above the cards.")),
            message_thread_id=message.message_thread_id,
        )
        return
    page = await _page(data, lists, store, recommender)
    await state.clear()
    await edit_markup_once(message, None)
    if page is None:
        callback_answer.text = _("Nothing to send: this list is empty for this customer.")
        return
    delivery = await desk.send_cards(
        bot, presenter, page, str(data.get("line", "")), event_from_user, message
    )
    if not delivery.delivered:
        await tell_delivery(message, delivery, store)
        return
    title = list_title(page.kind) if page.kind is not None else clean(page.cards[0].name)
    await bot.send_message(
        message.chat.id,
        "📤 "
        + html.quote(
            _("Sent “{what}” ({count} products) to the customer, by {agent}.").format(
                what=title, count=len(page.cards), agent=clean(event_from_user.first_name)
            )
        ),
        message_thread_id=message.message_thread_id,
    )


def create_router() -> Router:
    """Everything in the operators' group; comes first, so no customer handler sees it."""
    router = Router(name=__name__)
    router.message.filter(InOperatorsChat())
    router.callback_query.filter(InOperatorsChat())
    router.message.register(cmd_close, Command("close"))
    router.message.register(cmd_ban, Command("ban"))
    router.message.register(cmd_unban, Command("unban"))
    router.message.register(cmd_queue, Command("queue"))
    router.message.register(on_line, StateFilter(Sending.adding_line))
    router.message.register(on_product_query, StateFilter(Sending.choosing_product))
    router.message.register(on_topic_message, F.content_type)
    router.callback_query.register(on_preview_button, PreviewCB.filter())
    router.callback_query.register(on_product_picked, PickCB.filter())
    router.callback_query.register(on_card_button, SupportCB.filter())
    return router
