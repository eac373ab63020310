"""The web chat's own JSON API: what a person sees and does, in their chat with the bot and in
the groups they are in (the operators' forum with its topics)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import BodyPartReader, web

from bot.localapi.files import image_kind, image_size
from bot.localapi.model import GENERAL_TOPIC_ID
from bot.localapi.samples import SAMPLES
from bot.localapi.state import (
    BotApiState,
    GroupChat,
    JsonDict,
    PrivateChat,
    SimulatedUser,
    StoredMessage,
)

STATE_KEY = web.AppKey("localapi_state", BotApiState)
ANSWER_TIMEOUT_KEY = web.AppKey("localapi_answer_timeout", float)
LONG_POLL_SECONDS = 25.0
UPLOAD_LIMIT = 10 * 1024 * 1024  # one file from the web chat
UPLOADS_LIMIT = 100 * 1024 * 1024  # all of them, kept in memory until the server stops
STORED_KEY = web.AppKey("localapi_uploaded_bytes", list[int])


def preview(message: StoredMessage | None) -> str:
    """A line for chat lists: what the message is, as Telegram apps word it."""
    if message is None:
        return ""
    if message.text:
        return message.text[:80]
    media = message.media
    labels = {"photo": "Photo", "document": "File", "voice": "Voice message", "sticker": "Sticker"}
    if media is not None:
        label = f"{media.emoji} Sticker" if media.kind == "sticker" and media.emoji else None
        return f"{label or labels[media.kind]} {message.caption or ''}".strip()[:80]
    if message.contact is not None:
        return "Contact"
    if message.location is not None:
        return "Location"
    service = message.service or {}
    if "forum_topic_created" in service:
        return f"Topic created: {service['forum_topic_created']['name']}"
    if "forum_topic_closed" in service:
        return "Topic closed"
    if "forum_topic_reopened" in service:
        return "Topic reopened"
    if "forum_topic_edited" in service:
        return "Topic edited"
    if message.pinned_message is not None:
        return f"Pinned: {preview(message.pinned_message)}"[:80]
    return ""


def _summary(chat: PrivateChat) -> JsonDict:
    user = chat.user
    last = next(reversed(chat.messages.values()), None)
    return {
        "id": user.id,
        "name": user.full_name,
        "first_name": user.first_name,
        "username": user.username,
        "role": user.role,
        "language_code": user.language_code,
        "phone": user.phone,
        "last": preview(last),
        "last_date": last.date if last else None,
        "blocked": chat.blocked,
    }


def _group_summary(chat: GroupChat) -> JsonDict:
    last = next(reversed(chat.messages.values()), None)
    return {
        "id": chat.id,
        "title": chat.name,
        "is_forum": chat.is_forum,
        "members": [user_id for user_id in chat.members if chat.member(user_id) is not None],
        "last": preview(last),
        "last_date": last.date if last else None,
    }


def media_src(message: StoredMessage) -> str | None:
    media = message.media
    if media is None:
        return None
    if media.content is not None or media.url is None:
        return f"/chat/files/{media.file_id}"
    return media.url


def message_view(message: StoredMessage, viewer: int) -> JsonDict:
    view = message.to_dict()
    view["outgoing"] = message.sender.get("id") == viewer
    view["sender_name"] = " ".join(
        filter(None, (message.sender.get("first_name"), message.sender.get("last_name")))
    )
    src = media_src(message)
    if src is not None:
        view["media_src"] = src
        if message.photo is not None:
            view["photo_src"] = src
    return view


def chat_view(state: BotApiState, chat: PrivateChat) -> JsonDict:
    """Everything the page draws for one user's chat with the bot."""
    state.clear_actions([chat])
    return {
        "user": _summary(chat),
        "started": chat.started,
        "blocked": chat.blocked,
        "messages": [message_view(m, chat.user.id) for m in chat.messages.values()],
        "reply_keyboard": chat.reply_keyboard,
        "commands": state.commands_for(chat.user),
        "menu_button": chat.menu_button or state.default_menu_button,
        "pinned": [m for m in chat.pinned if m in chat.messages],
        "action": chat.action,
    }


def group_view(state: BotApiState, chat: GroupChat, user: SimulatedUser) -> JsonDict:
    """A group as one member sees it: its topics (General first), every message with the
    topic it belongs to, what is pinned, and whether this member may write in each topic."""
    state.clear_actions([chat])
    member = chat.member(user.id)
    assert member is not None
    by_topic: dict[int, list[StoredMessage]] = {}
    for message in chat.messages.values():
        by_topic.setdefault(message.thread_id or GENERAL_TOPIC_ID, []).append(message)
    topics: list[JsonDict] = [
        {"message_thread_id": GENERAL_TOPIC_ID, "name": "General", "closed": False}
    ]
    topics += [{**t.to_dict(), "closed": t.closed} for t in chat.topics.values()]
    for topic in topics:
        thread: int = topic["message_thread_id"]
        messages = by_topic.get(thread, [])
        last = messages[-1] if messages else None
        topic["last"] = preview(last)
        topic["last_date"] = last.date if last else None
        topic["can_write"] = thread == GENERAL_TOPIC_ID or state.may_write_in_topic(
            chat, thread, user.id
        )
    return {
        **_group_summary(chat),
        "status": member.status,
        "topics": topics,
        "messages": [message_view(m, user.id) for m in chat.messages.values()],
        "pinned": [m for m in chat.pinned if m in chat.messages],
        "commands": state.commands_for(user, chat),
        "action": chat.action,
    }


def _person(request: web.Request) -> PrivateChat:
    state = request.app[STATE_KEY]
    try:
        chat = state.chats.get(int(request.match_info["user_id"]))
    except ValueError:
        chat = None
    if not isinstance(chat, PrivateChat):
        raise web.HTTPNotFound(text='{"error": "unknown user"}', content_type="application/json")
    return chat


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=web.json_response({"error": message}).text, content_type="application/json"
    )


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


def _int(body: JsonDict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{name} must be an integer")
    return value


def _where(body: JsonDict) -> JsonDict:
    """Where the person acts: their chat with the bot unless chat_id names a group."""
    return {
        "chat_id": _int(body, "chat_id"),
        "thread_id": _int(body, "message_thread_id"),
        "reply_to": _int(body, "reply_to_message_id"),
    }


def _sent(message: StoredMessage, viewer: int) -> web.Response:
    return web.json_response({"message": message_view(message, viewer)})


async def users(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {
            "bot": state.bot_user,
            "inline_placeholder": state.inline_placeholder,
            "version": state.chat_version,
            "users": [_summary(c) for c in state.chats.values() if isinstance(c, PrivateChat)],
            "groups": [
                _group_summary(c) for c in state.chats.values() if isinstance(c, GroupChat)
            ],
        }
    )


async def chat_state(request: web.Request) -> web.Response:
    """The person's chat with the bot, and the group named by ``group``, now or, given
    ``version``, as soon as anything changes after it (long poll)."""
    state = request.app[STATE_KEY]
    chat = _person(request)
    try:
        version = int(request.query.get("version", "-1"))
        wait = min(float(request.query.get("wait", LONG_POLL_SECONDS)), 60.0)
        group_id = int(request.query["group"]) if request.query.get("group") else None
    except ValueError:
        raise _bad("version, wait and group must be numbers") from None
    group = state.chats.get(group_id) if group_id is not None else None
    if group_id is not None and (
        not isinstance(group, GroupChat) or group.member(chat.user.id) is None
    ):
        raise _bad(f"{chat.user.full_name} is not in group {group_id}")
    deadline = asyncio.get_running_loop().time() + wait
    while state.chat_version <= version and not state.closing:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        await state.chats_changed.wait(remaining)
    return web.json_response(
        {
            "version": state.chat_version,
            "users": [_summary(c) for c in state.chats.values() if isinstance(c, PrivateChat)],
            "groups": [_group_summary(g) for g in state.groups_of(chat.user.id)],
            "chat": chat_view(state, chat),
            "group": group_view(state, group, chat.user) if isinstance(group, GroupChat) else None,
        }
    )


async def send_text(request: web.Request) -> web.Response:
    chat = _person(request)
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("text is empty")
    if len(text) > 4096:
        raise _bad("text is longer than 4096 characters")
    try:
        message = request.app[STATE_KEY].user_sends_text(
            chat.user.id, text.strip(), **_where(body)
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return _sent(message, chat.user.id)


async def share_contact(request: web.Request) -> web.Response:
    """Share the user's own contact; tests may pass another ``contact`` to play a spoofer."""
    chat = _person(request)
    contact: Any = (await _body(request)).get("contact")
    if contact is not None and not (
        isinstance(contact, dict) and isinstance(contact.get("phone_number"), str)
    ):
        raise _bad("contact must be an object with phone_number")
    try:
        message = request.app[STATE_KEY].user_shares_contact(chat.user.id, contact)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return _sent(message, chat.user.id)


async def _read_upload(request: web.Request) -> tuple[JsonDict, bytes, str, str]:
    """The fields and the one file of a multipart upload, refused beyond UPLOAD_LIMIT."""
    fields: JsonDict = {}
    content, content_type, filename = b"", "application/octet-stream", "file"
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            value = await part.text()
            numeric = part.name in ("chat_id", "message_thread_id", "reply_to_message_id")
            fields[part.name] = int(value) if numeric and value.lstrip("-").isdigit() else value
            continue
        chunks = []
        size = 0
        while chunk := await part.read_chunk():
            size += len(chunk)
            if size > UPLOAD_LIMIT:
                raise _bad(f"a file from the web chat is at most {UPLOAD_LIMIT // 2**20} MB")
            chunks.append(chunk)
        content = b"".join(chunks)
        content_type = part.headers.get("Content-Type", content_type)
        filename = part.filename
    return fields, content, content_type, filename


async def send_media(request: web.Request) -> web.Response:
    """A photo, document, voice note or sticker: one of the canned ``sample``s (JSON), or a
    file from the person's disk (multipart with ``kind`` and ``file``)."""
    state = request.app[STATE_KEY]
    chat = _person(request)
    details: JsonDict = {}
    if request.content_type.startswith("multipart/"):
        body, content, content_type, filename = await _read_upload(request)
        kind = body.get("kind")
        if not content:
            raise _bad("the file is empty")
        if kind in ("photo", "sticker"):
            size, image_type = image_size(content), image_kind(content)
            if size is None or image_type is None:
                raise _bad(f"a {kind} must be a JPEG, PNG or GIF image")
            # The type the bytes are, not the one the browser claimed: the page shows them.
            content_type = image_type
            details = {"width": size[0], "height": size[1]}
        elif kind == "document":
            details = {"file_name": filename[:255]}
        elif kind == "voice" and not content_type.startswith("audio/"):
            raise _bad("a voice note must be an audio file")
    else:
        body = await _body(request)
        sample = SAMPLES.get(str(body.get("sample")))
        if sample is None:
            raise _bad(f"sample must be one of {', '.join(SAMPLES)}")
        kind, content, content_type = sample.kind, sample.content, sample.content_type
        details = dict(sample.details)
    uploaded = request.app[STORED_KEY]
    if uploaded[0] + len(content) > UPLOADS_LIMIT:
        raise _bad(
            f"the local server keeps at most {UPLOADS_LIMIT // 2**20} MB of uploads in memory;"
            " restart it to start afresh"
        )
    caption = body.get("caption")
    if caption is not None and (not isinstance(caption, str) or len(caption) > 1024):
        raise _bad("caption must be text of at most 1024 characters")
    try:
        message = state.user_sends_file(
            chat.user.id,
            str(kind),
            content,
            content_type,
            caption=caption,
            **_where(body),
            **details,
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    uploaded[0] += len(content)
    return _sent(message, chat.user.id)


async def send_location(request: web.Request) -> web.Response:
    chat = _person(request)
    body = await _body(request)
    latitude, longitude = body.get("latitude"), body.get("longitude")
    if not (isinstance(latitude, int | float) and isinstance(longitude, int | float)):
        raise _bad("latitude and longitude must be numbers")
    if isinstance(latitude, bool) or isinstance(longitude, bool):
        raise _bad("latitude and longitude must be numbers")
    try:
        message = request.app[STATE_KEY].user_sends_location(
            chat.user.id, float(latitude), float(longitude), **_where(body)
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return _sent(message, chat.user.id)


async def _answer(request: web.Request, answer: asyncio.Future[JsonDict]) -> JsonDict | None:
    """The bot's answer, waited for as long as a Telegram app waits; None when it is late."""
    try:
        return await asyncio.wait_for(asyncio.shield(answer), request.app[ANSWER_TIMEOUT_KEY])
    except TimeoutError:
        return None


async def press_button(request: web.Request) -> web.Response:
    """Press an inline callback button and wait, like a Telegram app, for the bot's answer."""
    chat = _person(request)
    body = await _body(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise _bad("message_id (integer) and data (string) are required")
    state = request.app[STATE_KEY]
    try:
        query = state.user_presses_button(
            chat.user.id, message_id, data, chat_id=_int(body, "chat_id")
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    answer = await _answer(request, query.answer)
    if answer is None:
        return web.json_response({"answered": False, "query_id": query.id})
    return web.json_response({"answered": True, "query_id": query.id, **answer})


async def ask_inline(request: web.Request) -> web.Response:
    """``@bot query`` typed in a chat: the bot's results, or ``answered: false`` when it kept
    quiet for as long as an app waits."""
    chat = _person(request)
    body = await _body(request)
    query, offset = body.get("query", ""), body.get("offset", "")
    if not isinstance(query, str) or not isinstance(offset, str):
        raise _bad("query and offset must be strings")
    state = request.app[STATE_KEY]
    if state.inline_placeholder is None:
        raise _bad("the bot has no inline mode")
    try:
        inline = state.user_asks_inline(chat.user.id, query, offset, chat_id=_int(body, "chat_id"))
    except ValueError as exc:
        raise _bad(str(exc)) from None
    answer = await _answer(request, inline.answer)
    if answer is None:
        return web.json_response({"answered": False, "query_id": inline.id})
    shown = [{k: v for k, v in r.items() if k != "message"} for r in answer["results"]]
    return web.json_response(
        {
            "answered": True,
            "query_id": inline.id,
            "cached": bool(answer.get("cached")),
            "results": shown,
            "next_offset": answer["next_offset"],
            "button": answer["button"],
        }
    )


async def choose_inline(request: web.Request) -> web.Response:
    chat = _person(request)
    body = await _body(request)
    query_id, result_id = body.get("query_id"), body.get("result_id")
    if not isinstance(query_id, str) or not isinstance(result_id, str):
        raise _bad("query_id and result_id (strings) are required")
    where = _where(body)
    try:
        message = request.app[STATE_KEY].user_chooses_inline(
            chat.user.id,
            query_id,
            result_id,
            thread_id=where["thread_id"],
            reply_to=where["reply_to"],
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return _sent(message, chat.user.id)


async def open_topic(request: web.Request) -> web.Response:
    """A member who manages topics creates one from the app."""
    chat = _person(request)
    body = await _body(request)
    chat_id, name = _int(body, "chat_id"), body.get("name")
    if chat_id is None or not isinstance(name, str):
        raise _bad("chat_id (integer) and name (string) are required")
    try:
        topic = request.app[STATE_KEY].user_opens_topic(chat.user.id, chat_id, name)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return web.json_response({"topic": topic.to_dict()})


async def close_topic(request: web.Request) -> web.Response:
    """Close (or with ``closed: false`` reopen) a topic, as its creator or a topic admin."""
    chat = _person(request)
    body = await _body(request)
    chat_id, thread_id = _int(body, "chat_id"), _int(body, "message_thread_id")
    closed = body.get("closed", True)
    if chat_id is None or thread_id is None or not isinstance(closed, bool):
        raise _bad("chat_id and message_thread_id (integers) are required")
    try:
        request.app[STATE_KEY].user_closes_topic(chat.user.id, chat_id, thread_id, closed=closed)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return web.json_response({"closed": closed})


async def set_blocked(request: web.Request) -> web.Response:
    chat = _person(request)
    blocked = (await _body(request)).get("blocked")
    if not isinstance(blocked, bool):
        raise _bad("blocked must be true or false")
    request.app[STATE_KEY].set_blocked(chat.user.id, blocked=blocked)
    return web.json_response({"blocked": chat.blocked})


async def set_language(request: web.Request) -> web.Response:
    """The language of the person's Telegram app, as their updates carry it."""
    chat = _person(request)
    language = (await _body(request)).get("language_code")
    if language is not None and not (isinstance(language, str) and len(language) <= 35):
        raise _bad("language_code must be an IETF language tag such as en or uk")
    request.app[STATE_KEY].set_language(chat.user.id, language)
    return web.json_response({"language_code": chat.user.language_code})


async def samples(request: web.Request) -> web.Response:
    return web.json_response(
        [{"name": s.name, "kind": s.kind, "label": s.label} for s in SAMPLES.values()]
    )


async def stored_file(request: web.Request) -> web.StreamResponse:
    stored = request.app[STATE_KEY].files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    if stored.content is None:
        assert stored.url is not None
        raise web.HTTPFound(stored.url)
    content_type = stored.content_type
    disposition = "inline"
    if stored.kind in ("photo", "sticker"):
        # Served as what the bytes are: whoever uploaded them chose the claimed type.
        content_type = image_kind(stored.content) or "application/octet-stream"
    elif stored.kind == "document" or not content_type.startswith("audio/"):
        disposition = "attachment"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return web.Response(body=stored.content, content_type=content_type, headers=headers)


def add_chat_routes(app: web.Application) -> None:
    app[STORED_KEY] = [0]
    app.router.add_get("/chat/api/users", users)
    app.router.add_get("/chat/api/samples", samples)
    app.router.add_get("/chat/api/chats/{user_id}", chat_state)
    app.router.add_post("/chat/api/chats/{user_id}/send", send_text)
    app.router.add_post("/chat/api/chats/{user_id}/contact", share_contact)
    app.router.add_post("/chat/api/chats/{user_id}/media", send_media)
    app.router.add_post("/chat/api/chats/{user_id}/location", send_location)
    app.router.add_post("/chat/api/chats/{user_id}/press", press_button)
    app.router.add_post("/chat/api/chats/{user_id}/inline", ask_inline)
    app.router.add_post("/chat/api/chats/{user_id}/inline/choose", choose_inline)
    app.router.add_post("/chat/api/chats/{user_id}/topics", open_topic)
    app.router.add_post("/chat/api/chats/{user_id}/topics/close", close_topic)
    app.router.add_post("/chat/api/chats/{user_id}/block", set_blocked)
    app.router.add_post("/chat/api/chats/{user_id}/language", set_language)
    app.router.add_get("/chat/files/{file_id}", stored_file)
