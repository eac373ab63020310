"""Signed deep-link payloads: ``/start <payload>`` names an external customer id.

A payload is base64url (no padding) of ``version byte + external id (UTF-8) + HMAC-SHA256 tag``,
at most 64 characters as Telegram allows, so an external id may take up to 35 bytes. The tag
covers the version and the id, so an altered, truncated or re-signed payload is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import quote

MAX_PAYLOAD_CHARS = 64
_VERSION = b"\x01"
_TAG_BYTES = 12  # 96 bits: forging needs ~2**96 tries against a bot that answers a few per second
_RAW_BYTES = MAX_PAYLOAD_CHARS * 6 // 8
MAX_EXTERNAL_ID_BYTES = _RAW_BYTES - len(_VERSION) - _TAG_BYTES
_PAYLOAD_CHARS = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DOMAIN = b"recoms-bot deep link\x00"


class DeepLinkError(ValueError):
    """A payload that cannot be trusted, or an id that cannot be put in one."""


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()[:_TAG_BYTES]


def sign_payload(external_id: str, key: bytes) -> str:
    """The ``start`` payload for ``external_id``; raises ``DeepLinkError`` when it is too long."""
    if not key:
        raise DeepLinkError("no signing key: set BOT_LINK_SECRET")
    raw_id = external_id.encode()
    if not raw_id or not external_id.strip():
        raise DeepLinkError("external id is empty")
    if len(raw_id) > MAX_EXTERNAL_ID_BYTES:
        raise DeepLinkError(
            f"external id is {len(raw_id)} bytes; a deep link holds at most "
            f"{MAX_EXTERNAL_ID_BYTES}"
        )
    body = _VERSION + raw_id
    return base64.urlsafe_b64encode(body + _tag(key, body)).rstrip(b"=").decode("ascii")


def verify_payload(payload: str, key: bytes) -> str:
    """The external id a payload carries; raises ``DeepLinkError`` unless it was signed by key."""
    if not key:
        raise DeepLinkError("no signing key")
    if not _PAYLOAD_CHARS.fullmatch(payload):
        raise DeepLinkError("malformed payload")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError) as error:
        raise DeepLinkError("malformed payload") from error
    # Non-canonical encodings (stray low bits in the last character) must not yield a second
    # valid spelling of the same payload.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != payload:
        raise DeepLinkError("malformed payload")
    if len(raw) <= len(_VERSION) + _TAG_BYTES or not raw.startswith(_VERSION):
        raise DeepLinkError("malformed payload")
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, body)):
        raise DeepLinkError("bad signature")
    try:
        return body[len(_VERSION) :].decode()
    except UnicodeDecodeError as error:  # only a key holder could sign such bytes
        raise DeepLinkError("malformed payload") from error


def start_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``."""
    return f"https://t.me/{quote(bot_username)}?start={payload}"
