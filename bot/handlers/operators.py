"""The operators' group: agents answer customers in their topics, take notes, close, ban.

Every member of the group is an agent (who joins it is the group admins' decision). In a
customer's topic an agent's message goes to the customer, except notes (``#...``,
``/note ...``) and the commands below; messages elsewhere in the group stay there.
"""

from __future__ import annotations

from aiogram import Bot, F, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.conversations import Topic
from bot.filters import InOperatorsChat
from bot.handlers.support import cmd_queue, tell_delivery
from bot.keyboards.callbacks import SupportCB
from bot.lists import Lists
from bot.ports import CustomerKey
from bot.records import BotStore
from bot.relay import SupportDesk, is_note
from bot.routing import Route, route
from bot.views import compact_list_text_for


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
    if not await desk.close(bot, topic.customer_id, event_from_user):
        await message.reply(_("This conversation is closed already."))


async def cmd_ban(message: Message, event_from_user: User, desk: SupportDesk) -> None:
    topic = await _topic(message, desk)
    if topic is None:
        await message.reply(_("Send /ban in a customer's topic."))
        return
    await desk.conversations.ban(topic.customer_id, event_from_user.id)
    await message.reply(
        _(
            "Banned from support: this customer's messages are dropped from now on. "
            "/unban undoes it."
        )
    )


async def cmd_unban(message: Message, desk: SupportDesk) -> None:
    topic = await _topic(message, desk)
    if topic is None:
        await message.reply(_("Send /unban in a customer's topic."))
        return
    if await desk.conversations.unban(topic.customer_id):
        await message.reply(_("Unbanned: this customer's messages reach support again."))
    else:
        await message.reply(_("This customer is not banned."))


async def on_card_button(
    query: CallbackQuery,
    callback_data: SupportCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    desk: SupportDesk,
    store: BotStore,
    lists: Lists,
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


def create_router() -> Router:
    """Everything in the operators' group; comes first, so no customer handler sees it."""
    router = Router(name=__name__)
    router.message.filter(InOperatorsChat())
    router.callback_query.filter(InOperatorsChat())
    router.message.register(cmd_close, Command("close"))
    router.message.register(cmd_ban, Command("ban"))
    router.message.register(cmd_unban, Command("unban"))
    router.message.register(cmd_queue, Command("queue"))
    router.message.register(on_topic_message, F.content_type)
    router.callback_query.register(on_card_button, SupportCB.filter())
    return router
