"""Google Merchant product feeds (RSS 2.0 or Atom 1.0 with ``g:`` fields) read into products.

The XML is read in chunks by defusedxml's expat SAX driver, so a feed of any size streams
through in constant memory and each item knows the line it starts on. Entity declarations
(external entities, expansion bombs) and external references are refused before any item.
:func:`check_feed` reads a feed once without building anything (about seven times faster
than parsing it), so that a feed which is malformed, hostile or too large is refused before
anything of it is written.

Decisions a shop's engineer may want to know:

- A field that repeats (``additional_image_link``) is kept as its values joined by ``,``;
  a field with sub-fields (``g:shipping``) is kept as Google's text form, ``UA::Standard:5 UAH``.
- Without ``g:title``, ``g:description`` or ``g:link`` the plain RSS (or Atom) element is used.
- A missing ``g:availability`` reads as in stock; ``in_stock``-style spellings are accepted.
- ``sale_price`` is kept only when it is lower than ``price`` and in the same currency.
- Sizes: ``g:id`` at most 200 characters (as storage holds it), ``g:link`` and
  ``g:image_link`` 2,048, any other field 2,000, at most 200 fields per item; an item over
  one of these is rejected with its line. ``g:title`` is cut at 500 characters and
  ``g:description`` at 5,000 (Google's own limit), and each cut is reported with its line.
  A feed holds at most 1,000,000 items, and no tag or comment may be longer than 8 MB.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, cast
from xml.parsers import expat
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
DEFAULT_MAX_BYTES = 1024**3

MAX_TITLE = 500
MAX_DESCRIPTION = 5_000
MAX_LINK = 2_048
MAX_FIELD = 2_000
MAX_FIELDS = 200
MAX_ITEMS = 1_000_000
MAX_MARKUP = 8 * 1024 * 1024
# Fields cut to their limit rather than rejecting the item: text a reader skims.
_CUT = {"title": MAX_TITLE, "description": MAX_DESCRIPTION, "summary": MAX_DESCRIPTION}
_LIMITS = {**_CUT, "id": MAX_ID_LENGTH, "link": MAX_LINK, "image_link": MAX_LINK}

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


@dataclass(frozen=True, slots=True)
class Trimmed:
    """A field of a stored item that was cut to its limit: where, and what."""

    line: int
    reason: str


@contextmanager
def open_feed(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[BinaryIO]:
    """Open a feed file for reading as bytes, gunzipping when gzipped (told by content).

    Reading more than ``max_bytes`` (from the file, or out of the gzip) raises ``FeedError``,
    as do a missing or unreadable file. Fetch a URL with :mod:`recoms.importing.fetch` first.
    """
    text = str(path)
    if "://" in text:
        raise FeedError(f"cannot open {text.partition('://')[0]}:// here: give a file path")
    try:
        raw = Path(text).open("rb")  # noqa: SIM115 - closed below, after the caller's block
    except FileNotFoundError:
        raise FeedError(f"feed file not found: {text}") from None
    except OSError as exc:
        raise FeedError(f"cannot read the feed file {text}: {exc.strerror or exc}") from None
    try:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield cast(BinaryIO, _Capped(unzipped, max_bytes, "once unpacked"))
        else:
            yield cast(BinaryIO, _Capped(raw, max_bytes, ""))
    finally:
        raw.close()


class _Capped:
    """A byte stream that refuses to give more than ``limit`` bytes in all."""

    def __init__(self, stream: BinaryIO | gzip.GzipFile, limit: int, where: str) -> None:
        self._stream = stream
        self._limit = limit
        self._where = where
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(min(size, self._limit + 1) if size >= 0 else self._limit + 1)
        self._read += len(data)
        if self._read > self._limit:
            where = f" {self._where}" if self._where else ""
            raise FeedError(
                f"the feed is larger than {self._limit} bytes{where} (RECOMS_FEED_MAX_BYTES)"
            )
        return data


def check_feed(stream: BinaryIO) -> None:
    """Read a whole feed without building items: returns when it is well-formed XML of an
    RSS or Atom document with no entity declarations, external references or over-long
    markup. Raises ``FeedError`` as :func:`parse_feed` would, with the line."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse_entity(name: str, *args: object) -> None:
        raise FeedError(
            f"feed refused: it declares the entity {name!r} at line "
            f"{parser.CurrentLineNumber}; feeds may not declare entities or load external files"
        )

    def refuse_external(
        context: str, base: str | None, system_id: str | None, public_id: str | None
    ) -> int:
        raise FeedError(
            f"feed refused: it refers to an external resource {system_id!r} at line "
            f"{parser.CurrentLineNumber}; feeds may not declare entities or load external files"
        )

    def root(name: str, attributes: object) -> None:
        _check_root(name.rpartition(" ")[2])
        parser.StartElementHandler = None

    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = root
    fed = 0
    while True:
        try:
            chunk = stream.read(CHUNK_SIZE)
            if not fed and not chunk.strip():
                raise FeedError("the feed is empty")
            fed += len(chunk)
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            raise FeedError(
                f"malformed XML at line {exc.lineno}, column {exc.offset + 1}: "
                f"{expat.ErrorString(exc.code)}"
            ) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedError(f"the feed could not be read to its end: {exc}") from None
        if not chunk:
            return
        # Expat holds an unfinished tag, comment or declaration whole until it ends.
        if fed - max(parser.CurrentByteIndex, 0) > MAX_MARKUP:
            raise FeedError(
                f"feed refused at line {parser.CurrentLineNumber}: a tag or comment longer "
                f"than {MAX_MARKUP // 2**20} MB"
            )


def _check_root(local: str) -> None:
    if local not in ("rss", "feed"):
        raise FeedError(
            f"not a product feed: the document is <{local}>, expected RSS 2.0 "
            "(<rss>) or Atom (<feed>) with g: fields"
        )


def parse_feed(
    stream: BinaryIO, *, seen: dict[str, int] | None = None
) -> Iterator[Product | Rejected | Trimmed]:
    """Yield the feed's items in document order: a ``Product`` for each good item (followed
    by a ``Trimmed`` for each field of it that was cut), a ``Rejected`` (with the line the
    item starts on) for one missing its id or title, with an unreadable price, an unknown
    availability, a field over its size, or an id seen earlier in the feed.

    ``seen`` collects the id of every item yielded as a product, with its line; pass a dict
    to keep them (a full import deactivates the rest).

    Raises ``FeedError`` for hostile XML (before anything is yielded: entities are declared
    up front), for a document that is not an RSS or Atom feed, for one of more than
    :data:`MAX_ITEMS` items, and for malformed XML or a failed read. The last ones can come
    after items were yielded: run :func:`check_feed` first to refuse a feed before any item.
    """
    handler = _FeedHandler()
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    # parse() would hand the locator over; feeding chunks does not, and the parser is one.
    handler.setDocumentLocator(parser)
    if seen is None:
        seen = {}
    count = 0
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
            count += 1
            if count > MAX_ITEMS:
                raise FeedError(f"the feed has more than {MAX_ITEMS} items")
            yield from _to_product(item, seen, count)
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
    # Fields whose text went past its limit (only the limit and one more were kept).
    long: set[str] = field(default_factory=set)
    fields: int = 0


class _FeedHandler(ContentHandler):
    """Collects items as flat field lists; the caller drains ``items`` after each chunk.

    A field's text is kept up to its limit and one character more, so that an over-long
    field costs no memory beyond that, however long it is in the feed."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[_Item] = []
        self.root_seen = False
        self._locator: Locator | None = None
        self._item: _Item | None = None
        # 0 outside items, 1 on the item element, 2 on one of its fields, 3+ inside a field.
        self._depth = 0
        self._text: list[str] = []
        self._kept = 0
        self._limit = MAX_FIELD
        self._long = False
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
            _check_root(local)
        item = self._item
        if item is None:
            if local == "item" or (local == "entry" and uri == ATOM_NS):
                self._item = _Item(line=self.line())
                self._depth = 1
            return
        self._depth += 1
        if self._depth == 2:
            item.fields += 1
            self._text.clear()
            self._subs.clear()
            self._kept = 0
            self._limit = _LIMITS.get(local, MAX_FIELD)
            self._long = False
            if uri == ATOM_NS and local == "link" and "link" not in item.plain:
                rel = attrs.get((None, "rel"), "alternate")
                href = attrs.get((None, "href"))
                if href and rel == "alternate":
                    href = href.strip()
                    if len(href) > MAX_LINK:
                        item.long.add("plain:link")
                    item.plain["link"] = href[: MAX_LINK + 1]
        elif self._depth == 3:
            item.fields += 1
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
            if self._long or len(value) > self._limit:
                item.long.add(local if uri == GOOGLE_NS else f"plain:{local}")
                value = value[: self._limit + 1]
            if item.fields > MAX_FIELDS:
                pass  # the item is rejected; what it holds no longer matters
            elif uri == GOOGLE_NS:
                item.google.setdefault(local, []).append(value)
            elif value:
                item.plain.setdefault(local, value)
        elif self._depth == 3:
            self._subs.append("".join(self._sub_text).strip())
        self._depth -= 1

    def characters(self, content: str) -> None:
        if self._depth == 2:
            room = self._limit + 1 - self._kept
            if room <= 0:
                # Whitespace after the limit is not text that was lost.
                self._long = self._long or not content.isspace()
                return
            if not self._kept:
                content = content.lstrip()
            if len(content) > room:
                self._long = self._long or not content[room:].isspace()
                content = content[:room]
            self._text.append(content)
            self._kept += len(content)
        elif self._depth >= 3:
            room = self._limit + 1 - self._kept
            if room > 0:
                self._sub_text.append(content[:room])
                self._kept += min(len(content), room)
            elif not content.isspace():
                self._long = True


def _to_product(
    item: _Item, seen: dict[str, int], position: int
) -> Iterator[Product | Rejected | Trimmed]:
    """The item's product (``position``: the item's number in the feed, from 1) or why not."""
    trimmed: list[Trimmed] = []
    result = _read_item(item, seen, trimmed, position)
    yield result
    if isinstance(result, Product):
        yield from trimmed


def _read_item(
    item: _Item, seen: dict[str, int], trimmed: list[Trimmed], position: int
) -> Product | Rejected:
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
    if item.fields > MAX_FIELDS:
        return Rejected(item.line, f"item {product_id!r}: more than {MAX_FIELDS} fields")
    title = first("title") or plain.get("title", "")
    if not title:
        return Rejected(item.line, f"item {product_id!r}: no g:title")
    description = first("description") or plain.get("description") or plain.get("summary", "")
    for name in sorted(item.long):
        # Plain RSS elements matter only where they stand in for a missing g: field.
        if name == "plain:link" and not first("link"):
            name = "link"
        if name in _CUT or name.startswith("plain:"):
            continue  # cut below, or not used
        return Rejected(
            item.line,
            f"item {product_id!r}: g:{name} is longer than "
            f"{_LIMITS.get(name, MAX_FIELD)} characters",
        )
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE]
        trimmed.append(
            Trimmed(item.line, f"item {product_id!r}: title cut to {MAX_TITLE} characters")
        )
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION]
        trimmed.append(
            Trimmed(
                item.line,
                f"item {product_id!r}: description cut to {MAX_DESCRIPTION} characters",
            )
        )

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
        description=description,
        link=first("link") or plain.get("link", ""),
        image_link=first("image_link"),
        brand=first("brand"),
        category=category,
        item_group_id=first("item_group_id"),
        tags=tags,
        feed_position=position,
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
