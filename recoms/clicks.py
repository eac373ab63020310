"""Signed shop links of the chat's product cards: what a link names, its signature, and where
it forwards. Pure: the engine verifies with it and a remote bot signs with it.

A link names a list, a contact (or nobody), a product and the UTM source and medium; the
signature (HMAC-SHA256 under the engine's click key, 128 bits, base64url) covers all of them,
so nobody can make a link count a click for another contact, list or product. Where a link
forwards is never in it: the engine takes the product's URL from its catalogue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CLICK_PATH = "/api/v1/click"
LIST_NAME = r"^[a-z0-9_]{1,40}$"
"""A list's name as links carry it (the bot's list kinds: ``for_you``, ``bestsellers``...)."""
UTM_VALUE = r"^[A-Za-z0-9_.\-]{1,64}$"
SIGNATURE = r"^[A-Za-z0-9_\-]{22}$"
_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class ClickLink:
    """What a shop link names. ``contact_id`` None: a customer the shop does not know yet."""

    list_name: str
    contact_id: int | None
    product_id: str
    utm_source: str
    utm_medium: str

    def _message(self) -> bytes:
        contact = "" if self.contact_id is None else str(self.contact_id)
        parts = ("click-v1", self.list_name, contact, self.product_id)
        return _SEPARATOR.join((*parts, self.utm_source, self.utm_medium)).encode()

    def signature(self, key: bytes) -> str:
        digest = hmac.new(key, self._message(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def signed_by(self, key: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.signature(key), signature)

    def query(self, key: bytes) -> str:
        """The link's query string, signed: ``l``, ``c`` (left out for nobody), ``p``, ``us``,
        ``um``, ``s``."""
        params = [("l", self.list_name)]
        if self.contact_id is not None:
            params.append(("c", str(self.contact_id)))
        params += [("p", self.product_id), ("us", self.utm_source), ("um", self.utm_medium)]
        return urlencode([*params, ("s", self.signature(key))])

    def url(self, base_url: str, key: bytes) -> str:
        """The link under ``base_url``, the engine API's public address."""
        return f"{base_url.rstrip('/')}{CLICK_PATH}?{self.query(key)}"

    def well_formed(self) -> bool:
        """Whether a link naming this could be verified (names and tags as links spell
        them); anything else is a refusal, not a link to sign."""
        return bool(
            re.fullmatch(LIST_NAME, self.list_name)
            and re.fullmatch(UTM_VALUE, self.utm_source)
            and re.fullmatch(UTM_VALUE, self.utm_medium)
            and self.product_id
            and (self.contact_id is None or self.contact_id > 0)
        )


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: nothing else is forwarded to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url.isprintable()


def tagged(url: str, *, source: str, medium: str, campaign: str) -> str:
    """``url`` with UTM tags naming where the click came from (tags it had are replaced).
    The one rule for both ways a card's link reaches the shop: through the redirect and, when
    the bot has no engine URL to send taps through, straight."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("utm_source", "utm_medium", "utm_campaign")
    ]
    query += [("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_utm(url: str, *, source: str, medium: str, campaign: str) -> str | None:
    """The shop URL with its UTM tags (``tagged``); None when it is not a web URL."""
    if not is_web_url(url):
        return None
    result = tagged(url, source=source, medium=medium, campaign=campaign)
    return result if is_web_url(result) else None
