"""Google Merchant product feeds (RSS 2.0 or Atom 1.0 with ``g:`` fields) read into products.

The XML is read in chunks by defusedxml's expat SAX driver, so a feed of any size streams
through in constant memory and each item knows the line it starts on. Entity declarations
(external entities, expansion bombs) and external references are refused before any item.

Decisions a shop's engineer may want to know:

- A field that repeats (``additional_image_link``) is kept as its values joined by ``,``;
  a field with sub-fields (``g:shipping``) is kept as Google's text form, ``UA::Standard:5 UAH``.
- Without ``g:title``, ``g:description`` or ``g:link`` the plain RSS (or Atom) element is used.
- A missing ``g:availability`` reads as in stock; ``in_stock``-style spellings are accepted.
- ``sale_price`` is kept only when it is lower than ``price`` and in the same currency.
"""

from __future__ import annotations

import gzip
import io
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, cast
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl, Locator

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from recoms.domain import MAX_AMOUNT, MAX_ID_LENGTH, Availability, Product, ProductId, Rejected
from recoms.errors import FeedError

GOOGLE_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
CHUNK_SIZE = 64 * 1024
URL_TIMEOUT = 30.0

# Fields that have a column of their own in Product; every other g: field becomes a tag.
_COLUMNS = frozenset(
    {
        "id",
        "title",
        "description",
        "link",
        "image_link",
        "availability",
        "price",
        "sale_price",
        "brand",
        "item_group_id",
    }
)

_AVAILABILITY = {
    **{value.value: value for value in Availability},
    "instock": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "limitedavailability": Availability.LIMITED,
    "pre order": Availability.PREORDER,
    "back order": Availability.BACKORDER,
}


@contextmanager
def open_feed(source: str | Path, *, timeout: float = URL_TIMEOUT) -> Iterator[BinaryIO]:
    """Open a feed file or ``http(s)`` URL for reading as bytes, gunzipping when gzipped.

    A URL is streamed, not downloaded first; ``timeout`` (seconds) bounds each network wait.
    Raises ``FeedError`` for a missing file, an unreachable URL or an HTTP error status.
    """
    text = str(source)
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme and scheme not in ("http", "https"):
        raise FeedError(f"cannot import a feed from {text!r}: give a file path or an http(s) URL")
    raw: io.BufferedReader
    if scheme:
        request = urllib.request.Request(text, headers={"User-Agent": "recoms-feed-import/1"})
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            raise FeedError(f"feed URL {text} answered HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise FeedError(f"feed URL {text} is unreachable: {exc.reason}") from None
        except TimeoutError:
            raise FeedError(f"feed URL {text} did not answer within {timeout:g} s") from None
        except OSError as exc:
            raise FeedError(f"feed URL {text} is unreachable: {exc}") from None
        raw = io.BufferedReader(response)
    else:
        try:
            raw = Path(text).open("rb")  # noqa: SIM115 - closed below, after the caller's block
        except FileNotFoundError:
            raise FeedError(f"feed file not found: {text}") from None
        except OSError as exc:
            raise FeedError(f"cannot read the feed file {text}: {exc.strerror or exc}") from None
    try:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield cast(BinaryIO, unzipped)
        else:
            yield cast(BinaryIO, raw)
    finally:
        raw.close()


def parse_feed(stream: BinaryIO) -> Iterator[Product | Rejected]:
    """Yield the feed's items in document order: a ``Product`` for each good item, a
    ``Rejected`` (with the line the item starts on) for one missing its id or title, with an
    unreadable price, an unknown availability or an id seen earlier in the feed.

    Raises ``FeedError`` for hostile XML (before anything is yielded: entities are declared
    up front), for a document that is not an RSS or Atom feed, and for malformed XML or a
    failed read. The last two can come after items were yielded, so a caller applies a
    feed (and deactivates what it lacks) only once the iteration has ended normally.
    """
    handler = _FeedHandler()
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    # parse() would hand the locator over; feeding chunks does not, and the parser is one.
    handler.setDocumentLocator(parser)
    seen: dict[str, int] = {}
    started = False
    while True:
        error: FeedError | None = None
        try:
            chunk = stream.read(CHUNK_SIZE)
            if not started and not chunk.strip():
                raise FeedError("the feed is empty")
            started = True
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except SAXParseException as exc:
            error = FeedError(
                f"malformed XML at line {exc.getLineNumber()}, column "
                f"{(exc.getColumnNumber() or 0) + 1}: {exc.getMessage()}"
            )
        except DefusedXmlException as exc:
            error = FeedError(
                f"feed refused: {_describe_hostile(exc)} at line {handler.line()}; "
                "feeds may not declare entities or load external files"
            )
        except (OSError, EOFError, zlib.error) as exc:
            error = FeedError(f"the feed could not be read to its end: {exc}")
        # Items completed before an error are still yielded, in document order.
        for item in handler.items:
            yield _to_product(item, seen)
        handler.items.clear()
        if error is not None:
            raise error
        if not chunk:
            return


@dataclass
class _Item:
    line: int
    google: dict[str, list[str]] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)


class _FeedHandler(ContentHandler):
    """Collects items as flat field lists; the caller drains ``items`` after each chunk."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[_Item] = []
        self.root_seen = False
        self._locator: Locator | None = None
        self._item: _Item | None = None
        # 0 outside items, 1 on the item element, 2 on one of its fields, 3+ inside a field.
        self._depth = 0
        self._text: list[str] = []
        self._sub_text: list[str] = []
        self._subs: list[str] = []

    def setDocumentLocator(self, locator: Locator) -> None:
        self._locator = locator

    def line(self) -> int:
        return (self._locator.getLineNumber() or 0) if self._locator is not None else 0

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        uri, local = name
        if not self.root_seen:
            self.root_seen = True
            if local not in ("rss", "feed"):
                raise FeedError(
                    f"not a product feed: the document is <{local}>, expected RSS 2.0 "
                    "(<rss>) or Atom (<feed>) with g: fields"
                )
        if self._item is None:
            if local == "item" or (local == "entry" and uri == ATOM_NS):
                self._item = _Item(line=self.line())
                self._depth = 1
            return
        self._depth += 1
        if self._depth == 2:
            self._text.clear()
            self._subs.clear()
            if uri == ATOM_NS and local == "link" and "link" not in self._item.plain:
                rel = attrs.get((None, "rel"), "alternate")
                href = attrs.get((None, "href"))
                if href and rel == "alternate":
                    self._item.plain["link"] = href.strip()
        elif self._depth == 3:
            self._sub_text.clear()

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        item = self._item
        if item is None:
            return
        if self._depth == 1:
            self.items.append(item)
            self._item = None
        elif self._depth == 2:
            uri, local = name
            value = ":".join(self._subs) if self._subs else "".join(self._text).strip()
            if uri == GOOGLE_NS:
                item.google.setdefault(local, []).append(value)
            elif value:
                item.plain.setdefault(local, value)
        elif self._depth == 3:
            self._subs.append("".join(self._sub_text).strip())
        self._depth -= 1

    def characters(self, content: str) -> None:
        if self._depth == 2:
            self._text.append(content)
        elif self._depth >= 3:
            self._sub_text.append(content)


def _to_product(item: _Item, seen: dict[str, int]) -> Product | Rejected:
    google, plain = item.google, item.plain

    def first(name: str) -> str:
        return next((value for value in google.get(name, ()) if value), "")

    product_id = first("id")
    if not product_id:
        return Rejected(item.line, "item without g:id")
    if len(product_id) > MAX_ID_LENGTH:
        return Rejected(
            item.line,
            f"item {product_id[:40]!r}...: g:id is longer than {MAX_ID_LENGTH} characters",
        )
    if product_id in seen:
        return Rejected(
            item.line, f"item {product_id!r}: the id repeats the item at line {seen[product_id]}"
        )
    seen[product_id] = item.line
    title = first("title") or plain.get("title", "")
    if not title:
        return Rejected(item.line, f"item {product_id!r}: no g:title")

    availability_text = first("availability")
    availability = Availability.IN_STOCK
    if availability_text:
        key = re.sub(r"[\s_\-]+", " ", availability_text.lower()).strip()
        found = _AVAILABILITY.get(key) or _AVAILABILITY.get(key.replace(" ", ""))
        if found is None:
            return Rejected(
                item.line,
                f"item {product_id!r}: unknown availability {availability_text!r} (expected "
                f"{', '.join(value.value for value in Availability)})",
            )
        availability = found

    price: Decimal | None = None
    currency: str | None = None
    sale_price: Decimal | None = None
    for name in ("price", "sale_price"):
        text = first(name)
        if not text:
            continue
        parsed = parse_price(text)
        if parsed is None:
            return Rejected(item.line, f"item {product_id!r}: bad g:{name} {text!r}")
        if parsed[0] > MAX_AMOUNT:
            return Rejected(item.line, f"item {product_id!r}: g:{name} {text!r} is too large")
        amount, amount_currency = parsed
        if name == "price":
            price, currency = amount, amount_currency
        elif price is not None and amount < price and amount_currency == currency:
            sale_price = amount

    product_type = first("product_type")
    category_source = "product_type" if product_type else "google_product_category"
    category_text = product_type or first("google_product_category")
    category = tuple(part.strip() for part in category_text.split(">") if part.strip())
    tags = {
        name: ",".join(value for value in values if value)
        for name, values in google.items()
        if name not in _COLUMNS and name != category_source and any(values)
    }
    return Product(
        id=ProductId(product_id),
        title=title,
        price=price,
        currency=currency,
        sale_price=sale_price,
        availability=availability,
        description=first("description") or plain.get("description") or plain.get("summary", ""),
        link=first("link") or plain.get("link", ""),
        image_link=first("image_link"),
        brand=first("brand"),
        category=category,
        item_group_id=first("item_group_id"),
        tags=tags,
    )


_PRICE = re.compile(r"(?:([A-Z]{3})\s*)?(\d[\d.,\s]*?)\s*([A-Z]{3})?")


def parse_price(text: str) -> tuple[Decimal, str | None] | None:
    """``"67.00 EUR"``, ``"EUR 67"``, ``"1,234.50 USD"``, ``"1 234,50 UAH"`` or a bare
    ``"67.00"`` as (amount, ISO currency or None); None when it is not a price.

    A single comma followed by exactly three digits groups thousands; otherwise it is the
    decimal mark."""
    match = _PRICE.fullmatch(text.strip().upper().replace("\u00a0", " "))
    if match is None or (match[1] and match[3]):
        return None
    number = re.sub(r"\s", "", match[2])
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        number = number.replace("." if decimal_mark == "," else ",", "")
        number = number.replace(",", ".")
    elif "," in number:
        groups = number.split(",")
        if len(groups) > 2 or len(groups[1]) == 3:
            number = number.replace(",", "")
        else:
            number = number.replace(",", ".")
    elif number.count(".") > 1:
        number = number.replace(".", "")
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    return amount, match[1] or match[3]


def _describe_hostile(exc: DefusedXmlException) -> str:
    name = getattr(exc, "name", None)
    if name is not None:
        return f"it declares the entity {name!r}"
    return f"it refers to an external resource {getattr(exc, 'sysid', '')!r}"
