"""The web chat's own JSON API: what a person sees and does in each simulated user's chat."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.localapi.state import BotApiState, ChatState, JsonDict, StoredMessage

STATE_KEY = web.AppKey("localapi_state", BotApiState)
ANSWER_TIMEOUT_KEY = web.AppKey("localapi_answer_timeout", float)
LONG_POLL_SECONDS = 25.0


def _preview(message: StoredMessage | None) -> str:
    if message is None:
        return ""
    if message.text:
        return message.text[:80]
    if message.contact is not None:
        return "Contact"
    if message.photo is not None:
        return f"Photo {message.caption or ''}".strip()[:80]
    return ""


def _summary(chat: ChatState) -> JsonDict:
    user = chat.user
    last = next(reversed(chat.messages.values()), None)
    return {
        "id": user.id,
        "name": user.full_name,
        "first_name": user.first_name,
        "role": user.role,
        "language_code": user.language_code,
        "phone": user.phone,
        "last": _preview(last),
        "last_date": last.date if last else None,
        "blocked": chat.blocked,
    }


def _message_view(message: StoredMessage) -> JsonDict:
    view = message.to_dict()
    view["outgoing"] = not message.from_bot
    if message.photo is not None:
        view["photo_src"] = (
            f"/chat/files/{message.photo.file_id}"
            if message.photo.content is not None or message.photo.url is None
            else message.photo.url
        )
    return view


def chat_view(state: BotApiState, chat: ChatState) -> JsonDict:
    """Everything the page draws for one user's chat with the bot."""
    state.clear_actions([chat])
    return {
        "user": _summary(chat),
        "started": chat.started,
        "blocked": chat.blocked,
        "messages": [_message_view(m) for m in chat.messages.values()],
        "reply_keyboard": chat.reply_keyboard,
        "commands": state.commands_for(chat.user),
        "menu_button": chat.menu_button or state.default_menu_button,
        "action": chat.action,
    }


def _chat(request: web.Request) -> ChatState:
    state = request.app[STATE_KEY]
    try:
        chat = state.chats.get(int(request.match_info["user_id"]))
    except ValueError:
        chat = None
    if chat is None:
        raise web.HTTPNotFound(text='{"error": "unknown user"}', content_type="application/json")
    return chat


async def _body(request: web.Request) -> JsonDict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise _bad("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=web.json_response({"error": message}).text, content_type="application/json"
    )


async def users(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {
            "bot": state.bot_user,
            "version": state.chat_version,
            "users": [_summary(chat) for chat in state.chats.values()],
        }
    )


async def chat_state(request: web.Request) -> web.Response:
    """The chat now, or, given ``version``, as soon as anything changes after it (long poll)."""
    state = request.app[STATE_KEY]
    chat = _chat(request)
    try:
        version = int(request.query.get("version", "-1"))
        wait = min(float(request.query.get("wait", LONG_POLL_SECONDS)), 60.0)
    except ValueError:
        raise _bad("version and wait must be numbers") from None
    deadline = asyncio.get_running_loop().time() + wait
    while state.chat_version <= version and not state.closing:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        await state.chats_changed.wait(remaining)
    return web.json_response(
        {
            "version": state.chat_version,
            "users": [_summary(c) for c in state.chats.values()],
            "chat": chat_view(state, chat),
        }
    )


async def send_text(request: web.Request) -> web.Response:
    chat = _chat(request)
    text = (await _body(request)).get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("text is empty")
    if len(text) > 4096:
        raise _bad("text is longer than 4096 characters")
    message = request.app[STATE_KEY].user_sends_text(chat.user.id, text.strip())
    return web.json_response({"message": _message_view(message)})


async def share_contact(request: web.Request) -> web.Response:
    """Share the user's own contact; tests may pass another ``contact`` to play a spoofer."""
    chat = _chat(request)
    contact: Any = (await _body(request)).get("contact")
    if contact is not None and not (
        isinstance(contact, dict) and isinstance(contact.get("phone_number"), str)
    ):
        raise _bad("contact must be an object with phone_number")
    try:
        message = request.app[STATE_KEY].user_shares_contact(chat.user.id, contact)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return web.json_response({"message": _message_view(message)})


async def press_button(request: web.Request) -> web.Response:
    """Press an inline callback button and wait, like a Telegram app, for the bot's answer."""
    chat = _chat(request)
    body = await _body(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise _bad("message_id (integer) and data (string) are required")
    state = request.app[STATE_KEY]
    try:
        query = state.user_presses_button(chat.user.id, message_id, data)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    try:
        answer = await asyncio.wait_for(
            asyncio.shield(query.answer), request.app[ANSWER_TIMEOUT_KEY]
        )
    except TimeoutError:
        return web.json_response({"answered": False, "query_id": query.id})
    return web.json_response({"answered": True, "query_id": query.id, **answer})


async def set_blocked(request: web.Request) -> web.Response:
    chat = _chat(request)
    blocked = (await _body(request)).get("blocked")
    if not isinstance(blocked, bool):
        raise _bad("blocked must be true or false")
    request.app[STATE_KEY].set_blocked(chat.user.id, blocked=blocked)
    return web.json_response({"blocked": chat.blocked})


async def photo_file(request: web.Request) -> web.StreamResponse:
    stored = request.app[STATE_KEY].files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    if stored.content is None:
        assert stored.url is not None
        raise web.HTTPFound(stored.url)
    return web.Response(body=stored.content, content_type=stored.content_type)


def add_chat_routes(app: web.Application) -> None:
    app.router.add_get("/chat/api/users", users)
    app.router.add_get("/chat/api/chats/{user_id}", chat_state)
    app.router.add_post("/chat/api/chats/{user_id}/send", send_text)
    app.router.add_post("/chat/api/chats/{user_id}/contact", share_contact)
    app.router.add_post("/chat/api/chats/{user_id}/press", press_button)
    app.router.add_post("/chat/api/chats/{user_id}/block", set_blocked)
    app.router.add_get("/chat/files/{file_id}", photo_file)
