"""Telegram's HTML parse mode: text plus entities, with Telegram's rules and error texts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.localapi.errors import ApiError

JsonDict = dict[str, Any]

# Tag -> entity type; span and tg-emoji get their type from attributes.
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = {*SIMPLE_TAGS, "a", "span", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# Entities inside which Telegram looks for no links or commands.
_OPAQUE = {"code", "pre", "text_link", "url", "bot_command", "text_mention", "custom_emoji"}
_URL_RE = re.compile(r"(?<![\w/@.])(?:https?://)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    expandable: bool = False


@dataclass
class _Parser:
    source: str
    text: list[str] = field(default_factory=list)
    length: int = 0  # UTF-16 length of the text produced so far
    entities: list[JsonDict] = field(default_factory=list)

    def append(self, chunk: str) -> None:
        self.text.append(chunk)
        self.length += utf16_len(chunk)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _fail(message: str) -> ApiError:
    return ApiError.bad_request(f"can't parse entities: {message}")


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``source[pos] == '&'`` as Telegram does.

    Returns the character and the position after it, or None when it is no reference Telegram
    knows (the ampersand then stays literal). The closing semicolon is optional, as in tdlib.
    """
    end = pos + 1
    if end < len(source) and source[end] == "#":
        end += 1
        value = 0
        digits = 0
        hexadecimal = end < len(source) and source[end] in "xX"
        if hexadecimal:
            end += 1
        while end < len(source) and (
            source[end] in "0123456789abcdefABCDEF" if hexadecimal else source[end].isdigit()
        ):
            value = value * (16 if hexadecimal else 10) + int(source[end], 16)
            digits += 1
            end += 1
            if value >= 0x10FFFF:
                return None
        if digits == 0 or value == 0 or 0xD800 <= value <= 0xDFFF or end - pos >= 10:
            return None
        char = chr(value)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        name = source[pos + 1 : end]
        if name not in NAMED_ENTITIES:
            return None
        char = NAMED_ENTITIES[name]
    if end < len(source) and source[end] == ";":
        end += 1
    return char, end


def _read_attributes(parser: _Parser, pos: int, tag: _OpenTag, begin: int) -> int:
    """Read a start tag's attributes from ``pos``; returns the position after ``>``."""
    source = parser.source
    size = len(source)
    while True:
        while pos < size and source[pos].isspace():
            pos += 1
        if pos >= size:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[pos] == ">":
            return pos + 1
        name_start = pos
        while pos < size and not source[pos].isspace() and source[pos] not in "=>":
            pos += 1
        name = source[name_start:pos].lower()
        if not name:
            raise _fail(
                f'Empty attribute name in the tag "{tag.name}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while pos < size and source[pos].isspace():
            pos += 1
        if pos >= size or source[pos] != "=":
            if tag.name == "blockquote" and name == "expandable":
                tag.expandable = True
                continue
            raise _fail(
                f'Expected equal sign in declaration of an attribute of the tag "{tag.name}" '
                f"at byte offset {_byte_offset(source, begin)}"
            )
        pos += 1
        while pos < size and source[pos].isspace():
            pos += 1
        if pos >= size:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        value_chars: list[str] = []
        if source[pos] in "\"'":
            quote = source[pos]
            pos += 1
            while pos < size and source[pos] != quote:
                if source[pos] == "&":
                    decoded = _decode_entity(source, pos)
                    if decoded is not None:
                        value_chars.append(decoded[0])
                        pos = decoded[1]
                        continue
                value_chars.append(source[pos])
                pos += 1
            if pos < size:
                pos += 1
        else:
            while pos < size and (source[pos].isalnum() or source[pos] in ".-"):
                value_chars.append(source[pos])
                pos += 1
        if pos >= size:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        value = "".join(value_chars)
        if (
            (tag.name == "a" and name == "href")
            or (tag.name == "tg-emoji" and name == "emoji-id")
            or (tag.name == "code" and name == "class" and value.startswith("language-"))
            or (tag.name == "span" and name == "class" and value.startswith("tg-"))
        ):
            tag.argument = value
        elif tag.name == "blockquote" and name == "expandable":
            tag.expandable = True


def _close(parser: _Parser, tag: _OpenTag) -> None:
    length = parser.length - tag.offset
    if length <= 0:
        return
    entity: JsonDict = {"offset": tag.offset, "length": length}
    if tag.name in SIMPLE_TAGS:
        entity["type"] = SIMPLE_TAGS[tag.name]
        if tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        if tag.name == "code" and tag.argument.startswith("language-"):
            entity["language"] = tag.argument.removeprefix("language-")
        if tag.name == "pre":
            inner = parser.entities[-1] if parser.entities else None
            # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
            if (
                inner is not None
                and inner["type"] == "code"
                and inner["offset"] == tag.offset
                and inner["length"] == length
            ):
                parser.entities.pop()
                if "language" in inner:
                    entity["language"] = inner["language"]
    elif tag.name == "span":
        entity["type"] = "spoiler"
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit():
            return
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = tag.argument
    else:  # a
        url = tag.argument.strip()
        user = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if user is not None:
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
        elif url and is_valid_url(url):
            entity["type"] = "text_link"
            entity["url"] = url
        else:
            # Telegram drops a link whose href is no valid URL and keeps its text.
            return
    parser.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Turn Telegram HTML into plain text and entities (UTF-16 offsets), or raise ApiError.

    Mirrors tdlib's parser: only Telegram's tags, balanced; the named entities &lt; &gt; &amp;
    &quot; and numeric ones are decoded, any other ``&...`` stays literal text.
    """
    parser = _Parser(source)
    stack: list[_OpenTag] = []
    size = len(source)
    pos = 0
    while pos < size:
        char = source[pos]
        if char == "&":
            decoded = _decode_entity(source, pos)
            if decoded is not None:
                parser.append(decoded[0])
                pos = decoded[1]
                continue
        if char != "<":
            run_end = pos + 1
            while run_end < size and source[run_end] not in "<&":
                run_end += 1
            parser.append(source[pos:run_end])
            pos = run_end
            continue
        begin = pos
        pos += 1
        if pos < size and source[pos] == "/":
            pos += 1
            name_end = pos
            while name_end < size and not source[name_end].isspace() and source[name_end] != ">":
                name_end += 1
            end_name = source[pos:name_end].lower()
            pos = name_end
            while pos < size and source[pos].isspace():
                pos += 1
            if not stack:
                raise _fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
            if pos >= size or source[pos] != ">":
                raise _fail(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
            pos += 1
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise _fail(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            _close(parser, tag)
            continue
        name_end = pos
        while name_end < size and not source[name_end].isspace() and source[name_end] != ">":
            name_end += 1
        name = source[pos:name_end].lower()
        if name not in ALLOWED_TAGS:
            raise _fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        tag = _OpenTag(name=name, argument="", offset=parser.length)
        pos = _read_attributes(parser, name_end, tag, begin)
        if name == "span" and tag.argument != "tg-spoiler":
            raise _fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        stack.append(tag)
    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(parser.text), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


def is_valid_url(url: str) -> bool:
    """Whether Telegram would accept ``url`` for a link or URL button (http, https, tg)."""
    match = re.fullmatch(r"(?i)(https?)://([^/?#\s]+)([/?#]\S*)?", url)
    if match is None:
        return re.fullmatch(r"(?i)tg://[a-z0-9_]+(\?\S*)?", url) is not None
    host = match.group(2).rsplit("@", 1)[-1]
    host = re.sub(r":\d{1,5}$", "", host)
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", host):
        return all(int(part) < 256 for part in host.split("."))
    labels = host.split(".")
    # Telegram refuses hosts without a top-level domain, such as localhost.
    return len(labels) >= 2 and all(
        re.fullmatch(
            r"(?i)[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?", x
        )
        for x in labels
    )


def _utf16_index(text: str) -> list[int]:
    """UTF-16 offset of each character index of ``text`` (plus the end)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Strip leading and trailing whitespace as Telegram does, keeping entities in place."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - left, 0)
        end = min(entity["offset"] + entity["length"] - left, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def detect_entities(text: str, entities: list[JsonDict]) -> list[JsonDict]:
    """Add the url and bot_command entities Telegram finds in plain text by itself."""
    index = _utf16_index(text)
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE]
    found: list[JsonDict] = []
    for kind, pattern in (("url", _URL_RE), ("bot_command", _COMMAND_RE)):
        for match in pattern.finditer(text):
            start, end = index[match.start()], index[match.end()]
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    if not found:
        return entities
    return sorted([*entities, *found], key=lambda e: (e["offset"], -e["length"]))


def format_text(
    text: str | None, parse_mode: str | None, entities: list[JsonDict] | None
) -> tuple[str, list[JsonDict]]:
    """Apply ``parse_mode`` (HTML; Markdown is taken as plain text) and Telegram's trimming."""
    if text is None:
        return "", []
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, found = parse_html(text)
    elif mode in ("", "markdown", "markdownv2"):
        plain, found = text, list(entities or [])
    else:
        raise ApiError.bad_request("unsupported parse_mode")
    plain, found = trim(plain, found)
    return plain, detect_entities(plain, found)
