"""Files in Bot API calls: uploads, attach:// parts, file_ids and HTTP URLs, as Telegram takes
them."""

from __future__ import annotations

import dataclasses
import re
import struct
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.localapi.errors import ApiError
from bot.localapi.model import DOCUMENT_KINDS, KIND_NAMES
from bot.localapi.registry import Context, Upload
from bot.localapi.state import StoredFile

WRONG_FILE = "wrong file identifier/HTTP URL specified"


def image_size(content: bytes) -> tuple[int, int] | None:
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


def image_kind(content: bytes) -> str | None:
    """The MIME type of a PNG, GIF or JPEG by its first bytes."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
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


def known_file(context: Context, kind: str, file_id: str) -> StoredFile:
    """A file_id the server handed out, usable as ``kind`` as Telegram allows: photos only as
    photos, any of the document kinds as another."""
    stored = context.state.files.get(file_id)
    if stored is None:
        raise ApiError.bad_request(WRONG_FILE)
    same_class = stored.kind in DOCUMENT_KINDS and kind in DOCUMENT_KINDS
    if stored.kind != kind and not same_class:
        raise ApiError.bad_request(
            f"can't use file of type {KIND_NAMES[stored.kind]} as {KIND_NAMES[kind]}"
        )
    # A voice note sent with sendDocument arrives as a document, as in Telegram.
    return stored if stored.kind == kind else dataclasses.replace(stored, kind=kind)


def _upload(value: Any, uploads: Mapping[str, Upload]) -> Upload | None:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.startswith("attach://"):
        found = uploads.get(value.removeprefix("attach://"))
        if found is None:
            raise ApiError.bad_request(WRONG_FILE)
        return found
    return None


async def photo(context: Context, value: Any, uploads: Mapping[str, Upload]) -> StoredFile:
    """A photo given as an upload, ``attach://name``, a file_id or an HTTP URL."""
    state = context.state
    upload = _upload(value, uploads)
    if upload is None:
        if isinstance(value, str) and re.match(r"(?i)https?://", value):
            if not context.fetch_photos:
                return state.new_file("photo", url=value)
            content, content_type = await _fetch_photo(context, value)
            size = image_size(content)
            if size is None:
                raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
            return state.new_file(
                "photo",
                url=value,
                content=content,
                content_type=content_type,
                width=size[0],
                height=size[1],
            )
        if value is None or value == "":
            raise ApiError.bad_request("there is no photo in the request")
        if isinstance(value, str):
            return known_file(context, "photo", value)
        raise ApiError.bad_request(WRONG_FILE)
    size = image_size(upload.content)
    if size is None:
        raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
    return state.new_file(
        "photo",
        content=upload.content,
        content_type=upload.content_type or "image/jpeg",
        width=size[0],
        height=size[1],
    )


def document(
    context: Context, kind: str, value: Any, uploads: Mapping[str, Upload], **details: Any
) -> StoredFile:
    """A document, voice note or sticker given as an upload, ``attach://name``, a file_id or
    an HTTP URL (kept as a link: the local server fetches no files but photos)."""
    upload = _upload(value, uploads)
    if upload is not None:
        details = {k: v for k, v in details.items() if v is not None}
        if kind == "document":
            details.setdefault("file_name", upload.filename)
        return context.state.new_file(
            kind,
            content=upload.content,
            content_type=upload.content_type or "application/octet-stream",
            **details,
        )
    if value is None or value == "":
        raise ApiError.bad_request(f"there is no {kind} in the request")
    if isinstance(value, str) and re.match(r"(?i)https?://", value):
        if kind == "sticker":
            raise ApiError.bad_request(WRONG_FILE)
        return context.state.new_file(kind, url=value, content_type="application/octet-stream")
    if isinstance(value, str):
        return known_file(context, kind, value)
    raise ApiError.bad_request(WRONG_FILE)
