"""Feed and order imports through the service, on a real database."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from recoms.domain import Availability, Identity, ProductId
from recoms.errors import FeedError, ImportFileError
from recoms.service import RecomsService, open_service
from tests.recoms.peak_memory import peak_rss_mb
from tests.recoms.service.conftest import settings_for

DEMO = Path(__file__).parents[3] / "recoms" / "demo"

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>
"""


def item(pid: str, title: str, price: str = "10.00 EUR", extra: str = "") -> str:
    return (
        f"<item><g:id>{pid}</g:id><g:title>{title}</g:title><g:price>{price}</g:price>"
        f"<g:availability>in stock</g:availability>{extra}</item>\n"
    )


def feed(tmp_path: Path, name: str, *items: str, tail: str = "</channel></rss>") -> Path:
    path = tmp_path / name
    path.write_text(FEED_HEAD + "".join(items) + tail, encoding="utf-8")
    return path


async def test_the_demo_feed_imports_cleanly_and_again_changes_nothing(
    service: RecomsService,
) -> None:
    first = await service.import_feed(DEMO / "demo_store_feed.xml")
    assert (first.read, first.created, first.updated, first.rejected) == (42, 42, 0, [])
    again = await service.import_feed(DEMO / "demo_store_feed.xml")
    assert (again.read, again.created, again.updated, again.deactivated) == (42, 0, 0, 0)
    blanket = await service.get_product(ProductId("premium-overthinking-blanket"))
    assert blanket.availability is Availability.LIMITED
    assert blanket.sale_price == Decimal("79.00")
    assert blanket.image_link.endswith(".jpg")
    assert blanket.tags["custom_label_3"] == "popularity_97"
    stats = await service.stats()
    assert stats.products == 42


async def test_a_full_feed_updates_and_deactivates_what_it_lacks(
    service: RecomsService, tmp_path: Path
) -> None:
    await service.import_feed(feed(tmp_path, "1.xml", item("a", "A"), item("b", "B")))
    report = await service.import_feed(
        feed(tmp_path, "2.xml", item("a", "A renamed"), item("c", "C"))
    )
    assert (report.created, report.updated, report.deactivated) == (1, 1, 1)
    assert (await service.get_product(ProductId("a"))).title == "A renamed"
    gone = await service.get_product(ProductId("b"))
    assert not gone.active  # kept for the orders that name it, never offered
    assert [p.id for p in await service.search_products("b")] == []
    # A partial feed touches only what it names.
    partial = await service.import_feed(feed(tmp_path, "3.xml", item("d", "D")), full=False)
    assert (partial.created, partial.deactivated) == (1, 0)
    assert (await service.get_product(ProductId("c"))).active


async def test_bad_items_are_rejected_with_their_line_and_the_rest_imports(
    service: RecomsService, tmp_path: Path
) -> None:
    path = feed(
        tmp_path,
        "f.xml",
        item("a", "A"),
        item("b", "B", price="lots"),
        "<item><g:title>No id</g:title></item>\n",
    )
    report = await service.import_feed(path)
    assert report.created == 1
    assert [r.line for r in report.rejected] == [4, 5]


@pytest.mark.parametrize(
    "tail",
    [
        "<item><g:id>z</g:id><g:title>Broken</g:tit",  # cut off mid-item
        "<item><g:id>z</g:id></channel></rss>",  # malformed
    ],
)
async def test_a_broken_feed_writes_nothing(
    service: RecomsService, tmp_path: Path, tail: str
) -> None:
    await service.import_feed(feed(tmp_path, "ok.xml", item("a", "A")))
    broken = feed(tmp_path, "broken.xml", item("a", "A changed"), item("n", "New"), tail=tail)
    with pytest.raises(FeedError):
        await service.import_feed(broken)
    product = await service.get_product(ProductId("a"))
    assert product.title == "A"
    assert product.active
    assert await service.get_products([ProductId("n")]) == []


async def test_a_hostile_feed_is_refused_and_writes_nothing(
    service: RecomsService, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
        + item("x", "&b;")
        + "</channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(FeedError):
        await service.import_feed(bomb)
    assert (await service.stats()).products == 0


ORDERS = """
order_id,product_id,quantity,price,ordered_at,external_customer_id,email,phone,product_name
1001,mug,2,5.00,2025-06-01 10:00:00,c-1,Ann@Example.com,,Blue mug
1001,tea,1,3.50,2025-06-01 10:00:00,c-1,,,Green tea
1002,mug,1,6.00,2025-06-10 09:00:00,,ann@example.com,050 111 2233,Blue mug (new)
C1003,mug,-1,6.00,2025-06-11 09:00:00,c-1,,,Blue mug
1004,POST,1,2.00,2025-06-12 09:00:00,c-2,,,Postage
1005,tea,1,3.50,2025-06-12 09:00:00,,,,Green tea
1006,spoon,x,1.00,2025-06-13 09:00:00,c-2,,,Spoon
1007,spoon,1,1.00,2025-06-20 09:00:00,,,+380501112233,Spoon
1001,spoon,1,1.00,2025-06-01 10:00:00,c-1,,,Spoon
"""


async def test_orders_group_by_order_id_and_create_contacts_and_products(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    report = await service.import_orders(write_csv(ORDERS), currency="eur")
    assert report.read == 9
    assert report.created == 4  # 1001, 1002, 1005, 1007
    assert report.lines == 6
    assert report.skipped == {"cancellation": 1, "not a product": 1}
    assert [(r.line, r.reason) for r in report.rejected] == [(8, "bad quantity 'x'")]
    # c-1 with ann@example.com, then the same email with a phone, then that phone: one person.
    assert report.contacts_created == 1
    assert report.products_created == 3

    ann = await service.contact_profile(Identity(phone="+380501112233"), orders=10)
    assert ann.contact.external_id == "c-1"
    assert ann.contact.email == "ann@example.com"
    assert [o.number for o in ann.last_orders] == ["1007", "1002", "1001"]
    assert [line.product_id for line in ann.last_orders[-1].lines] == ["mug", "tea", "spoon"]

    mug = await service.get_product(ProductId("mug"))
    assert (mug.title, mug.price, mug.currency) == ("Blue mug (new)", Decimal("6.00"), "EUR")
    assert mug.in_stock


async def test_products_from_orders_take_the_default_currency_when_the_file_names_none(
    database_url: str, write_csv: Callable[[str], Path]
) -> None:
    service = await open_service(settings_for(database_url, default_currency="GBP"))
    try:
        await service.import_orders(write_csv(ORDERS))
        tea = await service.get_product(ProductId("tea"))
    finally:
        await service.close()
    assert (tea.price, tea.currency) == (Decimal("3.50"), "GBP")


async def test_postgresql_plans_history_reads_with_the_imported_lines_counted(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    if service.database.dialect != "postgresql":
        pytest.skip("SQLite plans from its indexes alone")
    await service.import_orders(write_csv(ORDERS))
    async with service.database.engine.connect() as connection:
        counted = await connection.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'order_lines'")
        )
    # Never analysed, PostgreSQL reads -1 and guesses; a guess can make it scan every line of
    # every customer to read one contact's history.
    assert counted == 6


async def test_importing_the_same_file_twice_adds_nothing(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    path = write_csv(ORDERS)
    await service.import_orders(path)
    again = await service.import_orders(path)
    assert (again.created, again.lines, again.contacts_created, again.products_created) == (
        0,
        0,
        0,
        0,
    )
    assert again.skipped["already imported"] == 6
    assert (await service.stats()).orders == 4


async def test_before_imports_only_the_earlier_lines(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    report = await service.import_orders(write_csv(ORDERS), before=date(2025, 6, 12))
    assert report.created == 2  # 1001 and 1002
    assert report.skipped["ordered on or after 2025-06-12"] == 2  # 1005 and 1007


async def test_orders_do_not_overwrite_feed_products(
    service: RecomsService, tmp_path: Path, write_csv: Callable[[str], Path]
) -> None:
    await service.import_feed(feed(tmp_path, "f.xml", item("mug", "Feed mug", "9.00 EUR")))
    await service.import_orders(write_csv(ORDERS))
    mug = await service.get_product(ProductId("mug"))
    assert (mug.title, mug.price) == ("Feed mug", Decimal("9.00"))


async def test_an_unreadable_order_file_writes_nothing(
    service: RecomsService, write_csv: Callable[[str], Path], tmp_path: Path
) -> None:
    with pytest.raises(ImportFileError):
        await service.import_orders(write_csv("sku,when\nmug,2025-01-01\n"))
    # A byte that is not UTF-8 after more lines than one batch: the lines before it were
    # written already, and must go.
    good = "".join(
        f"{n},p{n % 50},1,1.00,2025-06-20 09:00:00,c-{n % 70},,,Thing\n" for n in range(25_000)
    )
    bad = tmp_path / "latin.csv"
    bad.write_bytes(
        ORDERS.lstrip().encode()
        + good.encode()
        + b"30000,caf\xe9,1,1.00,2025-06-20 09:00:00,,,,Caf\xe9\n"
    )
    with pytest.raises(ImportFileError, match="line 25011"):
        await service.import_orders(bad)
    stats = await service.stats()
    assert (stats.orders, stats.contacts, stats.products) == (0, 0, 0)


async def test_values_too_large_to_store_are_rejected_by_line_and_the_rest_imports(
    service: RecomsService, tmp_path: Path, write_csv: Callable[[str], Path]
) -> None:
    long_id = "x" * 201
    feed_report = await service.import_feed(
        feed(
            tmp_path,
            "big.xml",
            item(long_id, "Long id"),
            item("dear", "Dear", price="1000000000000.00 EUR"),
            item("fine", "Fine"),
        )
    )
    assert [rejected.line for rejected in feed_report.rejected] == [3, 4]
    assert feed_report.created == 1

    orders = write_csv(
        "order_id,product_id,quantity,price,ordered_at,external_customer_id,currency\n"
        f"{long_id},mug,1,5.00,2025-01-01,c-1,EUR\n"
        f"1,{long_id},1,5.00,2025-01-01,c-1,EUR\n"
        "2,mug,1,1000000000000,2025-01-01,c-1,EUR\n"
        "3,mug,100000000000,5.00,2025-01-01,c-1,EUR\n"
        f"4,mug,1,5.00,2025-01-01,{long_id},EUR\n"
        "5,mug,1,5.00,2025-01-01,c-1,EURO\n"
        "6,mug,1,5.00,2025-01-01,c-1,EUR\n"
    )
    report = await service.import_orders(orders)
    assert [rejected.line for rejected in report.rejected] == [2, 3, 4, 5, 6, 7]
    assert (report.created, report.lines) == (1, 1)


async def test_a_nul_byte_or_an_oversized_field_rejects_its_line_and_the_rest_imports(
    service: RecomsService, tmp_path: Path
) -> None:
    orders = tmp_path / "odd.csv"
    orders.write_text(
        "order_id,product_id,quantity,ordered_at,product_name,external_customer_id\n"
        "1,mug,1,2025-01-01,Mug,c-1\n"
        "2,cup,1,2025-01-01,Cu\x00p,c-1\n"
        f'3,tea,1,2025-01-01,"{"t" * 200_000}",c-1\n'
        "4,pan,1,2025-01-01,Pan,c-\x002\n"
        "5,jug,1,2025-01-01,Jug,c-1\n",
        encoding="utf-8",
    )
    report = await service.import_orders(orders)
    assert [(rejected.line, rejected.reason) for rejected in report.rejected] == [
        (3, "the line holds a NUL byte"),
        (4, "a field is longer than 131072 characters"),
        (5, "the line holds a NUL byte"),
    ]
    assert (report.read, report.created, report.contacts_created) == (5, 2, 1)
    assert [product.id for product in await service.search_products("u")] == ["jug", "mug"]


def test_a_gzip_bomb_feed_is_imported_in_little_memory(tmp_path: Path) -> None:
    # About 1 MB of gzip that unpacks to one description of a gigabyte.
    bomb = tmp_path / "bomb.xml.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(
            (FEED_HEAD + "<item><g:id>big</g:id><g:title>Big</g:title><g:description>").encode()
        )
        chunk = b"d" * 2**20
        for _ in range(1000):
            out.write(chunk)
        out.write(("</g:description></item>" + item("next", "Next") + "</channel></rss>").encode())
    assert bomb.stat().st_size < 2 * 2**20
    script = f"""
import asyncio
from recoms.service import open_service
from tests.recoms.service.conftest import settings_for

async def main() -> None:
    service = await open_service(settings_for({f"sqlite+aiosqlite:///{tmp_path / 'bomb.db'}"!r}))
    try:
        job = await service.start_feed_import({str(bomb)!r})
        while job.report is None and job.error is None:
            await asyncio.sleep(0.1)
        print(job.state, job.error, job.report.created, [cut.reason for cut in job.report.trimmed])
    finally:
        await service.close()

asyncio.run(main())
"""
    peak, printed = peak_rss_mb(script)
    assert printed.strip() == "done None 2 [\"item 'big': description cut to 5000 characters\"]"
    assert peak < 300, f"{peak:.0f} MB"
