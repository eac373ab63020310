"""Bot API methods of the local server, each checked as Telegram checks it."""

from __future__ import annotations

import json
import re
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.localapi.entities import CAPTION_LIMIT, TEXT_LIMIT, format_text, utf16_len
from bot.localapi.errors import ApiError
from bot.localapi.markup import inline_only, parse_reply_markup
from bot.localapi.state import (
    BotApiState,
    ChatState,
    JsonDict,
    StoredFile,
    StoredMessage,
    Webhook,
    now,
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
# Methods that send or change messages: the ones Telegram rate-limits.
FLOOD_LIMITED = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "editmessagetext",
        "editmessagecaption",
        "editmessagemedia",
        "editmessagereplymarkup",
        "deletemessage",
        "deletemessages",
        "answercallbackquery",
    }
)


@dataclass
class Upload:
    """A file sent in a multipart body."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class Params:
    """A method's parameters from a query string, JSON, form or multipart body."""

    values: Mapping[str, Any]
    uploads: Mapping[str, Upload] = field(default_factory=dict)

    def raw(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value == "" and name not in ("text", "caption") else value

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, empty: str | None = None) -> int | None:
        value = self.raw(name)
        if value is None:
            if empty is not None:
                raise ApiError.bad_request(empty)
            return None
        if isinstance(value, bool):
            raise ApiError.bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f'field "{name}" must be of type Integer') from None

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def decoded(self, name: str, what: str = "JSON object") -> Any:
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(f"can't parse {what}") from None
        return value


@dataclass
class Context:
    """What a method may use besides the state: the server's HTTP client and switches."""

    state: BotApiState
    http: aiohttp.ClientSession | None = None
    fetch_photos: bool = False


Handler = Callable[[Context, Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = handler
        return handler

    return register


# --- helpers ---------------------------------------------------------------------------------


def _chat(state: BotApiState, params: Params) -> ChatState:
    chat_id = params.raw("chat_id")
    if chat_id is None:
        raise ApiError.bad_request("chat_id is empty")
    return state.writable_chat(chat_id)


def _text(params: Params, name: str, mode_name: str, entities_name: str) -> tuple[str, list[Any]]:
    entities = params.decoded(entities_name, "message entities")
    if entities is not None and not isinstance(entities, list):
        raise ApiError.bad_request(f'field "{entities_name}" must be of type Array')
    return format_text(params.text(name), params.text(mode_name), entities)


def _message_text(params: Params) -> tuple[str, list[Any]]:
    text, entities = _text(params, "text", "parse_mode", "entities")
    if not text:
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise ApiError.bad_request("message is too long")
    return text, entities


def _caption(caption: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[Any]]:
    text, found = format_text(caption, parse_mode, entities)
    if utf16_len(text) > CAPTION_LIMIT:
        raise ApiError.bad_request("message caption is too long")
    return text, found


def _markup(params: Params) -> JsonDict | None:
    markup = parse_reply_markup(
        params.decoded("reply_markup", "reply keyboard markup JSON object")
    )
    if markup is not None and "inline_keyboard" in markup and not any(markup["inline_keyboard"]):
        return None
    return markup


def _attach_markup(chat: ChatState, markup: JsonDict | None) -> JsonDict | None:
    """Keep reply keyboards on the chat; only inline keyboards belong to the message."""
    if markup is None:
        return None
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    return markup if "inline_keyboard" in markup else None


def _reply_to(chat: ChatState, params: Params) -> StoredMessage | None:
    reply = params.decoded("reply_parameters")
    message_id: Any = params.raw("reply_to_message_id")
    allow = params.flag("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
    if message_id is None:
        return None
    found = chat.messages.get(int(message_id))
    if found is None and not allow:
        raise ApiError.bad_request("message to be replied not found")
    return found


def _options(params: Params) -> JsonDict:
    options: JsonDict = {}
    if params.flag("has_spoiler"):
        options["has_media_spoiler"] = True
    if params.flag("show_caption_above_media"):
        options["show_caption_above_media"] = True
    return options


def _image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG, read from its header."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(content):
            if content[pos] != 0xFF:
                return None
            marker = content[pos + 1]
            length = int.from_bytes(content[pos + 2 : pos + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", content[pos + 5 : pos + 9])
                return int(width), int(height)
            pos += 2 + length
    return None


async def _fetch_photo(context: Context, url: str) -> tuple[bytes, str]:
    """Download a photo URL as Telegram's servers do, failing with Telegram's texts."""
    assert context.http is not None
    try:
        async with context.http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            if response.status != 200:
                raise ApiError.bad_request("failed to get HTTP URL content")
            content_type = response.headers.get("Content-Type", "")
            if not content_type.startswith("image/"):
                raise ApiError.bad_request("wrong type of the web page content")
            return await response.read(), content_type
    except (aiohttp.ClientError, TimeoutError):
        raise ApiError.bad_request("failed to get HTTP URL content") from None


async def _photo(context: Context, value: Any, uploads: Mapping[str, Upload]) -> StoredFile:
    """A photo given as an upload, ``attach://name``, a file_id or an HTTP URL."""
    state = context.state
    if isinstance(value, Upload):
        upload = value
    elif isinstance(value, str) and value.startswith("attach://"):
        found = uploads.get(value.removeprefix("attach://"))
        if found is None:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        upload = found
    elif isinstance(value, str) and re.match(r"(?i)https?://", value):
        if not context.fetch_photos:
            return state.new_file(url=value)
        content, content_type = await _fetch_photo(context, value)
        size = _image_size(content)
        if size is None:
            raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
        return state.new_file(
            url=value, content=content, content_type=content_type, width=size[0], height=size[1]
        )
    elif isinstance(value, str) and value in state.files:
        return state.files[value]
    elif value is None or value == "":
        raise ApiError.bad_request("there is no photo in the request")
    else:
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
    size = _image_size(upload.content)
    if size is None:
        raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
    return state.new_file(
        content=upload.content,
        content_type=upload.content_type or "image/jpeg",
        width=size[0],
        height=size[1],
    )


def _editable(state: BotApiState, params: Params) -> tuple[ChatState, StoredMessage]:
    if params.raw("inline_message_id") is not None:
        raise ApiError.bad_request("MESSAGE_ID_INVALID")
    chat_id = params.raw("chat_id")
    if chat_id is None:
        raise ApiError.bad_request("chat_id is empty")
    chat = state.writable_chat(chat_id)
    message_id = params.integer("message_id", "message identifier is not specified")
    assert message_id is not None
    message = state.find_message(chat, message_id, "message to edit not found")
    if not message.from_bot:
        raise ApiError.bad_request("message can't be edited")
    return chat, message


def _edited(state: BotApiState, chat: ChatState, message: StoredMessage) -> JsonDict:
    message.edit_date = now()
    state.touch(chat)
    return message.to_dict()


# --- methods ---------------------------------------------------------------------------------


@method("getMe")
async def get_me(context: Context, params: Params) -> JsonDict:
    return {
        **context.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
async def log_out(context: Context, params: Params) -> bool:
    return True


@method("close")
async def close(context: Context, params: Params) -> bool:
    return True


@method("getUpdates")
async def get_updates(context: Context, params: Params) -> list[JsonDict]:
    limit = params.integer("limit") or 100
    timeout = params.raw("timeout")
    allowed = _allowed_updates(params)
    try:
        seconds = float(timeout) if timeout is not None else 0.0
    except (TypeError, ValueError):
        raise ApiError.bad_request('field "timeout" must be of type Integer') from None
    return await context.state.get_updates(
        params.integer("offset"),
        min(max(limit, 1), 100),
        max(seconds, 0.0),
        allowed,
    )


def _allowed_updates(params: Params) -> list[str] | None:
    allowed = params.decoded("allowed_updates", "allowed_updates JSON array")
    if allowed is None:
        return None
    if not isinstance(allowed, list):
        raise ApiError.bad_request("can't parse allowed_updates JSON array")
    return [str(kind) for kind in allowed]


def _use_webhook(state: BotApiState, webhook: Webhook | None, params: Params) -> bool:
    """Set (or, with None, remove) the webhook; pending updates go when asked to drop them."""
    state.webhook = webhook
    if params.flag("drop_pending_updates"):
        state.drop_pending()
    state.updates_changed.fire()
    return True


@method("setWebhook")
async def set_webhook(context: Context, params: Params) -> bool:
    url = params.text("url") or ""
    if not url:
        return _use_webhook(context.state, None, params)
    if not re.match(r"(?i)https?://[^/\s]+", url):
        raise ApiError.bad_request("bad webhook: invalid webhook URL specified")
    secret = params.text("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    webhook = Webhook(
        url=url,
        secret_token=secret,
        max_connections=params.integer("max_connections") or 40,
        # An empty list means "all kinds", as no list does.
        allowed_updates=_allowed_updates(params) or None,
    )
    return _use_webhook(context.state, webhook, params)


@method("deleteWebhook")
async def delete_webhook(context: Context, params: Params) -> bool:
    return _use_webhook(context.state, None, params)


@method("getWebhookInfo")
async def get_webhook_info(context: Context, params: Params) -> JsonDict:
    state = context.state
    info: JsonDict = {
        "url": state.webhook.url if state.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.webhook is not None:
        info["max_connections"] = state.webhook.max_connections
        info["ip_address"] = "127.0.0.1"
        if state.webhook.allowed_updates:
            info["allowed_updates"] = state.webhook.allowed_updates
        if state.webhook.last_error_date is not None:
            info["last_error_date"] = state.webhook.last_error_date
            info["last_error_message"] = state.webhook.last_error_message
    return info


@method("sendMessage")
async def send_message(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat = _chat(state, params)
    text, entities = _message_text(params)
    markup = _markup(params)
    reply_to = _reply_to(chat, params)
    message = state.add_message(
        chat,
        state.bot_user,
        text=text,
        entities=entities,
        reply_markup=_attach_markup(chat, markup),
        reply_to=reply_to,
    )
    return message.to_dict()


@method("sendPhoto")
async def send_photo(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat = _chat(state, params)
    caption, entities = _caption(
        params.text("caption"),
        params.text("parse_mode"),
        params.decoded("caption_entities", "message entities"),
    )
    markup = _markup(params)
    reply_to = _reply_to(chat, params)
    photo = await _photo(
        context, params.uploads.get("photo") or params.raw("photo"), params.uploads
    )
    message = state.add_message(
        chat,
        state.bot_user,
        photo=photo,
        caption=caption or None,
        caption_entities=entities,
        reply_markup=_attach_markup(chat, markup),
        reply_to=reply_to,
        options=_options(params),
    )
    return message.to_dict()


@method("editMessageText")
async def edit_message_text(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat, message = _editable(state, params)
    if message.text is None:
        raise ApiError.bad_request("there is no text in the message to edit")
    text, entities = _message_text(params)
    markup = inline_only(_markup(params))
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise ApiError.bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    return _edited(state, chat, message)


@method("editMessageCaption")
async def edit_message_caption(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat, message = _editable(state, params)
    if message.photo is None:
        raise ApiError.bad_request("there is no caption in the message to edit")
    caption, entities = _caption(
        params.text("caption"),
        params.text("parse_mode"),
        params.decoded("caption_entities", "message entities"),
    )
    markup = inline_only(_markup(params))
    current = (message.caption or "", message.caption_entities, message.reply_markup)
    if (caption, entities, markup) == current:
        raise ApiError.bad_request(NOT_MODIFIED)
    message.caption, message.caption_entities = caption or None, entities
    message.reply_markup = markup
    return _edited(state, chat, message)


@method("editMessageMedia")
async def edit_message_media(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat, message = _editable(state, params)
    if message.photo is None:
        raise ApiError.bad_request("there is no media in the message to edit")
    media = params.decoded("media", "InputMedia")
    if not isinstance(media, dict) or "media" not in media:
        raise ApiError.bad_request("can't parse InputMedia: media not found")
    if media.get("type") != "photo":
        raise ApiError.bad_request("local server: only photo media can be edited")
    caption, entities = _caption(
        media.get("caption"), media.get("parse_mode"), media.get("caption_entities")
    )
    markup = inline_only(_markup(params))
    same_photo = media["media"] in (message.photo.file_id, message.photo.url)
    current = (message.caption or "", message.caption_entities, message.reply_markup)
    if same_photo and (caption, entities, markup) == current:
        raise ApiError.bad_request(NOT_MODIFIED)
    if not same_photo:
        message.photo = await _photo(context, media["media"], params.uploads)
    message.caption, message.caption_entities = caption or None, entities
    message.reply_markup = markup
    return _edited(state, chat, message)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat, message = _editable(state, params)
    markup = inline_only(_markup(params))
    if markup == message.reply_markup:
        raise ApiError.bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _edited(state, chat, message)


@method("deleteMessage")
async def delete_message(context: Context, params: Params) -> bool:
    state = context.state
    chat_id = params.raw("chat_id")
    if chat_id is None:
        raise ApiError.bad_request("chat_id is empty")
    chat = state.find_chat(chat_id)
    message_id = params.integer("message_id", "message identifier is not specified")
    assert message_id is not None
    if chat.messages.pop(message_id, None) is None:
        raise ApiError.bad_request("message to delete not found")
    state.touch(chat)
    return True


@method("deleteMessages")
async def delete_messages(context: Context, params: Params) -> bool:
    state = context.state
    chat = state.find_chat(params.raw("chat_id"))
    ids = params.decoded("message_ids", "message identifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise ApiError.bad_request("message identifiers are not specified")
    for message_id in ids:
        chat.messages.pop(int(message_id), None)
    state.touch(chat)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(context: Context, params: Params) -> bool:
    state = context.state
    query = state.callback_queries.pop(params.text("callback_query_id") or "", None)
    if query is None or query.answer.done():
        raise ApiError.bad_request(QUERY_TOO_OLD)
    text = params.text("text") or ""
    if utf16_len(text) > 200:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    answer: JsonDict = {"text": text, "show_alert": params.flag("show_alert")}
    if params.text("url"):
        answer["url"] = params.text("url")
    query.answer.set_result(answer)
    return True


@method("sendChatAction")
async def send_chat_action(context: Context, params: Params) -> bool:
    chat = _chat(context.state, params)
    action = params.text("action")
    if action not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    chat.action = action
    chat.action_until = time.monotonic() + 5
    context.state.touch(chat)
    return True


def _command_list(params: Params) -> list[JsonDict]:
    commands = params.decoded("commands", "bot commands JSON array")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError.bad_request("can't parse commands JSON array")
    result = []
    for item in commands:
        if not isinstance(item, dict):
            raise ApiError.bad_request("can't parse BotCommand")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", ""))
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise ApiError.bad_request("command description is empty")
        result.append({"command": command, "description": description})
    return result


def _scope_and_language(context: Context, params: Params) -> tuple[tuple[str, int | None], str]:
    scope = params.decoded("scope", "BotCommandScope")
    if scope is not None and not isinstance(scope, dict):
        raise ApiError.bad_request("can't parse BotCommandScope")
    language = params.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise ApiError.bad_request("invalid language code specified")
    return context.state.scope_key(scope), language


@method("setMyCommands")
async def set_my_commands(context: Context, params: Params) -> bool:
    commands = _command_list(params)
    key = _scope_and_language(context, params)
    if commands:
        context.state.commands[key] = commands
    else:
        context.state.commands.pop(key, None)
    context.state.touch_all()
    return True


@method("getMyCommands")
async def get_my_commands(context: Context, params: Params) -> list[JsonDict]:
    return context.state.commands.get(_scope_and_language(context, params), [])


@method("deleteMyCommands")
async def delete_my_commands(context: Context, params: Params) -> bool:
    context.state.commands.pop(_scope_and_language(context, params), None)
    context.state.touch_all()
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(context: Context, params: Params) -> bool:
    state = context.state
    button = params.decoded("menu_button", "MenuButton") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in (
        "commands",
        "web_app",
        "default",
    ):
        raise ApiError.bad_request("can't parse menu button")
    if params.raw("chat_id") is None:
        state.default_menu_button = button if button["type"] != "default" else {"type": "commands"}
        state.touch_all()
    else:
        chat = state.find_chat(params.raw("chat_id"))
        chat.menu_button = None if button["type"] == "default" else button
        state.touch(chat)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(context: Context, params: Params) -> JsonDict:
    state = context.state
    if params.raw("chat_id") is None:
        return state.default_menu_button
    chat = state.find_chat(params.raw("chat_id"))
    return chat.menu_button or state.default_menu_button


@method("getChat")
async def get_chat(context: Context, params: Params) -> JsonDict:
    chat = context.state.find_chat(params.raw("chat_id"))
    return {
        **chat.user.to_chat(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
        },
    }


@method("getFile")
async def get_file(context: Context, params: Params) -> JsonDict:
    stored = context.state.files.get(params.text("file_id") or "")
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    result: JsonDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_path": stored.file_path,
    }
    if stored.content is not None:
        result["file_size"] = len(stored.content)
    return result


def _bot_text(name: str, field_name: str, limit: int) -> tuple[Handler, Handler]:
    async def set_text(context: Context, params: Params) -> bool:
        value = params.text(field_name) or ""
        if len(value) > limit:
            raise ApiError.bad_request(f"{field_name} is too long")
        language = params.text("language_code") or ""
        context.state.bot_texts[f"{name}:{language}"] = value
        return True

    async def get_text(context: Context, params: Params) -> JsonDict:
        texts = context.state.bot_texts
        language = params.text("language_code") or ""
        return {field_name: texts.get(f"{name}:{language}", texts.get(f"{name}:", ""))}

    return set_text, get_text


for _name, _field, _limit in (
    ("MyName", "name", 64),
    ("MyDescription", "description", 512),
    ("MyShortDescription", "short_description", 120),
):
    _setter, _getter = _bot_text(_name, _field, _limit)
    method(f"set{_name}")(_setter)
    method(f"get{_name}")(_getter)


async def call(context: Context, name: str, params: Params) -> Any:
    """Run the Bot API method ``name`` (case-insensitive); unknown ones are 404 as Telegram's."""
    handler = METHODS.get(name.lower())
    if handler is None:
        raise ApiError(404, "Not Found")
    return await handler(context, params)
