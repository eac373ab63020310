"""The support desk: customers' messages to the agents and the agents' answers back.

Two ways to reach agents. With an operators' group (``BOT_SUPPORT_CHAT_ID``, a supergroup with
topics) every customer has one topic, opened with a pinned profile card; what the customer
sends is copied into it, and what an agent writes there is copied back. Without the group,
each customer message is copied to the private chats of the agents on duty with a reply
button; the first agent who answers takes the conversation and gets its next messages alone.

Everything relayed is recorded (``bot.conversations``). Texts for the group are in the
default language; texts for a person in theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram import Bot, Dispatcher, html
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message, ReplyParameters, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from bot.cards import clean, cut_escaped
from bot.conversations import (
    Conversation,
    ConversationStore,
    Direction,
    Relayed,
    SupportFigures,
    Topic,
)
from bot.flood import Flood, FloodGate
from bot.keyboards.support import card_keyboard, reply_keyboard
from bot.office_hours import OfficeHours
from bot.ports import CustomerKey, CustomerProfile, Recommender
from bot.presenter import CardPresenter, ListPage
from bot.privacy import mask_phone
from bot.records import BotStore, BotUser
from bot.staff import StaffDirectory
from bot.support import product_labels
from bot.views import customer_card_text

log = logging.getLogger(__name__)

NOTE_PREFIXES = ("#", "/note")
TOPIC_NAME_LIMIT = 128
# A replica opening a topic holds its claim for a second or two; one that held it this long
# stopped mid-way, and another replica opens the topic instead.
TOPIC_CLAIM_STALE = timedelta(seconds=30)
TOPIC_CLAIM_POLL_S = 0.05
# Captions take 1024 characters; a signature must leave the agent's words room.
SIGNATURE_LIMIT = 64


def is_note(message: Message) -> bool:
    """An agent's message that stays among the agents: it starts with ``#`` or ``/note``."""
    text = message.text or message.caption or ""
    return text.lstrip().startswith(NOTE_PREFIXES)


@dataclass(frozen=True)
class Delivery:
    """What happened to an agent's answer."""

    delivered: bool
    blocked: bool = False  # the customer has blocked the bot
    taken_by: str | int | None = None  # another agent (name or id) has this conversation


class SupportDesk:
    def __init__(
        self,
        *,
        store: BotStore,
        recommender: Recommender,
        staff: StaffDirectory,
        i18n: I18n,
        operators_chat_id: int | None,
        office_hours: OfficeHours,
        sla: timedelta,
        sign_answers: bool,
        flood: FloodGate,
        group_locale: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._recommender = recommender
        self._staff = staff
        self._i18n = i18n
        self.operators_chat_id = operators_chat_id
        self._hours = office_hours
        self.sla = sla
        self._sign = sign_answers
        self._flood = flood
        self._group_locale = group_locale
        self.now = clock
        self._topic_locks: dict[int, asyncio.Lock] = {}

    @property
    def conversations(self) -> ConversationStore:
        return self._store.conversations

    @property
    def in_group(self) -> bool:
        return self.operators_chat_id is not None

    # --- languages ------------------------------------------------------------------------
    @contextmanager
    def _in_group_language(self) -> Iterator[None]:
        with self._i18n.use_locale(self._group_locale):
            yield

    @contextmanager
    def _in_language_of(self, user: BotUser | None) -> Iterator[None]:
        language = user.language if user is not None else None
        if language not in self._i18n.available_locales:
            language = self._i18n.default_locale
        with self._i18n.use_locale(language):
            yield

    # --- from the customer ----------------------------------------------------------------
    async def from_customer(self, bot: Bot, message: Message, customer: User) -> None:
        """Relay what the customer sent; the first message of a conversation is acknowledged.
        A banned customer is dropped without a word; one over the flood limit is told once a
        minute to slow down."""
        conversations = self.conversations
        if await conversations.is_banned(customer.id):
            log.info("support message of banned user %s dropped", customer.id)
            return
        now = self.now()
        flood = await self._flood.admit(customer.id, now)
        if flood is not Flood.ADMITTED:
            if flood is Flood.TELL:
                await self._notice_flood(message)
            return
        user = await self._store.user(customer.id)
        contact_id = user.contact_id if user is not None else None
        conversation, new = await conversations.start_conversation(
            customer.id, contact_id, now, who(customer)
        )
        if self.in_group:
            await self._to_topic(bot, message, customer, user, conversation)
        else:
            await self._to_agents(bot, message, customer, user, conversation, new=new)
        if new:
            await message.answer(self.acknowledgement(now))

    def acknowledgement(self, now: datetime) -> str:
        """What a customer hears once per conversation: where and when the answer comes."""
        minutes = max(1, int(self.sla.total_seconds() // 60))
        if self._hours.is_open(now):
            return _(
                "Thank you! I have passed your message to our support team. An agent will "
                "answer here in this chat, usually within {minutes} minutes."
            ).format(minutes=minutes)
        opening = self._hours.next_opening(now)
        return _(
            "Thank you! I have passed your message to our support team. Our agents are away "
            "now; they will answer here in this chat after {time} ({zone})."
        ).format(
            time=format_datetime(opening, "EEE HH:mm", locale=self._i18n.current_locale),
            zone=html.quote(str(self._hours.zone)),
        )

    async def ask_for_person(self, bot: Bot, message: Message, customer: User) -> None:
        """The "Ask a person" button: a conversation starts, and the customer is told where."""
        if await self.conversations.is_banned(customer.id):
            return
        now = self.now()
        user = await self._store.user(customer.id)
        contact_id = user.contact_id if user is not None else None
        conversation, new = await self.conversations.start_conversation(
            customer.id, contact_id, now, who(customer)
        )
        if self.in_group:
            topic = await self._topic_for(bot, customer, user, conversation)
            with self._in_group_language():
                await bot.send_message(
                    topic.chat_id,
                    "🙋 " + html.quote(_("The customer asked to talk to a person.")),
                    message_thread_id=topic.thread_id,
                )
        await message.answer(
            self.acknowledgement(now)
            if new
            else _("An agent will answer here. Write your question in this chat.")
        )

    async def _notice_flood(self, message: Message) -> None:
        await message.answer(
            _(
                "You are sending messages faster than our agents can read them. Please wait "
                "a minute, then write again: nothing you sent before is lost."
            )
        )

    # --- the operators' group -------------------------------------------------------------
    async def _to_topic(
        self,
        bot: Bot,
        message: Message,
        customer: User,
        user: BotUser | None,
        conversation: Conversation,
    ) -> None:
        topic = await self._topic_for(bot, customer, user, conversation)
        replying = None
        if message.reply_to_message is not None:
            # The customer replies to an answer (or their own message): so does the copy.
            replied = await self.conversations.agent_side_of(
                customer.id, message.reply_to_message.message_id
            )
            replying = _reply_to(replied)
        try:
            copy = await bot.copy_message(
                topic.chat_id,
                customer.id,
                message.message_id,
                message_thread_id=topic.thread_id,
                reply_parameters=replying,
            )
        except TelegramBadRequest as error:
            if "thread" not in error.message.lower():
                raise
            # Someone deleted the topic in Telegram: open a new one for the customer.
            log.info("topic of user %s is gone (%s); opening another", customer.id, error)
            topic = await self._claimed_topic(bot, customer, user, gone=topic)
            copy = await bot.copy_message(
                topic.chat_id, customer.id, message.message_id, message_thread_id=topic.thread_id
            )
        await self.conversations.record(
            Relayed(
                conversation_id=conversation.id,
                direction=Direction.IN,
                at=self.now(),
                customer_message_id=message.message_id,
                agent_chat_id=topic.chat_id,
                agent_message_id=copy.message_id,
            )
        )

    async def _topic_for(
        self, bot: Bot, customer: User, user: BotUser | None, conversation: Conversation
    ) -> Topic:
        """The customer's topic, reopened when closed; a new one with a pinned profile card
        on their first message. One at a time per customer, in this process and across
        replicas, so two messages at once make one topic."""
        lock = self._topic_locks.setdefault(customer.id, asyncio.Lock())
        async with lock:
            topic = await self._current_topic(customer.id)
            if topic is None:
                return await self._claimed_topic(bot, customer, user)
            if topic.closed:
                with self._in_group_language():
                    await bot.reopen_forum_topic(topic.chat_id, topic.thread_id)
                    await bot.send_message(
                        topic.chat_id,
                        "🔓 " + html.quote(_("The customer wrote again: a new conversation.")),
                        message_thread_id=topic.thread_id,
                    )
                topic = Topic(
                    topic.customer_id, topic.chat_id, topic.thread_id, topic.card_message_id
                )
                await self.conversations.save_topic(topic)
            return topic

    async def _current_topic(self, customer_id: int, gone: Topic | None = None) -> Topic | None:
        """The customer's topic in the operators' group, unless it is the ``gone`` one."""
        topic = await self.conversations.topic(customer_id)
        if topic is None or topic.chat_id != self.operators_chat_id:
            return None
        return None if gone is not None and topic.thread_id == gone.thread_id else topic

    async def _claimed_topic(
        self, bot: Bot, customer: User, user: BotUser | None, gone: Topic | None = None
    ) -> Topic:
        """A new topic for the customer, opened by the one replica that claims it in the
        database; another replica waits and takes that topic."""
        conversations = self.conversations
        while not await conversations.claim_topic(
            customer.id, datetime.now(UTC), TOPIC_CLAIM_STALE
        ):
            await asyncio.sleep(TOPIC_CLAIM_POLL_S)
            if (topic := await self._current_topic(customer.id, gone)) is not None:
                return topic
        try:
            # The replica that held the claim may have saved its topic just before.
            if (topic := await self._current_topic(customer.id, gone)) is not None:
                return topic
            return await self._open_topic(bot, customer, user)
        finally:
            await conversations.release_topic(customer.id)

    async def _open_topic(self, bot: Bot, customer: User, user: BotUser | None) -> Topic:
        assert self.operators_chat_id is not None
        profile = await self.profile_of(customer.id, user)
        created = await bot.create_forum_topic(
            self.operators_chat_id, topic_name(profile, customer)
        )
        thread_id = created.message_thread_id
        with self._in_group_language():
            card = await bot.send_message(
                self.operators_chat_id,
                await self.card_text(customer, user, profile),
                message_thread_id=thread_id,
                reply_markup=card_keyboard(customer.id, linked=profile is not None),
            )
        await bot.pin_chat_message(
            self.operators_chat_id, card.message_id, disable_notification=True
        )
        topic = Topic(customer.id, self.operators_chat_id, thread_id, card.message_id)
        await self.conversations.save_topic(topic)
        return topic

    async def profile_of(self, customer_id: int, user: BotUser | None) -> CustomerProfile | None:
        if user is None or user.contact_id is None:
            return None
        return await self._recommender.profile(CustomerKey(contact_id=user.contact_id))

    async def card_text(
        self, customer: User, user: BotUser | None, profile: CustomerProfile | None
    ) -> str:
        """The profile card: who the customer is, their last orders by product name, cart."""
        names = (
            await product_labels(self._recommender, profile, self._i18n.current_locale)
            if profile is not None
            else {}
        )
        return customer_card_text(
            customer,
            profile,
            language=user.language if user is not None else customer.language_code,
            names=names,
            locale=self._i18n.current_locale,
        )

    # --- agents' private chats ------------------------------------------------------------
    async def on_duty(self) -> list[int]:
        """Staff on duty, in id order: everyone but those who said ``/duty off``."""
        members = await self._staff.member_ids()
        off = await self.conversations.off_duty(members)
        return [member for member in members if member not in off]

    async def _to_agents(
        self,
        bot: Bot,
        message: Message,
        customer: User,
        user: BotUser | None,
        conversation: Conversation,
        *,
        new: bool,
    ) -> None:
        agents = [conversation.agent_id] if conversation.agent_id else await self.on_duty()
        profile = await self.profile_of(customer.id, user) if new else None
        for agent_id in agents:
            agent = await self._store.user(agent_id)
            try:
                with self._in_language_of(agent):
                    if new:
                        await bot.send_message(
                            agent_id,
                            "💬 "
                            + html.quote(_("A new conversation."))
                            + "\n"
                            + await self.card_text(customer, user, profile),
                        )
                    copy = await bot.copy_message(
                        agent_id,
                        customer.id,
                        message.message_id,
                        reply_markup=reply_keyboard(conversation.id, who(customer)),
                    )
            except (TelegramForbiddenError, TelegramBadRequest) as error:
                log.info("agent %s cannot get support messages: %s", agent_id, error.message)
                continue
            await self.conversations.record(
                Relayed(
                    conversation_id=conversation.id,
                    direction=Direction.IN,
                    at=self.now(),
                    customer_message_id=message.message_id,
                    agent_chat_id=agent_id,
                    agent_message_id=copy.message_id,
                )
            )

    # --- from an agent --------------------------------------------------------------------
    async def answer(
        self, bot: Bot, message: Message, agent: User, conversation: Conversation
    ) -> Delivery:
        """Copy the agent's message to the customer (signed when set so). In private-agents
        mode the first agent who answers takes the conversation."""
        if not self.in_group:
            taken = await self.conversations.take(conversation.id, agent.id, agent.first_name)
            if taken.agent_id != agent.id:
                return Delivery(delivered=False, taken_by=taken.agent_name or taken.agent_id)
        customer_id = conversation.customer_id
        try:
            sent = await self._copy_to_customer(bot, message, agent, customer_id)
        except TelegramForbiddenError:
            await self._store.mark_blocked(customer_id)
            return Delivery(delivered=False, blocked=True)
        return await self._answered(conversation, message, agent, sent)

    async def _copy_to_customer(
        self, bot: Bot, message: Message, agent: User, customer_id: int
    ) -> int:
        """The agent's message in the customer's chat: its id there. A signature goes under
        a text or a caption; stickers, locations and the like go as they are."""
        signature = "— " + cut_escaped(clean(agent.first_name), SIGNATURE_LIMIT)
        replying = None
        if message.reply_to_message is not None:
            replied = await self.conversations.customer_side_of(
                message.chat.id, message.reply_to_message.message_id
            )
            replying = _reply_to(replied)
        if self._sign and message.text is not None:
            sent = await bot.send_message(
                customer_id,
                message.html_text + "\n\n" + signature,
                reply_parameters=replying,
            )
            return sent.message_id
        caption = None
        if self._sign and _takes_caption(message):
            caption = (message.html_text + "\n\n" if message.caption else "") + signature
        copy = await bot.copy_message(
            customer_id,
            message.chat.id,
            message.message_id,
            caption=caption,
            reply_parameters=replying,
        )
        return copy.message_id

    async def send_cards(
        self,
        bot: Bot,
        presenter: CardPresenter,
        page: ListPage,
        line: str,
        agent: User,
        where: Message,
    ) -> Delivery:
        """A list or a product (``page``), with the agent's line above it, in the customer's
        chat and language; recorded as the agent's answer (``where``: the preview)."""
        topic = await self.conversation_in_topic(where.chat.id, where.message_thread_id or 0)
        if topic is None:
            return Delivery(delivered=False)
        conversation = await self.current(topic.customer_id)
        customer = await self._store.user(topic.customer_id)
        try:
            with self._in_language_of(customer):
                if line:
                    await bot.send_message(topic.customer_id, line)
                sent = await presenter.send(bot, topic.customer_id, page)
        except TelegramForbiddenError:
            await self._store.mark_blocked(topic.customer_id)
            return Delivery(delivered=False, blocked=True)
        return await self._answered(conversation, where, agent, sent.message_id)

    async def _answered(
        self, conversation: Conversation, where: Message, agent: User, customer_message_id: int
    ) -> Delivery:
        """Record what ``agent`` sent from ``where`` as the customer's message, and say so."""
        await self.conversations.record(
            Relayed(
                conversation_id=conversation.id,
                direction=Direction.OUT,
                at=self.now(),
                customer_message_id=customer_message_id,
                agent_chat_id=where.chat.id,
                agent_message_id=where.message_id,
                agent_id=agent.id,
                agent_name=agent.first_name,
            )
        )
        return Delivery(delivered=True)

    async def note(self, message: Message, agent: User, conversation: Conversation) -> None:
        await self.conversations.record(
            Relayed(
                conversation_id=conversation.id,
                direction=Direction.NOTE,
                at=self.now(),
                customer_message_id=None,
                agent_chat_id=message.chat.id,
                agent_message_id=message.message_id,
                agent_id=agent.id,
            )
        )

    async def conversation_in_topic(self, chat_id: int, thread_id: int) -> Topic | None:
        if chat_id != self.operators_chat_id:
            return None
        return await self.conversations.topic_by_thread(chat_id, thread_id)

    async def current(self, customer_id: int, name: str = "") -> Conversation:
        """The customer's open conversation; an agent writing after a close opens a new one."""
        user = await self._store.user(customer_id)
        contact_id = user.contact_id if user is not None else None
        conversation, _new = await self.conversations.start_conversation(
            customer_id, contact_id, self.now(), name
        )
        return conversation

    async def close(self, bot: Bot, customer_id: int, agent: User) -> bool:
        """Close the customer's conversation: they are told, and their topic is closed."""
        conversation = await self.conversations.open_conversation(customer_id)
        if conversation is None or not await self.conversations.close(conversation.id, self.now()):
            return False
        customer = await self._store.user(customer_id)
        with self._in_language_of(customer):
            text = _(
                "This conversation is closed. Thank you for writing! If you need anything "
                "else, just write here."
            )
        try:
            await bot.send_message(customer_id, text)
        except TelegramForbiddenError:
            await self._store.mark_blocked(customer_id)
        topic = await self.conversations.topic(customer_id)
        if topic is not None and not topic.closed:
            with self._in_group_language():
                await bot.send_message(
                    topic.chat_id,
                    "✅ "
                    + html.quote(_("Closed by {agent}.")).format(
                        agent=cut_escaped(clean(agent.first_name), 64)
                    ),
                    message_thread_id=topic.thread_id,
                )
            try:
                await bot.close_forum_topic(topic.chat_id, topic.thread_id)
            except TelegramBadRequest as error:
                log.info("could not close the topic of user %s: %s", customer_id, error.message)
            await self.conversations.save_topic(
                Topic(
                    topic.customer_id,
                    topic.chat_id,
                    topic.thread_id,
                    topic.card_message_id,
                    closed=True,
                )
            )
        return True

    async def forget(self, bot: Bot, customer_id: int) -> None:
        """Delete the customer's conversations and their topic (with its messages)."""
        topic = await self.conversations.forget_customer(customer_id)
        if topic is not None:
            try:
                await bot.delete_forum_topic(topic.chat_id, topic.thread_id)
            except TelegramBadRequest as error:
                log.info("could not delete the topic of user %s: %s", customer_id, error.message)

    async def figures(self, days: int = 30) -> SupportFigures:
        return await self.conversations.figures(self.now() - timedelta(days=days))

    async def queue(self) -> list[Conversation]:
        """Open conversations: the longest waiting first, then those answered, oldest first."""
        return await self.conversations.open_conversations()

    # --- reminders ------------------------------------------------------------------------
    async def remind_overdue(self, bot: Bot) -> int:
        """One reminder per conversation waiting longer than the SLA: in its topic, or to the
        agents on duty (the agent who took it, when one did). How many were sent."""
        now = self.now()
        reminded = 0
        with self._i18n.context():  # outside any update: no language is set yet
            for conversation in await self.conversations.waiting():
                assert conversation.waiting_since is not None
                waited = now - conversation.waiting_since
                if waited < self.sla or conversation.reminded_at is not None:
                    continue
                if not await self.conversations.mark_reminded(conversation.id, now):
                    continue  # another replica reminded already
                await self._remind(bot, conversation, waited)
                reminded += 1
        return reminded

    async def _remind(self, bot: Bot, conversation: Conversation, waited: timedelta) -> None:
        minutes = int(waited.total_seconds() // 60)
        topic = await self.conversations.topic(conversation.customer_id)
        if self.in_group and topic is not None:
            with self._in_group_language():
                await bot.send_message(
                    topic.chat_id,
                    "⏰ "
                    + html.quote(
                        _("The customer has been waiting {minutes} minutes for an answer.").format(
                            minutes=minutes
                        )
                    ),
                    message_thread_id=topic.thread_id,
                )
            return
        agents = [conversation.agent_id] if conversation.agent_id else await self.on_duty()
        name = conversation.customer_name or str(conversation.customer_id)
        for agent_id in agents:
            with self._in_language_of(await self._store.user(agent_id)):
                text = "⏰ " + html.quote(
                    _("{name} has been waiting {minutes} minutes for an answer.").format(
                        name=clean(name)[:64], minutes=minutes
                    )
                )
                markup = reply_keyboard(conversation.id, clean(name)[:64])
            try:
                await bot.send_message(agent_id, text, reply_markup=markup)
            except (TelegramForbiddenError, TelegramBadRequest) as error:
                log.info("could not remind agent %s: %s", agent_id, error.message)

    def schedule_reminders(self, dp: Dispatcher, every: float = 30.0) -> None:
        """Check for overdue conversations while the dispatcher runs (polling or webhook)."""
        tasks: list[asyncio.Task[None]] = []

        async def start(bot: Bot) -> None:
            tasks.append(asyncio.create_task(self.run_reminders(bot, every)))

        async def stop() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            tasks.clear()

        dp.startup.register(start)
        dp.shutdown.register(stop)

    async def run_reminders(self, bot: Bot, every: float = 30.0) -> None:
        """Check for overdue conversations until cancelled."""
        while True:
            try:
                await self.remind_overdue(bot)
            except Exception:  # a failed round must not end the reminders
                log.exception("support reminders failed")
            await asyncio.sleep(every)


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    """A reply to the counterpart of the replied message, unless it is gone."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


def _takes_caption(message: Message) -> bool:
    return any((message.photo, message.video, message.document, message.audio, message.voice)) or (
        message.animation is not None
    )


def who(customer: User) -> str:
    return clean(customer.full_name)[:64] or str(customer.id)


def topic_name(profile: CustomerProfile | None, customer: User) -> str:
    """The contact's name, else the phone masked, with the contact id; unlinked customers by
    their Telegram name and user id."""
    if profile is None:
        return f"{who(customer)} · tg {customer.id}"[:TOPIC_NAME_LIMIT]
    label = clean(profile.name or "") or (mask_phone(profile.phone) if profile.phone else "")
    label = label or who(customer)
    return f"{label[:100]} · #{profile.contact_id}"[:TOPIC_NAME_LIMIT]
