"""A stand-in for Telegram's servers in bot tests: a Bot session that records every request,
checks what Telegram would refuse, answers like Telegram, and fails on demand.

Telegram's checks that matter to the bot: text 1..4096 and captions up to 1024 characters
(UTF-16 units, after HTML parsing), well-formed HTML with Telegram's tags only, callback data
1..64 bytes, URL buttons with http(s) URLs, edits that fit the kind of message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    CloseForumTopic,
    CopyMessage,
    CreateForumTopic,
    DeleteForumTopic,
    DeleteMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    PinChatMessage,
    ReopenForumTopic,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
)

from bot.localapi.errors import ApiError
from bot.localapi.inline import parse_results

BOT_ID = 4242
BOT_USERNAME = "shop_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-recording-session"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64
ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_LESS_THAN = re.compile(r"<(?!/?[a-z][a-z-]*(?:\s[^<>]*)?>)")
BAD_PHOTO = "Bad Request: wrong file identifier/HTTP URL specified"
BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_ANSWERED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


MEDIA = ("photo", "document", "voice", "sticker", "location", "video")


@dataclass
class Topic:
    """A forum topic the bot opened."""

    name: str
    closed: bool = False


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"unsupported start tag {tag!r}")
        if tag == "a" and not dict(attrs).get("href"):
            self.errors.append("<a> without href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing tag {tag!r}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unmatched end tag {tag!r}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name, "?"))

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name.lower().startswith("x") else int(name)))


def parse_html(source: str) -> tuple[str, list[str]]:
    """The visible text and what Telegram would complain about."""
    parser = _Html()
    parser.feed(source)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed tags {parser.stack}")
    if _AMPERSAND.search(source):
        errors.append("a bare & that is not an entity")
    if _LESS_THAN.search(source):
        errors.append("a bare < that does not start a tag")
    return "".join(parser.text), errors


@dataclass
class Sent:
    """A message the bot sent, as it stands now (edits applied)."""

    chat_id: int
    message_id: int
    text: str | None = None  # HTML as sent
    caption: str | None = None
    photo: str | None = None
    markup: Any = None  # whatever reply_markup the bot sent
    deleted: bool = False
    edits: int = 0
    thread_id: int | None = None  # the forum topic it went to
    copied_from: tuple[int, int] | None = None  # (chat id, message id) of a copied message
    media: str | None = None  # what a copy carries besides text: "sticker", "location", ...
    reply_to: int | None = None  # the message it replies to, in the same chat

    @property
    def visible(self) -> str:
        return parse_html(self.text if self.text is not None else self.caption or "")[0]

    def buttons(self) -> list[tuple[str, str | None, str | None]]:
        """(text, callback_data, url) of every inline button."""
        if not isinstance(self.markup, InlineKeyboardMarkup):
            return []
        return [
            (button.text, button.callback_data, button.url)
            for row in self.markup.inline_keyboard
            for button in row
        ]


@dataclass
class PlannedFailure:
    matches: Callable[[TelegramMethod[Any]], bool]
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1


@dataclass
class RecordingSession(BaseSession):
    """Records requests and answers as Telegram would (see the module docstring)."""

    requests: list[TelegramMethod[Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    messages: dict[tuple[int, int], Sent] = field(default_factory=dict)
    failures: list[PlannedFailure] = field(default_factory=list)
    commands: dict[tuple[str, int | None, str | None], list[str]] = field(default_factory=dict)
    bad_photo_urls: set[str] = field(default_factory=set)
    blocked_chats: set[int] = field(default_factory=set)
    pressed: list[str] = field(default_factory=list)
    """Ids of the callback queries users sent (``Chat.press``), in order."""
    answered: dict[str, int] = field(default_factory=dict)
    user_messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    """What people sent (``Chat``), by (chat id, message id): what ``copyMessage`` copies."""
    topics: dict[tuple[int, int], Topic] = field(default_factory=dict)
    pinned: set[tuple[int, int]] = field(default_factory=set)
    forums: set[int] = field(default_factory=set)
    """Chats that are supergroups with topics, where the bot may manage topics."""
    latency: float = 0.0
    """Seconds each request takes before Telegram receives it (a slow network)."""
    inline_asked: list[str] = field(default_factory=list)
    """Ids of the inline queries users sent (``Chat.inline``), in order."""
    inline_answers: dict[str, AnswerInlineQuery] = field(default_factory=dict)
    inline_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Each answer's results as Telegram reads them (``bot.localapi.inline``'s checks)."""

    def __post_init__(self) -> None:
        super().__init__()
        self._ids: Iterator[int] = itertools.count(1)

    # --- what tests call ---------------------------------------------------------------
    def fail(
        self,
        method: type[TelegramMethod[Any]],
        description: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(
            PlannedFailure(
                lambda m: isinstance(m, method), status, description, retry_after, times
            )
        )

    def calls(self, *types: type[TelegramMethod[Any]]) -> list[Any]:
        return [request for request in self.requests if not types or isinstance(request, types)]

    def chat(self, chat_id: int) -> list[Sent]:
        """Messages now visible in a chat, oldest first."""
        return [
            sent
            for (chat, _), sent in sorted(self.messages.items())
            if chat == chat_id and not sent.deleted
        ]

    def last(self, chat_id: int) -> Sent:
        return self.chat(chat_id)[-1]

    def in_topic(self, chat_id: int, thread_id: int) -> list[Sent]:
        """Messages the bot has in one forum topic, oldest first."""
        return [sent for sent in self.chat(chat_id) if sent.thread_id == thread_id]

    def topic_named(self, chat_id: int, part: str) -> tuple[int, Topic]:
        found = [
            (thread, topic)
            for (chat, thread), topic in self.topics.items()
            if chat == chat_id and part in topic.name
        ]
        assert len(found) == 1, f"{part!r} in {self.topics}"
        return found[0]

    def unanswered(self) -> list[str]:
        """Callback queries the bot left unanswered: the user's button spins until it gives up."""
        return [query for query in self.pressed if query not in self.answered]

    def answers(self) -> list[AnswerCallbackQuery]:
        return [r for r in self.requests if isinstance(r, AnswerCallbackQuery)]

    # --- BaseSession -------------------------------------------------------------------
    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        if self.latency:
            await asyncio.sleep(self.latency)
        self.requests.append(method)
        status, body = self._answer(bot, method)
        return self.check_response(bot, method, status, json.dumps(body)).result  # type: ignore[return-value]

    # --- Telegram's behaviour ----------------------------------------------------------
    def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> tuple[int, dict[str, Any]]:
        for planned in self.failures:
            if planned.times > 0 and planned.matches(method):
                planned.times -= 1
                return _error(planned.status, planned.description, planned.retry_after)
        chat_id = getattr(method, "chat_id", None)
        if (
            isinstance(chat_id, int)
            and chat_id in self.blocked_chats
            and not isinstance(method, (AnswerCallbackQuery, GetMe))
            and type(method).__name__.startswith(("Send", "Edit"))
        ):
            return _error(403, BLOCKED)
        problem = self._check(bot, method)
        if problem is not None:
            self.violations.append(f"{type(method).__name__}: {problem}")
            return _error(400, f"Bad Request: {problem}")
        try:
            return 200, {"ok": True, "result": self._result(bot, method)}
        except _Refuse as refusal:
            return _error(400, refusal.description)

    def _parse_mode(self, bot: Bot, value: object) -> str | None:
        if isinstance(value, Default):
            return bot.default[value.name]  # type: ignore[no-any-return]
        return value  # type: ignore[return-value]

    def _check_formatted(self, text: str, mode: str | None, limit: int, what: str) -> str | None:
        visible, errors = parse_html(text) if mode == "HTML" else (text, [])
        if errors:
            return f"can't parse entities in {what}: {'; '.join(errors)}"
        if utf16_len(visible) > limit:
            return f"{what} is too long ({utf16_len(visible)} > {limit})"
        if what == "message text" and not visible.strip():
            return "message text is empty"
        return None

    def _check_markup(self, markup: object) -> str | None:
        if not isinstance(markup, InlineKeyboardMarkup):
            return None
        for row in markup.inline_keyboard:
            for button in row:
                if not button.text:
                    return "button text is empty"
                if button.callback_data is not None and not (
                    1 <= len(button.callback_data.encode()) <= CALLBACK_LIMIT
                ):
                    return f"BUTTON_DATA_INVALID ({button.callback_data!r})"
                if button.url is not None and not re.match(r"https?://[^\s/]+", button.url):
                    return f"BUTTON_URL_INVALID ({button.url!r})"
        return None

    def _check(self, bot: Bot, method: TelegramMethod[Any]) -> str | None:
        markup_problem = self._check_markup(getattr(method, "reply_markup", None))
        if markup_problem:
            return markup_problem
        if isinstance(method, (SendMessage, EditMessageText)):
            problem = self._check_formatted(
                method.text or "",
                self._parse_mode(bot, method.parse_mode),
                TEXT_LIMIT,
                "message text",
            )
            if problem:
                return problem
        if isinstance(method, SendPhoto) and method.caption is not None:
            problem = self._check_formatted(
                method.caption, self._parse_mode(bot, method.parse_mode), CAPTION_LIMIT, "caption"
            )
            if problem:
                return problem
        if isinstance(method, EditMessageMedia):
            media = method.media
            if isinstance(media, InputMediaPhoto) and media.caption is not None:
                problem = self._check_formatted(
                    media.caption,
                    self._parse_mode(bot, media.parse_mode),
                    CAPTION_LIMIT,
                    "caption",
                )
                if problem:
                    return problem
        if isinstance(method, AnswerCallbackQuery) and method.text and len(method.text) > 200:
            return "callback answer text is too long"
        if isinstance(method, AnswerInlineQuery):
            return self._check_inline(bot, method)
        return None

    def _check_inline(self, bot: Bot, method: AnswerInlineQuery) -> str | None:
        """The results as the Bot API reads them: the local server's checks, which are
        Telegram's (types, fields, ids, lengths, HTML), and a known, unanswered query."""
        if method.inline_query_id not in self.inline_asked:
            return "query is too old and response timeout expired or query ID is invalid"
        if method.inline_query_id in self.inline_answers:
            return "query is too old and response timeout expired or query ID is invalid"
        raw = json.loads(self.prepare_value(method.results, bot=bot, files={}))
        try:
            # The context matters only for results naming a file the server stored.
            parsed = parse_results(None, raw)  # type: ignore[arg-type]
        except ApiError as error:
            return error.description.removeprefix("Bad Request: ")
        for result in raw:
            for text, mode in (
                (result.get("caption"), result.get("parse_mode")),
                (
                    (result.get("input_message_content") or {}).get("message_text"),
                    (result.get("input_message_content") or {}).get("parse_mode"),
                ),
            ):
                if text is not None:
                    limit = CAPTION_LIMIT if "caption" in result else TEXT_LIMIT
                    what = "caption" if "caption" in result else "message text"
                    if problem := self._check_formatted(text, mode, limit, what):
                        return problem
            if problem := self._check_markup(
                InlineKeyboardMarkup.model_validate(result["reply_markup"])
                if result.get("reply_markup")
                else None
            ):
                return problem
        self.inline_answers[method.inline_query_id] = method
        self.inline_results[method.inline_query_id] = parsed
        return None

    def _result(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return {"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": BOT_USERNAME}
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in self.answered:
                self.violations.append(f"AnswerCallbackQuery: {method.callback_query_id} twice")
                raise _Refuse(QUERY_ANSWERED)
            self.answered[method.callback_query_id] = 1
            return True
        if isinstance(method, SendMessage):
            self._check_thread(int(method.chat_id), method.message_thread_id)
            sent = Sent(
                int(method.chat_id),
                next(self._ids),
                text=method.text,
                markup=method.reply_markup,
                thread_id=method.message_thread_id,
                reply_to=_replied_id(method),
            )
            self.messages[(sent.chat_id, sent.message_id)] = sent
            return self._message_json(sent)
        if isinstance(method, SendPhoto):
            photo = str(method.photo)
            if photo in self.bad_photo_urls:
                raise _Refuse(BAD_PHOTO)
            self._check_thread(int(method.chat_id), method.message_thread_id)
            sent = Sent(
                int(method.chat_id),
                next(self._ids),
                caption=method.caption,
                photo=photo,
                markup=method.reply_markup,
                thread_id=method.message_thread_id,
            )
            self.messages[(sent.chat_id, sent.message_id)] = sent
            return self._message_json(sent)
        if isinstance(
            method,
            (
                EditMessageText,
                EditMessageMedia,
                EditMessageCaption,
                EditMessageReplyMarkup,
                DeleteMessage,
            ),
        ):
            found = self.messages.get((int(method.chat_id or 0), int(method.message_id or 0)))
            if found is None or found.deleted:
                what = "delete" if isinstance(method, DeleteMessage) else "edit"
                raise _Refuse(f"Bad Request: message to {what} not found")
            sent = found
            if isinstance(method, DeleteMessage):
                sent.deleted = True
                return True
            if isinstance(method, EditMessageText):
                if sent.photo is not None:
                    raise _Refuse("Bad Request: there is no text in the message to edit")
                if sent.text == method.text and sent.markup == method.reply_markup:
                    raise _Refuse(NOT_MODIFIED)
                sent.text = method.text
            elif isinstance(method, EditMessageMedia):
                if sent.photo is None:
                    raise _Refuse("Bad Request: there is no media in the message to edit")
                assert isinstance(method.media, InputMediaPhoto)
                if str(method.media.media) in self.bad_photo_urls:
                    raise _Refuse(BAD_PHOTO)
                if (str(method.media.media), method.media.caption, method.reply_markup) == (
                    sent.photo,
                    sent.caption,
                    sent.markup,
                ):
                    raise _Refuse(NOT_MODIFIED)
                sent.photo = str(method.media.media)
                sent.caption = method.media.caption
            elif isinstance(method, EditMessageCaption):
                if (method.caption, method.reply_markup) == (sent.caption, sent.markup):
                    raise _Refuse(NOT_MODIFIED)
                sent.caption = method.caption
            elif method.reply_markup == sent.markup:  # EditMessageReplyMarkup
                raise _Refuse(NOT_MODIFIED)
            sent.markup = method.reply_markup
            sent.edits += 1
            return self._message_json(sent)
        forum = self._forum(method)
        if forum is not None:
            return forum
        if type(method).__name__ in ("SetMyCommands", "DeleteMyCommands"):
            scope = getattr(method, "scope", None)
            scope_key = (
                str(getattr(getattr(scope, "type", None), "value", "default")),
                getattr(scope, "chat_id", None),
                getattr(method, "language_code", None),
            )
            if isinstance(method, SetMyCommands):
                self.commands[scope_key] = [command.command for command in method.commands]
            else:
                self.commands.pop(scope_key, None)
            return True
        return True

    def _forum(self, method: TelegramMethod[Any]) -> Any:
        """Topics, pins and copies, as Telegram does them (None: not one of these)."""
        chat_id = int(getattr(method, "chat_id", 0) or 0)
        thread_id = getattr(method, "message_thread_id", None)
        if isinstance(method, CopyMessage):
            source = self.user_messages.get((int(method.from_chat_id), method.message_id))
            if source is None:
                bot_message = self.messages.get((int(method.from_chat_id), method.message_id))
                if bot_message is None:
                    raise _Refuse("Bad Request: message to copy not found")
                source = {"text": bot_message.visible}
            self._check_thread(chat_id, thread_id)
            sent = Sent(
                chat_id,
                next(self._ids),
                text=source.get("text"),
                caption=method.caption if method.caption is not None else source.get("caption"),
                photo="photo" if "photo" in source else None,
                markup=method.reply_markup,
                thread_id=thread_id,
                copied_from=(int(method.from_chat_id), method.message_id),
                media=next((k for k in MEDIA if k in source), None),
                reply_to=_replied_id(method),
            )
            self.messages[(chat_id, sent.message_id)] = sent
            return {"message_id": sent.message_id}
        if isinstance(method, CreateForumTopic):
            if chat_id not in self.forums:
                raise _Refuse("Bad Request: the chat is not a forum")
            thread = 1000 + len(self.topics) * 7
            self.topics[(chat_id, thread)] = Topic(method.name)
            return {"message_thread_id": thread, "name": method.name, "icon_color": 7322096}
        if isinstance(method, (CloseForumTopic, ReopenForumTopic, DeleteForumTopic)):
            topic = self.topics.get((chat_id, method.message_thread_id))
            if topic is None:
                raise _Refuse("Bad Request: TOPIC_ID_INVALID")
            if isinstance(method, DeleteForumTopic):
                del self.topics[(chat_id, method.message_thread_id)]
                for key, sent in self.messages.items():
                    if key[0] == chat_id and sent.thread_id == method.message_thread_id:
                        sent.deleted = True
                return True
            closing = isinstance(method, CloseForumTopic)
            if topic.closed == closing:
                raise _Refuse("Bad Request: TOPIC_NOT_MODIFIED")
            topic.closed = closing
            return True
        if isinstance(method, PinChatMessage):
            if (chat_id, method.message_id) not in self.messages:
                raise _Refuse("Bad Request: message to pin not found")
            self.pinned.add((chat_id, method.message_id))
            return True
        return None

    def _check_thread(self, chat_id: int, thread_id: int | None) -> None:
        if thread_id is None or thread_id == 1:
            return
        topic = self.topics.get((chat_id, thread_id))
        if topic is None:
            raise _Refuse("Bad Request: message thread not found")
        # A closed topic still takes the bot's messages: it created the topic.

    def _message_json(self, sent: Sent) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Shop"},
        }
        if sent.thread_id is not None:
            body["message_thread_id"] = sent.thread_id
            body["is_topic_message"] = True
        if sent.photo is not None:
            body["photo"] = [
                {
                    "file_id": f"photo-{sent.message_id}",
                    "file_unique_id": f"u{sent.message_id}",
                    "width": 800,
                    "height": 800,
                }
            ]
            if sent.caption:
                body["caption"] = parse_html(sent.caption)[0]
        else:
            body["text"] = sent.visible
        if isinstance(sent.markup, InlineKeyboardMarkup):
            body["reply_markup"] = sent.markup.model_dump(exclude_none=True)
        return body


def _replied_id(method: TelegramMethod[Any]) -> int | None:
    parameters = getattr(method, "reply_parameters", None)
    return getattr(parameters, "message_id", None)


class _Refuse(Exception):
    def __init__(self, description: str) -> None:
        self.description = description


def _error(
    status: int, description: str, retry_after: int | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body
