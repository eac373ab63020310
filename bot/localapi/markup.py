"""Reply markup (inline and reply keyboards) checked and normalised as Telegram does."""

from __future__ import annotations

from typing import Any

from bot.localapi.entities import is_valid_url
from bot.localapi.errors import ApiError

JsonDict = dict[str, Any]

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
CALLBACK_DATA_LIMIT = 64


def _drop_nulls(value: Any) -> Any:
    """Telegram returns only the fields that are set; clients often send the rest as null."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _rows(markup: JsonDict, key: str, what: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(f'field "{key}" of the {what} must be an Array of Arrays')
    return rows


def _inline_button(button: Any) -> JsonDict:
    if not isinstance(button, dict):
        raise ApiError.bad_request("can't parse inline keyboard button: Object expected")
    text = button.get("text")
    if not isinstance(text, str):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: only one of the optional fields can be used"
        )
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str):
            raise ApiError.bad_request(
                'can\'t parse inline keyboard button: Field "url" must be of type String'
            )
        if not is_valid_url(url):
            raise ApiError.bad_request(f"inline keyboard button URL '{url}' is invalid")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise ApiError.bad_request(
                'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
            )
        if not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    return dict(button)


def _reply_button(button: Any) -> JsonDict:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError.bad_request(
            'can\'t parse keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    return dict(button)


def parse_reply_markup(raw: Any) -> JsonDict | None:
    """Validate ``reply_markup`` (already JSON-decoded); None when absent.

    The result keeps one of ``inline_keyboard``, ``keyboard``, ``remove_keyboard`` or
    ``force_reply`` with the options the client set, buttons as objects.
    """
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    markup = _drop_nulls(raw)
    if "inline_keyboard" in markup:
        rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
        return {"inline_keyboard": [[_inline_button(b) for b in row] for row in rows]}
    if "keyboard" in markup:
        rows = _rows(markup, "keyboard", "ReplyKeyboardMarkup")
        result = dict(markup)
        result["keyboard"] = [[_reply_button(b) for b in row] for row in rows]
        return result
    if markup.get("remove_keyboard") is True:
        return {"remove_keyboard": True}
    if markup.get("force_reply") is True:
        return dict(markup)
    raise ApiError.bad_request("can't parse reply keyboard markup JSON object")


def inline_only(markup: JsonDict | None) -> JsonDict | None:
    """Edits accept only inline keyboards, as Telegram's edit methods do."""
    if markup is None:
        return None
    if "inline_keyboard" not in markup:
        raise ApiError.bad_request("inline keyboard expected")
    return markup
