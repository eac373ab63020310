"""Bot API methods that send files, locations and other people's messages: sendDocument,
sendVoice, sendSticker, sendLocation, copyMessage and forwardMessage."""

from __future__ import annotations

from typing import Any

from bot.localapi import files
from bot.localapi.errors import ApiError
from bot.localapi.registry import Context, Params, method
from bot.localapi.sending import caption_of, destination, media_options, post
from bot.localapi.state import BotApiState, JsonDict, StoredMessage


async def _send_file(context: Context, params: Params, kind: str, **details: Any) -> JsonDict:
    text, entities = caption_of(params) if kind != "sticker" else ("", [])
    where = destination(context.state, params)
    stored = files.document(
        context, kind, params.uploads.get(kind) or params.raw(kind), params.uploads, **details
    )
    message = post(
        context.state,
        params,
        where,
        media=stored,
        caption=text or None,
        caption_entities=entities,
        options=media_options(params) if kind == "document" else {},
    )
    return message.to_dict()


@method("sendDocument")
async def send_document(context: Context, params: Params) -> JsonDict:
    return await _send_file(context, params, "document")


@method("sendVoice")
async def send_voice(context: Context, params: Params) -> JsonDict:
    return await _send_file(context, params, "voice", duration=params.integer("duration"))


@method("sendSticker")
async def send_sticker(context: Context, params: Params) -> JsonDict:
    return await _send_file(
        context, params, "sticker", emoji=params.text("emoji"), width=512, height=512
    )


@method("sendLocation")
async def send_location(context: Context, params: Params) -> JsonDict:
    latitude = params.number("latitude", "latitude is empty")
    longitude = params.number("longitude", "longitude is empty")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ApiError.bad_request("invalid location specified")
    location = {"latitude": latitude, "longitude": longitude}
    return post(context.state, params, location=location).to_dict()


def _source(state: BotApiState, params: Params, what: str, verb: str) -> StoredMessage:
    """The message named by from_chat_id and message_id, in any chat the bot can read; a
    service message cannot be sent on."""
    from_chat_id = params.raw("from_chat_id")
    if from_chat_id is None:
        raise ApiError.bad_request('parameter "from_chat_id" is required')
    chat = state.find_chat(from_chat_id)
    message_id = params.integer("message_id")
    found = chat.messages.get(message_id) if message_id is not None and message_id > 0 else None
    if found is None:
        raise ApiError.bad_request(f"{what} not found")
    if found.is_service:
        raise ApiError.bad_request(f"the message can't be {verb}")
    return found


def _content(source: StoredMessage) -> JsonDict:
    """What a copy or a forward carries: the text or the media with its caption, a contact
    or a location; never the reply, the keyboard or where it came from."""
    content: JsonDict = {
        "text": source.text,
        "entities": list(source.entities),
        "media": source.media,
        "caption": source.caption,
        "caption_entities": list(source.caption_entities),
        "contact": source.contact,
        "location": source.location,
    }
    if source.options.get("has_media_spoiler"):
        content["options"] = {"has_media_spoiler": True}
    return content


@method("copyMessage")
async def copy_message(context: Context, params: Params) -> JsonDict:
    """A copy without a link to the original; Telegram answers with its MessageId only."""
    state = context.state
    source = _source(state, params, "message to copy", "copied")
    content = _content(source)
    if "caption" in params.values and source.has_caption:
        text, entities = caption_of(params)
        content["caption"], content["caption_entities"] = text or None, entities
    if params.flag("show_caption_above_media") and source.has_caption:
        content["options"] = {**content.get("options", {}), "show_caption_above_media": True}
    message = post(state, params, **content)
    return {"message_id": message.message_id}


@method("forwardMessage")
async def forward_message(context: Context, params: Params) -> JsonDict:
    state = context.state
    source = _source(state, params, "message to forward", "forwarded")
    origin = source.forward_origin or {
        "type": "user",
        "sender_user": source.sender,
        "date": source.date,
    }
    where = destination(state, params)
    message = state.add_message(
        where.chat,
        state.bot_user,
        thread_id=where.thread_id,
        reply_to=where.reply_to,
        forward_origin=origin,
        **_content(source),
    )
    return message.to_dict()
