"""In-memory world of the local Bot API server: users, chats, messages, files and updates."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.localapi.errors import ApiError

JsonDict = dict[str, Any]

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
CONFLICT_TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


@dataclass
class SimulatedUser:
    """A person in the web chat; the private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone: str | None = None
    role: str = "customer"

    def to_user(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def to_chat(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


DEFAULT_USERS: tuple[SimulatedUser, ...] = (
    SimulatedUser(
        100001, "Olena", "Kovalenko", "olena_demo", "uk", "+380501110001", role="customer"
    ),
    SimulatedUser(100002, "Taras", "Melnyk", "taras_demo", "en", "+380501110002", role="customer"),
    SimulatedUser(900001, "Iryna", "Bondar", "iryna_staff", "en", None, role="staff"),
)


@dataclass
class StoredFile:
    """A photo the bot sent: uploaded bytes, or an HTTP URL the client's browser loads."""

    file_id: str
    file_unique_id: str
    url: str | None = None
    content: bytes | None = None
    content_type: str = "image/jpeg"
    width: int = 800
    height: int = 800

    @property
    def file_path(self) -> str:
        return f"photos/{self.file_unique_id}.jpg"

    def photo_sizes(self) -> list[JsonDict]:
        size: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
        }
        if self.content is not None:
            size["file_size"] = len(self.content)
        return [size]


@dataclass
class StoredMessage:
    """One message of a private chat, as the Bot API describes it."""

    message_id: int
    chat: SimulatedUser
    sender: JsonDict
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    photo: StoredFile | None = None
    contact: JsonDict | None = None
    reply_markup: JsonDict | None = None
    reply_to: StoredMessage | None = None
    edit_date: int | None = None
    options: JsonDict = field(default_factory=dict)

    @property
    def from_bot(self) -> bool:
        return bool(self.sender.get("is_bot"))

    def to_dict(self, *, with_reply: bool = True) -> JsonDict:
        message: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_chat(),
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.reply_to is not None and with_reply:
            message["reply_to_message"] = self.reply_to.to_dict(with_reply=False)
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.photo is not None:
            message["photo"] = self.photo.photo_sizes()
        if self.caption:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.contact is not None:
            message["contact"] = self.contact
        message.update(self.options)
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class ChatState:
    """The private chat between one simulated user and the bot."""

    user: SimulatedUser
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JsonDict | None = None
    menu_button: JsonDict | None = None
    started: bool = False
    blocked: bool = False
    action: str | None = None
    action_until: float = 0.0
    version: int = 0


@dataclass
class CallbackQuery:
    """A button press waiting for the bot's answerCallbackQuery."""

    id: str
    user_id: int
    message_id: int
    answer: asyncio.Future[JsonDict]


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


def now() -> int:
    return int(time.time())


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


class BotApiState:
    """Everything the server remembers: held in memory, lost on restart like a test fixture."""

    def __init__(
        self,
        token: str,
        users: Sequence[SimulatedUser] = DEFAULT_USERS,
        *,
        bot_name: str = "Recoms demo",
        bot_username: str = "recoms_demo_bot",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.users: dict[int, SimulatedUser] = {u.id: u for u in users}
        self.chats: dict[int, ChatState] = {u.id: ChatState(u) for u in users}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[tuple[str, int | None], str], list[JsonDict]] = {}
        self.default_menu_button: JsonDict = {"type": "commands"}
        self.bot_texts: dict[str, str] = {}
        self.updates: list[JsonDict] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.updates_changed = Pulse()
        self.chats_changed = Pulse()
        self.chat_version = 0
        self.closing = False
        self._poll_generation = 0
        self._ids = itertools.count(1)

    # --- updates -----------------------------------------------------------------------------

    def _allowed(self) -> frozenset[str]:
        chosen = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        return frozenset(chosen) if chosen else DEFAULT_UPDATE_TYPES

    def emit(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update unless the bot's allowed_updates leave its type out."""
        if kind not in self._allowed():
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
        """The chat a Bot API call names, or Telegram's 'chat not found'."""
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError.bad_request("chat not found") from None
        chat = self.chats.get(key)
        if chat is None:
            raise ApiError.bad_request("chat not found")
        return chat

    def writable_chat(self, chat_id: Any) -> ChatState:
        """A chat the bot may write to now: started and not blocked, as Telegram requires."""
        chat = self.find_chat(chat_id)
        if chat.blocked:
            raise ApiError.forbidden("bot was blocked by the user")
        if not chat.started:
            raise ApiError.forbidden("bot can't initiate conversation with a user")
        return chat

    def add_message(self, chat: ChatState, sender: JsonDict, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.next_message_id, chat=chat.user, sender=sender, date=now(), **fields
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

    def new_file(self, **fields: Any) -> StoredFile:
        unique = secrets.token_hex(8)
        stored = StoredFile(file_id=f"AgAC{unique}{secrets.token_hex(12)}", file_unique_id=unique)
        for name, value in fields.items():
            setattr(stored, name, value)
        self.files[stored.file_id] = stored
        return stored

    # --- what a person does in the chat ------------------------------------------------------

    def user(self, user_id: int) -> SimulatedUser:
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown simulated user {user_id}")
        return user

    def user_sends_text(self, user_id: int, text: str) -> StoredMessage:
        """The user types ``text``; a command gets its bot_command entity as in Telegram."""
        user = self.user(user_id)
        chat = self.chats[user_id]
        entities: list[JsonDict] = []
        command = text.split(maxsplit=1)[0] if text.startswith("/") and text.strip() else ""
        if len(command) > 1:
            entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
        keyboard = chat.reply_keyboard
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            pressed = any(b.get("text") == text for row in keyboard["keyboard"] for b in row)
            if pressed:
                chat.reply_keyboard = None
        return self._from_user(chat, user, text=text, entities=entities)

    def user_shares_contact(self, user_id: int, contact: JsonDict | None = None) -> StoredMessage:
        """The user presses a request_contact button: their own number, unless told otherwise.

        Telegram sends the own number without the leading '+', as most apps do.
        """
        user = self.user(user_id)
        chat = self.chats[user_id]
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
        return self._from_user(chat, user, contact=contact)

    def _from_user(self, chat: ChatState, user: SimulatedUser, **fields: Any) -> StoredMessage:
        chat.started = True
        if chat.blocked:
            # Writing to a blocked bot unblocks it, as the Telegram apps do with "Restart".
            self.set_blocked(user.id, blocked=False)
        message = self.add_message(chat, user.to_user(), **fields)
        self.emit("message", message.to_dict())
        return message

    def user_presses_button(self, user_id: int, message_id: int, data: str) -> CallbackQuery:
        """The user presses an inline callback button that the message really shows."""
        user = self.user(user_id)
        chat = self.chats[user_id]
        message = chat.messages.get(message_id)
        if message is None or message.reply_markup is None:
            raise ValueError("no such message with buttons")
        datas = {
            b.get("callback_data") for row in message.reply_markup["inline_keyboard"] for b in row
        }
        if data not in datas:
            raise ValueError("the message has no button with that data")
        query = CallbackQuery(
            id=str(next(self._ids) * 1_000_003 + secrets.randbelow(1_000_000)),
            user_id=user_id,
            message_id=message_id,
            answer=asyncio.get_running_loop().create_future(),
        )
        self.callback_queries[query.id] = query
        self.emit(
            "callback_query",
            {
                "id": query.id,
                "from": user.to_user(),
                "message": message.to_dict(),
                "chat_instance": str(abs(hash((self.bot_id, user_id))) % 10**18),
                "data": data,
            },
        )
        return query

    def set_blocked(self, user_id: int, *, blocked: bool) -> None:
        """Block or unblock the bot; the bot hears it as a my_chat_member update."""
        user = self.user(user_id)
        chat = self.chats[user_id]
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

    # --- commands ----------------------------------------------------------------------------

    def scope_key(self, scope: JsonDict | None) -> tuple[str, int | None]:
        if not scope:
            return ("default", None)
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (str(kind), None)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.find_chat(scope.get("chat_id"))
            return (str(kind), chat.user.id)
        raise ApiError.bad_request("wrong bot command scope type specified")

    def commands_for(self, user: SimulatedUser) -> list[JsonDict]:
        """The command menu a private chat shows, by Telegram's scope and language order."""
        language = (user.language_code or "")[:2]
        for scope in (("chat", user.id), ("all_private_chats", None), ("default", None)):
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
