"""What every send method shares: where the message goes (chat, topic, reply), its text or
caption, its keyboard, checked as Telegram checks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.localapi.entities import CAPTION_LIMIT, TEXT_LIMIT, format_text, utf16_len
from bot.localapi.errors import ApiError
from bot.localapi.markup import parse_reply_markup
from bot.localapi.registry import Params
from bot.localapi.state import BotApiState, ChatState, JsonDict, StoredMessage


@dataclass
class Destination:
    """The chat, forum topic and replied message of one send."""

    chat: ChatState
    thread_id: int | None
    reply_to: StoredMessage | None


def chat_of(state: BotApiState, params: Params, *, writable: bool = True) -> ChatState:
    """The chat named by ``chat_id``: one the bot may write to, or only one it can read."""
    chat_id = params.raw("chat_id")
    if chat_id is None:
        raise ApiError.bad_request("chat_id is empty")
    return state.writable_chat(chat_id) if writable else state.find_chat(chat_id)


def destination(state: BotApiState, params: Params) -> Destination:
    """``chat_id``, ``message_thread_id`` and the reply parameters of a send.

    A reply without message_thread_id goes to the topic of the message it replies to, as in
    Telegram; a closed topic refuses it unless the bot may write there.
    """
    chat = chat_of(state, params)
    thread_id = state.bot_thread(chat, params.integer("message_thread_id"))
    reply = reply_to(chat, params)
    if reply is not None and thread_id is None and reply.thread_id is not None:
        thread_id = state.bot_thread(chat, reply.thread_id)
    return Destination(chat, thread_id, reply)


def reply_to(chat: ChatState, params: Params) -> StoredMessage | None:
    reply = params.decoded("reply_parameters")
    message_id: Any = params.raw("reply_to_message_id")
    allow = params.flag("allow_sending_without_reply")
    if isinstance(reply, dict):
        if reply.get("chat_id") not in (None, chat.id, str(chat.id)):
            raise ApiError.bad_request("local server: replies to another chat are not simulated")
        message_id = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
    if message_id is None:
        return None
    try:
        found = chat.messages.get(int(message_id))
    except (TypeError, ValueError):
        raise ApiError.bad_request('field "message_id" must be of type Integer') from None
    if found is None and not allow:
        raise ApiError.bad_request("message to be replied not found")
    return found


def text_and_entities(
    params: Params, name: str, mode_name: str, entities_name: str
) -> tuple[str, list[Any]]:
    entities = params.decoded(entities_name, "message entities")
    if entities is not None and not isinstance(entities, list):
        raise ApiError.bad_request(f'field "{entities_name}" must be of type Array')
    return format_text(params.text(name), params.text(mode_name), entities)


def checked_text(text: str) -> str:
    if not text:
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise ApiError.bad_request("message is too long")
    return text


def message_text(params: Params) -> tuple[str, list[Any]]:
    text, entities = text_and_entities(params, "text", "parse_mode", "entities")
    return checked_text(text), entities


def caption(text: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[Any]]:
    found_text, found = format_text(text, parse_mode, entities)
    if utf16_len(found_text) > CAPTION_LIMIT:
        raise ApiError.bad_request("message caption is too long")
    return found_text, found


def caption_of(params: Params) -> tuple[str, list[Any]]:
    return caption(
        params.text("caption"),
        params.text("parse_mode"),
        params.decoded("caption_entities", "message entities"),
    )


def markup(params: Params) -> JsonDict | None:
    found = parse_reply_markup(params.decoded("reply_markup", "reply keyboard markup JSON object"))
    if found is not None and "inline_keyboard" in found and not any(found["inline_keyboard"]):
        return None
    return found


def attach_markup(chat: ChatState, found: JsonDict | None) -> JsonDict | None:
    """Keep reply keyboards on the chat; only inline keyboards belong to the message."""
    if found is None:
        return None
    if "keyboard" in found:
        chat.reply_keyboard = found
    elif found.get("remove_keyboard"):
        chat.reply_keyboard = None
    return found if "inline_keyboard" in found else None


def media_options(params: Params) -> JsonDict:
    options: JsonDict = {}
    if params.flag("has_spoiler"):
        options["has_media_spoiler"] = True
    if params.flag("show_caption_above_media"):
        options["show_caption_above_media"] = True
    return options


def post(
    state: BotApiState, params: Params, where: Destination | None = None, **content: Any
) -> StoredMessage:
    """Add the bot's message with ``content`` where ``params`` say, keyboard and all."""
    where = where or destination(state, params)
    found = markup(params)
    return state.add_message(
        where.chat,
        state.bot_user,
        thread_id=where.thread_id,
        reply_to=where.reply_to,
        reply_markup=attach_markup(where.chat, found),
        **content,
    )
