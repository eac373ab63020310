"""Google Merchant feeds: fields, broken items by line, hostile XML, Atom, files and URLs."""

from __future__ import annotations

import gzip
import http.server
import io
import threading
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, ClassVar, cast

import pytest

from recoms.domain import Availability, Product
from recoms.errors import FeedError
from recoms.importing.feed import (
    MAX_DESCRIPTION,
    MAX_MARKUP,
    MAX_TITLE,
    Trimmed,
    check_feed,
    open_feed,
    parse_feed,
    parse_price,
)
from recoms.service import Rejected

DEMO_FEED = Path("/work/shared/data/demo_store_feed.xml")

RSS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel>
<title>Shop</title>
"""
RSS_TAIL = "</channel>\n</rss>\n"


def rss(items: str) -> bytes:
    return (RSS_HEAD + items + RSS_TAIL).encode()


def parse(data: bytes) -> list[Product | Rejected | Trimmed]:
    return list(parse_feed(io.BytesIO(data)))


def products(items: list[Product | Rejected]) -> list[Product]:
    return [item for item in items if isinstance(item, Product)]


def test_demo_feed_parses_cleanly() -> None:
    with open_feed(DEMO_FEED) as stream:
        items = list(parse_feed(stream))
    assert len(items) == 42
    assert all(isinstance(item, Product) for item in items)
    kit = products(items)[0]
    assert kit.id == "monday-survival-kit"
    assert kit.title == "Monday Survival Kit"
    assert (kit.price, kit.sale_price, kit.currency) == (Decimal(67), Decimal(49), "EUR")
    assert kit.availability is Availability.LIMITED
    assert kit.category == ("Work & Meetings",)
    assert kit.item_group_id == "Work & Meetings"
    assert kit.image_link == "https://dmostoregpt.netlify.app/assets/products/work-meetings.jpg"
    assert kit.tags["custom_label_0"] == "meeting,monday,work"
    assert kit.tags["mpn"] == "monday-survival-kit"
    assert kit.tags["google_product_category"] == "Home & Garden"
    assert sum(item.availability is Availability.LIMITED for item in products(items)) == 8
    assert sum(item.sale_price is not None for item in products(items)) == 12


def test_fields_of_an_item() -> None:
    [product] = parse(
        rss(
            """<item>
  <g:id> SKU-1 </g:id>
  <g:title>Kettle &amp; cups</g:title>
  <g:description>Boils water.</g:description>
  <g:link>https://shop.example/kettle</g:link>
  <g:image_link>https://shop.example/kettle.jpg</g:image_link>
  <g:additional_image_link>https://shop.example/k2.jpg</g:additional_image_link>
  <g:additional_image_link>https://shop.example/k3.jpg</g:additional_image_link>
  <g:availability>out_of_stock</g:availability>
  <g:price>1,234.50 UAH</g:price>
  <g:sale_price>1,300.00 UAH</g:sale_price>
  <g:brand>Teapot Co</g:brand>
  <g:product_type>Home &gt; Kitchen &gt;  Kettles </g:product_type>
  <g:google_product_category>636</g:google_product_category>
  <g:custom_label_4>summer</g:custom_label_4>
  <g:shipping><g:country>UA</g:country><g:service>Nova Poshta</g:service>
    <g:price>70 UAH</g:price></g:shipping>
</item>"""
        )
    )
    assert isinstance(product, Product)
    assert product.id == "SKU-1"
    assert product.title == "Kettle & cups"
    assert product.description == "Boils water."
    assert product.link == "https://shop.example/kettle"
    assert product.availability is Availability.OUT_OF_STOCK
    assert not product.in_stock
    assert (product.price, product.currency) == (Decimal("1234.50"), "UAH")
    # A "sale" price above the regular one is no sale.
    assert product.sale_price is None
    assert product.brand == "Teapot Co"
    assert product.category == ("Home", "Kitchen", "Kettles")
    assert product.tags == {
        "additional_image_link": "https://shop.example/k2.jpg,https://shop.example/k3.jpg",
        "google_product_category": "636",
        "custom_label_4": "summer",
        "shipping": "UA:Nova Poshta:70 UAH",
    }


def test_google_category_when_no_product_type() -> None:
    [numeric, named] = parse(
        rss(
            "<item><g:id>1</g:id><g:title>A</g:title>"
            "<g:google_product_category>636</g:google_product_category></item>"
            "<item><g:id>2</g:id><g:title>B</g:title><g:google_product_category>"
            "Home &amp; Garden &gt; Kitchen &amp; Dining</g:google_product_category></item>"
        )
    )
    assert isinstance(numeric, Product)
    assert isinstance(named, Product)
    assert numeric.category == ("636",)
    assert named.category == ("Home & Garden", "Kitchen & Dining")
    assert "google_product_category" not in named.tags


def test_plain_rss_elements_stand_in_for_missing_g_fields() -> None:
    [product] = parse(
        rss(
            "<item><g:id>7</g:id><title>Plain title</title><link>https://shop.example/7</link>"
            "<description>Plain description</description><g:price>10 EUR</g:price></item>"
        )
    )
    assert isinstance(product, Product)
    assert (product.title, product.link, product.description) == (
        "Plain title",
        "https://shop.example/7",
        "Plain description",
    )
    assert product.availability is Availability.IN_STOCK


def test_broken_items_are_rejected_with_their_line() -> None:
    items = parse(
        rss(
            """<item>
  <g:id>ok-1</g:id><g:title>Fine</g:title><g:price>5.00 EUR</g:price>
</item>
<item>
  <g:title>No id</g:title>
</item>
<item>
  <g:id>no-title</g:id>
</item>
<item>
  <g:id>bad-price</g:id><g:title>T</g:title><g:price>five euros</g:price>
</item>
<item>
  <g:id>odd-stock</g:id><g:title>T</g:title><g:availability>soon</g:availability>
</item>
<item>
  <g:id>ok-1</g:id><g:title>Again</g:title>
</item>
<item>
  <g:id>ok-2</g:id><g:title>Fine too</g:title><g:sale_price>EUR 3</g:sale_price>
</item>
"""
        )
    )
    assert [item for item in items if isinstance(item, Rejected)] == [
        Rejected(8, "item without g:id"),
        Rejected(11, "item 'no-title': no g:title"),
        Rejected(14, "item 'bad-price': bad g:price 'five euros'"),
        Rejected(
            17,
            "item 'odd-stock': unknown availability 'soon' (expected in stock, out of stock, "
            "preorder, backorder, limited availability)",
        ),
        Rejected(20, "item 'ok-1': the id repeats the item at line 5"),
    ]
    assert [product.id for product in products(items)] == ["ok-1", "ok-2"]
    # A sale price without a regular price is not kept.
    assert products(items)[1].sale_price is None


def test_atom_feed() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
  <title>Shop</title>
  <link rel="self" href="https://shop.example/feed.atom"/>
  <entry>
    <id>tag:shop.example,2024:1</id>
    <title>Atom Mug</title>
    <link rel="alternate" href="https://shop.example/mug"/>
    <summary>A mug.</summary>
    <g:id>MUG-1</g:id>
    <g:price>12.5 USD</g:price>
    <g:availability>preorder</g:availability>
  </entry>
  <entry>
    <title>No g:id</title>
  </entry>
</feed>
"""
    mug, rejected = parse(data)
    assert isinstance(mug, Product)
    assert mug == Product(
        id=mug.id,
        title="Atom Mug",
        price=Decimal("12.5"),
        currency="USD",
        availability=Availability.PREORDER,
        description="A mug.",
        link="https://shop.example/mug",
        feed_position=1,
    )
    assert mug.id == "MUG-1"
    assert rejected == Rejected(14, "item without g:id")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("67.00 EUR", (Decimal("67.00"), "EUR")),
        ("67 EUR", (Decimal(67), "EUR")),
        ("EUR 67.00", (Decimal("67.00"), "EUR")),
        ("1,234.50 USD", (Decimal("1234.50"), "USD")),
        ("1 234,50 uah", (Decimal("1234.50"), "UAH")),
        ("1.234,50 EUR", (Decimal("1234.50"), "EUR")),
        ("12,5 EUR", (Decimal("12.5"), "EUR")),
        ("1,234 USD", (Decimal(1234), "USD")),
        ("19.99", (Decimal("19.99"), None)),
        ("EUR 5 USD", None),
        ("free", None),
        ("-5 EUR", None),
        ("", None),
    ],
)
def test_prices(text: str, expected: tuple[Decimal, str | None] | None) -> None:
    assert parse_price(text) == expected


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://%s">]>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>1</g:id><g:title>&secret;</g:title></item>
</channel></rss>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>1</g:id><g:title>&lol9;</g:title></item>
</channel></rss>
"""


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    with pytest.raises(FeedError) as error:
        parse(XXE % str(secret).encode())
    assert error.value.message.startswith(
        "feed refused: it declares the entity 'secret' at line 2"
    )
    assert "TOP-SECRET" not in error.value.message


def test_entity_expansion_bomb_is_refused() -> None:
    yielded: list[Product | Rejected] = []
    with pytest.raises(FeedError, match="feed refused: it declares the entity 'lol' at line 3"):
        yielded.extend(parse_feed(io.BytesIO(BILLION_LAUGHS)))
    assert yielded == []


def test_malformed_xml_names_the_line_after_the_good_items() -> None:
    data = rss("<item><g:id>1</g:id><g:title>A</g:title></item>\n<item><g:id>2</g:title>\n")
    yielded: list[Product | Rejected] = []
    with pytest.raises(FeedError, match=r"malformed XML at line 6, column \d+: mismatched tag"):
        yielded.extend(parse_feed(io.BytesIO(data)))
    assert [item.id for item in products(yielded)] == ["1"]


def test_documents_that_are_not_feeds() -> None:
    with pytest.raises(FeedError, match="not a product feed: the document is <html>"):
        parse(b"<html><body><item>1</item></body></html>")
    with pytest.raises(FeedError, match="the feed is empty"):
        parse(b"  \n")
    with pytest.raises(FeedError, match="malformed XML at line 1"):
        parse(b"id,title\n1,Mug\n")


def test_items_stream_before_the_feed_is_read_whole() -> None:
    item = "<item><g:id>{}</g:id><g:title>Item {}</g:title><g:price>1 EUR</g:price></item>\n"
    data = rss("".join(item.format(n, n) for n in range(20_000)))
    stream = io.BytesIO(data)
    items = parse_feed(stream)
    first = next(items)
    assert isinstance(first, Product)
    assert first.id == "0"
    assert stream.tell() < len(data) // 10
    assert sum(1 for _ in items) == 19_999


def test_gzipped_feed_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(DEMO_FEED.read_bytes()))
    with open_feed(path) as stream:
        assert len(products(list(parse_feed(stream)))) == 42


def test_missing_file_and_urls(tmp_path: Path) -> None:
    with (
        pytest.raises(FeedError, match=r"feed file not found: .*absent\.xml"),
        open_feed(tmp_path / "absent.xml"),
    ):
        pass
    # URLs are fetched into a file first (recoms.importing.fetch), never opened here.
    with (
        pytest.raises(FeedError, match="give a file path"),
        open_feed("https://shop.example/feed.xml"),
    ):
        pass


class _FeedServer(http.server.BaseHTTPRequestHandler):
    requested: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requested.append(self.path)
        if self.path == "/feed.xml":
            body = DEMO_FEED.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404, "Not Found")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedServer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_external_dtd_is_refused_unfetched(feed_url: str) -> None:
    _FeedServer.requested.clear()
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{feed_url}/evil.dtd">\n'
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<item><g:id>1</g:id><g:title>A</g:title></item></channel></rss>"
    ).encode()
    with pytest.raises(FeedError, match=r"feed refused: it refers to an external resource .*evil"):
        parse(data)
    assert _FeedServer.requested == []
    parameter_entity = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{feed_url}/x.dtd"> %ext;]>'
        "\n<rss/>"
    ).encode()
    with pytest.raises(FeedError, match="feed refused: it declares the entity 'ext'"):
        parse(parameter_entity)
    assert _FeedServer.requested == []


# --- sizes --------------------------------------------------------------------------------


class Generated:
    """A feed of ``head``, then ``size`` bytes of ``fill``, then ``tail``, made while it is
    read: a gigabyte costs no memory and no disk."""

    def __init__(self, head: bytes, size: int, tail: bytes, fill: bytes = b"a") -> None:
        self._parts = [tail, head]
        self._left = size
        self._fill = fill * (1 << 16)

    def read(self, size: int = -1) -> bytes:
        if len(self._parts) == 2:
            return self._parts.pop()
        if self._left > 0:
            piece = self._fill[: min(size if size > 0 else len(self._fill), self._left)]
            self._left -= len(piece)
            return piece
        return self._parts.pop() if self._parts else b""


BIG_HEAD = (RSS_HEAD + "<item><g:id>big</g:id><g:title>Big</g:title><g:description>").encode()
BIG_TAIL = (
    "</g:description></item>\n<item><g:id>next</g:id><g:title>Next</g:title></item>" + RSS_TAIL
).encode()
GIGABYTE = 10**9


def test_a_one_gigabyte_description_is_cut_without_costing_memory() -> None:
    tracemalloc.start()
    try:
        items = list(parse_feed(cast(BinaryIO, Generated(BIG_HEAD, GIGABYTE, BIG_TAIL))))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    big, cut, following = items
    assert isinstance(big, Product)
    assert big.description == "a" * MAX_DESCRIPTION
    assert cut == Trimmed(5, "item 'big': description cut to 5000 characters")
    assert isinstance(following, Product)
    assert following.id == "next"
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"


def test_check_feed_reads_a_gigabyte_field_without_costing_memory() -> None:
    tracemalloc.start()
    try:
        check_feed(cast(BinaryIO, Generated(BIG_HEAD, GIGABYTE, BIG_TAIL)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"


@pytest.mark.parametrize(
    ("head", "tail"),
    [
        ('<item a="', '"/>'),  # an attribute value
        ("<item><g:id>1</g:id><!-- ", " -->"),  # a comment
        ("<item", "/>"),  # whitespace inside a tag
    ],
)
def test_markup_longer_than_the_limit_is_refused_before_costing_memory(
    head: str, tail: str
) -> None:
    feed = Generated((RSS_HEAD + head).encode(), 100 * 2**20, (tail + RSS_TAIL).encode(), b" ")
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match=r"^feed refused at line \d+: a tag or comment longer"):
            check_feed(cast(BinaryIO, feed))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Expat doubles its buffer as the markup grows: bounded by a few times the limit.
    assert peak < 4 * MAX_MARKUP


def test_over_long_fields_are_cut_or_the_item_rejected() -> None:
    def one(
        fields: str, title: str = "<g:title>X</g:title>"
    ) -> list[Product | Rejected | Trimmed]:
        return parse(rss(f"<item><g:id>x</g:id>{title}{fields}</item>\n"))

    [product, cut] = one("", title=f"<g:title>{'t' * 600}</g:title>")
    assert isinstance(product, Product)
    assert product.title == "t" * MAX_TITLE
    assert cut == Trimmed(5, "item 'x': title cut to 500 characters")
    [product, cut] = one(f"<g:description>{'d' * 5001}</g:description>")
    assert isinstance(product, Product)
    assert product.description == "d" * MAX_DESCRIPTION
    assert cut == Trimmed(5, "item 'x': description cut to 5000 characters")
    # Whitespace around the text is not text that was cut.
    [product] = one(f"<g:description>\n   {'d' * 5000}   \n   </g:description>")
    assert isinstance(product, Product)
    assert product.description == "d" * MAX_DESCRIPTION

    for name, limit in [
        ("link", 2048),
        ("image_link", 2048),
        ("brand", 2000),
        ("item_group_id", 2000),
        ("product_type", 2000),
        ("custom_label_0", 2000),
        ("material", 2000),
    ]:
        [rejected] = one(f"<g:{name}>{'v' * (limit + 1)}</g:{name}>")
        assert rejected == Rejected(5, f"item 'x': g:{name} is longer than {limit} characters")
        [product] = one(f"<g:{name}>{'v' * limit}</g:{name}>")
        assert isinstance(product, Product)

    [rejected] = one("<g:material>m</g:material>" * 199)
    assert rejected == Rejected(5, "item 'x': more than 200 fields")
    # Plain RSS elements the engine does not use may be as long as they like.
    [product] = one(f"<guid>{'g' * 10_000}</guid>")
    assert isinstance(product, Product)


def test_a_feed_over_its_size_limit_is_refused_once_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(rss("<item><g:id>1</g:id><g:title>A</g:title></item>" * 500)))
    with open_feed(path, max_bytes=1_000_000) as stream:
        check_feed(stream)
    with (
        open_feed(path, max_bytes=10_000) as stream,
        pytest.raises(FeedError, match="larger than 10000 bytes once unpacked"),
    ):
        check_feed(stream)
    plain = tmp_path / "feed.xml"
    plain.write_bytes(rss("<item><g:id>1</g:id><g:title>A</g:title></item>" * 500))
    with (
        open_feed(plain, max_bytes=10_000) as stream,
        pytest.raises(FeedError, match=r"larger than 10000 bytes \(RECOMS_FEED_MAX_BYTES\)"),
    ):
        list(parse_feed(stream))


@pytest.mark.parametrize(
    "data",
    [
        XXE % b"/etc/hostname",
        BILLION_LAUGHS,
        rss("<item><g:id>1</g:id><g:title>A</g:title></item>\n<item><g:id>2</g:title>\n"),
        b"<html><body><item>1</item></body></html>",
        b"  \n",
        b"id,title\n1,Mug\n",
        b"",
    ],
)
def test_check_feed_refuses_what_parsing_refuses_and_says_the_same(data: bytes) -> None:
    with pytest.raises(FeedError) as parsed:
        parse(data)
    with pytest.raises(FeedError) as checked:
        check_feed(io.BytesIO(data))
    assert checked.value.message == parsed.value.message


def test_check_feed_passes_good_feeds() -> None:
    with open_feed(DEMO_FEED) as stream:
        check_feed(stream)
    check_feed(io.BytesIO(rss("")))
