"""A shop that imported its feed and no orders yet: bestsellers in the feed's own order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recoms.domain import DataSourceId, ProductId
from recoms.service import RecomsService

BESTSELLERS = DataSourceId(2)
# The feed's order on purpose differs from the ids' order.
FEED = [
    ("z-sofa", "in stock"),
    ("b-lamp", "out of stock"),
    ("m-rug", "in stock"),
    ("a-desk", "in stock"),
    ("q-shelf", "preorder"),
]


def feed(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><g:id>{product_id}</g:id><g:title>{product_id}</g:title>"
        f"<g:price>10.00 EUR</g:price><g:availability>{availability}</g:availability>"
        "<g:product_type>Home</g:product_type></item>"
        for product_id, availability in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        f"<channel><title>t</title>{entries}</channel></rss>"
    )


async def bestsellers(service: RecomsService) -> list[ProductId]:
    return [product.id for product in await service.recommend(BESTSELLERS)]


async def test_a_feed_only_shop_gets_its_feed_in_order_in_stock_only(
    service: RecomsService, tmp_path: Path
) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(feed(FEED), encoding="utf-8")
    await service.import_feed(path)
    assert await bestsellers(service) == ["z-sofa", "m-rug", "a-desk"]
    # A new feed reorders the list as it reorders the items.
    path.write_text(feed(list(reversed(FEED))), encoding="utf-8")
    await service.import_feed(path)
    assert await bestsellers(service) == ["a-desk", "m-rug", "z-sofa"]


async def test_once_orders_exist_the_usual_bestsellers(
    service: RecomsService, tmp_path: Path, write_csv: Callable[[str], Path]
) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(feed(FEED), encoding="utf-8")
    await service.import_feed(path)
    orders = write_csv(
        """
order_id,product_id,quantity,price,ordered_at
1,a-desk,1,10,2025-06-20T10:00:00
2,a-desk,1,10,2025-06-21T10:00:00
3,m-rug,1,10,2025-06-22T10:00:00
"""
    )
    await service.import_orders(orders)
    await service.rebuild()
    assert await bestsellers(service) == ["a-desk", "m-rug"]
