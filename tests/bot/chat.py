"""Talking to the bot as Telegram users do: real ``Update``s fed through the dispatcher."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from tests.bot.telegram import BOT_ID, RecordingSession, Sent


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    language_code: str | None = "en"
    phone: str | None = None
    username: str | None = None

    def user(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            body["language_code"] = self.language_code
        if self.username:
            body["username"] = self.username
        return body


OLENA = Person(100001, "Olena", "uk", "+380501110001", "olena_k")
TARAS = Person(100002, "Taras", "en", "+380501110002")
IRYNA = Person(900001, "Iryna", "en")
DMYTRO = Person(900002, "Dmytro", "uk")
STRANGER = Person(100003, "Stranger", "en", "+380501110003")
OKSANA = Person(100004, "Оксана", "uk", "+380501110004")


def start_update(update_id: int, person: Person = TARAS) -> dict[str, Any]:
    """The raw update of ``person`` sending /start, as Telegram posts it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": person.id, "type": "private"},
            "from": person.user(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


class Chat:
    """Sends messages and presses buttons as a person; returns what the bot did in reply."""

    def __init__(self, dp: Dispatcher, bot: Bot, session: RecordingSession) -> None:
        self.dp = dp
        self.bot = bot
        self.session = session
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100_000)

    async def feed(self, update: dict[str, Any]) -> list[Any]:
        if "message" in update:
            message = update["message"]
            self.session.user_messages[(message["chat"]["id"], message["message_id"])] = message
        before = len(self.session.requests)
        await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        return self.session.requests[before:]

    def _message(self, person: Person, **content: Any) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
                "from": person.user(),
                **content,
            },
        }

    async def send(self, person: Person, text: str) -> list[Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.feed(self._message(person, **content))

    async def send_media(
        self,
        person: Person,
        kind: str,
        caption: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> list[Any]:
        """A photo, document, voice note, sticker or location, as the app sends it."""
        file = {"file_id": f"{kind}-file", "file_unique_id": f"{kind}-u"}
        content: dict[str, Any] = {
            "photo": {"photo": [{**file, "width": 800, "height": 600}]},
            "document": {"document": {**file, "file_name": "receipt.pdf"}},
            "voice": {"voice": {**file, "duration": 3}},
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "location": {"location": {"latitude": 50.45, "longitude": 30.52}},
        }[kind]
        if caption is not None:
            content["caption"] = caption
        if reply_to is not None:
            content["reply_to_message"] = self._replied(person.id, reply_to)
        return await self.feed(self._message(person, **content))

    async def reply(self, person: Person, message_id: int, text: str) -> list[Any]:
        """Reply (swipe left) to a message in the person's chat with the bot."""
        content = {"text": text, "reply_to_message": self._replied(person.id, message_id)}
        return await self.feed(self._message(person, **content))

    def _replied(self, chat_id: int, message_id: int) -> dict[str, Any]:
        sent = self.session.messages.get((chat_id, message_id))
        body: dict[str, Any] = {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        }
        if sent is not None:
            body["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Shop"}
            body["text"] = sent.visible or "…"
        return body

    async def in_topic(
        self, person: Person, group_id: int, thread_id: int | None, text: str = "", **content: Any
    ) -> list[Any]:
        """A member's message in a topic of a forum group (General when ``thread_id`` is
        None)."""
        body: dict[str, Any] = {**content}
        if text:
            body["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            body["message_thread_id"] = thread_id
            body["is_topic_message"] = True
        message = self._message(person, **body)
        message["message"]["chat"] = {
            "id": group_id,
            "type": "supergroup",
            "title": "Shop support",
            "is_forum": True,
        }
        return await self.feed(message)

    async def share_contact(
        self,
        person: Person,
        phone: str,
        *,
        owner_id: int | None = None,
        first_name: str = "",
        no_owner: bool = False,
    ) -> list[Any]:
        """Share a contact card; by default the person's own (``user_id`` is theirs).
        ``no_owner``: a card typed into the address book, with no Telegram user behind it."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or person.first_name,
        }
        if not no_owner:
            contact["user_id"] = person.id if owner_id is None else owner_id
        return await self.feed(self._message(person, contact=contact))

    async def press(self, person: Person, message: Sent, text: str) -> list[Any]:
        """Press the inline button whose text contains ``text`` on a message in their chat.

        ``message`` is the message as the person's app shows it: a snapshot taken before an
        earlier press was handled is how a double tap looks to the bot."""
        matches = [data for label, data, _url in message.buttons() if text in label and data]
        assert matches, f"no button {text!r} in {message.buttons()}"
        return await self.press_data(person, message, matches[0])

    async def press_data(self, person: Person, message: Sent, data: str) -> list[Any]:
        """A callback query with ``data`` from a button on ``message`` (any data: a button of an
        older version of the bot sends what that version packed)."""
        query_id = f"q{next(self._message_ids)}"
        self.session.pressed.append(query_id)
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {
                "id": message.chat_id,
                "type": "private" if message.chat_id > 0 else "supergroup",
            },
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Shop"},
        }
        if message.thread_id is not None:
            body["message_thread_id"] = message.thread_id
            body["is_topic_message"] = True
        if message.photo is not None:
            body["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 800, "height": 800}]
            body["caption"] = message.visible
        else:
            body["text"] = message.visible
        if message.markup is not None:
            body["reply_markup"] = message.markup.model_dump(exclude_none=True)
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": person.user(),
                "chat_instance": "ci",
                "message": body,
                "data": data,
            },
        }
        return await self.feed(update)

    async def inline(
        self, person: Person, query: str, *, chat_type: str = "sender", offset: str = ""
    ) -> Any:
        """Type ``@bot query`` in a chat; returns the bot's AnswerInlineQuery (None: none)."""
        query_id = f"iq{next(self._message_ids)}"
        self.session.inline_asked.append(query_id)
        update = {
            "update_id": next(self._update_ids),
            "inline_query": {
                "id": query_id,
                "from": person.user(),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            },
        }
        await self.feed(update)
        return self.session.inline_answers.get(query_id)

    async def block(self, person: Person, *, blocked: bool = True) -> list[Any]:
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        now = int(datetime.now(UTC).timestamp())
        bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Shop"}
        update = {
            "update_id": next(self._update_ids),
            "my_chat_member": {
                "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
                "from": person.user(),
                "date": now,
                "old_chat_member": {"status": old, "user": bot_user}
                if old == "member"
                else {"status": old, "user": bot_user, "until_date": 0},
                "new_chat_member": {"status": new, "user": bot_user}
                if new == "member"
                else {"status": new, "user": bot_user, "until_date": 0},
            },
        }
        if blocked:
            self.session.blocked_chats.add(person.id)
        else:
            self.session.blocked_chats.discard(person.id)
        return await self.feed(update)
