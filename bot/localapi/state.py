"""In-memory world of the local Bot API server: chats, updates, and what people do in the chats."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.localapi.errors import ApiError
from bot.localapi.model import (
    FILE_KINDS,
    GENERAL_TOPIC_ID,
    TOPIC_COLORS,
    ChatState,
    ForumTopic,
    GroupChat,
    JsonDict,
    Member,
    PrivateChat,
    SimulatedGroup,
    SimulatedUser,
    StoredFile,
    StoredMessage,
    now,
)

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_GROUP_ID",
    "DEFAULT_USERS",
    "BotApiState",
    "CallbackQuery",
    "ChatState",
    "GroupChat",
    "InlineQuery",
    "JsonDict",
    "PrivateChat",
    "SimulatedGroup",
    "SimulatedUser",
    "StoredFile",
    "StoredMessage",
    "Webhook",
    "now",
]

# What Telegram delivers when allowed_updates is empty or was never set.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# Telegram sends these only to bots that turned inline feedback on with BotFather; here a bot
# turns it on by naming the type in allowed_updates.
FEEDBACK_UPDATE_TYPES = frozenset({"chosen_inline_result"})
CONFLICT_TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
INLINE_QUERY_LIMIT = 256  # characters a person can type after the bot's username
KEPT_INLINE_QUERIES = 500

OLENA, TARAS, IRYNA, DMYTRO = 100001, 100002, 900001, 900002
DEFAULT_USERS: tuple[SimulatedUser, ...] = (
    SimulatedUser(OLENA, "Olena", "Kovalenko", "olena_demo", "uk", "+380501110001"),
    SimulatedUser(TARAS, "Taras", "Melnyk", "taras_demo", "en", "+380501110002"),
    SimulatedUser(IRYNA, "Iryna", "Bondar", "iryna_staff", "en", None, role="staff"),
    SimulatedUser(DMYTRO, "Dmytro", "Shevchenko", "dmytro_staff", "uk", None, role="staff"),
)
DEFAULT_GROUP_ID = -1001000000001
# The operators' group: Iryna runs it, Dmytro is an agent, the bot is an administrator.
DEFAULT_GROUPS: tuple[SimulatedGroup, ...] = (
    SimulatedGroup(DEFAULT_GROUP_ID, "Shop support", owner=IRYNA, members=(DMYTRO,)),
)


@dataclass
class CallbackQuery:
    """A button press waiting for the bot's answerCallbackQuery."""

    id: str
    user_id: int
    message_id: int
    answer: asyncio.Future[JsonDict]


@dataclass
class InlineQuery:
    """What a person typed after the bot's username, waiting for answerInlineQuery."""

    id: str
    user_id: int
    query: str
    offset: str
    chat_id: int
    answer: asyncio.Future[JsonDict]


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Pulse:
    """Wakes every waiter once; each waiter takes the current event before checking state."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return when fired or after ``seconds``, whichever comes first."""
        event = self._event
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


@dataclass
class CachedAnswer:
    expires: float
    answer: JsonDict = field(default_factory=dict)


def bot_command_entities(text: str) -> list[JsonDict]:
    command = text.split(maxsplit=1)[0] if text.startswith("/") and text.strip() else ""
    if len(command) > 1:
        return [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return []


class BotApiState:
    """Everything the server remembers: held in memory, lost on restart like a test fixture."""

    def __init__(
        self,
        token: str,
        users: Sequence[SimulatedUser] = DEFAULT_USERS,
        groups: Sequence[SimulatedGroup] = DEFAULT_GROUPS,
        *,
        bot_name: str = "Recoms demo",
        bot_username: str = "recoms_demo_bot",
        inline_placeholder: str | None = "Search...",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.inline_placeholder = inline_placeholder
        # Copies: a person's language changes in this world only, not in the next one.
        self.users: dict[int, SimulatedUser] = {u.id: dataclasses.replace(u) for u in users}
        self.chats: dict[int, ChatState] = {
            u.id: PrivateChat(u.id, user=u) for u in self.users.values()
        }
        for group in groups:
            self.chats[group.id] = self._new_group(group)
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[tuple[str, int | None, int | None], str], list[JsonDict]] = {}
        self.default_menu_button: JsonDict = {"type": "commands"}
        self.bot_texts: dict[str, str] = {}
        self.updates: list[JsonDict] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.inline_queries: OrderedDict[str, InlineQuery] = OrderedDict()
        self.inline_cache: dict[tuple[str, str, int | None], CachedAnswer] = {}
        self.inline_messages: dict[str, tuple[int, int]] = {}
        self.updates_changed = Pulse()
        self.chats_changed = Pulse()
        self.chat_version = 0
        self.closing = False
        self._poll_generation = 0
        self._ids = itertools.count(1)
        self._topic_colors = itertools.cycle(TOPIC_COLORS)

    def _new_group(self, group: SimulatedGroup) -> GroupChat:
        # Message 1 was the group's creation, long ago; topic ids never collide with General's.
        chat = GroupChat(group.id, next_message_id=2, name=group.title, username=group.username)
        chat.is_forum = group.is_forum
        if group.owner is not None:
            chat.members[group.owner] = Member(self.user(group.owner).to_user(), "creator")
        for user_id in group.members:
            chat.members[user_id] = Member(self.user(user_id).to_user(), "member")
        if group.bot_rights is None:
            chat.members[self.bot_id] = Member(self.bot_user, "member")
        else:
            chat.members[self.bot_id] = Member(self.bot_user, "administrator", group.bot_rights)
        return chat

    # --- updates -----------------------------------------------------------------------------

    def _chosen_updates(self) -> list[str] | None:
        return self.webhook.allowed_updates if self.webhook else self.allowed_updates

    def emit(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update unless the bot's allowed_updates leave its type out."""
        chosen = self._chosen_updates()
        if kind in FEEDBACK_UPDATE_TYPES:
            if not chosen or kind not in chosen:
                return None
        elif kind not in (frozenset(chosen) if chosen else DEFAULT_UPDATE_TYPES):
            return None
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self.updates_changed.fire()
        return update

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def drop_pending(self) -> None:
        self.updates.clear()

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        wait_seconds: float,
        allowed_updates: list[str] | None,
    ) -> list[JsonDict]:
        """Long polling: answer as soon as an update is pending or after ``wait_seconds``."""
        if self.webhook is not None:
            raise ApiError.conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.updates_changed.fire()  # an older poller still waiting gets Telegram's 409
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            if generation != self._poll_generation:
                raise ApiError.conflict(CONFLICT_TERMINATED)
            if self.updates:
                return self.updates[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self.closing or self.webhook is not None:
                return []
            await self.updates_changed.wait(remaining)

    def bot_sees(self, message: StoredMessage) -> bool:
        """Whether Telegram tells the bot about ``message``.

        Never about its own messages, except the service messages it causes; in a group where
        it is no administrator, privacy mode lets through only commands, replies to the bot and
        messages sent via it.
        """
        if message.from_bot and message.sender.get("id") == self.bot_id:
            return message.is_service
        chat = message.chat
        if not isinstance(chat, GroupChat):
            return True
        bot = chat.member(self.bot_id)
        if bot is None:
            return False
        if bot.is_admin or message.is_service:
            return True
        if message.via_bot is not None and message.via_bot.get("id") == self.bot_id:
            return True
        if message.reply_to is not None and message.reply_to.sender.get("id") == self.bot_id:
            return True
        first = (message.text or "").split(maxsplit=1)
        return (
            bool(first)
            and first[0].startswith("/")
            and ("@" not in first[0] or first[0].endswith("@" + self.bot_user["username"]))
        )

    def deliver(self, message: StoredMessage) -> None:
        if self.bot_sees(message):
            self.emit("message", message.to_dict())

    # --- chats -------------------------------------------------------------------------------

    def touch(self, chat: ChatState) -> None:
        self.chat_version += 1
        chat.version = self.chat_version
        self.chats_changed.fire()

    def touch_all(self) -> None:
        """Something every chat shows changed (the command menu, the menu button)."""
        self.chat_version += 1
        for chat in self.chats.values():
            chat.version = self.chat_version
        self.chats_changed.fire()

    def find_chat(self, chat_id: Any) -> ChatState:
        """The chat a Bot API call names, by id or a supergroup's @username, or 'chat not
        found' as Telegram answers."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if isinstance(chat, GroupChat) and chat.username == chat_id[1:]:
                    return chat
            raise ApiError.bad_request("chat not found")
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError.bad_request("chat not found") from None
        found = self.chats.get(key)
        if found is None:
            raise ApiError.bad_request("chat not found")
        if isinstance(found, GroupChat):
            self._bot_member(found)
        return found
        return chat

    def _bot_member(self, chat: GroupChat) -> Member:
        bot = chat.members.get(self.bot_id)
        if bot is None or bot.status == "left":
            raise ApiError.forbidden("bot is not a member of the supergroup chat")
        if bot.status == "kicked":
            raise ApiError.forbidden("bot was kicked from the supergroup chat")
        return bot

    def writable_chat(self, chat_id: Any) -> ChatState:
        """A chat the bot may write to now, as Telegram requires: a private chat the user
        started and did not block, or a group the bot is in."""
        chat = self.find_chat(chat_id)
        if isinstance(chat, PrivateChat):
            if chat.blocked:
                raise ApiError.forbidden("bot was blocked by the user")
            if not chat.started:
                raise ApiError.forbidden("bot can't initiate conversation with a user")
        return chat

    def private(self, user_id: int) -> PrivateChat:
        chat = self.chats.get(user_id)
        if not isinstance(chat, PrivateChat):
            raise KeyError(f"unknown simulated user {user_id}")
        return chat

    def group(self, chat_id: int) -> GroupChat:
        chat = self.chats.get(chat_id)
        if not isinstance(chat, GroupChat):
            raise KeyError(f"unknown group {chat_id}")
        return chat

    def groups_of(self, user_id: int) -> list[GroupChat]:
        return [
            chat
            for chat in self.chats.values()
            if isinstance(chat, GroupChat) and chat.member(user_id) is not None
        ]

    def may_write_in_topic(self, chat: GroupChat, thread_id: int | None, user_id: int) -> bool:
        """Closed topics take messages only from their creator and those who manage topics."""
        if thread_id is None:
            return True
        topic = chat.topics[thread_id]
        if not topic.closed or topic.creator_id == user_id:
            return True
        member = chat.member(user_id)
        return member is not None and member.can("can_manage_topics")

    def bot_thread(self, chat: ChatState, thread_id: int | None) -> int | None:
        """Check the message_thread_id of a bot's send as Telegram does."""
        if not thread_id:
            return None
        if isinstance(chat, PrivateChat) or (isinstance(chat, GroupChat) and chat.is_forum):
            if not isinstance(chat, GroupChat) or thread_id == GENERAL_TOPIC_ID:
                raise ApiError.bad_request("message thread not found")
            if thread_id not in chat.topics:
                raise ApiError.bad_request("message thread not found")
            if not self.may_write_in_topic(chat, thread_id, self.bot_id):
                raise ApiError.bad_request("TOPIC_CLOSED")
            return thread_id
        return None  # a reply thread of a group without topics: not simulated

    def add_message(self, chat: ChatState, sender: JsonDict, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.next_message_id, chat=chat, sender=sender, date=now(), **fields
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        if sender.get("is_bot"):
            chat.action = None
        self.touch(chat)
        return message

    def find_message(self, chat: ChatState, message_id: int, missing: str) -> StoredMessage:
        message = chat.messages.get(message_id)
        if message is None:
            raise ApiError.bad_request(missing)
        return message

    def service_message(
        self,
        chat: ChatState,
        sender: JsonDict,
        service: JsonDict | None = None,
        *,
        thread_id: int | None = None,
        pinned: StoredMessage | None = None,
    ) -> StoredMessage:
        """A service message ("topic created", "pinned ..."), told to the bot like others."""
        message = self.add_message(
            chat, sender, service=service, thread_id=thread_id, pinned_message=pinned
        )
        self.deliver(message)
        return message

    def open_topic(
        self,
        chat: GroupChat,
        creator: JsonDict,
        name: str,
        icon_color: int | None = None,
        icon_custom_emoji_id: str | None = None,
    ) -> ForumTopic:
        """A new topic, announced by its first message, whose id the topic takes."""
        topic = ForumTopic(
            thread_id=chat.next_message_id,
            name=name,
            icon_color=icon_color if icon_color is not None else next(self._topic_colors),
            creator_id=int(creator["id"]),
            icon_custom_emoji_id=icon_custom_emoji_id,
        )
        chat.topics[topic.thread_id] = topic
        created: JsonDict = {"name": topic.name, "icon_color": topic.icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        self.service_message(
            chat, creator, {"forum_topic_created": created}, thread_id=topic.thread_id
        )
        return topic

    def close_topic(
        self, chat: GroupChat, topic: ForumTopic, sender: JsonDict, *, closed: bool
    ) -> None:
        """Close or reopen, as Telegram does: saying so in the topic; no change is an error."""
        if topic.closed == closed:
            raise ApiError.bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        service = "forum_topic_closed" if closed else "forum_topic_reopened"
        self.service_message(chat, sender, {service: {}}, thread_id=topic.thread_id)

    def new_file(self, kind: str = "photo", **fields: Any) -> StoredFile:
        unique = secrets.token_hex(8)
        prefix = FILE_KINDS[kind][0]
        stored = StoredFile(
            file_id=f"{prefix}{unique}{secrets.token_hex(12)}", file_unique_id=unique, kind=kind
        )
        for name, value in fields.items():
            setattr(stored, name, value)
        self.files[stored.file_id] = stored
        return stored

    def new_id(self) -> str:
        return str(next(self._ids) * 1_000_003 + secrets.randbelow(1_000_000))

    # --- what a person does in the chat ------------------------------------------------------

    def user(self, user_id: int) -> SimulatedUser:
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown simulated user {user_id}")
        return user

    def _where(
        self, user_id: int, chat_id: int | None, thread_id: int | None, reply_to: int | None
    ) -> tuple[ChatState, int | None, StoredMessage | None]:
        """The chat, topic and replied message of what a person sends, as their app allows."""
        user = self.user(user_id)
        chat: ChatState
        if chat_id is None or chat_id == user_id:
            chat = self.private(user_id)
        else:
            target = self.chats.get(chat_id)
            if not isinstance(target, GroupChat) or target.member(user_id) is None:
                raise ValueError(f"{user.full_name} is not a member of chat {chat_id}")
            chat = target
        replied = None
        if reply_to is not None:
            replied = chat.messages.get(reply_to)
            if replied is None:
                raise ValueError("the message to reply to is gone")
            if thread_id is None:
                thread_id = replied.thread_id
            elif replied.thread_id not in (thread_id, None) and replied.message_id != thread_id:
                raise ValueError("the message to reply to is in another topic")
        if thread_id == GENERAL_TOPIC_ID:
            thread_id = None
        if thread_id is not None:
            if not isinstance(chat, GroupChat) or thread_id not in chat.topics:
                raise ValueError("no such topic")
            if not self.may_write_in_topic(chat, thread_id, user_id):
                raise ValueError(
                    "TOPIC_CLOSED: the topic is closed; only its creator and admins can write"
                )
        return chat, thread_id, replied

    def user_sends(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        **content: Any,
    ) -> StoredMessage:
        """The person sends ``content`` (StoredMessage fields) where their app points."""
        chat, thread, replied = self._where(user_id, chat_id, thread_id, reply_to)
        user = self.user(user_id)
        if isinstance(chat, PrivateChat):
            chat.started = True
            if chat.blocked:
                # Writing to a blocked bot unblocks it, as the Telegram apps do with "Restart".
                self.set_blocked(user.id, blocked=False)
        message = self.add_message(
            chat, user.to_user(), thread_id=thread, reply_to=replied, **content
        )
        self.deliver(message)
        return message

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        """The user types ``text``; a command gets its bot_command entity as in Telegram."""
        chat = self.private(user_id) if chat_id is None else None
        keyboard = chat.reply_keyboard if chat is not None else None
        if chat is not None and keyboard is not None and keyboard.get("one_time_keyboard"):
            pressed = any(b.get("text") == text for row in keyboard["keyboard"] for b in row)
            if pressed:
                chat.reply_keyboard = None
        return self.user_sends(
            user_id,
            chat_id=chat_id,
            thread_id=thread_id,
            reply_to=reply_to,
            text=text,
            entities=bot_command_entities(text),
        )

    def user_shares_contact(self, user_id: int, contact: JsonDict | None = None) -> StoredMessage:
        """The user presses a request_contact button: their own number, unless told otherwise.

        Telegram sends the own number without the leading '+', as most apps do.
        """
        user = self.user(user_id)
        chat = self.private(user_id)
        if contact is None:
            if not user.phone:
                raise ValueError(f"{user.full_name} has no phone number to share")
            contact = {
                "phone_number": user.phone.removeprefix("+"),
                "first_name": user.first_name,
                "user_id": user.id,
            }
            if user.last_name:
                contact["last_name"] = user.last_name
        keyboard = chat.reply_keyboard
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        return self.user_sends(user_id, contact=contact)

    def user_sends_file(
        self,
        user_id: int,
        kind: str,
        content: bytes,
        content_type: str,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        **details: Any,
    ) -> StoredMessage:
        """A photo, document, voice note or sticker from the person's device; the bot gets a
        file_id it can send on and a file_path it can download."""
        if kind not in FILE_KINDS:
            raise ValueError(f"unknown kind of file {kind!r}")
        if kind == "sticker" and caption:
            raise ValueError("a sticker has no caption")
        self._where(user_id, chat_id, thread_id, reply_to)  # refuse before storing the bytes
        stored = self.new_file(kind, content=content, content_type=content_type, **details)
        return self.user_sends(
            user_id,
            chat_id=chat_id,
            thread_id=thread_id,
            reply_to=reply_to,
            media=stored,
            caption=caption or None,
            caption_entities=[],
        )

    def user_sends_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        return self.user_sends(
            user_id,
            chat_id=chat_id,
            thread_id=thread_id,
            reply_to=reply_to,
            location={"latitude": latitude, "longitude": longitude},
        )

    def user_presses_button(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> CallbackQuery:
        """The user presses an inline callback button that the message really shows."""
        user = self.user(user_id)
        chat = self._where(user_id, chat_id, None, None)[0]
        message = chat.messages.get(message_id)
        if message is None or message.reply_markup is None:
            raise ValueError("no such message with buttons")
        datas = {
            b.get("callback_data") for row in message.reply_markup["inline_keyboard"] for b in row
        }
        if data not in datas:
            raise ValueError("the message has no button with that data")
        query = CallbackQuery(
            id=self.new_id(),
            user_id=user_id,
            message_id=message_id,
            answer=asyncio.get_running_loop().create_future(),
        )
        self.callback_queries[query.id] = query
        payload: JsonDict = {
            "id": query.id,
            "from": user.to_user(),
            "chat_instance": str(abs(hash((self.bot_id, chat.id))) % 10**18),
            "data": data,
        }
        if message.inline_message_id is not None:
            # The bot did not send a message sent via it: it learns of the press only so.
            payload["inline_message_id"] = message.inline_message_id
        else:
            payload["message"] = message.to_dict()
        self.emit("callback_query", payload)
        return query

    def set_blocked(self, user_id: int, *, blocked: bool) -> None:
        """Block or unblock the bot; the bot hears it as a my_chat_member update."""
        user = self.user(user_id)
        chat = self.private(user_id)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member_old: JsonDict = {"status": old, "user": self.bot_user}
        member_new: JsonDict = {"status": new, "user": self.bot_user}
        for member in (member_old, member_new):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self.touch(chat)
        self.emit(
            "my_chat_member",
            {
                "chat": user.to_chat(),
                "from": user.to_user(),
                "date": now(),
                "old_chat_member": member_old,
                "new_chat_member": member_new,
            },
        )

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The person switches their app's language; their next updates carry it."""
        user = self.user(user_id)
        user.language_code = language_code or None
        for chat in self.groups_of(user_id):
            chat.members[user_id].user = user.to_user()
        self.touch_all()

    def _managed_topic(
        self, user_id: int, chat_id: int, thread_id: int | None
    ) -> tuple[GroupChat, Member, ForumTopic | None]:
        chat = self.chats.get(chat_id)
        member = chat.member(user_id) if isinstance(chat, GroupChat) else None
        if not isinstance(chat, GroupChat) or member is None:
            raise ValueError(f"{self.user(user_id).full_name} is not a member of chat {chat_id}")
        if not chat.is_forum:
            raise ValueError("the group has no topics")
        topic = chat.topics.get(thread_id) if thread_id is not None else None
        if thread_id is not None and topic is None:
            raise ValueError("no such topic")
        mine = topic is not None and topic.creator_id == user_id
        if not mine and not member.can("can_manage_topics"):
            raise ValueError("only admins who manage topics can do that")
        return chat, member, topic

    def user_opens_topic(self, user_id: int, chat_id: int, name: str) -> ForumTopic:
        """A member with the right creates a topic in the app."""
        chat, member, _topic = self._managed_topic(user_id, chat_id, None)
        cleaned = " ".join(name.split())[:128]
        if not cleaned:
            raise ValueError("a topic needs a name")
        return self.open_topic(chat, member.user, cleaned)

    def user_closes_topic(
        self, user_id: int, chat_id: int, thread_id: int, *, closed: bool = True
    ) -> None:
        """Its creator or an admin who manages topics closes (or reopens) a topic."""
        chat, member, topic = self._managed_topic(user_id, chat_id, thread_id)
        assert topic is not None
        if topic.closed == closed:
            raise ValueError("the topic is already " + ("closed" if closed else "open"))
        self.close_topic(chat, topic, member.user, closed=closed)

    # --- inline mode -------------------------------------------------------------------------

    def chat_type_for_inline(self, user_id: int, chat: ChatState) -> str:
        if isinstance(chat, GroupChat):
            return "supergroup"
        return "sender" if chat.id == user_id else "private"

    def user_asks_inline(
        self, user_id: int, query: str, offset: str = "", *, chat_id: int | None = None
    ) -> InlineQuery:
        """The person types ``@bot query`` in a chat. A fresh answer Telegram cached for the
        same text is given again without asking the bot."""
        user = self.user(user_id)
        if len(query) > INLINE_QUERY_LIMIT:
            raise ValueError(f"an inline query is at most {INLINE_QUERY_LIMIT} characters")
        chat, _thread, _reply = self._where(user_id, chat_id, None, None)
        loop = asyncio.get_running_loop()
        inline = InlineQuery(self.new_id(), user_id, query, offset, chat.id, loop.create_future())
        self.inline_queries[inline.id] = inline
        while len(self.inline_queries) > KEPT_INLINE_QUERIES:
            self.inline_queries.popitem(last=False)
        moment = time.monotonic()
        for key in (query, offset, user_id), (query, offset, None):
            cached = self.inline_cache.get(key)
            if cached is not None and cached.expires > moment:
                inline.answer.set_result({**cached.answer, "cached": True})
                return inline
        self.emit(
            "inline_query",
            {
                "id": inline.id,
                "from": user.to_user(),
                "query": query,
                "offset": offset,
                "chat_type": self.chat_type_for_inline(user_id, chat),
            },
        )
        return inline

    def answer_inline(self, inline: InlineQuery, answer: JsonDict) -> None:
        """Keep the bot's answer for the person, and in the cache for ``cache_time``."""
        inline.answer.set_result(answer)
        if answer["cache_time"] > 0:
            key = (inline.query, inline.offset, inline.user_id if answer["is_personal"] else None)
            self.inline_cache[key] = CachedAnswer(time.monotonic() + answer["cache_time"], answer)

    def user_chooses_inline(
        self,
        user_id: int,
        query_id: str,
        result_id: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        """The person taps a result: it is sent from them "via" the bot where they typed."""
        inline = self.inline_queries.get(query_id)
        if inline is None or inline.user_id != user_id or not inline.answer.done():
            raise ValueError("no answered inline query with that id")
        results = inline.answer.result()["results"]
        result = next((r for r in results if r["id"] == result_id), None)
        if result is None:
            raise ValueError("the answer has no result with that id")
        chat_id = None if inline.chat_id == user_id else inline.chat_id
        self._where(user_id, chat_id, thread_id, reply_to)
        content = dict(result["message"])
        if "photo" in content:
            photo = content.pop("photo")
            content["media"] = (
                self.files[photo["file_id"]]
                if "file_id" in photo
                else self.new_file("photo", url=photo["url"], **photo["size"])
            )
        inline_message_id = None
        if result.get("reply_markup") is not None:
            inline_message_id = secrets.token_urlsafe(18)
        message = self.user_sends(
            user_id,
            chat_id=chat_id,
            thread_id=thread_id,
            reply_to=reply_to,
            via_bot=self.bot_user,
            reply_markup=result.get("reply_markup"),
            inline_message_id=inline_message_id,
            **content,
        )
        chosen: JsonDict = {
            "result_id": result_id,
            "from": self.user(user_id).to_user(),
            "query": inline.query,
        }
        if inline_message_id is not None:
            self.inline_messages[inline_message_id] = (message.chat.id, message.message_id)
            chosen["inline_message_id"] = inline_message_id
        self.emit("chosen_inline_result", chosen)
        return message

    # --- commands ----------------------------------------------------------------------------

    def scope_key(self, scope: JsonDict | None) -> tuple[str, int | None, int | None]:
        """The scope of setMyCommands as (type, chat id, user id), checked as Telegram does."""
        if not scope:
            return ("default", None, None)
        kind = scope.get("type")
        if not isinstance(kind, str):
            raise ApiError.bad_request("can't parse BotCommandScope: Can't find field \"type\"")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind, None, None)
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise ApiError.bad_request("can't parse BotCommandScope: Unsupported type specified")
        if scope.get("chat_id") in (None, ""):
            raise ApiError.bad_request("can't parse BotCommandScope: Can't find field \"chat_id\"")
        chat = self.find_chat(scope.get("chat_id"))
        if kind == "chat":
            return (kind, chat.id, None)
        if not isinstance(chat, GroupChat):
            raise ApiError.bad_request("can't use specified scope in private chats")
        if kind == "chat_administrators":
            return (kind, chat.id, None)
        user_id = scope.get("user_id")
        if not isinstance(user_id, int) or user_id <= 0:
            raise ApiError.bad_request("can't parse BotCommandScope: Invalid user_id specified")
        if user_id not in self.users:
            raise ApiError.bad_request("user not found")
        return (kind, chat.id, user_id)

    def commands_for(self, user: SimulatedUser, chat: ChatState | None = None) -> list[JsonDict]:
        """The command menu ``user`` sees in ``chat`` (their private chat by default), by
        Telegram's order of scopes, each tried in the user's language and then without one."""
        language = (user.language_code or "")[:2]
        scopes: list[tuple[str, int | None, int | None]]
        if isinstance(chat, GroupChat):
            member = chat.member(user.id)
            admin = member is not None and member.is_admin
            scopes = [("chat_member", chat.id, user.id)]
            if admin:
                scopes.append(("chat_administrators", chat.id, None))
            scopes.append(("chat", chat.id, None))
            if admin:
                scopes.append(("all_chat_administrators", None, None))
            scopes.append(("all_group_chats", None, None))
        else:
            scopes = [("chat", user.id, None), ("all_private_chats", None, None)]
        scopes.append(("default", None, None))
        for scope in scopes:
            for lang in (language, ""):
                found = self.commands.get((scope, lang))
                if found:
                    return found
        return []

    def clear_actions(self, chats: Iterable[ChatState]) -> None:
        moment = time.monotonic()
        for chat in chats:
            if chat.action and chat.action_until < moment:
                chat.action = None
