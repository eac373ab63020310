"""Recommendations, data sources and the model's life cycle through the service."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event

from recoms.demo import CURATED, load_demo
from recoms.domain import (
    Algorithm,
    DataSourceId,
    DataSourceParams,
    Identity,
    Product,
    ProductId,
)
from recoms.errors import InvalidRequest, NotFound
from recoms.service import RecomsService, recommendations
from recoms.storage.repositories import SnapshotRepository

OLENA = Identity(external_id="olena-001")
BLANKET = ProductId("nervous-system-blanket")


OpenService = Callable[..., Awaitable[RecomsService]]


@pytest.fixture
async def demo(service: RecomsService, now: datetime) -> RecomsService:
    await load_demo(service, today=now.date())
    return service


def ids(products: Sequence[Product]) -> list[str]:
    return [product.id for product in products]


async def test_each_default_data_source_answers_on_the_demo_store(demo: RecomsService) -> None:
    personal = await demo.recommend(DataSourceId(1), OLENA)
    assert len(personal) == 10
    # Olena buys this tea again and again: it leads her list.
    assert personal[0].id == "quietly-spiraling-tea"
    bestsellers = await demo.recommend(DataSourceId(2))
    assert len(bestsellers) == 10
    assert all(p.in_stock for p in bestsellers)
    for source in (3, 4, 5):
        listed = await demo.recommend(DataSourceId(source), products=[BLANKET])
        assert listed, source
        assert BLANKET not in ids(listed)
    assert tuple(ids(await demo.recommend(DataSourceId(6)))) == CURATED


async def test_lists_that_read_no_history_show_products_without_reading_them(
    demo: RecomsService, open_another: OpenService
) -> None:
    # A process that computes no lists ahead, so that nothing but the asks below is read.
    fresh = await open_another(warm_buyers=0)
    reads: list[str] = []

    def read(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if re.search(r"\bFROM (products|contacts|events|orders)\b", statement):
            reads.append(statement)

    await fresh.recommend(DataSourceId(2))  # the serving snapshot is loaded
    event.listen(fresh.database.engine.sync_engine, "before_cursor_execute", read)
    for source in (2, 3, 4, 5, 6):
        for products in ([], [BLANKET], [ProductId("quietly-spiraling-tea"), BLANKET]):
            with contextlib.suppress(InvalidRequest):
                assert await fresh.recommend(DataSourceId(source), products=products)
    # Only the snapshot's version checks reach the database.
    assert reads == []


async def test_an_unknown_contact_gets_bestsellers(demo: RecomsService) -> None:
    bestsellers = ids(await demo.recommend(DataSourceId(2)))
    stranger = Identity(phone="+380501110002")  # Taras, not a customer yet
    assert ids(await demo.recommend(DataSourceId(1), stranger)) == bestsellers
    assert ids(await demo.recommend(DataSourceId(1), Identity(web_id="nobody"))) == bestsellers


async def test_products_are_required_where_the_algorithm_needs_them(demo: RecomsService) -> None:
    with pytest.raises(InvalidRequest, match="needs products"):
        await demo.recommend(DataSourceId(3), OLENA)
    with pytest.raises(NotFound):
        await demo.recommend(DataSourceId(99))


async def test_bestsellers_narrow_to_a_category(demo: RecomsService) -> None:
    listed = await demo.recommend(DataSourceId(2), category="Sleep & Recovery")
    assert listed
    assert all(p.category == ("Sleep & Recovery",) for p in listed)


async def test_a_new_cart_changes_cart_based_lists_at_once(demo: RecomsService) -> None:
    web_id = "olena-phone-browser"
    await demo.track(
        {
            "GeneralInfo": {
                "eventName": "CustomerData",
                "externalCustomerId": "olena-001",
                "cookies": {"sc": web_id},
            },
            "CustomerData": {"externalCustomerId": "olena-001"},
        }
    )

    async def cart(*product_ids: str) -> list[str]:
        await demo.track(
            {
                "GeneralInfo": {"eventName": "StatusCart", "cookies": {"sc": web_id}},
                "StatusCart": {
                    "Products": [{"productKey": pid, "quantity": 1} for pid in product_ids],
                },
            }
        )
        profile = await demo.contact_profile(OLENA)
        assert [line.product_id for line in profile.cart] == list(product_ids)
        products = [line.product_id for line in profile.cart]
        if not products:
            return []
        return ids(await demo.recommend(DataSourceId(3), OLENA, products=products))

    from_mug = await cart("meeting-email-mug")
    from_kit = await cart("parenting-chaos-first-aid", "snack-diplomacy-kit")
    assert from_mug != from_kit
    assert "parenting-chaos-first-aid" not in from_kit
    await cart()  # an empty cart empties it


async def test_a_visitors_cart_shapes_their_personal_list_at_once(demo: RecomsService) -> None:
    visitor = Identity(web_id="first-visit")
    before = ids(await demo.recommend(DataSourceId(1), visitor))
    assert before == ids(await demo.recommend(DataSourceId(2)))  # nothing known: bestsellers
    await demo.track(
        {
            "GeneralInfo": {"eventName": "StatusCart", "cookies": {"sc": "first-visit"}},
            "StatusCart": {"Products": [{"productKey": "meeting-email-mug", "quantity": 1}]},
        }
    )
    # No rebuild in between: the cart is read with the request.
    assert ids(await demo.recommend(DataSourceId(1), visitor)) != before


async def test_what_a_contact_views_and_wishes_for_shapes_their_list_at_once(
    demo: RecomsService,
) -> None:
    web = {"cookies": {"sc": "taras-phone"}}
    await demo.track(
        {
            "GeneralInfo": {"eventName": "CustomerData", **web},
            "CustomerData": {"user_phone": "+380501110002"},
        }
    )
    taras = Identity(phone="050 111 0002")
    seen: list[list[str]] = [ids(await demo.recommend(DataSourceId(1), taras))]
    for name, product in (("ProductPage", "meeting-email-mug"), ("AddToWishlist", BLANKET)):
        await demo.track(
            {"GeneralInfo": {"eventName": name, **web}, name: {"Product": {"productKey": product}}}
        )
        # No rebuild in between: the history is read with each request.
        seen.append(ids(await demo.recommend(DataSourceId(1), taras)))
    assert seen[0] != seen[1] != seen[2]


async def test_a_product_taken_off_the_wishlist_no_longer_shapes_the_list(
    demo: RecomsService,
) -> None:
    taras = await demo.upsert_contact(phone="+380501110002")
    general = {"user_es_contact_id": taras.id, "siteId": "telegram"}

    async def wish(name: str) -> list[str]:
        await demo.track(
            {
                "GeneralInfo": {"eventName": name, **general},
                name: {"Product": {"productKey": BLANKET}},
            }
        )
        return ids(await demo.recommend(DataSourceId(1), Identity(contact_id=taras.id)))

    before = ids(await demo.recommend(DataSourceId(1), Identity(contact_id=taras.id)))
    wished = await wish("AddToWishlist")
    assert wished != before
    assert await wish("RemoveFromWishlist") == before
    assert await wish("AddToWishlist") == wished, "saved again, it counts again"


async def test_the_first_identifier_that_names_a_contact_says_whose_list_it_is(
    demo: RecomsService,
) -> None:
    olena = ids(await demo.recommend(DataSourceId(1), OLENA))
    taras = await demo.upsert_contact(phone="+380501110002")
    own = ids(await demo.recommend(DataSourceId(1), Identity(contact_id=taras.id)))
    assert own != olena
    for identity, expected in (
        (Identity(external_id="no-such-customer", phone="050 111 0001"), olena),
        (Identity(external_id="olena-001", phone="+380501110002"), olena),
        (Identity(contact_id=taras.id, external_id="olena-001"), own),
        (Identity(email="nobody@example.com", phone="+380501110002"), own),
    ):
        assert ids(await demo.recommend(DataSourceId(1), identity)) == expected, identity


async def test_excluding_purchases_and_limits_come_from_the_data_source(
    demo: RecomsService,
) -> None:
    source = await demo.create_data_source(
        "New for you",
        Algorithm.PERSONAL,
        DataSourceParams(limit=4, exclude_purchased=True),
    )
    profile = await demo.contact_profile(OLENA, orders=100)
    bought = {line.product_id for order in profile.last_orders for line in order.lines}
    listed = ids(await demo.recommend(source.id, OLENA))
    assert len(listed) == 4
    assert not bought & set(listed)


async def test_a_fresh_shop_has_buy_again_and_new_for_you(demo: RecomsService) -> None:
    """Data source 7 lists only what the contact bought, 8 only what they never did; together
    they are the contact's whole personal list, split."""
    sources = {source.id: source for source in await demo.list_data_sources()}
    assert (sources[DataSourceId(7)].name, sources[DataSourceId(8)].name) == (
        "Buy again",
        "New for you",
    )
    profile = await demo.contact_profile(OLENA, orders=100)
    bought = {line.product_id for order in profile.last_orders for line in order.lines}
    again = ids(await demo.recommend(DataSourceId(7), OLENA))
    new = ids(await demo.recommend(DataSourceId(8), OLENA))
    assert again
    assert set(again) <= bought
    assert len(new) == 10
    assert not bought & set(new)
    assert await demo.recommend(DataSourceId(7), Identity(external_id="nobody-at-all")) == []


async def test_new_for_you_leaves_out_purchases_older_than_the_history_it_reads(
    demo: RecomsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long history is read as its latest lines only; what is left out as bought is still
    everything the contact ever bought."""
    profile = await demo.contact_profile(OLENA, orders=100)
    bought = {line.product_id for order in profile.last_orders for line in order.lines}
    assert len(bought) > 1
    monkeypatch.setattr(recommendations, "HISTORY_PURCHASES", 1)
    await demo.warm()  # lists computed ahead of the ask read the same history
    new = ids(await demo.recommend(DataSourceId(8), OLENA))
    assert len(new) == 10
    assert not bought & set(new)


async def test_data_sources_are_validated(service: RecomsService) -> None:
    for bad in (
        DataSourceParams(limit=0),
        DataSourceParams(limit=51),
        DataSourceParams(window_days=0),
        DataSourceParams(price_ratio_min=2.0, price_ratio_max=1.0),
        DataSourceParams(price_ratio_max=float("nan")),
        DataSourceParams(exclude_purchased=True, purchased_only=True),
    ):
        with pytest.raises(InvalidRequest):
            await service.create_data_source("x", Algorithm.BESTSELLERS, bad)
    with pytest.raises(InvalidRequest):
        await service.create_data_source("  ", Algorithm.BESTSELLERS, DataSourceParams())
    with pytest.raises(NotFound):
        await service.update_data_source(DataSourceId(42), name="x")
    updated = await service.update_data_source(
        DataSourceId(2), name="Top 5", params=DataSourceParams(limit=5)
    )
    assert (updated.name, updated.params.limit) == ("Top 5", 5)
    assert (await service.get_data_source(DataSourceId(2))).params.limit == 5
    assert len(await service.list_data_sources()) == 8


async def test_recommend_works_before_any_rebuild(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    assert await service.recommend(DataSourceId(2)) == []
    await service.import_orders(
        write_csv(
            "order_id,product_id,quantity,price,ordered_at\n"
            "1,mug,1,1.00,2025-06-30 10:00:00\n"
            "2,mug,1,1.00,2025-06-30 11:00:00\n"
            "2,tea,1,1.00,2025-06-30 11:00:00\n"
        )
    )
    # The model built for the empty store is still current; a rebuild brings the orders in.
    await service.rebuild()
    assert ids(await service.recommend(DataSourceId(2))) == ["mug", "tea"]


async def test_a_rebuild_in_one_process_reaches_another(
    open_another: OpenService, now: datetime, write_csv: Callable[[str], Path]
) -> None:
    importer = await open_another()
    server = await open_another()
    assert await server.recommend(DataSourceId(2)) == []  # builds an empty model
    await importer.import_orders(
        write_csv("order_id,product_id,quantity,ordered_at\n1,a,1,2025-06-30 10:00:00\n")
    )
    report = await importer.rebuild()
    assert report.lines == 1
    assert ids(await server.recommend(DataSourceId(2))) == ["a"]
    assert (await server.stats()).model_built_at == now


async def test_a_serving_process_waits_for_the_refresh_interval(
    open_another: OpenService, write_csv: Callable[[str], Path]
) -> None:
    importer = await open_another()
    server = await open_another(model_refresh_seconds=3600)
    assert await server.recommend(DataSourceId(2)) == []
    await importer.import_orders(
        write_csv("order_id,product_id,quantity,ordered_at\n1,a,1,2025-06-30 10:00:00\n")
    )
    await importer.rebuild()
    # Within the interval the server keeps its model: no database round trip per request.
    assert await server.recommend(DataSourceId(2)) == []


async def test_data_source_edits_reach_other_processes_after_the_refresh_interval(
    open_another: OpenService, now: datetime
) -> None:
    editor = await open_another()
    server = await open_another(model_refresh_seconds=3600)
    await load_demo(editor, today=now.date())
    assert len(await server.recommend(DataSourceId(2))) == 10
    await editor.update_data_source(DataSourceId(2), params=DataSourceParams(limit=3))
    # Within the interval the server keeps its copy of the data sources ...
    assert len(await server.recommend(DataSourceId(2))) == 10
    # ... but one created meanwhile is found at once, not refused as unknown.
    created = await editor.create_data_source(
        "Top 4", Algorithm.BESTSELLERS, DataSourceParams(limit=4)
    )
    assert len(await server.recommend(created.id)) == 4
    prompt = await open_another(model_refresh_seconds=0)
    assert len(await prompt.recommend(DataSourceId(2))) == 3


async def test_a_feed_imported_elsewhere_shows_in_answers_after_the_refresh_interval(
    open_another: OpenService, now: datetime, tmp_path: Path
) -> None:
    importer = await open_another()
    await load_demo(importer, today=now.date())
    waiting = await open_another(model_refresh_seconds=3600)
    prompt = await open_another(model_refresh_seconds=0)
    first = (await prompt.recommend(DataSourceId(2)))[0]
    assert (await waiting.recommend(DataSourceId(2)))[0] == first
    renamed = dataclasses.replace(first, title="Renamed in the feed", price=Decimal("1.23"))
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        f"<channel><item><g:id>{first.id}</g:id><title>{renamed.title}</title>"
        f"<g:price>1.23 {first.currency}</g:price><g:availability>in stock</g:availability>"
        f"<link>{first.link}</link></item></channel></rss>",
        encoding="utf-8",
    )
    await importer.import_feed(feed, full=False)
    # The answers' products are kept per catalogue version: the one waiting shows what it
    # showed, the one that looked again shows the feed's.
    assert (await waiting.recommend(DataSourceId(2)))[0] == first
    shown = next(p for p in await prompt.recommend(DataSourceId(2)) if p.id == first.id)
    assert (shown.title, shown.price) == (renamed.title, renamed.price)


async def test_curated_list_keeps_its_order_and_skips_what_is_not_offered(
    demo: RecomsService,
) -> None:
    source = await demo.get_data_source(DataSourceId(6))
    wanted = (ProductId("tiny-dopamine-pack"), ProductId("no-such-thing"), BLANKET)
    await demo.update_data_source(
        source.id, params=dataclasses.replace(source.params, product_ids=wanted)
    )
    assert ids(await demo.recommend(DataSourceId(6))) == ["tiny-dopamine-pack", BLANKET]


async def test_an_unreadable_stored_model_is_replaced(
    demo: RecomsService, open_another: OpenService, now: datetime
) -> None:
    async with demo.database.sessions.begin() as session:
        await SnapshotRepository(session).add(b"not a model", built_at=now, orders=0, lines=0)
    fresh = await open_another()
    assert len(await fresh.recommend(DataSourceId(2))) == 10
