"""Inline mode: answerInlineQuery, with results checked as Telegram checks them (article and
photo results, InputTextMessageContent, keyboards, the 50-result limit, unique ids)."""

from __future__ import annotations

import re
from typing import Any

from bot.localapi import files
from bot.localapi.entities import CAPTION_LIMIT, TEXT_LIMIT, format_text, is_valid_url, utf16_len
from bot.localapi.errors import ApiError
from bot.localapi.markup import parse_reply_markup
from bot.localapi.methods import QUERY_TOO_OLD
from bot.localapi.registry import Context, Params, method
from bot.localapi.state import JsonDict

RESULT_LIMIT = 50
ID_LIMIT = 64  # bytes of a result id, and of next_offset
CACHE_TIME_LIMIT = 24 * 60 * 60
# Result types Telegram has and the local server does not draw.
OTHER_TYPES = frozenset(
    {"audio", "contact", "document", "game", "gif", "location", "mpeg4_gif", "sticker", "venue"}
    | {"video", "voice"}
)


class ResultError(Exception):
    """A result the Bot API server itself refuses: Telegram words it "can't parse inline
    query result: ..."."""


def _field(result: JsonDict, name: str, *, required: bool = False) -> str | None:
    if name not in result or result[name] is None:
        if required:
            raise ResultError(f'Can\'t find field "{name}"')
        return None
    value = result[name]
    if not isinstance(value, str):
        raise ResultError(f'Field "{name}" must be of type String')
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResultError(f'Field "{name}" must be of type Number')
    return float(value)


def _formatted(text: str | None, mode: str | None, entities: Any) -> tuple[str, list[JsonDict]]:
    try:
        return format_text(text, mode, entities if isinstance(entities, list) else None)
    except ApiError as exc:
        reason = exc.description.removeprefix("Bad Request: ")
        raise ResultError(reason[:1].upper() + reason[1:]) from None


def _message_content(content: Any, required: bool) -> JsonDict | None:
    """An InputMessageContent: text, location or contact (what a person's message becomes)."""
    if not isinstance(content, dict):
        raise ResultError('Field "input_message_content" must be of type Object')
    text = _field(content, "message_text")
    if text:
        plain, entities = _formatted(text, _field(content, "parse_mode"), content.get("entities"))
        if not plain:
            raise ApiError.bad_request("MESSAGE_EMPTY")
        if utf16_len(plain) > TEXT_LIMIT:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        return {"text": plain, "entities": entities}
    if "latitude" in content and "longitude" in content:
        latitude = _number(content["latitude"], "latitude")
        longitude = _number(content["longitude"], "longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ResultError("Invalid location specified")
        return {"location": {"latitude": latitude, "longitude": longitude}}
    if "phone_number" in content:
        contact: JsonDict = {
            "phone_number": _field(content, "phone_number", required=True),
            "first_name": _field(content, "first_name", required=True),
        }
        if _field(content, "last_name"):
            contact["last_name"] = content["last_name"]
        return {"contact": contact}
    if required:
        raise ResultError("Input message content is not specified")
    return None


def _web_url(url: str | None, empty: str) -> str:
    if not url:
        raise ApiError.bad_request(empty)
    if not re.match(r"(?i)https?://", url) or not is_valid_url(url):
        raise ApiError.bad_request("WEBDOCUMENT_URL_INVALID")
    return url


def parse_result(context: Context, raw: Any) -> JsonDict:
    """One result checked and reduced to what the web chat shows and what choosing it sends."""
    if not isinstance(raw, dict):
        raise ResultError("Inline query result must be an object")
    kind = (_field(raw, "type", required=True) or "").lower()
    result_id = _field(raw, "id", required=True) or ""
    content = None
    if raw.get("input_message_content") is not None:
        content = _message_content(raw["input_message_content"], required=kind == "article")
    elif kind == "article":
        # The old way: message_text and parse_mode right in the result.
        plain, entities = _formatted(
            _field(raw, "message_text", required=True),
            _field(raw, "parse_mode"),
            raw.get("entities"),
        )
        content = {"text": plain, "entities": entities}
    text, entities = _formatted(
        _field(raw, "caption"), _field(raw, "parse_mode"), raw.get("caption_entities")
    )
    markup = None
    if raw.get("reply_markup") is not None:
        if not isinstance(raw["reply_markup"], dict):
            raise ResultError('Field "reply_markup" must be of type Object')
        markup = parse_reply_markup(raw["reply_markup"])
        if markup is None or "inline_keyboard" not in markup:
            raise ApiError.bad_request("REPLY_MARKUP_INVALID")
    thumbnail = _field(raw, "thumbnail_url") or _field(raw, "thumb_url")
    result: JsonDict = {
        "type": kind,
        "id": result_id,
        "title": _field(raw, "title"),
        "description": _field(raw, "description"),
        "thumbnail_url": thumbnail,
        "reply_markup": markup,
    }
    if kind == "article":
        _field(raw, "title", required=True)
        result["url"] = None if raw.get("hide_url") else _field(raw, "url")
    elif kind == "photo":
        photo_url = _field(raw, "photo_url")
        if photo_url is None:
            file_id = _field(raw, "photo_file_id", required=True) or ""
            stored = files.known_file(context, "photo", file_id)
            result["photo_url"] = stored.url or f"/chat/files/{stored.file_id}"
            photo: JsonDict = {"file_id": stored.file_id}
        else:
            result["photo_url"] = _web_url(photo_url, "PHOTO_CONTENT_URL_EMPTY")
            result["thumbnail_url"] = _web_url(thumbnail, "PHOTO_THUMB_URL_EMPTY")
            size = {
                "width": raw.get("photo_width") or 800,
                "height": raw.get("photo_height") or 800,
            }
            photo = {"url": photo_url, "size": size}
        if utf16_len(text) > CAPTION_LIMIT:
            raise ApiError.bad_request("MEDIA_CAPTION_TOO_LONG")
        if content is None:
            content = {"photo": photo, "caption": text or None, "caption_entities": entities}
            if raw.get("show_caption_above_media"):
                content["options"] = {"show_caption_above_media": True}
    elif kind in OTHER_TYPES:
        raise ApiError.bad_request(f"local server: inline results of type {kind} are not drawn")
    else:
        raise ResultError(f'type "{kind}" is unsupported for the inline query result')
    result["message"] = content
    return result


def parse_results(context: Context, raw: Any) -> list[JsonDict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError.bad_request("expected an Array of inline query results")
    if len(raw) > RESULT_LIMIT:
        raise ApiError.bad_request("too many inline query results specified")
    results = []
    for item in raw:
        try:
            results.append(parse_result(context, item))
        except ResultError as exc:
            raise ApiError.bad_request(f"can't parse inline query result: {exc}") from None
    # The checks Telegram's servers make once the Bot API server has read the results.
    seen: set[str] = set()
    for result in results:
        if not result["id"]:
            raise ApiError.bad_request("RESULT_ID_EMPTY")
        if len(result["id"].encode()) > ID_LIMIT:
            raise ApiError.bad_request("RESULT_ID_INVALID")
        if result["id"] in seen:
            raise ApiError.bad_request("RESULT_ID_DUPLICATE")
        seen.add(result["id"])
        if result["type"] == "article" and not (result["title"] or "").strip():
            raise ApiError.bad_request("ARTICLE_TITLE_EMPTY")
    return results


def _button(params: Params) -> JsonDict | None:
    raw = params.decoded("button", "inline query results button JSON object")
    if raw is None and params.text("switch_pm_text"):
        raw = {
            "text": params.text("switch_pm_text"),
            "start_parameter": params.text("switch_pm_parameter") or "",
        }
    if raw is None:
        return None
    prefix = "can't parse inline query results button: "
    if not isinstance(raw, dict):
        raise ApiError.bad_request(prefix + "InlineQueryResultsButton must be an Object")
    if not isinstance(raw.get("text"), str):
        raise ApiError.bad_request(prefix + 'Can\'t find field "text"')
    if "start_parameter" in raw:
        start = raw["start_parameter"]
        if not isinstance(start, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start):
            raise ApiError.bad_request("START_PARAM_INVALID")
        return {"text": raw["text"], "start_parameter": start}
    if isinstance(raw.get("web_app"), dict):
        raise ApiError.bad_request("local server: web app buttons are not simulated")
    raise ApiError.bad_request(
        prefix + "InlineQueryResultsButton must have exactly one optional field"
    )


@method("answerInlineQuery")
async def answer_inline_query(context: Context, params: Params) -> bool:
    state = context.state
    raw = params.decoded("results", "JSON encoded inline query results")
    results = parse_results(context, raw)
    cache_time = params.integer("cache_time")
    next_offset = params.text("next_offset") or ""
    if len(next_offset.encode()) > ID_LIMIT:
        raise ApiError.bad_request("NEXT_OFFSET_INVALID")
    button = _button(params)
    query = state.inline_queries.get(params.text("inline_query_id") or "")
    if query is None or query.answer.done():
        raise ApiError.bad_request(QUERY_TOO_OLD)
    state.answer_inline(
        query,
        {
            "results": results,
            "next_offset": next_offset,
            "button": button,
            # Telegram keeps an answer for 300 seconds unless told otherwise, a day at most.
            "cache_time": 300 if cache_time is None else min(max(cache_time, 0), CACHE_TIME_LIMIT),
            "is_personal": params.flag("is_personal"),
        },
    )
    return True
