"""Customers' questions to support, and agents answering them from their private chats.

The customer side is the catch-all for what a person sends: whatever ``bot.routing.route``
gives to support opens or continues their conversation. Staff are not customers: in their
private chat a reply to a customer's message (or after its Reply button) is an answer, and
``/close``, ``/ban`` and ``/unban`` act on the conversation they are answering (or on the
customer named after the command), as the same commands do in a customer's forum topic.
"""

from __future__ import annotations

from aiogram import Bot, F, Router, html
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.conversations import Conversation
from bot.filters import IsStaff, MenuButton
from bot.keyboards.callbacks import ReplyCB
from bot.keyboards.menu import ASK_PERSON_BUTTON
from bot.records import BotStore
from bot.relay import Delivery, SupportDesk
from bot.routing import WRITTEN, Route, route
from bot.support import Support
from bot.views import queue_text


class Answering(StatesGroup):
    """An agent pressed Reply under a customer's message: what they write goes to them."""

    conversation = State()


class RoutedTo(Filter):
    def __init__(self, *where: Route) -> None:
        self.where = frozenset(where)

    async def __call__(self, message: Message) -> bool:
        return route(message) in self.where


async def _remember_language(store: BotStore, customer: User, i18n: I18n) -> None:
    """Agents' answers and the closing note reach the customer in the language they write in."""
    if await store.language(customer.id) is None:
        await store.set_language(customer.id, i18n.current_locale)


async def on_question(
    message: Message,
    event_from_user: User,
    desk: SupportDesk,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
) -> None:
    await _remember_language(store, event_from_user, i18n)
    await desk.from_customer(bot, message, event_from_user)


async def on_ask_person(
    message: Message,
    event_from_user: User,
    desk: SupportDesk,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
) -> None:
    await _remember_language(store, event_from_user, i18n)
    await desk.ask_for_person(bot, message, event_from_user)


async def tell_delivery(message: Message, delivery: Delivery, store: BotStore) -> None:
    """The agent hears when an answer did not reach the customer, and why."""
    if delivery.blocked:
        await message.reply(_("The customer has blocked the bot: this was not delivered."))
    elif delivery.taken_by is not None:
        await message.reply(
            html.quote(
                _("{agent} is answering this customer already: this was not sent.").format(
                    agent=delivery.taken_by
                )
            )
        )


async def _answer(
    message: Message,
    agent: User,
    conversation: Conversation,
    desk: SupportDesk,
    store: BotStore,
    bot: Bot,
) -> None:
    if not conversation.is_open:
        conversation = await desk.current(conversation.customer_id)
    await tell_delivery(message, await desk.answer(bot, message, agent, conversation), store)


async def on_agent_reply(
    message: Message, event_from_user: User, desk: SupportDesk, store: BotStore, bot: Bot
) -> None:
    """A staff member's reply (swipe) to a customer's message copied into their chat."""
    assert message.reply_to_message is not None
    conversation = await desk.conversations.find_by_copy(
        message.chat.id, message.reply_to_message.message_id
    )
    if conversation is None:
        await message.answer(_("This is not a customer's message: nothing was sent."))
        return
    await _answer(message, event_from_user, conversation, desk, store, bot)


async def on_agent_answering(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    bot: Bot,
) -> None:
    conversation = await _answering(state, desk)
    if conversation is None:
        await state.clear()
        await message.answer(_("This conversation is gone: nothing was sent."))
        return
    await _answer(message, event_from_user, conversation, desk, store, bot)


async def on_reply_pressed(
    query: CallbackQuery,
    callback_data: ReplyCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    bot: Bot,
) -> None:
    conversation = await desk.conversations.conversation(callback_data.conversation)
    if conversation is None:
        callback_answer.text = _("This conversation is gone.")
        return
    if conversation.agent_id not in (None, event_from_user.id):
        callback_answer.text = _("{agent} is answering this customer already.").format(
            agent=conversation.agent_name or conversation.agent_id
        )
        callback_answer.show_alert = True
        return
    await state.set_state(Answering.conversation)
    await state.update_data(conversation=conversation.id)
    name = conversation.customer_name or str(conversation.customer_id)
    await bot.send_message(
        event_from_user.id,
        html.quote(
            _(
                "Write your answer to {name}: each message goes to them as you send it. "
                "Send /done when you have finished."
            ).format(name=name)
        ),
    )


async def close_conversation(
    message: Message, customer_id: int, agent: User, desk: SupportDesk, bot: Bot
) -> bool:
    """``/close``: the customer is told, and their next message opens a new conversation.
    A topic says who closed it; in a private chat the agent hears it here."""
    if not await desk.close(bot, customer_id, agent):
        await message.reply(_("This conversation is closed already."))
        return False
    if message.chat.type == ChatType.PRIVATE:
        await message.reply(
            _(
                "Closed: the customer was told. Their next message opens a new conversation; "
                "what you write now stays here."
            )
        )
    return True


async def ban_customer(message: Message, customer_id: int, agent: User, desk: SupportDesk) -> None:
    """``/ban``: the customer's messages to support are dropped quietly from now on."""
    await desk.conversations.ban(customer_id, agent.id)
    await message.reply(
        _(
            "Banned from support: this customer's messages are dropped from now on. "
            "/unban undoes it."
        )
    )


async def unban_customer(message: Message, customer_id: int, desk: SupportDesk) -> None:
    if await desk.conversations.unban(customer_id):
        await message.reply(_("Unbanned: this customer's messages reach support again."))
    else:
        await message.reply(_("This customer is not banned."))


async def _answering(state: FSMContext, desk: SupportDesk) -> Conversation | None:
    """The conversation the agent pressed Reply for, while they answer it."""
    conversation_id = (await state.get_data()).get("conversation")
    if conversation_id is None:
        return None
    return await desk.conversations.conversation(int(conversation_id))


async def _named_customer(
    message: Message, words: str, agent: User, store: BotStore, support: Support
) -> int | None:
    """The Telegram user ``words`` names: a user id the bot knows, an @username, or a shop
    customer (contact id, ``#id``, phone, email, external id) who linked Telegram. Says why
    when there is none."""
    if words.startswith("@"):
        if (user := await store.user_by_username(words)) is not None:
            return user.telegram_user_id
    elif words.isdigit() and await store.user(int(words)) is not None:
        return int(words)
    else:
        profile = await support.find(agent.id, words)
        if profile is not None and profile.telegram_user_id is None:
            await message.reply(_("This customer has not linked Telegram yet."))
            return None
        if profile is not None:
            return profile.telegram_user_id
    await message.reply(_("No customer found for this query."))
    return None


async def _customer_of_command(
    message: Message,
    command: CommandObject,
    agent: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    support: Support,
) -> int | None:
    """Whom a private-chat ``/close``, ``/ban`` or ``/unban`` is about: the customer named
    after it, else the one whose message it replies to, else the one being answered."""
    words = (command.args or "").strip()
    if words:
        return await _named_customer(message, words, agent, store, support)
    conversation = None
    if message.reply_to_message is not None:
        conversation = await desk.conversations.find_by_copy(
            message.chat.id, message.reply_to_message.message_id
        )
    conversation = conversation or await _answering(state, desk)
    if conversation is None:
        await message.reply(
            html.quote(
                _(
                    "Send /{command} while answering a customer, as a reply to their message, "
                    "or with their contact id, phone, email or @username after it."
                ).format(command=command.command)
            )
        )
        return None
    return conversation.customer_id


async def cmd_on_customer(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    state: FSMContext,
    desk: SupportDesk,
    store: BotStore,
    support: Support,
    bot: Bot,
) -> None:
    """``/close``, ``/ban`` or ``/unban`` in an agent's private chat, on the customer
    ``_customer_of_command`` finds. Closing the conversation being answered ends the answering."""
    customer_id = await _customer_of_command(
        message, command, event_from_user, state, desk, store, support
    )
    if customer_id is None:
        return
    if command.command == "ban":
        await ban_customer(message, customer_id, event_from_user, desk)
    elif command.command == "unban":
        await unban_customer(message, customer_id, desk)
    else:
        answering = await _answering(state, desk)
        closed = await close_conversation(message, customer_id, event_from_user, desk, bot)
        if closed and answering is not None and answering.customer_id == customer_id:
            await state.clear()


async def cmd_done(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Done: your messages stay here now."))


async def cmd_duty(
    message: Message, command: CommandObject, event_from_user: User, desk: SupportDesk
) -> None:
    """``/duty on|off``: whether customers' messages reach this agent's private chat."""
    choice = (command.args or "").strip().lower()
    if choice in ("on", "off"):
        await desk.conversations.set_duty(event_from_user.id, choice == "on")
    on_duty = event_from_user.id in await desk.on_duty()
    text = (
        _("You are on duty: customers' messages come to this chat.")
        if on_duty
        else _("You are off duty: customers' messages do not come to this chat.")
    )
    await message.answer(text + "\n" + html.quote(_("Change it with /duty on or /duty off.")))


async def cmd_queue(message: Message, desk: SupportDesk) -> None:
    await message.answer(queue_text(await desk.queue(), desk.now()))


async def on_staff_other(message: Message, desk: SupportDesk) -> None:
    """Staff writing to the bot without replying to anyone: say how answers are sent."""
    if desk.in_group:
        await message.answer(
            _("Customers' conversations are in the operators' group: answer them there.")
        )
    else:
        await message.answer(
            _("To answer a customer, reply to their message here or press its Reply button.")
        )


async def on_ignored(message: Message) -> None:
    """Service messages: nothing to say."""


def create_agents_router() -> Router:
    """Staff in their private chats: replies to customers' messages. Comes before the
    customers' catch-all, after every command."""
    router = Router(name=__name__ + ".agents")
    router.message.filter(F.chat.type == "private", IsStaff())
    router.message.register(cmd_done, Command("done"))
    router.message.register(cmd_duty, Command("duty"))
    router.message.register(cmd_queue, Command("queue"))
    router.message.register(cmd_on_customer, Command("close", "ban", "unban"))
    router.message.register(on_agent_reply, F.reply_to_message, RoutedTo(*WRITTEN))
    router.message.register(
        on_agent_answering, StateFilter(Answering.conversation), RoutedTo(*WRITTEN)
    )
    router.message.register(on_staff_other, RoutedTo(*WRITTEN))
    router.callback_query.register(on_reply_pressed, ReplyCB.filter(), IsStaff())
    return router


def create_router() -> Router:
    """Customers: the "Ask a person" button, then whatever ``route`` sends to support."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(on_ask_person, F.text, MenuButton(*ASK_PERSON_BUTTON))
    router.message.register(on_question, RoutedTo(*WRITTEN))
    router.message.register(on_ignored, RoutedTo(Route.IGNORE))
    return router
