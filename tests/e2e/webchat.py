"""A person in the local web chat, driven through the chat's JSON API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from bot.localapi import LocalBotApiServer

T = TypeVar("T")
Message = dict[str, Any]


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


class WebChat:
    """One simulated user's chat: send, share contact, press buttons, wait for the bot."""

    def __init__(self, http: aiohttp.ClientSession, server: LocalBotApiServer, user_id: int):
        self.http = http
        self.url = f"{server.base_url}/chat/api/chats/{user_id}"

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.url + path, json=body) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return data

    async def state(self, version: int = -1, wait: float = 0) -> dict[str, Any]:
        async with self.http.get(self.url, params={"version": version, "wait": wait}) as response:
            data: dict[str, Any] = await response.json()
            return data

    async def chat(self) -> dict[str, Any]:
        return dict((await self.state())["chat"])

    async def send(self, text: str) -> Message:
        return dict((await self._post("/send", {"text": text}))["message"])

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

    async def wait_for(
        self, check: Callable[[dict[str, Any]], T | None], seconds: float = 15
    ) -> T:
        """Long-poll the chat until ``check(chat)`` returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        version = -1
        while True:
            body = await self.state(version, wait=max(0.0, min(2.0, deadline - loop.time())))
            found = check(body["chat"])
            if found:
                return found
            assert loop.time() < deadline, f"timed out; chat: {body['chat']['messages'][-3:]}"
            version = body["version"]

    async def bot_says(self, text: str, *, after: int = 0, seconds: float = 15) -> Message:
        """The newest bot message after message id ``after`` that shows ``text``."""

        def check(chat: dict[str, Any]) -> Message | None:
            for message in reversed(chat["messages"]):
                if (
                    not message["outgoing"]
                    and message["message_id"] > after
                    and text in visible(message)
                ):
                    return dict(message)
            return None

        return await self.wait_for(check, seconds)
