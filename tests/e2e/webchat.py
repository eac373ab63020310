"""People in the local web chat, driven through the chat's JSON API over HTTP: a customer or an
agent in their chat with the bot (``WebChat``), and an agent in a topic of the operators'
group (``Topic``), with the media, replies and inline queries a person can send."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from bot.localapi import DEFAULT_GROUP_ID, LocalBotApiServer

T = TypeVar("T")
Message = dict[str, Any]
OLENA, TARAS, IRYNA, DMYTRO = 100001, 100002, 900001, 900002
GROUP = DEFAULT_GROUP_ID
GENERAL = 1  # the General topic of a forum


def visible(message: Message) -> str:
    """What the bubble shows: the text or the caption."""
    return str(message.get("text") or message.get("caption") or "")


def buttons(message: Message) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: Message, text: str) -> dict[str, Any]:
    """The inline button whose text is ``text`` or contains it."""
    found = [b for b in buttons(message) if b["text"] == text] or [
        b for b in buttons(message) if text in b["text"]
    ]
    assert found, f"no button {text!r} in {[b['text'] for b in buttons(message)]}"
    return found[0]


@dataclass
class InlineAnswer:
    """What the web chat shows above the input after ``@bot query``."""

    query_id: str
    answered: bool
    results: list[dict[str, Any]]
    next_offset: str = ""
    button: dict[str, Any] | None = None
    cached: bool = False

    def result(self, title: str) -> dict[str, Any]:
        """The result whose title (or description) contains ``title``."""
        for result in self.results:
            if title in (result.get("title") or "") or title in (result.get("description") or ""):
                return result
        raise AssertionError(f"no result {title!r} in {[r.get('title') for r in self.results]}")


class WebChat:
    """One simulated user's chat with the bot: send, share contact, press buttons, wait for
    the bot; ``topic()`` gives the same person in a topic of a group they are in."""

    def __init__(self, http: aiohttp.ClientSession, server: LocalBotApiServer, user_id: int):
        self.http = http
        self.server = server
        self.user_id = user_id
        self.url = f"{server.base_url}/chat/api/chats/{user_id}"

    # --- where this person acts ----------------------------------------------------------

    def _where(self) -> dict[str, Any]:
        """Fields every action carries: none in the chat with the bot."""
        return {}

    def _query(self) -> dict[str, Any]:
        return {}

    def _pick(self, body: dict[str, Any]) -> dict[str, Any]:
        """The part of the long-poll answer this chat is: the private chat."""
        return dict(body["chat"])

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.url + path, json={**self._where(), **body}) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return data

    async def attempt(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """An action that may be refused: the HTTP status and the answer, for tests of
        what the web chat does not allow."""
        async with self.http.post(self.url + path, json={**self._where(), **body}) as response:
            return response.status, await response.json()

    # --- reading -------------------------------------------------------------------------

    async def state(self, version: int = -1, wait: float = 0) -> dict[str, Any]:
        query = {"version": version, "wait": wait, **self._query()}
        async with self.http.get(self.url, params=query) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return data

    async def chat(self) -> dict[str, Any]:
        return self._pick(await self.state())

    async def messages(self) -> list[Message]:
        return list((await self.chat())["messages"])

    async def wait_for(
        self, check: Callable[[dict[str, Any]], T | None], seconds: float = 15
    ) -> T:
        """Long-poll until ``check(chat)`` returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        version = -1
        while True:
            body = await self.state(version, wait=max(0.0, min(2.0, deadline - loop.time())))
            chat = self._pick(body)
            found = check(chat)
            if found:
                return found
            assert loop.time() < deadline, f"timed out; last messages: {chat['messages'][-3:]}"
            version = body["version"]

    async def bot_says(self, text: str, *, after: int = 0, seconds: float = 15) -> Message:
        """The newest bot message after message id ``after`` that shows ``text``."""

        def check(chat: dict[str, Any]) -> Message | None:
            for message in reversed(chat["messages"]):
                if (
                    message["from"].get("is_bot")
                    and message["message_id"] > after
                    and text in visible(message)
                ):
                    return dict(message)
            return None

        return await self.wait_for(check, seconds)

    async def last_id(self) -> int:
        """The id of the newest message here (0 when empty): pass it as ``after``."""
        messages = await self.messages()
        return int(messages[-1]["message_id"]) if messages else 0

    # --- sending -------------------------------------------------------------------------

    async def send(self, text: str) -> Message:
        return dict((await self._post("/send", {"text": text}))["message"])

    async def reply(self, message: Message | int, text: str) -> Message:
        """Reply to ``message`` (or the message with that id), as a swipe left on it does."""
        message_id = message if isinstance(message, int) else message["message_id"]
        body = {"text": text, "reply_to_message_id": message_id}
        return dict((await self._post("/send", body))["message"])

    async def send_sample(
        self, sample: str, caption: str | None = None, *, reply_to: Message | None = None
    ) -> Message:
        """One of the web chat's canned files: ``photo``, ``document``, ``voice``, ``sticker``."""
        body: dict[str, Any] = {"sample": sample}
        if caption is not None:
            body["caption"] = caption
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to["message_id"]
        return dict((await self._post("/media", body))["message"])

    async def send_file(
        self,
        kind: str,
        content: bytes,
        filename: str,
        content_type: str,
        caption: str | None = None,
    ) -> Message:
        """A file from disk, as the web chat's attach button uploads it."""
        form = aiohttp.FormData()
        form.add_field("kind", kind)
        for name, value in self._where().items():
            form.add_field(name, str(value))
        if caption is not None:
            form.add_field("caption", caption)
        form.add_field("file", content, filename=filename, content_type=content_type)
        async with self.http.post(self.url + "/media", data=form) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return dict(data["message"])

    async def send_location(self, latitude: float, longitude: float) -> Message:
        body = {"latitude": latitude, "longitude": longitude}
        return dict((await self._post("/location", body))["message"])

    async def share_contact(self, contact: dict[str, Any] | None = None) -> Message:
        body = {} if contact is None else {"contact": contact}
        return dict((await self._post("/contact", body))["message"])

    async def press(self, message: Message, text: str) -> dict[str, Any]:
        """Press an inline callback button; the bot's answer (toast text) comes back."""
        data = button(message, text)["callback_data"]
        return await self._post("/press", {"message_id": message["message_id"], "data": data})

    async def reply_button(self, text: str) -> Message:
        """Press a reply-keyboard button: its text is sent, or the contact when it asks so."""
        keyboard = (await self.chat())["reply_keyboard"]
        assert keyboard is not None, "no reply keyboard shown"
        for row in keyboard["keyboard"]:
            for b in row:
                if text in b["text"]:
                    if b.get("request_contact"):
                        return await self.share_contact()
                    return await self.send(b["text"])
        raise AssertionError(f"no reply button {text!r} in {keyboard}")

    async def set_language(self, language_code: str | None) -> None:
        """Switch the person's Telegram app to another language."""
        async with self.http.post(
            self.url + "/language", json={"language_code": language_code}
        ) as response:
            assert response.status == 200, await response.text()

    async def block(self, blocked: bool = True) -> None:
        async with self.http.post(self.url + "/block", json={"blocked": blocked}) as response:
            assert response.status == 200, await response.text()

    # --- inline mode ---------------------------------------------------------------------

    async def inline(self, query: str, offset: str = "") -> InlineAnswer:
        """Type ``@bot query`` here and wait, as the app does, for the bot's results."""
        body = await self._post("/inline", {"query": query, "offset": offset})
        return InlineAnswer(
            query_id=body["query_id"],
            answered=body["answered"],
            results=body.get("results", []),
            next_offset=body.get("next_offset", ""),
            button=body.get("button"),
            cached=body.get("cached", False),
        )

    async def choose(self, answer: InlineAnswer, title: str) -> Message:
        """Tap the result whose title contains ``title``: it is sent here via the bot."""
        result = answer.result(title)
        body = {"query_id": answer.query_id, "result_id": result["id"]}
        return dict((await self._post("/inline/choose", body))["message"])

    # --- groups --------------------------------------------------------------------------

    def topic(self, thread_id: int = GENERAL, group_id: int = GROUP) -> Topic:
        """The same person in one topic of a group (General unless told otherwise)."""
        return Topic(self.http, self.server, self.user_id, group_id, thread_id)

    async def group(self, group_id: int = GROUP) -> dict[str, Any]:
        """The group as this person sees it: topics, messages, pinned ids, commands."""
        async with self.http.get(self.url, params={"wait": 0, "group": group_id}) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return dict(data["group"])

    async def open_topic(self, name: str, group_id: int = GROUP) -> Topic:
        """Create a topic in the group, as a member who manages topics can."""
        body = {"chat_id": group_id, "name": name}
        async with self.http.post(self.url + "/topics", json=body) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
        return self.topic(int(data["topic"]["message_thread_id"]), group_id)

    async def wait_for_topic(self, name: str, group_id: int = GROUP, seconds: float = 15) -> Topic:
        """The topic whose name contains ``name``, once the bot has opened it."""
        probe = self.topic(GENERAL, group_id)

        def check(chat: dict[str, Any]) -> int | None:
            for topic in chat["group"]["topics"]:
                if name in topic["name"]:
                    return int(topic["message_thread_id"])
            return None

        thread_id = await probe.wait_for(check, seconds)
        return self.topic(thread_id, group_id)


class Topic(WebChat):
    """A member of a group, reading and writing in one of its topics."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        server: LocalBotApiServer,
        user_id: int,
        group_id: int,
        thread_id: int,
    ) -> None:
        super().__init__(http, server, user_id)
        self.group_id = group_id
        self.thread_id = thread_id

    def _where(self) -> dict[str, Any]:
        where: dict[str, Any] = {"chat_id": self.group_id}
        if self.thread_id != GENERAL:
            where["message_thread_id"] = self.thread_id
        return where

    def _query(self) -> dict[str, Any]:
        return {"group": self.group_id}

    def _pick(self, body: dict[str, Any]) -> dict[str, Any]:
        """The topic: its own messages only, with the group around it under ``group``."""
        group = body["group"]
        mine = [
            m
            for m in group["messages"]
            if (m.get("message_thread_id") or GENERAL) == self.thread_id
        ]
        topic = next(
            (t for t in group["topics"] if t["message_thread_id"] == self.thread_id), None
        )
        pinned = [m for m in mine if m["message_id"] in group["pinned"]]
        return {"messages": mine, "topic": topic, "pinned": pinned, "group": group}

    async def info(self) -> dict[str, Any]:
        """Name, icon colour, whether it is closed and whether this member may write."""
        topic = (await self.chat())["topic"]
        assert topic is not None, f"topic {self.thread_id} is gone"
        return dict(topic)

    async def close(self, closed: bool = True) -> None:
        """Close the topic (or reopen it) from the app, as its creator or a topic admin."""
        body = {"chat_id": self.group_id, "message_thread_id": self.thread_id, "closed": closed}
        async with self.http.post(self.url + "/topics/close", json=body) as response:
            assert response.status == 200, await response.text()

    async def pinned(self) -> list[Message]:
        """The messages pinned in this topic, oldest first."""
        return list((await self.chat())["pinned"])
