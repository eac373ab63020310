"""Bot API methods of the local server for updates, webhooks, messages, edits, buttons and
commands, each checked as Telegram checks it."""

from __future__ import annotations

import re
import time
from typing import Any

from bot.localapi import files
from bot.localapi.entities import utf16_len
from bot.localapi.errors import ApiError
from bot.localapi.markup import inline_only
from bot.localapi.registry import Context, Handler, Params, method
from bot.localapi.sending import (
    caption,
    caption_of,
    chat_of,
    destination,
    markup,
    media_options,
    message_text,
    post,
)
from bot.localapi.state import (
    BotApiState,
    ChatState,
    GroupChat,
    JsonDict,
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
        "senddocument",
        "sendvoice",
        "sendsticker",
        "sendlocation",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagemedia",
        "editmessagereplymarkup",
        "deletemessage",
        "deletemessages",
        "answercallbackquery",
    }
)


def _editable(state: BotApiState, params: Params) -> tuple[ChatState, StoredMessage, bool]:
    """The message an edit names: by chat and message id, or by the inline_message_id of a
    message sent via the bot (the third value tells which)."""
    inline_id = params.text("inline_message_id")
    if inline_id is not None:
        where = state.inline_messages.get(inline_id)
        found = state.chats[where[0]].messages.get(where[1]) if where else None
        if found is None:
            raise ApiError.bad_request("MESSAGE_ID_INVALID")
        return found.chat, found, True
    chat = chat_of(state, params)
    message_id = params.integer("message_id", "message identifier is not specified")
    assert message_id is not None
    message = state.find_message(chat, message_id, "message to edit not found")
    if not message.from_bot or message.sender.get("id") != state.bot_id:
        raise ApiError.bad_request("message can't be edited")
    return chat, message, False


def _edited(state: BotApiState, chat: ChatState, message: StoredMessage, inline: bool) -> Any:
    """Telegram answers an edit with the message, or with True for a message sent via the bot."""
    message.edit_date = now()
    state.touch(chat)
    return True if inline else message.to_dict()


# --- methods ---------------------------------------------------------------------------------


@method("getMe")
async def get_me(context: Context, params: Params) -> JsonDict:
    return {
        **context.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": context.inline_mode,
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
    text, entities = message_text(params)
    return post(context.state, params, text=text, entities=entities).to_dict()


@method("sendPhoto")
async def send_photo(context: Context, params: Params) -> JsonDict:
    text, entities = caption_of(params)
    where = destination(context.state, params)
    photo = await files.photo(
        context, params.uploads.get("photo") or params.raw("photo"), params.uploads
    )
    message = post(
        context.state,
        params,
        where,
        media=photo,
        caption=text or None,
        caption_entities=entities,
        options=media_options(params),
    )
    return message.to_dict()


@method("editMessageText")
async def edit_message_text(context: Context, params: Params) -> Any:
    state = context.state
    chat, message, inline = _editable(state, params)
    if message.text is None:
        raise ApiError.bad_request("there is no text in the message to edit")
    text, entities = message_text(params)
    found = inline_only(markup(params))
    if (text, entities, found) == (message.text, message.entities, message.reply_markup):
        raise ApiError.bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, found
    return _edited(state, chat, message, inline)


@method("editMessageCaption")
async def edit_message_caption(context: Context, params: Params) -> Any:
    state = context.state
    chat, message, inline = _editable(state, params)
    if not message.has_caption:
        raise ApiError.bad_request("there is no caption in the message to edit")
    text, entities = caption_of(params)
    found = inline_only(markup(params))
    current = (message.caption or "", message.caption_entities, message.reply_markup)
    if (text, entities, found) == current:
        raise ApiError.bad_request(NOT_MODIFIED)
    message.caption, message.caption_entities = text or None, entities
    message.reply_markup = found
    return _edited(state, chat, message, inline)


@method("editMessageMedia")
async def edit_message_media(context: Context, params: Params) -> Any:
    state = context.state
    chat, message, inline = _editable(state, params)
    current_photo = message.photo
    if current_photo is None:
        raise ApiError.bad_request("there is no media in the message to edit")
    media = params.decoded("media", "InputMedia")
    if not isinstance(media, dict) or "media" not in media:
        raise ApiError.bad_request("can't parse InputMedia: media not found")
    if media.get("type") != "photo":
        raise ApiError.bad_request("local server: only photo media can be edited")
    text, entities = caption(
        media.get("caption"), media.get("parse_mode"), media.get("caption_entities")
    )
    found = inline_only(markup(params))
    same_photo = media["media"] in (current_photo.file_id, current_photo.url)
    current = (message.caption or "", message.caption_entities, message.reply_markup)
    if same_photo and (text, entities, found) == current:
        raise ApiError.bad_request(NOT_MODIFIED)
    if not same_photo:
        message.media = await files.photo(context, media["media"], params.uploads)
    message.caption, message.caption_entities = text or None, entities
    message.reply_markup = found
    return _edited(state, chat, message, inline)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(context: Context, params: Params) -> Any:
    state = context.state
    chat, message, inline = _editable(state, params)
    found = inline_only(markup(params))
    if found == message.reply_markup:
        raise ApiError.bad_request(NOT_MODIFIED)
    message.reply_markup = found
    return _edited(state, chat, message, inline)


def _may_delete(state: BotApiState, chat: ChatState, message: StoredMessage) -> bool:
    """Telegram's rule: a bot deletes anything in a private chat; in a group, its own
    messages, and others' only with can_delete_messages; never the message that opened a
    topic."""
    if not isinstance(chat, GroupChat):
        return True
    if message.service is not None and "forum_topic_created" in message.service:
        return False
    if message.sender.get("id") == state.bot_id:
        return True
    bot = chat.member(state.bot_id)
    return bot is not None and bot.can("can_delete_messages")


def _forget(state: BotApiState, chat: ChatState, message_id: int) -> None:
    chat.messages.pop(message_id, None)
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)


@method("deleteMessage")
async def delete_message(context: Context, params: Params) -> bool:
    state = context.state
    chat = chat_of(state, params, writable=False)
    message_id = params.integer("message_id", "message identifier is not specified")
    assert message_id is not None
    message = state.find_message(chat, message_id, "message to delete not found")
    if not _may_delete(state, chat, message):
        raise ApiError.bad_request("message can't be deleted")
    _forget(state, chat, message_id)
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
        found = chat.messages.get(int(message_id))
        # Telegram skips the messages it cannot find or may not delete.
        if found is not None and _may_delete(state, chat, found):
            _forget(state, chat, found.message_id)
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
    chat = chat_of(context.state, params)
    context.state.bot_thread(chat, params.integer("message_thread_id"))
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


def _scope_and_language(
    context: Context, params: Params
) -> tuple[tuple[str, int | None, int | None], str]:
    scope = params.decoded("scope", "BotCommandScope")
    if scope is not None and not isinstance(scope, dict):
        raise ApiError.bad_request(
            "can't parse BotCommandScope: BotCommandScope must be an Object"
        )
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
