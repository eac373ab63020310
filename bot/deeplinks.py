"""Deep-link tokens: ``https://t.me/<bot>?start=<token>`` names a stored, single-use link.

Why a random token stored by the bot rather than a payload signed with a nonce: a link that
works once needs state on the server anyway (the redeemed nonce, checked and set in one
statement), and once the server keeps a row per link it may as well keep the link itself.
Then the payload carries nothing but 192 random bits: no customer id to read from a URL that
gets forwarded, logged by proxies and kept in chat histories; no signing key to configure,
leak or rotate; no 35-byte limit on external ids; expiry, single use and the first opener are
decided and recorded in one place, and a link can be revoked. The table keeps the token's
SHA-256 only, so a copy of it links nobody. Telegram allows 64 characters of ``A-Za-z0-9_-``;
a token is 32.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import quote

MAX_PAYLOAD_CHARS = 64
TOKEN_BYTES = 24
TOKEN_CHARS = 32  # base64url of 24 bytes, no padding
MAX_EXTERNAL_ID_CHARS = 200  # what the engine stores
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")


class DeepLinkError(ValueError):
    """A link that cannot be made: an unusable external id or an unknown bot username."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the bot stores of a token (hex SHA-256): 192 random bits need no salt or key."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_token(text: str) -> bool:
    """Whether ``text`` has a token's shape (anything else is refused before a lookup)."""
    return _TOKEN.fullmatch(text) is not None


def checked_external_id(external_id: str) -> str:
    """The external id stripped; ``DeepLinkError`` when empty or longer than the engine keeps."""
    cleaned = external_id.strip()
    if not cleaned:
        raise DeepLinkError("external id is empty")
    if len(cleaned) > MAX_EXTERNAL_ID_CHARS:
        raise DeepLinkError(
            f"external id is {len(cleaned)} characters; at most {MAX_EXTERNAL_ID_CHARS}"
        )
    return cleaned


def start_link(bot_username: str, token: str) -> str:
    """``https://t.me/<bot>?start=<token>``."""
    return f"https://t.me/{quote(bot_username)}?start={token}"
